//! Patch errors.

/// Why a patch could not be applied, computed or composed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// A tree nests deeper than [`crate::patch::MAX_PATCH_DEPTH`].
    #[error("{what} nests deeper than {limit} levels")]
    TooDeep {
        /// Which input.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Two merge patches cannot be expressed as one: the first sets `path`
    /// to a non-object (or removes it) and the second merges an object into
    /// it, which a single merge patch cannot say without knowing the target.
    #[error("patches cannot be composed at {path}: object merged into a replaced value")]
    NotComposable {
        /// Dotted path.
        path: String,
    },
}
