//! The README's main command works: the demo's stage 1 finishes every device.

use std::process::Command;

#[test]
fn stage_one_updates_every_device() {
    let out = Command::new(env!("CARGO_BIN_EXE_fleet-demo"))
        .args(["--devices", "3", "--image-mib", "2", "--timeout-secs", "60"])
        .output()
        .expect("fleet-demo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "fleet-demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("stage 1 complete"), "{stdout}");
    // One summary row per device, each finished with the full image installed.
    let rows: Vec<_> = stdout
        .lines()
        .filter(|l| l.starts_with("device-"))
        .collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    for row in rows {
        assert!(
            row.contains("Finished") && row.contains("2097152 B"),
            "{row}"
        );
    }
}
