//! Property tests of the frame codec: round trips, re-chunking, garbage.

use dfu_protocol::wire::{
    self, Abort, BootOutcome, DecodeError, Feed, Frame, FrameDecoder, Message, ResetCause,
    ResultCode, RevertReason, Status, Swap, Sync, Target, Wait, Write,
};
use proptest::prelude::*;

/// Owned material a frame can borrow from.
#[derive(Debug, Clone)]
struct Owned {
    cid: Option<u32>,
    kind: u8,
    bytes: Vec<u8>,
    digest: [u8; 32],
    sig: [u8; 64],
    a: u32,
    b: u32,
    flag: bool,
    boot: BootOutcome,
    code: ResultCode,
}

fn result_code() -> impl Strategy<Value = ResultCode> {
    any::<u8>().prop_map(ResultCode::from_u8)
}

fn boot() -> impl Strategy<Value = BootOutcome> {
    prop_oneof![
        Just(BootOutcome::None),
        any::<u32>().prop_map(|image_id| BootOutcome::Confirmed { image_id }),
        (any::<u32>(), any::<u8>())
            .prop_map(|(image_id, attempt)| BootOutcome::Trial { image_id, attempt }),
        (any::<u32>(), any::<u8>(), any::<u8>(), any::<u8>()).prop_map(
            |(image_id, r, c, attempts)| {
                BootOutcome::Reverted {
                    image_id,
                    reason: RevertReason::from_u8(r),
                    reset_cause: ResetCause::from_u8(c),
                    attempts,
                }
            }
        ),
        (4u8.., any::<[u8; 3]>(), any::<u32>()).prop_map(|(tag, detail, image_id)| {
            BootOutcome::Other {
                tag,
                detail,
                image_id,
            }
        }),
    ]
}

fn owned() -> impl Strategy<Value = Owned> {
    (
        any::<Option<u32>>(),
        0u8..7,
        proptest::collection::vec(any::<u8>(), 0..600),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        (any::<u32>(), any::<u32>(), any::<bool>()),
        boot(),
        result_code(),
    )
        .prop_map(|(cid, kind, bytes, digest, s, (a, b, flag), boot, code)| {
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(&s);
            sig[32..].copy_from_slice(&digest);
            Owned {
                cid,
                kind,
                bytes,
                digest,
                sig,
                a,
                b,
                flag,
                boot,
                code,
            }
        })
}

fn frame(o: &Owned) -> Frame<'_> {
    let message = match o.kind {
        0 => Message::Status(Status {
            version: &o.bytes[..o.bytes.len().min(255)],
            digest: o.digest,
            max_chunk: o.a,
            boot: o.boot,
            last_result: o.code,
            target: o.flag.then_some(Target {
                image_id: o.b,
                next_offset: o.a / 3,
            }),
        }),
        1 => Message::Wait(Wait { poll_secs: o.a }),
        2 => Message::Sync(Sync { poll_secs: o.a }),
        3 => Message::Write(Write {
            image_id: o.a,
            offset: o.b.min(u32::MAX - 600),
            data: &o.bytes,
            crc: o.flag,
        }),
        4 => Message::Swap(Swap {
            image_id: o.a,
            size: o.b,
            digest: o.digest,
            signature: o.flag.then_some(&o.sig),
        }),
        5 => Message::Abort(Abort {
            image_id: o.a,
            code: o.code,
        }),
        // Unknown kinds 0x02..=0x0F (plus the option flag) carry a raw body.
        _ => Message::Unknown {
            kind: (0x02 + (o.a % 14) as u8) | if o.flag { 0x40 } else { 0 },
            body: &o.bytes,
        },
    };
    Frame {
        correlation_id: o.cid,
        message,
    }
}

fn encode(f: &Frame<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; wire::encoded_len(f)];
    let n = wire::encode(f, &mut buf).expect("encodes");
    assert_eq!(n, buf.len());
    buf
}

