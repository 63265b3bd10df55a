//! The CI/skip rule shared by vectors and peers.

use std::env;

/// Whether this run is CI's: `CI` set to `true` or `1` (any case).
///
/// Under CI a missing fixture or peer fails the test instead of skipping it.
pub fn is_ci() -> bool {
    env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Applies the skip rule to something a test needs.
///
/// `Ok(value)` is passed through. `Err(why)` panics under CI (the test fails
/// with `why`) and otherwise prints `skipped: <what>: <why>` to standard error
/// and returns `None`, so the caller can `return` early.
///
/// ```
/// let found: Result<u32, String> = Err("not installed".into());
/// // Outside CI this prints a skip line and yields None.
/// if !testkit::is_ci() {
///     assert_eq!(testkit::require("example peer", found), None);
/// }
/// ```
pub fn require<T>(what: &str, found: Result<T, String>) -> Option<T> {
    match found {
        Ok(value) => Some(value),
        Err(why) if is_ci() => panic!("{what} is required under CI=true: {why}"),
        Err(why) => {
            eprintln!("skipped: {what}: {why}");
            None
        }
    }
}
