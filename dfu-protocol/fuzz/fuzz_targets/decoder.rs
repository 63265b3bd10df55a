//! Arbitrary bytes through the one-shot and streaming decoders: no panic,
//! and whatever decodes re-encodes to bytes that decode to the same frame
//! (not necessarily the same bytes: trailing fields are ignored).
#![no_main]

use dfu_protocol::wire::{self, Feed, FrameDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, input)) = data.split_first() else { return };
    let step = usize::from(step).max(1);
    if let Ok((frame, used)) = wire::decode(input) {
        let mut out = vec![0u8; wire::encoded_len(&frame)];
        let n = wire::encode(&frame, &mut out).expect("a decoded frame encodes");
        assert!(n <= used);
        assert_eq!(wire::decode(&out[..n]).expect("re-decodes").0, frame);
    }
    let mut buf = [0u8; 1024];
    let mut dec = FrameDecoder::new(&mut buf);
    for piece in input.chunks(step) {
        let mut rest = piece;
        while !rest.is_empty() {
            rest = match dec.feed(rest) {
                Feed::Consumed => break,
                Feed::Frame { frame, remaining } => {
                    let mut out = vec![0u8; wire::encoded_len(&frame)];
                    wire::encode(&frame, &mut out).expect("a decoded frame encodes");
                    assert_eq!(wire::decode(&out).expect("re-decodes").0, frame);
                    remaining
                }
                Feed::Error { remaining, .. } => remaining,
            };
        }
    }
});
