//! Import jobs and the tiny blob store they read from and write to.
//!
//! A job goes `enqueued` (first status read) → `running` → `completed` or
//! `failed` after a configurable number of status reads; it applies its
//! lines when it completes and writes one line per failed device to
//! `importErrors.log` in the output container (the format IoT Hub uses there
//! is not documented in the reference; the simulator writes
//! `DeviceRegistryOperationError` objects as JSON lines).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use super::error::HubError;
use super::faults::{Faults, Route};
use super::import::apply_line;
use super::store::{Store, now_text};

/// Blob containers by name, blobs by name.
#[derive(Debug, Default)]
pub(crate) struct Blobs {
    pub(crate) containers: HashMap<String, HashMap<String, Vec<u8>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Job {
    id: String,
    input: String,
    input_blob: String,
    output: String,
    input_uri: String,
    output_uri: String,
    reads: u32,
    status: &'static str,
    failure: Option<String>,
    start: String,
    end: Option<String>,
}

/// Every job, and how many status reads a job takes to finish.
#[derive(Debug)]
pub(crate) struct Jobs {
    jobs: BTreeMap<String, Job>,
    next: u64,
    pub(crate) reads_to_finish: u32,
}

impl Default for Jobs {
    fn default() -> Self {
        Self {
            jobs: BTreeMap::new(),
            next: 0,
            reads_to_finish: 3,
        }
    }
}

/// The container name of a container SAS URL served by this simulator
/// (`http://host/blob/<container>?...sig=...`).
pub(crate) fn container_of(uri: &str) -> Result<String, HubError> {
    let bad = || HubError::invalid("blob container uri is invalid or has no SAS signature");
    let url = url::Url::parse(uri).map_err(|_| bad())?;
    if !url.query_pairs().any(|(k, _)| k == "sig") {
        return Err(bad());
    }
    let mut segments = url.path_segments().ok_or_else(bad)?;
    match (segments.next(), segments.next()) {
        (Some("blob"), Some(c)) if !c.is_empty() => Ok(c.to_owned()),
        _ => Err(bad()),
    }
}

impl Job {
    fn json(&self) -> Value {
        let progress = match self.status {
            "enqueued" => 0,
            "running" => 50,
            _ => 100,
        };
        let mut j = json!({
            "jobId": self.id,
            "type": "import",
            "status": self.status,
            "progress": progress,
            "startTimeUtc": self.start,
            "inputBlobContainerUri": self.input_uri,
            "inputBlobName": self.input_blob,
            "outputBlobContainerUri": self.output_uri,
            "storageAuthenticationType": "keyBased",
        });
        if let (Some(o), Some(e)) = (j.as_object_mut(), &self.end) {
            o.insert("endTimeUtc".into(), json!(e));
        }
        if let (Some(o), Some(f)) = (j.as_object_mut(), &self.failure) {
            o.insert("failureReason".into(), json!(f));
        }
        j
    }
}

impl Jobs {
    /// `POST /jobs/create`.
    pub(crate) fn create(&mut self, body: &Map<String, Value>) -> Result<Value, HubError> {
        let kind = body.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != "import" {
            return Err(HubError::invalid(format!(
                "job type '{kind}' is not supported by the simulator"
            )));
        }
        if self
            .jobs
            .values()
            .any(|j| matches!(j.status, "enqueued" | "running"))
        {
            return Err(HubError::new(
                409,
                "JobQuotaExceeded",
                "Only one active import/export job is allowed per hub",
            ));
        }
        let uri = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| HubError::invalid(format!("{k} is required")))
        };
        let (input_uri, output_uri) = (
            uri("inputBlobContainerUri")?,
            uri("outputBlobContainerUri")?,
        );
        let input = container_of(&input_uri)?;
        let output = container_of(&output_uri)?;
        self.next += 1;
        let job = Job {
            id: format!("job-{:08}", self.next),
            input,
            input_blob: body
                .get("inputBlobName")
                .and_then(Value::as_str)
                .unwrap_or("devices.txt")
                .to_owned(),
            output,
            input_uri,
            output_uri,
            reads: 0,
            status: "enqueued",
            failure: None,
            start: now_text(),
            end: None,
        };
        let answer = job.json();
        self.jobs.insert(job.id.clone(), job);
        Ok(answer)
    }

    /// `GET /jobs/{id}`: one status read, which may finish the job.
    pub(crate) fn read(
        &mut self,
        id: &str,
        store: &mut Store,
        blobs: &mut Blobs,
        faults: &mut Faults,
    ) -> Result<Value, HubError> {
        let reads_to_finish = self.reads_to_finish.max(1);
        let job = self
            .jobs
            .get_mut(id)
            .ok_or_else(|| HubError::new(404, "JobNotFound", format!("Job {id} not found")))?;
        if matches!(job.status, "enqueued" | "running") {
            job.reads += 1;
            if job.reads >= reads_to_finish {
                run(job, store, blobs, faults);
            } else if job.reads > 1 {
                job.status = "running";
            }
        }
        Ok(job.json())
    }
}

