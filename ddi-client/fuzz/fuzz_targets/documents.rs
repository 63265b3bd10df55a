//! Every DDI decoder on arbitrary bytes: no panic, and whatever decodes
//! re-encodes to something that decodes to the same value.
#![no_main]

use ddi_client::model::*;
use libfuzzer_sys::fuzz_target;

fn check<T: Document + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(doc) = T::from_json(data) {
        let again = T::from_json(&doc.to_json()).expect("re-encoded document decodes");
        assert_eq!(doc, again);
    }
}

fuzz_target!(|data: &[u8]| {
    check::<ControllerBase>(data);
    check::<DeploymentBase>(data);
    check::<ArtifactList>(data);
    check::<ActionFeedback>(data);
    check::<Status>(data);
    check::<ConfigData>(data);
    check::<ConfirmationBase>(data);
    check::<ConfirmationBaseAction>(data);
    check::<ConfirmationFeedback>(data);
    check::<CancelAction>(data);
    check::<AssignedVersion>(data);
    let _ = ExceptionInfo::from_json(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Md5Sum::parse(text);
    }
});
