//! SMP encode/decode round trips and garbage input.
#![cfg(feature = "smp")]

use dfu_protocol::smp::{self, Header, Message, Op, StateWrite, UploadRequest, UploadResponse};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Owned {
    kind: u8,
    version: u8,
    seq: u8,
    a: u32,
    b: Option<u32>,
    flag: Option<bool>,
    sha: Option<[u8; 32]>,
    data: Vec<u8>,
}

fn owned() -> impl Strategy<Value = Owned> {
    (
        0u8..5,
        0u8..2,
        any::<u8>(),
        any::<u32>(),
        any::<Option<u32>>(),
        any::<Option<bool>>(),
        any::<Option<[u8; 32]>>(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(kind, version, seq, a, b, flag, sha, data)| Owned {
            kind,
            version,
            seq,
            a,
            b,
            flag,
            sha,
            data,
        })
}

fn message(o: &Owned) -> (Header, Message<'_>) {
    let (op, command, msg) = match o.kind {
        0 => (
            Op::Write,
            1,
            Message::UploadRequest(UploadRequest {
                image: o.b,
                len: o.b.map(|l| l ^ 1),
                off: o.a,
                sha: o.sha.as_ref().map(|s| &s[..]),
                data: &o.data,
                upgrade: o.flag,
            }),
        ),
        1 => (
            Op::WriteRsp,
            1,
            Message::UploadResponse(UploadResponse {
                off: o.a,
                matched: o.flag,
            }),
        ),
        2 => (
            Op::Write,
            0,
            Message::StateWrite(StateWrite {
                hash: o.sha.as_ref().map(|s| &s[..]),
                confirm: o.flag.unwrap_or(false),
            }),
        ),
        3 => (Op::Read, 0, Message::StateRead),
        _ => (
            Op::WriteRsp,
            1,
            Message::Error {
                rc: o.a.max(1),
                group: if o.version == 1 {
                    Some(o.b.unwrap_or(1) as u16)
                } else {
                    None
                },
            },
        ),
    };
    (
        Header {
            version: o.version,
            op,
            flags: 0,
            len: 0,
            group: 1,
            seq: o.seq,
            command,
        },
        msg,
    )
}

proptest! {
    #[test]
    fn messages_round_trip(o in owned()) {
        let (h, m) = message(&o);
        let mut out = vec![0u8; 512];
        let n = smp::encode(&h, &m, &mut out).unwrap();
        let (h2, m2) = smp::decode(&out[..n]).unwrap();
        prop_assert_eq!(h2, Header { len: (n - smp::HEADER_LEN) as u16, ..h });
        prop_assert_eq!(m2, m);
    }

    #[test]
    fn arbitrary_frames_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok((h, m)) = smp::decode(&b) {
            let mut out = vec![0u8; 512];
            // Whatever decodes can be encoded again, and decodes the same.
            let n = smp::encode(&h, &m, &mut out);
            prop_assert!(n.is_ok());
            let again = smp::decode(&out[..n.unwrap_or_default()]);
            prop_assert_eq!(again.map(|(_, m2)| m2), Ok(m));
        }
    }
}

/// A state response whose `images` is a text string, not a list (found by
/// the `interop` fuzz target): it used to decode, then fail to encode.
#[test]
fn an_images_value_that_is_not_a_list_of_states_is_malformed() {
    let mut frame = vec![0x0B, 0x00, 0x00, 0x00, 0x00, 0x01, 0x41, 0x00];
    // {"images": "kjjj"}
    let body = [
        0xA1, 0x66, b'i', b'm', b'a', b'g', b'e', b's', 0x64, b'k', b'j', b'j', b'j',
    ];
    frame[3] = body.len() as u8;
    frame.extend_from_slice(&body);
    assert_eq!(smp::decode(&frame).unwrap_err(), smp::SmpError::Malformed);
    // the same list holding one state map decodes, encodes and decodes equal
    // even though the encoder drops the unknown key
    let body = [
        0xA1, 0x66, b'i', b'm', b'a', b'g', b'e', b's', 0x81, 0xA3, 0x64, b's', b'l', b'o', b't',
        0x00, 0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x61, b'1', 0x61, b'x', 0xF5,
    ];
    let mut frame = frame[..8].to_vec();
    frame[3] = body.len() as u8;
    frame.extend_from_slice(&body);
    let (h, m) = smp::decode(&frame).unwrap();
    let mut out = vec![0u8; 128];
    let n = smp::encode(&h, &m, &mut out).unwrap();
    assert_ne!(&out[8..n], &body[..]);
    assert_eq!(smp::decode(&out[..n]).unwrap().1, m);
}
