//! The bootloader state machine under arbitrary power cuts and arbitrary
//! state-area contents: it never panics and always boots a valid image.
#![no_main]

use dfu_protocol::boot::Bootloader;
use dfu_protocol::server::{Progress, ServedImage, Session, SessionConfig};
use dfu_protocol::sim::{layout_for, DeviceEvent, PowerCut, SimDevice, SimFlash, Tear};
use dfu_protocol::updater::UpdaterConfig;
use dfu_protocol::wire::{self, ResetCause};
use libfuzzer_sys::fuzz_target;

fn image(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed)).collect()
}

/// The marker cannot occur at the start of a generated image (its second
/// byte is always the first plus 13).
fn unhealthy(image: &[u8]) -> bool {
    !image.starts_with(b"BAD!")
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    // Part 1: garbage in the state area must not crash the decision logic.
    let layout = layout_for::<4, 256>(1024);
    let mut flash = SimFlash::<4, 256>::new(layout.update.end() as usize);
    flash.factory_program(layout.boot_state.offset as usize, &data[8..]);
    if let Ok(mut bl) = Bootloader::new(flash, layout) {
        let _ = bl.boot(ResetCause::from_u8(data[0]));
    }

    // Part 2: an update with one power cut where the input says.
    let old = image(300 + usize::from(data[1]) * 3, data[2]);
    let mut new = image(200 + usize::from(data[3]) * 3, data[4]);
    let healthy = data[5] & 1 == 0;
    if !healthy {
        new[..4].copy_from_slice(b"BAD!");
    }
    let tear = [Tear::None, Tear::Half, Tear::Full][usize::from(data[5] >> 1) % 3];
    let chunk = u32::from(data[6]).max(1) * 4 + u32::from(data[7] & 3);
    let layout = layout_for::<4, 256>(2048);
    let mut dev = SimDevice::<4, 256>::new(layout, &old, *UpdaterConfig::new().max_chunk(chunk)).expect("device");
    dev.set_health_check(unhealthy);
    let start = dev.flash().expect("flash").ops();
    let at = u64::from(u16::from_le_bytes([data[6], data[7]])) % 400;
    dev.schedule_cut(PowerCut { at_op: start + at, tear });
    let session = Session::new(Some(ServedImage::new(&new)), *SessionConfig::new().max_chunk(chunk));
    let mut up = [0u8; 512];
    let mut down = vec![0u8; wire::MAX_FRAME_LEN];
    for _ in 0..2000 {
        let n = match dev.status_frame(None, &mut up) {
            Ok(n) => n,
            Err(_) => {
                dev.reboot(ResetCause::PowerOn).expect("boots after the cut");
                continue;
            }
        };
        let (status, _) = wire::decode(&up[..n]).expect("status");
        let reply = session.respond_to_frame(&status);
        let m = wire::encode(&reply.frame, &mut down).expect("command");
        match dev.deliver(&down[..m]) {
            Ok(DeviceEvent::Rebooted(_) | DeviceEvent::Crashed(_)) => {}
            Ok(_) if matches!(reply.progress, Progress::UpToDate | Progress::RolledBack { .. }) => break,
            Ok(_) => {}
            Err(_) => {
                dev.reboot(ResetCause::PowerOn).expect("boots after the cut");
            }
        }
        let running = dev.running_image().expect("image");
        assert!(running == old || running == new, "boot found neither image");
    }
    let running = dev.running_image().expect("image");
    assert_eq!(running, if healthy { new } else { old });
});
