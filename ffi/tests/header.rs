//! The committed header is exactly what cbindgen generates from the source,
//! and its version macros are the crate's version.
//!
//! `FU_BLESS=1 cargo test -p fleet-update-ffi --test header` rewrites it.

#![allow(unsafe_code, reason = "the test calls the C API")]

use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    crate_dir().join("include/fleet_update.h")
}

fn generate() -> String {
    let dir = crate_dir();
    let mut config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    config.after_includes = Some(format!(
        "\n#define FU_VERSION_MAJOR {}\n#define FU_VERSION_MINOR {}\n#define FU_VERSION_PATCH {}\n\
         #define FU_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION"),
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  committed: {x}\n  generated: {y}", i + 1);
        }
    }
    format!(
        "lengths differ: {} committed lines, {} generated",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn the_committed_header_is_what_cbindgen_generates() {
    let generated = generate();
    let path = header_path();
    if std::env::var_os("FU_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("header written");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale; run `FU_BLESS=1 cargo test -p fleet-update-ffi --test header` and commit it.\n{}",
        path.display(),
        first_difference(&committed, &generated)
    );
}

fn macro_value(header: &str, name: &str) -> String {
    header
        .lines()
        .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
        .unwrap_or_else(|| panic!("{name} is not defined in the header"))
        .trim()
        .to_owned()
}

#[test]
fn the_version_macros_match_cargo_toml() {
    let header = std::fs::read_to_string(header_path()).expect("header readable");
    let manifest =
        std::fs::read_to_string(Path::new("../Cargo.toml")).expect("workspace manifest readable");
    // The version is the workspace's ([workspace.package] version = "x.y.z").
    let version = manifest
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.strip_prefix("version = "))
        .expect("[workspace.package] has a version")
        .trim_matches('"')
        .to_owned();
    let parts: Vec<&str> = version.split('.').collect();
    assert_eq!(parts.len(), 3, "{version}");
    assert_eq!(macro_value(&header, "FU_VERSION_MAJOR"), parts[0]);
    assert_eq!(macro_value(&header, "FU_VERSION_MINOR"), parts[1]);
    assert_eq!(macro_value(&header, "FU_VERSION_PATCH"), parts[2]);
    assert_eq!(
        macro_value(&header, "FU_VERSION_STRING"),
        format!("\"{version}\"")
    );
}

#[test]
fn every_result_code_in_the_header_has_its_name() {
    let header = std::fs::read_to_string(header_path()).expect("header readable");
    let mut seen = 0;
    for line in header.lines() {
        let Some(rest) = line.strip_prefix("#define ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(name), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        if name != "FU_OK" && !name.starts_with("FU_ERR_") {
            continue;
        }
        let value: u32 = value.parse().expect("a number");
        let ptr = fleet_update::result::fu_result_name(value);
        assert!(!ptr.is_null(), "{name} has no name");
        // SAFETY: fu_result_name returns NULL or a static NUL-terminated string.
        let got = unsafe { std::ffi::CStr::from_ptr(ptr) };
        assert_eq!(got.to_str(), Ok(name));
        seen += 1;
    }
    assert!(seen > 30, "only {seen} codes found");
    assert!(fleet_update::result::fu_result_name(999_999).is_null());
}

#[test]
fn the_readme_shows_the_tested_hello_program() {
    let readme = std::fs::read_to_string(crate_dir().join("README.md")).expect("README readable");
    let hello = std::fs::read_to_string(crate_dir().join("tests/c/hello_firmware.c"))
        .expect("hello readable");
    let block = readme
        .split("```c\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README has a C block");
    assert!(
        block == hello,
        "README.md's hello program differs from tests/c/hello_firmware.c"
    );
}

#[test]
fn every_handle_that_opens_also_closes() {
    let header = std::fs::read_to_string(header_path()).expect("header readable");
    // Handles are the caller-owned storage structs, the ones with a size macro.
    let handles: Vec<String> = header
        .lines()
        .filter_map(|l| l.strip_prefix("#define FU_DFU_"))
        .filter_map(|l| l.split_whitespace().next()?.strip_suffix("_SIZE"))
        .map(|h| format!("fu_dfu_{}", h.to_lowercase()))
        .collect();
    assert!(handles.len() >= 2, "{handles:?}");
    for h in &handles {
        let opens = [format!("{h}_open("), format!("{h}_init(")];
        assert!(
            opens.iter().any(|o| header.contains(o.as_str())),
            "{h} has no _open or _init"
        );
        assert!(
            header.contains(&format!("void {h}_close(struct {h} *")),
            "{h} has no _close"
        );
    }
}