fn run(job: &mut Job, store: &mut Store, blobs: &mut Blobs, faults: &mut Faults) {
    job.end = Some(now_text());
    let Some(bytes) = blobs
        .containers
        .get(&job.input)
        .and_then(|c| c.get(&job.input_blob))
        .cloned()
    else {
        job.status = "failed";
        job.failure = Some(format!("input blob {} not found", job.input_blob));
        return;
    };
    let mut log = String::new();
    for (n, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed: Option<Map<String, Value>> = serde_json::from_slice(raw).ok();
        let Some(line) = parsed else {
            job.status = "failed";
            job.failure = Some(format!(
                "line {} of the input blob is not a JSON object",
                n + 1
            ));
            return;
        };
        let id = line
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let result = if faults.item(Route::JobCreate, &id) {
            Err(HubError::new(500, "ServerError", "injected item failure"))
        } else {
            apply_line(store, &line)
        };
        if let Err(e) = result {
            let entry =
                json!({"deviceId": id, "errorCode": e.code, "errorStatus": e.item_status()});
            log.push_str(&entry.to_string());
            log.push('\n');
        }
    }
    // Written on every completed job, empty when nothing failed, so a log
    // left by an earlier job is never read as this one's.
    blobs
        .containers
        .entry(job.output.clone())
        .or_default()
        .insert("importErrors.log".into(), log.into_bytes());
    job.status = "completed";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_runs_its_lines_and_logs_failures() {
        let mut jobs = Jobs::default();
        let (mut store, mut blobs, mut faults) =
            (Store::new("hub"), Blobs::default(), Faults::default());
        let uri = "http://127.0.0.1:1/blob/c1?sv=1&sig=x";
        blobs.containers.entry("c1".into()).or_default().insert(
            "devices.txt".into(),
            b"{\"id\":\"a\",\"importMode\":\"create\"}\n{\"id\":\"b\",\"importMode\":\"update\"}\n"
                .to_vec(),
        );
        let body =
            json!({"type": "import", "inputBlobContainerUri": uri, "outputBlobContainerUri": uri});
        let created = jobs.create(body.as_object().unwrap()).unwrap();
        let id = created["jobId"].as_str().unwrap().to_owned();
        assert_eq!(created["status"], "enqueued");
        let again = jobs.create(body.as_object().unwrap()).unwrap_err();
        assert_eq!(again.status, 409);
        let mut seen = Vec::new();
        for _ in 0..3 {
            let j = jobs.read(&id, &mut store, &mut blobs, &mut faults).unwrap();
            seen.push(j["status"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen, ["enqueued", "running", "completed"]);
        assert!(store.devices.contains_key("a"));
        let log = String::from_utf8(blobs.containers["c1"]["importErrors.log"].clone()).unwrap();
        assert!(
            log.contains("\"deviceId\":\"b\"") && log.contains("DeviceNotFound"),
            "{log}"
        );
        assert!(
            container_of("http://127.0.0.1:1/blob/c1").is_err(),
            "no SAS"
        );
    }
}
