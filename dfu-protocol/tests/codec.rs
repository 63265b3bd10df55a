//! The tokio-util codec adapter.
#![cfg(feature = "tokio-codec")]

use bytes::BytesMut;
use dfu_protocol::codec::{CodecErrorKind, DfuCodec};
use dfu_protocol::wire::{self, DecodeError, Frame, Message, Wait, Write};
use futures_util::{SinkExt, StreamExt};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, FramedRead, FramedWrite};

fn write_frame(data: &[u8], offset: u32) -> Frame<'_> {
    Frame::new(Message::Write(Write {
        image_id: 42,
        offset,
        data,
        crc: true,
    }))
}

#[tokio::test]
async fn frames_cross_an_async_pipe() {
    let (a, b) = tokio::io::duplex(64);
    let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    let writer = tokio::spawn(async move {
        let mut sink = FramedWrite::new(a, DfuCodec::new());
        for (i, chunk) in data.chunks(1000).enumerate() {
            sink.send(&write_frame(chunk, i as u32 * 1000))
                .await
                .unwrap();
        }
        sink.send(&Frame::new(Message::Wait(Wait { poll_secs: 9 })))
            .await
            .unwrap();
    });
    let mut stream = FramedRead::new(b, DfuCodec::new());
    let mut got = Vec::new();
    while let Some(f) = stream.next().await {
        let f = f.unwrap();
        match f.frame().unwrap().message {
            Message::Write(w) => got.extend_from_slice(w.data),
            Message::Wait(w) => {
                assert_eq!(w.poll_secs, 9);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    writer.await.unwrap();
    assert_eq!(got, (0..3000u32).map(|i| i as u8).collect::<Vec<_>>());
}

#[test]
fn corrupt_streams_are_errors() {
    let mut codec = DfuCodec::with_max_frame(64);
    let mut buf = BytesMut::from(&[0x00u8, 1, 2, 3][..]);
    assert_eq!(
        codec.decode(&mut buf).unwrap_err().kind(),
        CodecErrorKind::Decode(DecodeError::BadSync)
    );
    let mut big = vec![0u8; 200];
    let n = wire::encode(&write_frame(&[0; 100], 0), &mut big).unwrap();
    let mut buf = BytesMut::from(&big[..n]);
    assert_eq!(
        codec.decode(&mut buf).unwrap_err().kind(),
        CodecErrorKind::Decode(DecodeError::FrameTooLarge)
    );
    big[10] ^= 0xFF;
    let mut buf = BytesMut::from(&big[..n]);
    assert_eq!(
        DfuCodec::new().decode(&mut buf).unwrap_err().kind(),
        CodecErrorKind::Decode(DecodeError::BadCrc)
    );
}

proptest! {
    #[test]
    fn decoding_in_pieces_yields_the_same_frames(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..5),
        cuts in proptest::collection::vec(1usize..50, 1..100),
    ) {
        let mut stream = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            let f = write_frame(c, i as u32);
            let mut out = vec![0u8; wire::encoded_len(&f)];
            wire::encode(&f, &mut out).unwrap();
            stream.extend_from_slice(&out);
        }
        let mut codec = DfuCodec::new();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut rest = &stream[..];
        let mut cut = cuts.iter().cycle();
        while !rest.is_empty() {
            let n = (*cut.next().unwrap()).min(rest.len());
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                let Message::Write(w) = f.frame().unwrap().message else { panic!() };
                got.push(w.data.to_vec());
            }
        }
        prop_assert_eq!(got, chunks);
    }
}
