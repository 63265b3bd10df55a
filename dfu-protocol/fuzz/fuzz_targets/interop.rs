//! The interoperability codecs on arbitrary bytes: MCUmgr SMP frames and
//! Drogue `embedded-update` statuses and commands. No panic, and whatever
//! decodes re-encodes to bytes that decode to the same value (not
//! necessarily the same bytes: unknown keys are skipped, and the SMP
//! header's length is recomputed).
#![no_main]

use dfu_protocol::drogue;
use dfu_protocol::smp::{self, Header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = vec![0u8; 2 * data.len() + 256];
    if let Ok((header, msg)) = smp::decode(data) {
        let n = smp::encode(&header, &msg, &mut out).expect("a decoded smp frame encodes");
        let (h2, m2) = smp::decode(&out[..n]).expect("a re-encoded smp frame decodes");
        assert_eq!(h2, Header { len: h2.len, ..header });
        assert_eq!(m2, msg);
    }
    if let Ok(status) = drogue::decode_status(data) {
        let n = drogue::encode_status(&status, &mut out).expect("a decoded drogue status encodes");
        assert_eq!(drogue::decode_status(&out[..n]).expect("a re-encoded drogue status decodes"), status);
    }
    if let Ok(command) = drogue::decode_command(data) {
        let n = drogue::encode_command(&command, &mut out).expect("a decoded drogue command encodes");
        assert_eq!(drogue::decode_command(&out[..n]).expect("a re-encoded drogue command decodes"), command);
    }
});
