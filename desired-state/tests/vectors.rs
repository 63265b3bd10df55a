//! Every captured and copied vector decodes; every message Kanto's update
// Helpers outside #[test] functions are not covered by clippy.toml's test exemption.
#![allow(clippy::unwrap_used)]
//! manager produced re-encodes byte for byte.

use desired_state::model::ditto::{
    ApplyValue, ConsentFeedbackValue, ConsentValue, CurrentStateProperties, DittoMessage,
    ErrorValue, FeatureRegistration, FeedbackValue, RefreshValue,
};
use desired_state::model::software_updatable::InstallRequest;
use desired_state::model::{
    Command, DesiredState, Envelope, Feedback, Inventory, NoPayload, OwnerConsent,
    OwnerConsentFeedback, Status,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use testkit::vectors::Vector;

fn dir() -> Option<testkit::vectors::VectorDir> {
    testkit::vectors::dir("desired-state")
}

/// Bytes Kanto's Go encoder produced, without the trailing newline of the file.
fn kanto_bytes(v: &Vector) -> Vec<u8> {
    let mut b = v.bytes();
    while b.last().is_some_and(u8::is_ascii_whitespace) {
        b.pop();
    }
    b
}

/// Decodes, re-encodes and decodes again; returns the first encoding.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    v: &Vector,
) -> Vec<u8> {
    let first: T =
        serde_json::from_slice(&v.bytes()).unwrap_or_else(|e| panic!("{}: {e}", v.name()));
    let encoded = serde_json::to_vec(&first).unwrap();
    let second: T = serde_json::from_slice(&encoded).unwrap();
    assert_eq!(first, second, "{}: not stable over a round trip", v.name());
    encoded
}

fn envelope<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(v: &Vector) -> Vec<u8> {
    let env = Envelope::<T>::from_slice(&v.bytes()).unwrap_or_else(|e| panic!("{}: {e}", v.name()));
    let out = env.to_vec();
    assert_eq!(
        Envelope::<T>::from_slice(&out).unwrap(),
        env,
        "{}",
        v.name()
    );
    out
}

/// Picks the message type from the vector's name and round-trips it.
fn decode_by_name(v: &Vector) -> Vec<u8> {
    let n = v.name();
    if n.contains("things") || n.starts_with("kanto-ditto") || n.starts_with("kanto-quickstart") {
        return ditto(v);
    }
    if n.contains("currentstate-get") {
        envelope::<NoPayload>(v)
    } else if n.contains("desiredstate") && !n.contains("desiredstatefeedback") {
        envelope::<DesiredState>(v)
    } else if n.contains("command") {
        envelope::<Command>(v)
    } else if n.contains("currentstate") {
        envelope::<Inventory>(v)
    } else if n.contains("ownerconsent") {
        envelope::<OwnerConsent>(v)
    } else if n.contains("feedback") && n.starts_with("capture-") {
        envelope::<Feedback>(v)
    } else if n.starts_with("um-test-desired-state-envelope") {
        envelope::<DesiredState>(v)
    } else if n.starts_with("um-spec-desired-state") {
        round_trip::<DesiredState>(v)
    } else if n.starts_with("um-spec-feedback") {
        round_trip::<Feedback>(v)
    } else if n.starts_with("um-spec-current-state") {
        round_trip::<Inventory>(v)
    } else if n.starts_with("um-spec-owner-consent-feedback") {
        round_trip::<OwnerConsentFeedback>(v)
    } else if n.starts_with("um-spec-owner-consent") {
        round_trip::<OwnerConsent>(v)
    } else if n.starts_with("um-config") {
        let cfg = desired_state::manager::ManagerConfig::from_kanto_json(&v.bytes())
            .unwrap_or_else(|e| panic!("{n}: {e}"));
        assert!(!cfg.agents.is_empty(), "{n}: no agents");
        Vec::new()
    } else {
        panic!("{n}: no decoder chosen for this vector; extend decode_by_name")
    }
}

fn ditto(v: &Vector) -> Vec<u8> {
    let n = v.name();
    let raw: DittoMessage =
        DittoMessage::from_slice(&v.bytes()).unwrap_or_else(|e| panic!("{n}: {e}"));
    if raw.status != 0 {
        return if raw.value.is_some() {
            typed_ditto::<ErrorValue>(v)
        } else {
            typed_ditto::<serde_json::Value>(v)
        };
    }
    let subject = raw.subject();
    if n.contains("feature-register") {
        return typed_ditto::<FeatureRegistration>(v);
    }
    if raw.path.ends_with("/properties") {
        return typed_ditto::<CurrentStateProperties>(v);
    }
    if n.starts_with("kanto-ditto-um-feedback-value") {
        return round_trip::<FeedbackValue>(v);
    }
    let inbox = raw.path.contains("/inbox/");
    match subject {
        "apply" => typed_ditto::<ApplyValue>(v),
        "refresh" => typed_ditto::<RefreshValue>(v),
        "feedback" => typed_ditto::<FeedbackValue>(v),
        "consent" if inbox => typed_ditto::<ConsentFeedbackValue>(v),
        "consent" => typed_ditto::<ConsentValue>(v),
        "install" | "download" => typed_ditto::<InstallRequest>(v),
        other => panic!("{n}: unexpected subject {other}"),
    }
}

