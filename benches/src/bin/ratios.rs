//! Prints each criterion comparison of this crate as a ratio against its
//! baseline from the same run: `cargo run -p benches --bin ratios`.
//!
//! A ratio is baseline time / measured time, so higher is better and 1.0
//! means "as fast as the baseline".

use std::path::PathBuf;

/// (group, measured function, baseline function, what the goal says)
const PAIRS: &[(&str, &str, &str, &str)] = &[
    (
        "desired_codec_desired_state",
        "ours",
        "serde_json_value",
        "no goal, ratio reported",
    ),
    (
        "desired_codec_feedback",
        "ours",
        "serde_json_value",
        "no goal, ratio reported",
    ),
    (
        "desired_codec_inventory",
        "ours",
        "serde_json_value",
        "no goal, ratio reported",
    ),
    ("dfu_write_4k", "encode_decode_crc32", "copy", "goal >= 0.5"),
    (
        "dfu_write_4k",
        "encode_decode_whole_crc32",
        "copy",
        "goal >= 0.5 (whole-frame decode)",
    ),
    (
        "dfu_write_4k",
        "floor_copy_crc32_crc32",
        "copy",
        "context: the ceiling of any codec with one copy and a CRC-32 on each side",
    ),
    (
        "dfu_write_4k",
        "encode_decode_whole_crc32",
        "floor_copy_crc32_crc32",
        "context: whole-frame codec against that ceiling",
    ),
    (
        "dfu_write_4k",
        "encode_decode_crc32",
        "copy_crc32_twice",
        "context: the same copies and CRCs without framing",
    ),
    (
        "twin_decode_32k",
        "decode_validate",
        "serde_json_value",
        "no goal, ratio reported",
    ),
    (
        "twin_decode_at_limits",
        "decode_validate",
        "serde_json_value",
        "no goal, ratio reported",
    ),
];

fn main() {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    for (group, measured, baseline, goal) in PAIRS {
        let m = benches::criterion_mean_ns(&target, group, measured);
        let b = benches::criterion_mean_ns(&target, group, baseline);
        match (m, b) {
            (Some(m), Some(b)) => println!(
                "{group}: {measured} {m:.0} ns, {baseline} {b:.0} ns, ratio {:.3} ({goal})",
                b / m
            ),
            _ => println!("{group}: no criterion results yet (run `cargo bench -p benches`)"),
        }
    }
}
