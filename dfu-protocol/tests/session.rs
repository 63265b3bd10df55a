//! The server session over a misbehaving channel: lost, duplicated and
//! reordered messages, device restarts and an image replaced mid-transfer.
#![cfg(feature = "sim")]

use dfu_protocol::server::{Progress, ServedImage, Session, SessionConfig};
use dfu_protocol::sim::{SimDevice, layout_for};
use dfu_protocol::updater::UpdaterConfig;
use dfu_protocol::wire::{self, BootOutcome, Frame, Message, ResetCause, Status, Target, Write};
use proptest::prelude::*;

type Dev = SimDevice<4, 256>;

fn image(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed))
        .collect()
}

fn status(digest: [u8; 32], target: Option<Target>, boot: BootOutcome) -> Status<'static> {
    Status {
        version: b"1",
        digest,
        max_chunk: 512,
        boot,
        last_result: wire::ResultCode::Ok,
        target,
    }
}

#[test]
fn decisions_follow_the_status() {
    let img = image(1000, 1);
    let served = ServedImage::new(&img);
    let id = served.id();
    let session = Session::new(Some(served.clone()), *SessionConfig::new().max_chunk(300));
    let other = [9u8; 32];
    // Fresh device: first chunk, capped by the server's chunk size.
    let r = session.respond(Some(5), &status(other, None, BootOutcome::None));
    assert_eq!(r.frame.correlation_id, Some(5));
    let Message::Write(Write {
        offset: 0, data, ..
    }) = r.frame.message
    else {
        panic!("{r:?}")
    };
    assert_eq!(data, &img[..300]);
    // Resume, and a device receiving a replaced image restarts at 0.
    let r = session.respond(
        None,
        &status(
            other,
            Some(Target {
                image_id: id,
                next_offset: 900,
            }),
            BootOutcome::None,
        ),
    );
    assert!(
        matches!(r.frame.message, Message::Write(Write { offset: 900, data, .. }) if data == &img[900..])
    );
    let r = session.respond(
        None,
        &status(
            other,
            Some(Target {
                image_id: id ^ 1,
                next_offset: 900,
            }),
            BootOutcome::None,
        ),
    );
    assert!(matches!(
        r.frame.message,
        Message::Write(Write { offset: 0, .. })
    ));
    // Complete: swap with the digest.
    let r = session.respond(
        None,
        &status(
            other,
            Some(Target {
                image_id: id,
                next_offset: 1000,
            }),
            BootOutcome::None,
        ),
    );
    assert!(
        matches!(r.frame.message, Message::Swap(s) if s.digest == *served.digest() && s.size == 1000)
    );
    // Running it on trial: sync so it confirms; confirmed: up to date.
    let r = session.respond(
        None,
        &status(
            *served.digest(),
            None,
            BootOutcome::Trial {
                image_id: id,
                attempt: 1,
            },
        ),
    );
    assert_eq!(r.progress, Progress::Confirming { attempt: 1 });
    assert!(matches!(r.frame.message, Message::Sync(_)));
    let r = session.respond(
        None,
        &status(
            *served.digest(),
            None,
            BootOutcome::Confirmed { image_id: id },
        ),
    );
    assert_eq!(r.progress, Progress::UpToDate);
    // No image: wait.
    let empty = Session::new(None, SessionConfig::new());
    assert!(matches!(
        empty
            .respond(None, &status(other, None, BootOutcome::None))
            .frame
            .message,
        Message::Wait(_)
    ));
}

#[derive(Debug, Clone)]
enum Fault {
    LoseStatus,
    LoseCommand,
    Duplicate,
    Delay,
    DeliverDelayed,
    Restart,
    ReplaceImage,
    Nothing,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        1 => Just(Fault::LoseStatus),
        1 => Just(Fault::LoseCommand),
        1 => Just(Fault::Duplicate),
        1 => Just(Fault::Delay),
        1 => Just(Fault::DeliverDelayed),
        1 => Just(Fault::Restart),
        1 => Just(Fault::ReplaceImage),
        6 => Just(Fault::Nothing),
    ]
}

fn encode(frame: &Frame<'_>) -> Vec<u8> {
    let mut out = vec![0u8; wire::encoded_len(frame)];
    wire::encode(frame, &mut out).expect("encodes");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_latest_image_is_installed_whatever_the_channel_does(
        faults in proptest::collection::vec(fault(), 0..300),
        len_a in 1usize..3000,
        len_b in 1usize..3000,
        chunk in 16u32..700,
    ) {
        let old = image(2000, 0);
        let images = [image(len_a, 1), image(len_b, 2)];
        let mut current = 0;
        let layout = layout_for::<4, 256>(3000);
        let mut dev = Dev::new(layout, &old, *UpdaterConfig::new().max_chunk(chunk)).unwrap();
        let mut session = Session::new(Some(ServedImage::new(&images[0])), SessionConfig::new());
        let mut delayed: Vec<Vec<u8>> = Vec::new();
        let mut up = [0u8; 512];
        for f in faults.iter().cloned().chain(std::iter::repeat_n(Fault::Nothing, 500)) {
            match f {
                // Resets during a trial count as failed boots and may roll the
                // image back by design; the power-cut tests cover those.
                Fault::Restart if !dev.on_trial() => {
                    dev.reboot(ResetCause::Pin).unwrap();
                    continue;
                }
                Fault::Restart => continue,
                Fault::ReplaceImage => {
                    current = 1 - current;
                    session.replace_image(Some(ServedImage::new(&images[current])));
                    continue;
                }
                Fault::DeliverDelayed => {
                    if let Some(cmd) = delayed.pop() {
                        dev.deliver(&cmd).unwrap();
                    }
                    continue;
                }
                _ => {}
            }
            let n = dev.status_frame(None, &mut up).unwrap();
            if matches!(f, Fault::LoseStatus) {
                continue;
            }
            let (st, _) = wire::decode(&up[..n]).unwrap();
            let cmd = encode(&session.respond_to_frame(&st).frame);
            match f {
                Fault::LoseCommand => {}
                Fault::Delay => delayed.insert(0, cmd),
                Fault::Duplicate => {
                    dev.deliver(&cmd).unwrap();
                    dev.deliver(&cmd).unwrap();
                }
                _ => {
                    dev.deliver(&cmd).unwrap();
                }
            }
        }
        // After the faults, a clean channel settles the device on the latest image.
        prop_assert_eq!(dev.running_image().unwrap(), images[current].clone());
        let n = dev.status_frame(None, &mut up).unwrap();
        let (st, _) = wire::decode(&up[..n]).unwrap();
        prop_assert_eq!(session.respond_to_frame(&st).progress, Progress::UpToDate);
    }
}
