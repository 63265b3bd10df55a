//! Wire overhead per firmware chunk: our `Write` frame next to MCUmgr SMP
//! image upload and Drogue `embedded-update`, each measured by encoding the
//! same 4 KiB chunk with its codec and subtracting the payload.
//!
//! `cargo run --release -p benches --bin dfu_overhead` (goal: ours ≤ 16 B).

use dfu_protocol::drogue::{self, DrogueCommand};
use dfu_protocol::smp::{self, Header, Op, UploadRequest};
use dfu_protocol::wire::{self, Frame, Message, Write};

const CHUNK: usize = 4096;

fn main() {
    let data = vec![0xA5_u8; CHUNK];
    let mut out = vec![0_u8; CHUNK + 256];
    let ours = |crc: bool, correlation_id: Option<u32>, out: &mut [u8]| {
        let frame = Frame {
            correlation_id,
            message: Message::Write(Write {
                image_id: 0xDEAD_BEEF,
                offset: 0x0010_0000,
                data: &data,
                crc,
            }),
        };
        wire::encode(&frame, out).expect("a 4 KiB write fits") - CHUNK
    };
    let rows = [
        ("dfu-protocol write, CRC-32", ours(true, None, &mut out)),
        ("dfu-protocol write, no CRC", ours(false, None, &mut out)),
        (
            "dfu-protocol write, CRC-32 + correlation id",
            ours(true, Some(7), &mut out),
        ),
        (
            "MCUmgr SMP image upload (later chunk)",
            smp_overhead(&data, &mut out),
        ),
        (
            "Drogue embedded-update write (version \"1.0.0\")",
            drogue_overhead(&data, &mut out),
        ),
    ];
    println!("wire overhead of one {CHUNK}-byte chunk:");
    for (what, bytes) in rows {
        println!("  {bytes:>3} B  {what}");
    }
    let worst_ours = rows.iter().take(2).map(|r| r.1).max().unwrap_or(0);
    println!(
        "goal <= 16 B per chunk: {}",
        if worst_ours <= 16 { "met" } else { "missed" }
    );
}

/// An SMP v2 write request for a chunk after the first (no `len`, no `sha`),
/// as mcumgr sends it over UDP or BLE; the serial transport adds base64 and
/// framing on top.
fn smp_overhead(data: &[u8], out: &mut [u8]) -> usize {
    let header = Header {
        version: 1,
        op: Op::Write,
        flags: 0,
        len: 0,
        group: 1,
        seq: 42,
        command: 1,
    };
    let msg = smp::Message::UploadRequest(UploadRequest {
        off: 0x0010_0000,
        data,
        ..UploadRequest::default()
    });
    smp::encode(&header, &msg, out).expect("a 4 KiB upload fits") - data.len()
}

fn drogue_overhead(data: &[u8], out: &mut [u8]) -> usize {
    let cmd = DrogueCommand::Write {
        version: b"1.0.0",
        correlation_id: None,
        offset: 0x0010_0000,
        data,
    };
    drogue::encode_command(&cmd, out).expect("a 4 KiB write fits") - data.len()
}
