//! Every JSON document twin-model decodes besides the twin (IoT Hub
//! configurations, AWS shadow requests and documents, Ditto protocol
//! messages, hawkBit deployments held in desired properties) on arbitrary
//! bytes: no panic, and whatever decodes re-encodes to something that
//! decodes to the same value. Shadow topics and timestamps read from the
//! same bytes as text survive their own round trips. (The DDI documents
//! themselves are ddi-client's, fuzzed there.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use twin_model::aws::shadow::{ShadowDocument, ShadowUpdateRequest};
use twin_model::aws::topic::ShadowTopic;
use twin_model::ditto::ProtocolMessage;
use twin_model::iothub::configuration::Configuration;
use twin_model::mapping::deployment::{deployment_from_desired, deployment_to_patch};
use twin_model::timestamp::{Timestamp, UtcInstant};

macro_rules! stable {
    ($data:expr, $($ty:ty),+ $(,)?) => {$(
        if let Ok(doc) = <$ty>::from_json($data) {
            let bytes = serde_json::to_vec(&doc).expect(concat!("a decoded ", stringify!($ty), " encodes"));
            let again = <$ty>::from_json(&bytes).expect(concat!("a re-encoded ", stringify!($ty), " decodes"));
            assert_eq!(again, doc);
        }
    )+};
}

fuzz_target!(|data: &[u8]| {
    stable!(
        data,
        Configuration,
        ShadowUpdateRequest,
        ShadowDocument,
        ProtocolMessage,
    );
    if let Ok(desired) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(data)
        && let Ok(deployment) = deployment_from_desired(&desired)
    {
        let patch = deployment_to_patch(&deployment).expect("a decoded deployment encodes");
        let written = patch
            .properties
            .and_then(|p| p.desired)
            .expect("the patch carries desired properties");
        assert_eq!(deployment_from_desired(&written).ok(), Some(deployment));
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(topic) = ShadowTopic::parse(text) {
        assert_eq!(ShadowTopic::parse(&topic.to_string()).as_ref(), Ok(&topic));
    }
    let ts = Timestamp::parse(text);
    assert_eq!(ts.to_string(), text);
    if let Some(instant) = ts.instant() {
        // Written back with 100 ns resolution, as IoT Hub does.
        let written = Timestamp::from_instant(instant);
        let expected = UtcInstant { secs: instant.secs, nanos: instant.nanos / 100 * 100 };
        assert_eq!(written.instant(), Some(expected), "{} read back from {}", written, text);
    }
});
