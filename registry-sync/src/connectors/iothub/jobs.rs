//! Import jobs: the input blob, `/jobs/create`, status polls and the
//! per-device failures of `importErrors.log`.

use super::classify::kind_of_item;
use crate::error::{Error, ErrorKind, Result};
use crate::registry::{JobItemFailure, JobStatus};
use std::collections::HashMap;
use twin_model::iothub::identity::DeviceRegistryOperationError;
use twin_model::iothub::job::{JobProperties, JobStatus as HubJobStatus};

/// The name of the error log IoT Hub writes to the output container.
pub(crate) const ERROR_LOG: &str = "importErrors.log";

/// What the connector remembers of a job it started.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobBook {
    /// Device id of each operation, by position.
    pub(crate) ids: Vec<String>,
    /// Operations that could not be written as lines, with their kind.
    pub(crate) unmapped: Vec<(usize, ErrorKind)>,
}

/// The engine's view of a job's properties (without the error log).
pub(crate) fn status_of(job: &JobProperties) -> JobStatus {
    match &job.status {
        Some(HubJobStatus::Completed) => JobStatus::Completed {
            failures: Vec::new(),
        },
        Some(HubJobStatus::Failed) => JobStatus::Failed {
            reason: job
                .failure_reason
                .clone()
                .unwrap_or_else(|| "no reason given".into()),
        },
        Some(HubJobStatus::Cancelled) => JobStatus::Cancelled,
        _ => JobStatus::Running {
            progress: job
                .progress
                .and_then(|p| u8::try_from(p.clamp(0, 100)).ok()),
        },
    }
}

/// The failures of a completed job: unmapped operations plus every line of
/// the error log naming one of its devices (lines naming other devices
/// are ignored; a line that is not JSON is a decode error).
pub(crate) fn failures(book: &JobBook, log: &[u8]) -> Result<Vec<JobItemFailure>> {
    let index: HashMap<&str, usize> = book
        .ids
        .iter()
        .enumerate()
        .rev()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut out: Vec<JobItemFailure> = book
        .unmapped
        .iter()
        .map(|(i, k)| JobItemFailure::new(*i, *k))
        .collect();
    for line in log.split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let e: DeviceRegistryOperationError = serde_json::from_slice(line).map_err(|e| {
            Error::new(ErrorKind::Decode)
                .with_context("import error log line")
                .with_source(e)
        })?;
        if let Some(i) = index.get(e.device_id.as_str()) {
            out.push(JobItemFailure::new(*i, kind_of_item(&e.error_code)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_map_to_positions() {
        let book = JobBook {
            ids: vec!["a".into(), "b".into(), "c".into()],
            unmapped: vec![(2, ErrorKind::Rejected)],
        };
        let log = b"{\"deviceId\":\"b\",\"errorCode\":\"DeviceNotFound\",\"errorStatus\":\"x\"}\n\n{\"deviceId\":\"zz\",\"errorCode\":\"ServerError\",\"errorStatus\":\"x\"}\n";
        let f = failures(&book, log).unwrap();
        assert_eq!(
            f,
            [
                JobItemFailure::new(2, ErrorKind::Rejected),
                JobItemFailure::new(1, ErrorKind::NotFound)
            ]
        );
        assert!(failures(&book, b"nope").unwrap_err().is_decode());
    }

    #[test]
    fn statuses() {
        let mut j = JobProperties {
            status: Some(HubJobStatus::Running),
            progress: Some(140),
            ..JobProperties::default()
        };
        assert_eq!(
            status_of(&j),
            JobStatus::Running {
                progress: Some(100)
            }
        );
        j.status = Some(HubJobStatus::Failed);
        assert!(matches!(status_of(&j), JobStatus::Failed { .. }));
        j.status = Some(HubJobStatus::Other("weird".into()));
        assert!(matches!(status_of(&j), JobStatus::Running { .. }));
    }

    proptest::proptest! {
        #[test]
        fn any_error_log_is_read_without_panic(log in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let book = JobBook { ids: vec!["a".into()], unmapped: Vec::new() };
            if let Ok(f) = failures(&book, &log) {
                proptest::prop_assert!(f.iter().all(|x| x.index == 0));
            }
        }
    }
}
