//! Locating and iterating the captured vectors.
//!
//! The vectors are real documents captured from the systems we interoperate
//! with. They are never copied into this repository: tests read them from
//! `$FLEET_VECTORS/<kind>` when that variable is set, else from
//! `../shared/vectors/<kind>` next to the workspace root.
//!
//! ```no_run
//! // Every DDI deployment document decodes.
//! let Some(dir) = testkit::vectors::dir("ddi") else { return };
//! for v in dir.with_prefix("deployment-base_") {
//!     let doc: serde_json::Value = serde_json::from_slice(&v.bytes()).unwrap();
//!     assert!(doc.is_object(), "{}", v.name());
//! }
//! ```

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// The environment variable that overrides where the vectors live.
pub const ENV_VAR: &str = "FLEET_VECTORS";

/// The folder of one kind of vectors (`ddi`, `twin`, `desired-state`, `dfu`).
#[derive(Debug, Clone)]
pub struct VectorDir {
    path: PathBuf,
}

/// One captured file.
#[derive(Debug, Clone)]
pub struct Vector {
    name: String,
    path: PathBuf,
}

/// Where the vectors of `kind` are expected, whether or not they exist.
pub fn location(kind: &str) -> PathBuf {
    match env::var_os(ENV_VAR) {
        Some(root) if !root.is_empty() => PathBuf::from(root).join(kind),
        _ => workspace_root()
            .join("..")
            .join("shared")
            .join("vectors")
            .join(kind),
    }
}

/// The vectors of `kind`, under the CI/skip rule of [`crate::require`].
///
/// Returns `None` (after printing a skip line) when the folder is missing
/// outside CI; panics under CI.
pub fn dir(kind: &str) -> Option<VectorDir> {
    let path = location(kind);
    let found = if path.is_dir() {
        Ok(VectorDir { path })
    } else {
        Err(format!(
            "no folder at {} (set {ENV_VAR} to the vectors root)",
            path.display()
        ))
    };
    crate::require(&format!("vectors `{kind}`"), found)
}

impl VectorDir {
    /// The folder itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every file whose name starts with `prefix`, sorted by name.
    ///
    /// Panics when none matches: a test meant to cover every file of a kind
    /// must not pass vacuously because the files were renamed.
    pub fn with_prefix(&self, prefix: &str) -> Vec<Vector> {
        let found = self
            .all()
            .into_iter()
            .filter(|v| v.name.starts_with(prefix))
            .collect::<Vec<_>>();
        assert!(
            !found.is_empty(),
            "no vector named `{prefix}*` in {}",
            self.path.display()
        );
        found
    }

    /// Every file of the folder except its `README.md`, sorted by name.
    pub fn all(&self) -> Vec<Vector> {
        let entries = fs::read_dir(&self.path)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", self.path.display()));
        let mut found = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let name = entry.file_name().into_string().ok()?;
                let path = entry.path();
                (path.is_file() && name != "README.md").then_some(Vector { name, path })
            })
            .collect::<Vec<_>>();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found
    }

    /// One file by exact name; panics when it is missing.
    pub fn file(&self, name: &str) -> Vector {
        let path = self.path.join(name);
        assert!(path.is_file(), "no vector {}", path.display());
        Vector {
            name: name.to_owned(),
            path,
        }
    }
}

impl Vector {
    /// The file name, for assertion messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's bytes; panics (naming the file) when it cannot be read.
    pub fn bytes(&self) -> Vec<u8> {
        fs::read(&self.path).unwrap_or_else(|e| panic!("cannot read {}: {e}", self.path.display()))
    }

    /// The file as UTF-8 text; panics (naming the file) when it is not.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes())
            .unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", self.path.display()))
    }
}

/// The workspace root: the parent of this crate's folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_beside_the_workspace_unless_overridden() {
        // Only checks the default branch: mutating the environment would race
        // with other tests of this binary.
        if env::var_os(ENV_VAR).is_none() {
            let p = location("ddi");
            assert!(p.ends_with("shared/vectors/ddi"), "{}", p.display());
            assert!(p.starts_with(workspace_root()));
        }
    }

    #[test]
    fn prefix_selection_is_sorted_and_excludes_readme() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["b_two.json", "a_one.json", "b_one.json", "README.md"] {
            fs::write(tmp.path().join(name), b"{}").unwrap();
        }
        let dir = VectorDir {
            path: tmp.path().to_path_buf(),
        };
        let names: Vec<_> = dir
            .with_prefix("b_")
            .iter()
            .map(|v| v.name().to_owned())
            .collect();
        assert_eq!(names, ["b_one.json", "b_two.json"]);
        assert_eq!(dir.all().len(), 3);
        assert_eq!(dir.file("a_one.json").text(), "{}");
    }

    #[test]
    #[should_panic(expected = "no vector named `zzz*`")]
    fn an_empty_selection_fails_loudly() {
        let tmp = tempfile::tempdir().unwrap();
        VectorDir {
            path: tmp.path().to_path_buf(),
        }
        .with_prefix("zzz");
    }
}
