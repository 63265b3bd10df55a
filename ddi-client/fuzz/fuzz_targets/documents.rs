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
    check::<Artifact>(data);
    check::<ArtifactList>(data);
    check::<ActionFeedback>(data);
    check::<Status>(data);
    check::<ConfigData>(data);
    check::<ConfirmationBase>(data);
    check::<ConfirmationBaseAction>(data);
    check::<ConfirmationFeedback>(data);
    check::<ActivateAutoConfirm>(data);
    check::<CancelAction>(data);
    check::<AssignedVersion>(data);
    check::<ExceptionInfo>(data);
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(sum) = Md5Sum::parse(text)
    {
        // What parses is normalised: 32 lowercase hex digits and a name.
        assert_eq!(sum.md5.len(), 32);
        assert!(sum.md5.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        assert!(!sum.filename.is_empty());
    }
});
