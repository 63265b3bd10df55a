//! goosebit's management side, for tests that need a deployment on a real
//! third-party DDI server: log in, upload a SWUpdate image, assign it to a
//! device, read device state.
//!
//! Follows `../shared/peers/goosebit/NOTES.md`: the admin user comes from
//! `POST /setup`, images go to `PUT /api/v1/software` (multipart field
//! `file`), assignments to `PUT /api/v1/devices`, and state is read from the
//! device *list* (`GET /api/v1/devices/{id}` answers 500 once software is
//! assigned). Calls block the calling thread (reqwest's blocking client on a
//! thread of its own, so async tests can call them too) and only ever go to
//! loopback addresses.
//!
//! [`build_swu`] writes a minimal valid `.swu` (a cpio archive in the `crc`
//! format with `sw-description` first) without any external tool.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::blocking::{Client, multipart};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Goosebit;

/// Writes an SWUpdate image: `sw-description` (libconfig, `software.version`
/// set, one file entry with its SHA-256) followed by the payload, as a cpio
/// archive in the `crc` (`070702`) format, which goosebit and SWUpdate read.
pub fn build_swu(version: &str, payload_name: &str, payload: &[u8]) -> Vec<u8> {
    let description = sw_description(version, payload_name, payload);
    cpio_crc(&[
        ("sw-description", description.as_bytes()),
        (payload_name, payload),
    ])
}

/// The libconfig `sw-description` of [`build_swu`].
pub fn sw_description(version: &str, payload_name: &str, payload: &[u8]) -> String {
    let sha256 = hex::encode(Sha256::digest(payload));
    format!(
        "software =\n{{\n\tversion = \"{version}\";\n\tfiles: (\n\t\t{{\n\t\t\tfilename = \"{payload_name}\";\n\
         \t\t\tpath = \"/tmp/{payload_name}\";\n\t\t\tsha256 = \"{sha256}\";\n\t\t}}\n\t);\n}}\n"
    )
}

/// A cpio archive in the SVR4 `crc` format (`070702`: `newc` plus a byte-sum
/// checksum per file), entries in the given order, then the `TRAILER!!!`.
pub fn cpio_crc(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, (name, data)) in entries.iter().enumerate() {
        let check = data
            .iter()
            .fold(0_u32, |sum, b| sum.wrapping_add(u32::from(*b)));
        cpio_entry(&mut out, index as u32 + 1, 0o100_644, name, data, check);
    }
    cpio_entry(&mut out, 0, 0, "TRAILER!!!", &[], 0);
    out
}

fn cpio_entry(out: &mut Vec<u8>, ino: u32, mode: u32, name: &str, data: &[u8], check: u32) {
    let fields = [
        ino,
        mode,
        0,                     // uid
        0,                     // gid
        1,                     // nlink
        0,                     // mtime
        data.len() as u32,     // filesize
        0,                     // devmajor
        0,                     // devminor
        0,                     // rdevmajor
        0,                     // rdevminor
        name.len() as u32 + 1, // namesize, with the NUL
        check,
    ];
    out.extend_from_slice(b"070702");
    for field in fields {
        out.extend_from_slice(format!("{field:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(data);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// One row of `GET /api/v1/devices`.
#[derive(Debug, Clone, PartialEq)]
pub struct GoosebitDevice {
    /// The controller id.
    pub id: String,
    /// `Unknown`, `Registered`, `Running`, `Error` or `Finished`.
    pub last_state: String,
    /// `Rollout`, `Assigned`, ...
    pub update_mode: String,
    /// The version the device reported or was updated to.
    pub sw_version: Option<String>,
    /// Progress percentage from the last feedback.
    pub progress: Option<i64>,
    /// The whole row, for anything else.
    pub raw: Value,
}

/// A logged-in management session on a goosebit server.
///
/// Every call blocks the calling thread until goosebit answers. Each runs
/// its blocking HTTP client on a thread of its own, so the methods are safe
/// to call from async tests too (where reqwest's blocking client would
/// otherwise panic).
#[derive(Clone)]
pub struct GoosebitAdmin {
    base: String,
    token: String,
}

impl std::fmt::Debug for GoosebitAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoosebitAdmin")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Runs `call` with a fresh blocking client on its own thread, outside any
/// async runtime, and drops the client there too.
fn off_runtime<T: Send>(
    call: impl FnOnce(&Client) -> Result<T, String> + Send,
) -> Result<T, String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let http = Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
                call(&http)
            })
            .join()
            .unwrap_or_else(|_| Err("the goosebit admin thread panicked".to_owned()))
    })
}

