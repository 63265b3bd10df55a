//! The C test programs of `tests/c`, built with `-std=c99 -Wall -Wextra
//! -Wpedantic -Werror` twice and run: a debug build with AddressSanitizer
//! and UndefinedBehaviorSanitizer (LeakSanitizer included), and a release
//! build under valgrind with full leak checking. The header is also compiled
//! as C99 and C++17.
//!
//! The two program runs build the library themselves and take tens of
//! seconds, so they are `#[ignore]`d in the workspace's test step and run by
//! the ffi section of `scripts/test`:
//! `cargo nextest run -p fleet-update-ffi --run-ignored only`.

mod common;

use std::process::Command;
use std::time::Instant;

use common::{PROGRAMS, build_static_lib, compile, crate_dir, out_dir, tool};

#[test]
fn the_header_compiles_without_warnings_as_c99_and_cpp17() {
    let (Some(gcc), Some(gxx)) = (tool("gcc"), tool("g++")) else {
        return;
    };
    let header = crate_dir().join("include/fleet_update.h");
    for (compiler, lang, std) in [(&gcc, "c", "-std=c99"), (&gxx, "c++", "-std=c++17")] {
        let out = Command::new(compiler)
            .args(["-x", lang, std, "-Wall", "-Wextra", "-Wpedantic", "-Werror"])
            .args(["-fsyntax-only"])
            .arg(&header)
            .output()
            .expect("compiler runs");
        assert!(
            out.status.success(),
            "{lang} {std}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
#[ignore = "builds the library and runs the C programs; scripts/test runs it"]
fn c_programs_pass_under_address_undefined_and_leak_sanitizers() {
    let (Some(gcc), Some(nm)) = (tool("gcc"), tool("nm")) else {
        return;
    };
    let lib = build_static_lib("dev");
    let out = out_dir("asan");
    for source in PROGRAMS {
        let exe = compile(
            &gcc,
            source,
            &lib,
            &[
                "-g",
                "-O1",
                "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all",
                "-fno-omit-frame-pointer",
            ],
            &out,
        );
        // Prove the sanitizer is linked, as rustls-ffi's CI does.
        let symbols = Command::new(&nm).arg(&exe).output().expect("nm runs");
        assert!(
            String::from_utf8_lossy(&symbols.stdout).contains("__asan_init"),
            "{source}: AddressSanitizer is not linked"
        );
        let started = Instant::now();
        let run = Command::new(&exe)
            .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
            .env("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
            .output()
            .expect("program runs");
        let stderr = String::from_utf8_lossy(&run.stderr);
        println!(
            "{source} (ASan+UBSan, debug library): {:.2} s\n{}",
            started.elapsed().as_secs_f64(),
            String::from_utf8_lossy(&run.stdout)
        );
        assert!(run.status.success(), "{source} failed:\n{stderr}");
        assert!(
            !stderr.contains("Sanitizer") && !stderr.contains("runtime error"),
            "{source}: sanitizer report:\n{stderr}"
        );
    }
}

#[test]
#[ignore = "builds the library in release and runs the C programs under valgrind; scripts/test runs it"]
fn c_programs_pass_under_valgrind_without_errors_or_leaks() {
    let (Some(gcc), Some(valgrind)) = (tool("gcc"), tool("valgrind")) else {
        return;
    };
    let lib = build_static_lib("release");
    let out = out_dir("valgrind");
    for source in PROGRAMS {
        let exe = compile(&gcc, source, &lib, &["-g", "-O2"], &out);
        let started = Instant::now();
        // bash's `time` adds the CPU seconds valgrind used as the last line
        // of stderr: on a shared machine the wall time also counts waiting.
        let run = Command::new("bash")
            .args(["-c", "TIMEFORMAT='cpu %U %S'; time \"$@\"", "bash"])
            .arg(&valgrind)
            .args([
                "-q",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
            ])
            .arg(&exe)
            .output()
            .expect("valgrind runs");
        let wall = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&run.stderr);
        let (report, cpu_line) = stderr
            .trim_end()
            .rsplit_once('\n')
            .unwrap_or(("", stderr.trim_end()));
        let cpu: f64 = cpu_line
            .strip_prefix("cpu ")
            .map(|t| {
                t.split_whitespace()
                    .filter_map(|x| x.parse::<f64>().ok())
                    .sum()
            })
            .unwrap_or_else(|| panic!("no CPU time in {stderr}"));
        println!(
            "{source} (valgrind, release library): {wall:.2} s wall, {cpu:.2} s CPU\n{}",
            String::from_utf8_lossy(&run.stdout)
        );
        assert!(
            run.status.success(),
            "{source} under valgrind (exit {:?}):\n{stderr}",
            run.status.code()
        );
        assert!(
            report.trim().is_empty(),
            "{source}: valgrind reported:\n{report}"
        );
        if *source == "dfu_power_cut.c" {
            // Goal 1 of issue 12: the whole power-cut matrix under valgrind
            // within 60 s (valgrind runs on one core: CPU time is what an
            // idle machine's wall clock shows).
            assert!(
                cpu < 60.0,
                "power cuts under valgrind took {cpu:.1} s of CPU"
            );
        }
    }
}
