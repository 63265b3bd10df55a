//! Decodes arbitrary bytes as a twin (and as the other documents sharing
//! its decoder paths); whatever decodes is validated, mapped, and
//! re-encoded to something that decodes to the same value. Nothing may
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use twin_model::decode::to_json_lines;
use twin_model::iothub::event_grid::IotHubEvent;
use twin_model::iothub::import_export::ExportImportDevice;
use twin_model::iothub::twin::Twin;
use twin_model::mapping::attributes::{twin_to_attributes, AttributeOptions};
use twin_model::mapping::shadow::twin_to_shadow;
use twin_model::validate::twin::validate_twin;

fuzz_target!(|data: &[u8]| {
    if let Ok(twin) = Twin::from_json(data) {
        let _ = validate_twin(&twin);
        let bytes = serde_json::to_vec(&twin).expect("a decoded twin encodes");
        assert_eq!(Twin::from_json(&bytes).expect("a re-encoded twin decodes"), twin);
        let _ = twin_to_attributes(twin.tags.as_ref(), twin.reported(), &AttributeOptions::default());
        let _ = twin_to_shadow(&twin);
    }
    let _ = IotHubEvent::decode_batch(data);
    if let Ok(devices) = ExportImportDevice::from_json_lines(data) {
        let lines = to_json_lines(&devices).expect("decoded devices encode");
        let again = ExportImportDevice::from_json_lines(&lines).expect("re-encoded devices decode");
        assert_eq!(again, devices);
    }
});
