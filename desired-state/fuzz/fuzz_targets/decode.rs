//! Every decoder takes arbitrary bytes without panicking, and whatever
//! decodes re-encodes to something that decodes to the same value.
#![no_main]

use desired_state::model::ditto::{ApplyValue, DittoMessage};
use desired_state::model::software_updatable::InstallRequest;
use desired_state::model::{Command, DesiredState, Envelope, Feedback, Inventory, NoPayload, OwnerConsentFeedback};
use libfuzzer_sys::fuzz_target;

fn stable<T>(bytes: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(env) = Envelope::<T>::from_slice(bytes) {
        let again = Envelope::<T>::from_slice(&env.to_vec()).expect("re-encoded envelope decodes");
        assert_eq!(again, env);
    }
}

fuzz_target!(|data: &[u8]| {
    stable::<DesiredState>(data);
    stable::<Feedback>(data);
    stable::<Inventory>(data);
    stable::<Command>(data);
    stable::<OwnerConsentFeedback>(data);
    let _ = Envelope::<NoPayload>::from_slice(data);
    let _ = DittoMessage::<ApplyValue>::from_slice(data);
    let _ = DittoMessage::<InstallRequest>::from_slice(data);
    if let Ok(ds) = serde_json::from_slice::<DesiredState>(data) {
        let _ = ds.validate(1000);
        for d in &ds.domains {
            let _ = ds.for_domain(&d.id);
        }
    }
});
