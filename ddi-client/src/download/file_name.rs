//! Server-supplied file names are untrusted input.

use crate::error::{Error, ErrorKind, Result};

/// The suffix of a download in progress, `.<name>.part`.
pub(crate) const PART_SUFFIX: &str = ".part";
/// The suffix of its validator file, `.<name>.part.etag`.
pub(crate) const ETAG_SUFFIX: &str = ".part.etag";

/// The longest artifact file name accepted, in bytes: file systems allow 255,
/// and the downloader's `.<name>.part.etag` adds 11.
pub const MAX_FILE_NAME: usize = 255 - 1 - ETAG_SUFFIX.len();

/// Returns `name` if it is safe to use as a single file name inside a
/// download directory: not empty, not `.` or `..`, no path separator (`/` or
/// `\`), no drive prefix (`C:`), no control characters, at most
/// [`MAX_FILE_NAME`] bytes, and not shaped like the downloader's own
/// `.<name>.part` / `.<name>.part.etag` files (an artifact called
/// `.fw.bin.part` would otherwise overwrite the resumable download of
/// `fw.bin`).
///
/// ```
/// use ddi_client::download::safe_file_name;
/// assert!(safe_file_name("update-1.2.swu").is_ok());
/// assert!(safe_file_name("../etc/passwd").is_err());
/// assert!(safe_file_name("/etc/passwd").is_err());
/// ```
pub fn safe_file_name(name: &str) -> Result<&str> {
    let looks_like_ours =
        name.starts_with('.') && (name.ends_with(PART_SUFFIX) || name.ends_with(ETAG_SUFFIX));
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || looks_like_ours
        || name.len() > MAX_FILE_NAME
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
        || name.as_bytes().get(1) == Some(&b':');
    if bad {
        Err(Error::new(ErrorKind::UnsafeFileName))
    } else {
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_paths_and_traversal() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "/abs",
            "C:x",
            "a\0b",
            "a\nb",
            &"x".repeat(256),
            &"x".repeat(MAX_FILE_NAME + 1),
            ".fw.bin.part",
            ".fw.bin.part.etag",
        ] {
            assert!(safe_file_name(bad).is_err(), "{bad:?}");
        }
        let longest = "y".repeat(MAX_FILE_NAME);
        for good in [
            "a",
            "..a",
            "a..b",
            "update.swu",
            "ünïcode.bin",
            ".hidden",
            "fw.part",
            ".part.txt",
            &longest,
        ] {
            assert_eq!(safe_file_name(good).unwrap(), good);
        }
    }

    proptest::proptest! {
        #[test]
        fn accepted_names_stay_inside_the_directory(name in "\\PC{0,40}") {
            if let Ok(ok) = safe_file_name(&name) {
                let joined = std::path::Path::new("/base").join(ok);
                proptest::prop_assert_eq!(joined.parent(), Some(std::path::Path::new("/base")));
                proptest::prop_assert!(ok != ".." && ok != ".");
                // the temporary names of an accepted name are never accepted names themselves
                let part = format!(".{ok}{PART_SUFFIX}");
                let etag = format!(".{ok}{ETAG_SUFFIX}");
                proptest::prop_assert!(safe_file_name(&part).is_err());
                proptest::prop_assert!(safe_file_name(&etag).is_err());
                proptest::prop_assert!(etag.len() <= 255);
            }
        }
    }
}
