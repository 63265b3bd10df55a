//! The SMP adapter against the captured MCUmgr vectors: every message of
//! every `smp_img_mgmt_*` file decodes to its documented header and body
//! and re-encodes to the same bytes.
#![cfg(feature = "smp")]

use dfu_protocol::smp::{self, Message, Op};
use serde_json::{Map, Value, json};

fn h(b: &[u8]) -> String {
    format!("h'{}'", hex::encode(b))
}

/// The decoded body in the vector file's notation.
fn as_json(msg: &Message<'_>) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    match msg {
        Message::UploadRequest(r) => {
            r.image.inspect(|v| put("image", json!(v)));
            r.len.inspect(|v| put("len", json!(v)));
            put("off", json!(r.off));
            r.sha.inspect(|v| put("sha", json!(h(v))));
            put("data", json!(h(r.data)));
            r.upgrade.inspect(|v| put("upgrade", json!(v)));
        }
        Message::UploadResponse(r) => {
            put("off", json!(r.off));
            r.matched.inspect(|v| put("match", json!(v)));
        }
        Message::StateRead => {}
        Message::StateWrite(w) => {
            w.hash.inspect(|v| put("hash", json!(h(v))));
            put("confirm", json!(w.confirm));
        }
        Message::StateResponse(list) => {
            let mut images = Vec::new();
            list.for_each(|s| {
                let mut i = Map::new();
                if let Some(v) = s.image {
                    i.insert("image".into(), json!(v));
                }
                i.insert("slot".into(), json!(s.slot));
                i.insert("version".into(), json!(s.version));
                if let Some(v) = s.hash {
                    i.insert("hash".into(), json!(h(v)));
                }
                for (k, v) in [
                    ("bootable", s.bootable),
                    ("pending", s.pending),
                    ("confirmed", s.confirmed),
                    ("active", s.active),
                    ("permanent", s.permanent),
                ] {
                    if let Some(v) = v {
                        i.insert(k.into(), json!(v));
                    }
                }
                images.push(Value::Object(i));
            })
            .expect("image list decodes");
            put("images", Value::Array(images));
        }
        Message::Error { rc, group: Some(g) } => put("err", json!({"rc": rc, "group": g})),
        Message::Error { rc, group: None } => put("rc", json!(rc)),
    }
    Value::Object(m)
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Read => "read",
        Op::ReadRsp => "read_rsp",
        Op::Write => "write",
        Op::WriteRsp => "write_rsp",
        Op::Other(_) => "other",
    }
}

#[test]
fn every_image_management_vector_decodes_and_reencodes_exactly() {
    let Some(dir) = testkit::vectors::dir("dfu") else {
        return;
    };
    let mut checked = 0;
    for v in dir.with_prefix("smp_img_mgmt_") {
        let doc: Value = serde_json::from_slice(&v.bytes()).unwrap();
        for (name, m) in doc["messages"].as_object().unwrap() {
            let frame = hex::decode(m["frame_hex"].as_str().unwrap()).unwrap();
            let (header, msg) =
                smp::decode(&frame).unwrap_or_else(|e| panic!("{}/{name}: {e}", v.name()));
            let hd = &m["header"];
            assert_eq!(
                u64::from(header.version),
                hd["version"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(op_name(header.op), hd["op"].as_str().unwrap(), "{name}");
            assert_eq!(
                u64::from(header.flags),
                hd["flags"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                u64::from(header.len),
                hd["data_len"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                u64::from(header.group),
                hd["group"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(u64::from(header.seq), hd["seq"].as_u64().unwrap(), "{name}");
            assert_eq!(
                u64::from(header.command),
                hd["command_id"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(as_json(&msg), m["cbor_decoded"], "{name}: body");
            let mut out = vec![0u8; frame.len() + 64];
            let n = smp::encode(&header, &msg, &mut out).unwrap();
            assert_eq!(
                hex::encode(&out[..n]),
                hex::encode(&frame),
                "{name}: re-encoding"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} messages");
}

#[test]
fn upload_overhead_matches_the_documented_figure() {
    let Some(dir) = testkit::vectors::dir("dfu") else {
        return;
    };
    let doc: Value =
        serde_json::from_slice(&dir.file("smp_img_mgmt_vectors.json").bytes()).unwrap();
    let expected = doc["overhead_subsequent_chunk"]["data_512"]
        .as_u64()
        .unwrap();
    let data = [0u8; 512];
    let req = Message::UploadRequest(smp::UploadRequest {
        off: 123_456,
        data: &data,
        ..Default::default()
    });
    let header = smp::Header {
        version: 1,
        op: Op::Write,
        flags: 0,
        len: 0,
        group: 1,
        seq: 0,
        command: 1,
    };
    let mut out = [0u8; 600];
    let n = smp::encode(&header, &req, &mut out).unwrap();
    assert_eq!((n - 512) as u64, expected);
}

#[cfg(feature = "sim")]
#[test]
fn an_smp_upload_drives_the_updater_to_a_swap() {
    use dfu_protocol::boot::{self, ImageInfo};
    use dfu_protocol::sim::{SimFlash, layout_for};
    use dfu_protocol::updater::{Action, Updater, UpdaterConfig};

    let Some(dir) = testkit::vectors::dir("dfu") else {
        return;
    };
    let doc: Value =
        serde_json::from_slice(&dir.file("smp_img_mgmt_vectors.json").bytes()).unwrap();
    let layout = layout_for::<4, 256>(1024);
    let mut flash = SimFlash::<4, 256>::new(layout.update.end() as usize);
    boot::provision(&mut flash, &layout, ImageInfo::default()).unwrap();
    let mut updater = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
    let mut bridge = smp::UploadBridge::new();
    for name in ["upload_req_first_v2", "upload_req_next_v2"] {
        let frame = hex::decode(doc["messages"][name]["frame_hex"].as_str().unwrap()).unwrap();
        let (_, Message::UploadRequest(req)) = smp::decode(&frame).unwrap() else {
            panic!("{name}")
        };
        let write = bridge.write(&req).unwrap();
        assert_eq!(updater.handle(&write).unwrap(), Action::Continue);
        let rsp = bridge.response(updater.next_offset());
        assert_eq!(rsp.off, req.off + req.data.len() as u32);
    }
    let frame = hex::decode(
        doc["messages"]["state_write_test_v2"]["frame_hex"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let (_, Message::StateWrite(w)) = smp::decode(&frame).unwrap() else {
        panic!()
    };
    let swap = bridge.swap(&w).unwrap();
    assert_eq!(
        updater.handle(&swap).unwrap(),
        Action::Reset,
        "the 64-byte test image verifies"
    );
}