impl GoosebitAdmin {
    /// Creates an admin user on the server started by [`Goosebit::start`] and
    /// logs in.
    ///
    /// # Errors
    /// A message naming the step that failed.
    pub fn for_server(server: &Goosebit) -> Result<Self, String> {
        // a fresh user per session: /setup answers an error for a taken name
        static SESSIONS: AtomicU32 = AtomicU32::new(0);
        let n = SESSIONS.fetch_add(1, Ordering::Relaxed);
        let user = format!("admin{n}@example.invalid");
        Self::setup(&server.base_url(), &user, "fleet-update-tests")
    }

    /// `POST /setup` with these credentials (it creates a full admin even
    /// when users exist) on `base_url`, which must be a loopback URL.
    ///
    /// # Errors
    /// A message naming the step that failed.
    pub fn setup(base_url: &str, username: &str, password: &str) -> Result<Self, String> {
        let base = base_url.trim_end_matches('/').to_owned();
        let host = reqwest::Url::parse(&base)
            .map_err(|e| format!("bad goosebit URL {base}: {e}"))?
            .host_str()
            .map(str::to_owned)
            .unwrap_or_default();
        if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
            return Err(format!("goosebit admin only talks to loopback, not {host}"));
        }
        let token = off_runtime(|http| {
            let answer = http
                .post(format!("{base}/setup"))
                .form(&[("username", username), ("password", password)])
                .send()
                .map_err(|e| send_error("POST /setup", &e))?;
            let status = answer.status();
            let body: Value = answer
                .json()
                .map_err(|e| format!("POST /setup answered {status} without JSON: {e}"))?;
            body.get("access_token")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!("POST /setup answered {status} without access_token: {body}")
                })
        })?;
        Ok(Self { base, token })
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// Uploads an image (`PUT /api/v1/software`, multipart `file`) and
    /// returns goosebit's software id.
    ///
    /// # Errors
    /// The status and body when goosebit refuses it (422 for an unparsable
    /// image, 409 for a duplicate version).
    pub fn upload_software(&self, filename: &str, image: Vec<u8>) -> Result<u64, String> {
        let part = multipart::Part::bytes(image)
            .file_name(filename.to_owned())
            .mime_str("application/octet-stream")
            .map_err(|e| format!("bad mime type: {e}"))?;
        let form = multipart::Form::new().part("file", part);
        let body = off_runtime(|http| {
            let answer = http
                .put(format!("{}/api/v1/software", self.base))
                .header("Authorization", self.auth())
                .multipart(form)
                .send()
                .map_err(|e| send_error("PUT /api/v1/software", &e))?;
            json_or_error(answer, "PUT /api/v1/software")
        })?;
        body.get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("PUT /api/v1/software answered without an id: {body}"))
    }

    /// Assigns software to a device (`PUT /api/v1/devices`), creating the
    /// device if needed; its update mode becomes `Assigned`.
    ///
    /// # Errors
    /// The status and body when goosebit refuses it (422 when incompatible).
    pub fn assign(&self, device: &str, software: u64) -> Result<(), String> {
        let body = serde_json::json!({"devices": [device], "software": software.to_string()});
        off_runtime(|http| {
            let answer = http
                .put(format!("{}/api/v1/devices", self.base))
                .header("Authorization", self.auth())
                .json(&body)
                .send()
                .map_err(|e| send_error("PUT /api/v1/devices", &e))?;
            json_or_error(answer, "PUT /api/v1/devices").map(drop)
        })
    }

    /// Every device (`GET /api/v1/devices`).
    ///
    /// # Errors
    /// The status and body of a failed request.
    pub fn devices(&self) -> Result<Vec<GoosebitDevice>, String> {
        let body = off_runtime(|http| {
            let send = || {
                http.get(format!("{}/api/v1/devices", self.base))
                    .header("Authorization", self.auth())
                    .send()
            };
            let answer = match send() {
                Ok(answer) => answer,
                // A GET is safe to repeat. One full test run saw this request
                // fail to send (cause unknown) while goosebit kept serving;
                // a second failure is reported with both errors.
                Err(first) => {
                    std::thread::sleep(Duration::from_millis(250));
                    send().map_err(|e| {
                        format!(
                            "{}; once more: {}",
                            send_error("GET /api/v1/devices", &first),
                            send_error("GET /api/v1/devices", &e)
                        )
                    })?
                }
            };
            json_or_error(answer, "GET /api/v1/devices")
        })?;
        let rows = body
            .get("devices")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("GET /api/v1/devices answered without a device list: {body}"))?;
        Ok(rows.iter().map(device_of).collect())
    }

    /// One device from the list, if goosebit knows it.
    ///
    /// # Errors
    /// As [`Self::devices`].
    pub fn device(&self, id: &str) -> Result<Option<GoosebitDevice>, String> {
        Ok(self.devices()?.into_iter().find(|d| d.id == id))
    }
}

