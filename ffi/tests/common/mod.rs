//! What the C harness tests share: finding tools, building the library.
//!
//! A missing tool (gcc, g++, valgrind, nm) is a printed skip for a developer
//! and a failure under `CI=true`, as for every other prerequisite in
//! `scripts/test`.

#![allow(dead_code, reason = "each test file uses part of it")]

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn is_ci() -> bool {
    matches!(
        std::env::var("CI").as_deref(),
        Ok("true") | Ok("TRUE") | Ok("1")
    )
}

/// The tool's path, or `None` after printing a skip (failing under CI).
pub(crate) fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(!is_ci(), "{name} is not installed (CI=true: a failure)");
        eprintln!("skip: {name} is not installed");
    }
    found
}

pub(crate) fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the harness writes its C binaries.
pub(crate) fn out_dir(flavour: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("../target"));
    let dir = target.join("ffi-c").join(flavour);
    std::fs::create_dir_all(&dir).expect("output folder");
    dir
}

/// The static library built with `profile` ("dev" or "release") and the
/// system libraries it needs (rustc's `native-static-libs`).
pub(crate) struct StaticLib {
    pub(crate) path: PathBuf,
    pub(crate) native_libs: Vec<String>,
}

pub(crate) fn build_static_lib(profile: &str) -> StaticLib {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(crate_dir())
        .args([
            "rustc",
            "-p",
            "fleet-update-ffi",
            "--lib",
            "--crate-type",
            "staticlib",
            "--profile",
            profile,
            "--message-format",
            "json-render-diagnostics",
            "--",
            "--print",
            "native-static-libs",
        ])
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo rustc failed:\n{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The artifact message lists the files built; pick the static library.
    let path = stdout
        .split('"')
        .find(|s| s.ends_with("libfleet_update.a"))
        .map(PathBuf::from)
        .expect("cargo reports libfleet_update.a");
    let native_libs = stderr
        .lines()
        .find_map(|l| l.split("native-static-libs:").nth(1))
        .expect("rustc prints native-static-libs")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    StaticLib { path, native_libs }
}

/// The warnings every C file is held to.
pub(crate) const C_FLAGS: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"];

/// Compiles and links one C program of `tests/c` against `lib`.
pub(crate) fn compile(
    gcc: &Path,
    source: &str,
    lib: &StaticLib,
    extra: &[&str],
    out: &Path,
) -> PathBuf {
    let dir = crate_dir();
    let exe = out.join(source.trim_end_matches(".c"));
    let status = Command::new(gcc)
        .args(C_FLAGS)
        .args(extra)
        .arg("-I")
        .arg(dir.join("include"))
        .arg(dir.join("tests/c").join(source))
        .arg(&lib.path)
        .args(&lib.native_libs)
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "{source} does not compile cleanly");
    exe
}

/// The C programs the harness builds and runs.
pub(crate) const PROGRAMS: &[&str] = &["hello_firmware.c", "dfu_power_cut.c"];
