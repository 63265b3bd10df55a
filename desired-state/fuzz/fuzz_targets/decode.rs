//! Every decoder takes arbitrary bytes without panicking, and whatever
//! decodes re-encodes to something that decodes to the same value.
#![no_main]

use desired_state::agent::ContainersAgentConfig;
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

fn ditto_stable<V>(bytes: &[u8])
where
    V: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(msg) = DittoMessage::<V>::from_slice(bytes) {
        let again = DittoMessage::<V>::from_slice(&msg.to_vec()).expect("re-encoded ditto message decodes");
        assert_eq!(again, msg);
    }
}

fuzz_target!(|data: &[u8]| {
    stable::<DesiredState>(data);
    stable::<Feedback>(data);
    stable::<Inventory>(data);
    stable::<Command>(data);
    stable::<OwnerConsentFeedback>(data);
    stable::<NoPayload>(data);
    ditto_stable::<ApplyValue>(data);
    ditto_stable::<InstallRequest>(data);
    ditto_stable::<serde_json::Value>(data);
    if let Ok(config) = ContainersAgentConfig::from_json(data) {
        let bytes = serde_json::to_vec(&config).expect("a decoded agent config encodes");
        let again = ContainersAgentConfig::from_json(&bytes).expect("a re-encoded agent config decodes");
        assert_eq!(again, config);
    }
    if let Ok(ds) = serde_json::from_slice::<DesiredState>(data) {
        let _ = ds.validate(1000);
        for d in &ds.domains {
            let _ = ds.for_domain(&d.id);
        }
    }
});