/// A request that could not be sent, with every cause reqwest keeps (its
/// own message names none: "error sending request for url ...").
fn send_error(what: &str, e: &reqwest::Error) -> String {
    let mut message = format!("{what} failed: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

fn json_or_error(answer: reqwest::blocking::Response, what: &str) -> Result<Value, String> {
    let status = answer.status();
    let text = answer
        .text()
        .map_err(|e| format!("{what}: cannot read the answer: {e}"))?;
    if !status.is_success() {
        return Err(format!("{what} answered {status}: {text}"));
    }
    serde_json::from_str(&text)
        .map_err(|e| format!("{what} answered {status} with non-JSON {text:?}: {e}"))
}

fn device_of(row: &Value) -> GoosebitDevice {
    let text = |k: &str| row.get(k).and_then(Value::as_str).map(str::to_owned);
    GoosebitDevice {
        id: text("id").unwrap_or_default(),
        last_state: text("last_state").unwrap_or_default(),
        update_mode: text("update_mode").unwrap_or_default(),
        sw_version: text("sw_version"),
        progress: row.get("progress").and_then(Value::as_i64),
        raw: row.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swu_starts_with_sw_description_in_crc_format() {
        let swu = build_swu("1.0.1", "payload.bin", b"hello");
        assert_eq!(&swu[..6], b"070702");
        // name follows the 110-byte header
        assert_eq!(&swu[110..124], b"sw-description");
        assert_eq!(swu.len() % 4, 0);
        let text = String::from_utf8_lossy(&swu);
        assert!(text.contains("version = \"1.0.1\";"));
        assert!(text.contains(&hex::encode(Sha256::digest(b"hello"))));
        assert!(text.contains("TRAILER!!!"));
    }

    #[test]
    fn crc_field_is_the_byte_sum() {
        let archive = cpio_crc(&[("a", &[1, 2, 250])]);
        let check = std::str::from_utf8(&archive[102..110]).unwrap();
        assert_eq!(u32::from_str_radix(check, 16).unwrap(), 253);
        let size = std::str::from_utf8(&archive[54..62]).unwrap();
        assert_eq!(u32::from_str_radix(size, 16).unwrap(), 3);
    }

    #[test]
    fn refuses_non_loopback_hosts() {
        let err = GoosebitAdmin::setup("http://example.invalid:8080", "a", "b").unwrap_err();
        assert!(err.contains("loopback"), "{err}");
    }
}
