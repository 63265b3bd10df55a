//! Device and module id rules.

/// Why an id is not a valid IoT Hub device or module id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Empty id.
    #[error("id is empty")]
    Empty,
    /// More than 128 characters.
    #[error("id has {len} characters, more than 128")]
    TooLong {
        /// Actual length.
        len: usize,
    },
    /// A character outside the allowed set.
    #[error("id has the forbidden character {ch:?} at byte {at}")]
    ForbiddenChar {
        /// The character.
        ch: char,
        /// Byte offset.
        at: usize,
    },
}

/// Punctuation IoT Hub allows in device and module ids (current docs; `+`,
/// `#` and `;` are no longer accepted).
pub const ID_PUNCTUATION: &str = "-.%_*?!(),:=@$'";

/// Checks a device or module id strictly against the current rules:
/// 1–128 ASCII letters, digits and [`ID_PUNCTUATION`].
pub fn check_device_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if let Some((at, ch)) = id
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || ID_PUNCTUATION.contains(*c)))
    {
        return Err(IdError::ForbiddenChar { ch, at });
    }
    if id.len() > 128 {
        return Err(IdError::TooLong { len: id.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_rules() {
        assert!(check_device_id("LogicAppTestDevice").is_ok());
        assert!(check_device_id("a-b.c%d_e*f?g!h(i)j,k:l=m@n$o'p").is_ok());
        assert_eq!(check_device_id(""), Err(IdError::Empty));
        assert_eq!(
            check_device_id("a+b"),
            Err(IdError::ForbiddenChar { ch: '+', at: 1 })
        );
        assert_eq!(
            check_device_id("a b"),
            Err(IdError::ForbiddenChar { ch: ' ', at: 1 })
        );
        assert_eq!(
            check_device_id(&"x".repeat(129)),
            Err(IdError::TooLong { len: 129 })
        );
        assert!(check_device_id(&"x".repeat(128)).is_ok());
    }
}
