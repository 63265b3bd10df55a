//! Server-supplied file names are untrusted input.

use crate::error::{Error, ErrorKind, Result};

/// Returns `name` if it is safe to use as a single file name inside a
/// download directory: not empty, not `.` or `..`, no path separator (`/` or
/// `\`), no drive prefix (`C:`), no control characters, at most 255 bytes.
///
/// ```
/// use ddi_client::download::safe_file_name;
/// assert!(safe_file_name("update-1.2.swu").is_ok());
/// assert!(safe_file_name("../etc/passwd").is_err());
/// assert!(safe_file_name("/etc/passwd").is_err());
/// ```
pub fn safe_file_name(name: &str) -> Result<&str> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 255
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
        ] {
            assert!(safe_file_name(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "..a", "a..b", "update.swu", "ünïcode.bin", ".hidden"] {
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
            }
        }
    }
}
