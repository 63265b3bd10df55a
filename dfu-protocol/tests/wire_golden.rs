//! Golden byte fixtures pin wire version 1 (see SPEC.md, "Stability").
//!
//! Run with `DFU_BLESS=1` once to create a missing fixture; an existing
//! fixture is never overwritten, so a format change fails here.

use std::path::PathBuf;

use dfu_protocol::wire::{
    self, Abort, BootOutcome, Frame, Message, ResetCause, ResultCode, RevertReason, Status, Swap,
    Sync, Target, Wait, Write,
};

const DIGEST: [u8; 32] = [
    0xfd, 0xea, 0xb9, 0xac, 0xf3, 0x71, 0x03, 0x62, 0xbd, 0x26, 0x58, 0xcd, 0xc9, 0xa2, 0x9e, 0x8f,
    0x9c, 0x75, 0x7f, 0xcf, 0x98, 0x11, 0x60, 0x3a, 0x8c, 0x44, 0x7c, 0xd1, 0xd9, 0x15, 0x11, 0x08,
];
const SIG: [u8; 64] = [0x5a; 64];
const DATA: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

fn cases() -> Vec<(&'static str, Frame<'static>)> {
    vec![
        (
            "status_idle",
            Frame::new(Message::Status(Status {
                version: b"1.0.0",
                digest: [0x11; 32],
                max_chunk: 4096,
                boot: BootOutcome::None,
                last_result: ResultCode::Ok,
                target: None,
            })),
        ),
        (
            "status_progress_correlated",
            Frame {
                correlation_id: Some(0x0102_0304),
                message: Message::Status(Status {
                    version: b"1.0.0",
                    digest: [0x11; 32],
                    max_chunk: 968,
                    boot: BootOutcome::Reverted {
                        image_id: 0xfdea_b9ac,
                        reason: RevertReason::NotConfirmed,
                        reset_cause: ResetCause::Watchdog,
                        attempts: 3,
                    },
                    last_result: ResultCode::IntegrityFailure,
                    target: Some(Target {
                        image_id: wire::image_id(&DIGEST),
                        next_offset: 8192,
                    }),
                }),
            },
        ),
        ("wait", Frame::new(Message::Wait(Wait { poll_secs: 300 }))),
        ("sync", Frame::new(Message::Sync(Sync { poll_secs: 3600 }))),
        (
            "write_crc",
            Frame::new(Message::Write(Write {
                image_id: wire::image_id(&DIGEST),
                offset: 0x1000,
                data: &DATA,
                crc: true,
            })),
        ),
        (
            "write_plain_correlated",
            Frame {
                correlation_id: Some(7),
                message: Message::Write(Write {
                    image_id: wire::image_id(&DIGEST),
                    offset: 0,
                    data: &DATA,
                    crc: false,
                }),
            },
        ),
        (
            "swap",
            Frame::new(Message::Swap(Swap {
                image_id: wire::image_id(&DIGEST),
                size: 64,
                digest: DIGEST,
                signature: None,
            })),
        ),
        (
            "swap_signed",
            Frame::new(Message::Swap(Swap {
                image_id: wire::image_id(&DIGEST),
                size: 64,
                digest: DIGEST,
                signature: Some(&SIG),
            })),
        ),
        (
            "abort",
            Frame::new(Message::Abort(Abort {
                image_id: wire::image_id(&DIGEST),
                code: ResultCode::ImageReplaced,
            })),
        ),
    ]
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.bin"))
}

#[test]
fn every_message_matches_its_fixture_both_ways() {
    let bless = std::env::var_os("DFU_BLESS").is_some();
    for (name, frame) in cases() {
        let mut buf = [0u8; 512];
        let n = wire::encode(&frame, &mut buf).unwrap();
        assert_eq!(n, wire::encoded_len(&frame), "{name}");
        let path = fixture(name);
        if bless && !path.exists() {
            std::fs::write(&path, &buf[..n]).unwrap();
        }
        let golden = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&buf[..n], golden.as_slice(), "{name}: encoding changed");
        let (decoded, used) = wire::decode(&golden).unwrap();
        assert_eq!(used, golden.len(), "{name}");
        assert_eq!(decoded, frame, "{name}: decoding changed");
    }
}

/// The write frame spelled out byte by byte from SPEC.md, independent of the encoder.
#[test]
fn write_frame_layout_matches_the_spec_text() {
    let mut expected = vec![0xD1, 0x52, 20, 0];
    expected.extend_from_slice(&[0xac, 0xb9, 0xea, 0xfd]); // image id 0xfdeab9ac LE
    expected.extend_from_slice(&[0x00, 0x10, 0, 0]); // offset 0x1000
    expected.extend_from_slice(&DATA);
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&expected);
    expected.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(std::fs::read(fixture("write_crc")).unwrap(), expected);
    assert_eq!(
        expected.len() - DATA.len(),
        16,
        "per-chunk overhead with crc"
    );
    assert_eq!(wire::write_overhead(true, false), 16);
    assert_eq!(wire::write_overhead(false, false), 12);
}

#[test]
fn a_flipped_bit_in_a_crc_write_is_rejected() {
    let golden = std::fs::read(fixture("write_crc")).unwrap();
    for i in 0..golden.len() {
        let mut bad = golden.clone();
        bad[i] ^= 0x01;
        // Flipping the option or correlation flags changes the layout, not just the bytes.
        let r = wire::decode(&bad);
        assert!(
            !matches!(
                r,
                Ok((
                    Frame {
                        message: Message::Write(Write { crc: true, .. }),
                        ..
                    },
                    _
                ))
            ),
            "byte {i} flip was accepted"
        );
    }
}