fn typed_ditto<V: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    v: &Vector,
) -> Vec<u8> {
    round_trip::<DittoMessage<V>>(v)
}

/// Files holding bytes Kanto's update manager published itself.
fn produced_by_kanto(name: &str) -> bool {
    name.starts_with("capture-um-")
        || (name.starts_with("capture-things-")
            && !name.ends_with("-input.json")
            && (name.contains("-response-")
                || name.contains("feature")
                || name.contains("-feedback-")
                || name.contains("-consent-request")
                || name.contains("-properties")))
}

fn check_prefix(prefix: &str) {
    let Some(dir) = dir() else { return };
    for v in dir.with_prefix(prefix) {
        let encoded = decode_by_name(&v);
        if produced_by_kanto(v.name()) {
            assert_eq!(
                String::from_utf8_lossy(&encoded),
                String::from_utf8_lossy(&kanto_bytes(&v)),
                "{}: encoding differs from Kanto's bytes",
                v.name()
            );
        }
    }
}

#[test]
fn capture_vectors_decode_and_kanto_output_reencodes_byte_identical() {
    check_prefix("capture-");
}

#[test]
fn kanto_vectors_decode() {
    check_prefix("kanto-");
}

#[test]
fn leda_vectors_decode() {
    check_prefix("leda-");
}

#[test]
fn um_vectors_decode() {
    check_prefix("um-");
}

#[test]
fn cm_vectors_decode() {
    let Some(dir) = dir() else { return };
    for v in dir.with_prefix("cm-") {
        let cfg = desired_state::agent::ContainersAgentConfig::from_json(&v.bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", v.name()));
        assert_eq!(cfg.update_agent.domain, "containers");
    }
}

#[test]
fn leda_quirks_survive() {
    let Some(dir) = dir() else { return };
    for v in dir.with_prefix("leda-sua-command-") {
        let env = Envelope::<Command>::from_slice(&v.bytes()).unwrap();
        let cmd = env.payload.unwrap();
        assert_eq!(cmd.baseline, "BASELINE NAME", "{}", v.name());
        assert!(cmd.command.is_some_and(|c| !c.is_other()), "{}", v.name());
    }
    let get = Envelope::<NoPayload>::from_slice(
        &dir.file("leda-sua-currentstate-get-no-payload.json")
            .bytes(),
    )
    .unwrap();
    assert_eq!(get.payload, None);
    assert_eq!(get.activity_id, "random-uuid-as-string");
}

#[test]
fn captured_flow_statuses_are_known() {
    let Some(dir) = dir() else { return };
    for v in dir.with_prefix("capture-um-feedback-") {
        let env = Envelope::<Feedback>::from_slice(&v.bytes()).unwrap();
        let status = env.payload.unwrap().status.unwrap();
        assert!(
            status.is_cloud_facing() && status != Status::Running || v.name().contains("running"),
            "{}",
            v.name()
        );
    }
}

#[test]
fn software_updatable_install_vector_has_artifacts_with_checksums_and_links() {
    let Some(dir) = dir() else { return };
    let v = dir.file("kanto-ditto-su-install-request.json");
    let msg: DittoMessage<InstallRequest> = DittoMessage::from_slice(&v.bytes()).unwrap();
    let req = msg.value.unwrap();
    assert_eq!(req.correlation_id, "other_correlation_id");
    let module = &req.software_modules[0];
    assert_eq!(module.software_module.name, "install-hello");
    let artifact = &module.artifacts[0];
    assert_eq!(artifact.size, 544);
    assert_eq!(artifact.checksums.sha256.len(), 64);
    assert_eq!(
        artifact.url(),
        Some("https://github.com/eclipse-kanto/kanto/raw/main/quickstart/install_hello.sh")
    );
}

#[test]
fn keys_are_matched_like_go_does_exact_first_then_ignoring_case() {
    use desired_state::model::{DesiredState, Envelope};
    let canonical = br#"{"activityId":"a-1","timestamp":7,"payload":{"domains":[{"id":"containers","components":[{"id":"app","version":"2.0"}]}]}}"#;
    let shouted = br#"{"ACTIVITYID":"a-1","TimeStamp":7,"Payload":{"Domains":[{"ID":"containers","COMPONENTS":[{"Id":"app","Version":"2.0"}]}]}}"#;
    let a = Envelope::<DesiredState>::from_slice(canonical).unwrap();
    let b = Envelope::<DesiredState>::from_slice(shouted).unwrap();
    assert_eq!(a, b);
    assert_eq!(b.activity_id, "a-1");
    assert_eq!(b.payload.unwrap().domains[0].components[0].version, "2.0");
}
