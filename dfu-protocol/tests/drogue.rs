//! Byte compatibility with Drogue's `embedded-update` protocol types,
//! serialised the way its peers do (serde_cbor packed format).
#![cfg(feature = "drogue")]

use dfu_protocol::drogue::{
    DrogueCommand, DrogueError, DrogueStatus, DrogueUpdateStatus, decode_command, decode_status,
    encode_command, encode_status,
};
use embedded_update::{Command, Status};
use proptest::prelude::*;

fn theirs_status(s: &DrogueStatus<'_>) -> Vec<u8> {
    let st = match s.update {
        Some(u) => Status::update(s.version, s.mtu, u.offset, u.version, s.correlation_id),
        None => Status::first(s.version, s.mtu, s.correlation_id),
    };
    serde_cbor::ser::to_vec_packed(&st).expect("serialises")
}

fn theirs_command(c: &DrogueCommand<'_>) -> Vec<u8> {
    let cmd = match *c {
        DrogueCommand::Wait {
            correlation_id,
            poll,
        } => Command::new_wait(poll, correlation_id),
        DrogueCommand::Sync {
            version,
            correlation_id,
            poll,
        } => Command::new_sync(version, poll, correlation_id),
        DrogueCommand::Write {
            version,
            correlation_id,
            offset,
            data,
        } => Command::new_write(version, offset, data, correlation_id),
        DrogueCommand::Swap {
            version,
            correlation_id,
            checksum,
        } => Command::new_swap(version, checksum, correlation_id),
    };
    serde_cbor::ser::to_vec_packed(&cmd).expect("serialises")
}

fn ours(f: impl Fn(&mut [u8]) -> Result<usize, DrogueError>) -> Vec<u8> {
    let mut out = vec![0u8; 4096];
    let n = f(&mut out).expect("encodes");
    out.truncate(n);
    out
}

#[test]
fn the_write_layout_matches_the_documented_packed_form() {
    let c = DrogueCommand::Write {
        version: b"2",
        correlation_id: None,
        offset: 512,
        data: &[9, 9],
    };
    let bytes = ours(|o| encode_command(&c, o));
    assert_eq!(
        bytes,
        [
            0xa1, 0x02, 0xa4, 0x00, 0x41, b'2', 0x01, 0xf6, 0x02, 0x19, 0x02, 0x00, 0x03, 0x42, 9,
            9
        ]
    );
    assert_eq!(bytes, theirs_command(&c));
}

#[test]
fn their_named_key_format_decodes_too() {
    let st = Status::update(b"1.0", Some(512), 1024, b"1.1", Some(7));
    let named = serde_cbor::to_vec(&st).unwrap();
    let s = decode_status(&named).unwrap();
    assert_eq!(
        s.update,
        Some(DrogueUpdateStatus {
            version: b"1.1",
            offset: 1024
        })
    );
    assert_eq!(
        (s.version, s.mtu, s.correlation_id),
        (&b"1.0"[..], Some(512), Some(7))
    );
    let cmd = Command::new_swap(b"1.1", &[1, 2, 3], None);
    let named = serde_cbor::to_vec(&cmd).unwrap();
    assert_eq!(
        decode_command(&named).unwrap(),
        DrogueCommand::Swap {
            version: b"1.1",
            correlation_id: None,
            checksum: &[1, 2, 3]
        }
    );
    assert_eq!(
        decode_command(&[0xa1, 0x07, 0xa0]),
        Err(DrogueError::UnknownVariant)
    );
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..40)
}

proptest! {
    #[test]
    fn statuses_match_embedded_update_byte_for_byte(
        v in bytes(), nv in bytes(), mtu in any::<Option<u32>>(), cid in any::<Option<u32>>(), off in any::<Option<u32>>(),
    ) {
        let s = DrogueStatus {
            version: &v, mtu, correlation_id: cid,
            update: off.map(|offset| DrogueUpdateStatus { version: &nv, offset }),
        };
        let theirs = theirs_status(&s);
        prop_assert_eq!(ours(|o| encode_status(&s, o)), theirs.clone());
        prop_assert_eq!(decode_status(&theirs).unwrap(), s);
        let back: Status<'_> = serde_cbor::from_slice(&theirs).unwrap();
        prop_assert_eq!(&*back.version, &v[..]);
    }

    #[test]
    fn commands_match_embedded_update_byte_for_byte(
        kind in 0u8..4, v in bytes(), blob in proptest::collection::vec(any::<u8>(), 0..600),
        cid in any::<Option<u32>>(), poll in any::<Option<u32>>(), off in any::<u32>(),
    ) {
        let c = match kind {
            0 => DrogueCommand::Wait { correlation_id: cid, poll },
            1 => DrogueCommand::Sync { version: &v, correlation_id: cid, poll },
            2 => DrogueCommand::Write { version: &v, correlation_id: cid, offset: off, data: &blob },
            _ => DrogueCommand::Swap { version: &v, correlation_id: cid, checksum: &blob },
        };
        let theirs = theirs_command(&c);
        prop_assert_eq!(ours(|o| encode_command(&c, o)), theirs.clone());
        prop_assert_eq!(decode_command(&theirs).unwrap(), c);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_status(&b);
        let _ = decode_command(&b);
    }
}