/// Feeds `stream` in the given pieces and collects the decoded frames as bytes re-encoded.
fn feed_all(stream: &[u8], cuts: &[usize], buf: &mut [u8]) -> (Vec<Vec<u8>>, Vec<DecodeError>) {
    let mut dec = FrameDecoder::new(buf);
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    let mut start = 0;
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    bounds.push(stream.len());
    bounds.sort_unstable();
    for end in bounds {
        let mut piece = &stream[start..end];
        start = end;
        while !piece.is_empty() {
            piece = match dec.feed(piece) {
                Feed::Consumed => break,
                Feed::Frame { frame, remaining } => {
                    frames.push(encode(&frame));
                    remaining
                }
                Feed::Error { error, remaining } => {
                    errors.push(error);
                    remaining
                }
            };
        }
    }
    (frames, errors)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_message_round_trips(o in owned()) {
        let f = frame(&o);
        let bytes = encode(&f);
        let (back, used) = wire::decode(&bytes).unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(back, f);
    }

    #[test]
    fn decoding_is_independent_of_how_the_stream_is_cut(
        msgs in proptest::collection::vec(owned(), 1..6),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let encoded: Vec<Vec<u8>> = msgs.iter().map(|o| encode(&frame(o))).collect();
        let stream: Vec<u8> = encoded.concat();
        let mut buf = vec![0u8; 2048];
        let (frames, errors) = feed_all(&stream, &cuts, &mut buf);
        prop_assert!(errors.is_empty(), "{errors:?}");
        prop_assert_eq!(frames, encoded);
    }

    #[test]
    fn garbage_between_frames_costs_only_the_garbage(
        a in owned(), b in owned(),
        junk in proptest::collection::vec(any::<u8>().prop_filter("no sync nibble", |x| x & 0xF0 != 0xD0), 1..50),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let (ea, eb) = (encode(&frame(&a)), encode(&frame(&b)));
        let stream = [ea.clone(), junk, eb.clone()].concat();
        let mut buf = vec![0u8; 2048];
        let (frames, errors) = feed_all(&stream, &cuts, &mut buf);
        prop_assert_eq!(frames, vec![ea, eb]);
        prop_assert!(!errors.is_empty() && errors.iter().all(|e| *e == DecodeError::BadSync));
    }

    #[test]
    fn oversized_frames_are_skipped_and_the_next_one_decodes(
        big in proptest::collection::vec(any::<u8>(), 200..400),
        small in owned().prop_filter("small", |o| o.bytes.len() < 64),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let w = Frame::new(Message::Write(Write { image_id: 1, offset: 0, data: &big, crc: true }));
        let es = encode(&frame(&small));
        let stream = [encode(&w), es.clone()].concat();
        let mut buf = vec![0u8; 180];
        let (frames, errors) = feed_all(&stream, &cuts, &mut buf);
        prop_assert_eq!(errors, vec![DecodeError::FrameTooLarge]);
        prop_assert_eq!(frames, vec![es]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), cuts in proptest::collection::vec(any::<usize>(), 0..10)) {
        let _ = wire::decode(&bytes);
        let mut buf = vec![0u8; 128];
        let (frames, _) = feed_all(&bytes, &cuts, &mut buf);
        // Whatever decodes must re-encode to something that decodes the same way.
        for f in frames {
            let (again, _) = wire::decode(&f).unwrap();
            prop_assert_eq!(encode(&again), f);
        }
    }

    #[test]
    fn truncated_frames_give_a_result_code(o in owned(), cut in any::<usize>()) {
        let bytes = encode(&frame(&o));
        let cut = cut % bytes.len();
        prop_assert_eq!(wire::decode(&bytes[..cut]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn encoding_into_a_short_buffer_fails_cleanly(o in owned(), short in 0usize..64) {
        let f = frame(&o);
        let len = wire::encoded_len(&f);
        let mut buf = vec![0u8; len.saturating_sub(short + 1)];
        prop_assert!(wire::encode(&f, &mut buf).is_err());
    }
}

#[test]
fn short_status_bodies_are_body_too_short() {
    // A Status whose body is just its version length byte.
    let bytes = [0xD1, 0x01, 1, 0, 0];
    assert_eq!(wire::decode(&bytes).unwrap_err(), DecodeError::BodyTooShort);
    let bytes = [0xD2, 0x01, 0, 0];
    assert_eq!(
        wire::decode(&bytes).unwrap_err(),
        DecodeError::UnsupportedVersion
    );
    let bytes = [0x00, 0x01, 0, 0];
    assert_eq!(wire::decode(&bytes).unwrap_err(), DecodeError::BadSync);
}
