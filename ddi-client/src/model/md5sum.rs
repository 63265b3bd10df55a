//! The `.MD5SUM` text file: `<md5-hex><two spaces><filename>`.

/// A parsed `.MD5SUM` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Md5Sum {
    /// The MD5 digest, lowercase hex.
    pub md5: String,
    /// The file name it belongs to.
    pub filename: String,
}

/// Why an `.MD5SUM` body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Md5SumError {
    /// Not `<32 hex digits><space(s)><name>`.
    #[error("malformed md5sum line")]
    Malformed,
}

impl Md5Sum {
    /// Parses the body (a trailing newline is tolerated; `md5sum`'s binary
    /// marker `*` before the name is dropped).
    pub fn parse(text: &str) -> Result<Self, Md5SumError> {
        let line = text.trim_end_matches(['\r', '\n']);
        let (hex, rest) = line.split_once(' ').ok_or(Md5SumError::Malformed)?;
        let name = rest.trim_start_matches(' ');
        let name = name.strip_prefix('*').unwrap_or(name);
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
            return Err(Md5SumError::Malformed);
        }
        Ok(Self {
            md5: hex.to_ascii_lowercase(),
            filename: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_server_format() {
        let m = Md5Sum::parse("13793b0e3a7830ed685d3ede7ff93048  binaryFile").unwrap();
        assert_eq!(m.md5, "13793b0e3a7830ed685d3ede7ff93048");
        assert_eq!(m.filename, "binaryFile");
        assert_eq!(Md5Sum::parse("xyz  f"), Err(Md5SumError::Malformed));
        assert_eq!(Md5Sum::parse(""), Err(Md5SumError::Malformed));
    }
}
