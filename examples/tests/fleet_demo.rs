//! The README's main command works: stage 1 updates every device over DDI,
//! stage 2 flashes every microcontroller over dfu-protocol, stage 3 runs the
//! release through each device's update manager; the microcontroller whose
//! health check fails rolls back, its activity ends INCOMPLETE and the
//! server records the failure with the diagnostics. Stage 4 syncs IoT Hub
//! devices into hawkBit, updates them, and disables the one deleted from the
//! hub.

use std::process::Command;

#[test]
fn the_four_stages_update_the_fleet() {
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
    assert!(
        stdout.contains("stage 1 complete") && stdout.contains("stage 2 complete"),
        "{stdout}"
    );
    // One summary row per device, each with the full image in its slot; the
    // third device's microcontroller (the default failing one) rolled back.
    let rows: Vec<_> = stdout
        .lines()
        .filter(|l| l.starts_with("device-"))
        .collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    // The slot holds the 2 MiB firmware and the small container manifest.
    for row in &rows {
        assert!(row.contains(" 20972"), "{row}");
    }
    for row in &rows[..2] {
        assert!(
            row.contains("Finished") && row.contains("mcu confirmed"),
            "{row}"
        );
    }
    assert!(
        rows[2].contains("Error") && rows[2].contains("mcu rolled back"),
        "{}",
        rows[2]
    );
    assert!(
        stdout.contains("server recorded for device-03") && stdout.contains("rolled back"),
        "{stdout}"
    );
    // Stage 4: hub devices became targets, installed, and the deleted one is disabled.
    assert!(stdout.contains("stage 4 complete"), "{stdout}");
    let hub_rows: Vec<_> = stdout
        .lines()
        // table rows, not the narration lines that start with a device id
        .filter(|l| l.starts_with("hub-sensor-") && !l.contains(';'))
        .collect();
    assert_eq!(hub_rows.len(), 3, "{stdout}");
    for row in &hub_rows[..2] {
        assert!(
            row.contains(" yes ") && row.contains("enabled") && row.contains("Finished"),
            "{row}"
        );
        assert!(row.contains("firmware.version=1.0.0"), "{row}");
    }
    assert!(
        hub_rows[2].contains("deleted") && hub_rows[2].contains("disabled: deleted from IoT Hub"),
        "{}",
        hub_rows[2]
    );
}
