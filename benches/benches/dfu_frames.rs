//! Encode plus decode of 4 KiB `Write` frames with CRC-32, against a plain
//! copy of the same 4 KiB in the same run (issue goal: ratio ≥ 0.5, i.e. the
//! codec takes at most twice as long as the copy).
//!
//! Both decode paths are measured: `wire::decode` on a whole frame (message
//! transports) and `FrameDecoder`, which copies the frame into its buffer
//! because byte streams split it anywhere. `floor_copy_crc32_crc32` is the
//! bound no CRC-checked codec can beat.
//!
//! `cargo bench -p benches --bench dfu_frames`, then
//! `cargo run -p benches --bin ratios` prints the ratio.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dfu_protocol::wire::{self, Feed, Frame, FrameDecoder, Message, Write};
use std::hint::black_box;

const CHUNK: usize = 4096;

fn frames(c: &mut Criterion) {
    let payload: Vec<u8> = (0..CHUNK).map(|i| (i * 31 % 251) as u8).collect();
    let mut group = c.benchmark_group("dfu_write_4k");
    group.throughput(Throughput::Bytes(CHUNK as u64));

    // Baseline: what the frame carries, copied once, as any transport would.
    let mut copy = vec![0_u8; CHUNK];
    group.bench_function("copy", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&payload));
            black_box(&copy);
        });
    });

    // Context for the ratio: what the codec's unavoidable work costs alone
    // (one copy and one CRC-32 per side, with the fastest CRC available).
    group.bench_function("copy_crc32", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&payload));
            black_box(crc32fast::hash(&copy));
        });
    });
    group.bench_function("copy_crc32_twice", |b| {
        b.iter(|| {
            for _ in 0..2 {
                copy.copy_from_slice(black_box(&payload));
                black_box(crc32fast::hash(&copy));
            }
        });
    });

    // The least any codec can do that copies the chunk once and checks a
    // CRC-32 on both sides: one copy, then two CRCs over the frame's bytes.
    // No framing at all; the ratio of `copy` to this is the ceiling the
    // goal has to be judged against.
    let mut framed = vec![0_u8; CHUNK + 12];
    group.bench_function("floor_copy_crc32_crc32", |b| {
        b.iter(|| {
            if let Some(dst) = framed.get_mut(12..) {
                dst.copy_from_slice(black_box(&payload));
            }
            black_box(crc32fast::hash(&framed));
            black_box(crc32fast::hash(black_box(&framed)));
        });
    });

    // Encode into a frame buffer, then decode it where it lies (CRC
    // checked): the path of message transports (HTTP, CoAP, MQTT) that hand
    // over whole frames.
    let mut wire_buf0 = vec![0_u8; CHUNK + 64];
    group.bench_function("encode_decode_whole_crc32", |b| {
        b.iter(|| {
            let frame = Frame::new(Message::Write(Write {
                image_id: 0xA1B2_C3D4,
                offset: 8192,
                data: black_box(&payload),
                crc: true,
            }));
            let n = wire::encode(&frame, &mut wire_buf0).expect("buffer fits one frame");
            match wire::decode(black_box(&wire_buf0[..n])) {
                Ok((frame, _)) => {
                    black_box(frame);
                }
                Err(e) => panic!("4 KiB write frame did not decode: {e}"),
            }
        });
    });

    // Encode into a frame buffer, then stream-decode it (CRC checked) into the
    // decoder's buffer: the work a server plus a device do per chunk.
    let mut wire_buf = vec![0_u8; CHUNK + 64];
    let mut dec_buf = vec![0_u8; CHUNK + 64];
    group.bench_function("encode_decode_crc32", |b| {
        b.iter(|| {
            let frame = Frame::new(Message::Write(Write {
                image_id: 0xA1B2_C3D4,
                offset: 8192,
                data: black_box(&payload),
                crc: true,
            }));
            let n = wire::encode(&frame, &mut wire_buf).expect("buffer fits one frame");
            let mut dec = FrameDecoder::new(&mut dec_buf);
            match dec.feed(black_box(&wire_buf[..n])) {
                Feed::Frame { frame, .. } => {
                    black_box(frame);
                }
                other => panic!("4 KiB write frame did not decode: {other:?}"),
            }
        });
    });
    let mut wire_buf2 = vec![0_u8; CHUNK + 64];
    let mut dec_buf2 = vec![0_u8; CHUNK + 64];
    group.bench_function("encode_decode_nocrc", |b| {
        b.iter(|| {
            let frame = Frame::new(Message::Write(Write {
                image_id: 0xA1B2_C3D4,
                offset: 8192,
                data: black_box(&payload),
                crc: false,
            }));
            let n = wire::encode(&frame, &mut wire_buf2).expect("buffer fits one frame");
            let mut dec = FrameDecoder::new(&mut dec_buf2);
            match dec.feed(black_box(&wire_buf2[..n])) {
                Feed::Frame { frame, .. } => {
                    black_box(frame);
                }
                other => panic!("4 KiB write frame did not decode: {other:?}"),
            }
        });
    });
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
