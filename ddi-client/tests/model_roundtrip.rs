//! Property tests: every model survives encode→decode, every decoder survives
//! arbitrary input, and the sleep parser agrees with formatted durations.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

use std::collections::BTreeMap;
use std::time::Duration;

use ddi_client::model::*;
use proptest::prelude::*;
use proptest::strategy::Union;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _./:?=-]{0,16}"
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    proptest::option::of(s).boxed()
}

/// Known values plus `Other` values that cannot collide with a known spelling.
fn open<T: Clone + std::fmt::Debug + 'static>(
    known: &'static [T],
    other: fn(String) -> T,
) -> BoxedStrategy<T> {
    Union::new(vec![
        proptest::sample::select(known).boxed(),
        "x-[a-z]{0,8}".prop_map(other).boxed(),
    ])
    .boxed()
}

fn link() -> impl Strategy<Value = Link> {
    text().prop_map(Link::new)
}

fn action_id() -> impl Strategy<Value = ActionId> {
    prop_oneof![
        any::<i64>().prop_map(ActionId::from),
        "[a-z0-9]{1,8}".prop_map(ActionId::new)
    ]
}

prop_compose! {
    fn hashes()(sha1 in opt("[0-9a-f]{40}"), md5 in opt("[0-9a-f]{32}"), sha256 in opt("[0-9a-f]{64}")) -> Hashes {
        Hashes { sha1, md5, sha256 }
    }
}

prop_compose! {
    fn artifact()(
        filename in text(),
        hashes in opt(hashes()),
        size in opt(any::<u64>()),
        links in proptest::collection::btree_map("[a-z-]{1,12}", link(), 0..4),
    ) -> Artifact {
        Artifact { filename, hashes, size, links: ArtifactLinks(links) }
    }
}

prop_compose! {
    fn chunk()(
        part in text(), version in text(), name in text(),
        encrypted in opt(any::<bool>()),
        artifacts in proptest::collection::vec(artifact(), 0..3),
        metadata in proptest::collection::vec((text(), text()).prop_map(|(key, value)| Metadata { key, value }), 0..3),
    ) -> Chunk {
        Chunk { part, version, name, encrypted, artifacts, metadata }
    }
}

prop_compose! {
    fn deployment()(
        download in opt(open(Handling::KNOWN, Handling::Other)),
        update in opt(open(Handling::KNOWN, Handling::Other)),
        maintenance_window in opt(open(MaintenanceWindow::KNOWN, MaintenanceWindow::Other)),
        chunks in proptest::collection::vec(chunk(), 0..3),
    ) -> Deployment {
        Deployment { download, update, maintenance_window, chunks }
    }
}

prop_compose! {
    fn history()(
        status in open(ActionStatus::KNOWN, ActionStatus::Other),
        messages in proptest::collection::vec(text(), 0..4),
    ) -> ActionHistory {
        ActionHistory { status, messages }
    }
}

prop_compose! {
    fn deployment_base()(id in action_id(), deployment in deployment(), action_history in opt(history())) -> DeploymentBase {
        DeploymentBase { id, deployment, action_history }
    }
}

prop_compose! {
    fn controller_base()(
        sleep in opt(opt(text())),
        l in (opt(link()), opt(link()), opt(link()), opt(link()), opt(link())),
    ) -> ControllerBase {
        ControllerBase {
            config: sleep.map(|s| ControllerConfig { polling: s.map(|s| Polling { sleep: Some(s) }) }),
            links: ControllerLinks {
                deployment_base: l.0, confirmation_base: l.1, cancel_action: l.2, installed_base: l.3, config_data: l.4,
            },
        }
    }
}

prop_compose! {
    fn status()(
        execution in open(Execution::KNOWN, Execution::Other),
        finished in open(Finished::KNOWN, Finished::Other),
        progress in opt((any::<u32>(), opt(any::<u32>())).prop_map(|(cnt, of)| Progress { cnt, of })),
        code in opt(any::<i32>()),
        details in proptest::collection::vec(text(), 0..4),
    ) -> Status {
        Status { execution, result: StatusResult { finished, progress }, code, details }
    }
}

prop_compose! {
    fn feedback()(timestamp in opt(any::<i64>()), legacy_time in opt("[0-9]{8}T[0-9]{6}"), status in status()) -> ActionFeedback {
        ActionFeedback { timestamp, legacy_time, status }
    }
}

prop_compose! {
    fn config_data()(
        data in proptest::collection::btree_map(text(), opt(text()), 0..5),
        mode in opt(open(ConfigMode::KNOWN, ConfigMode::Other)),
        legacy_time in opt("[0-9]{8}T[0-9]{6}"),
        legacy_status in opt(status()),
    ) -> ConfigData {
        ConfigData {
            data: data.into_iter().collect::<BTreeMap<_, _>>(),
            mode,
            legacy_time,
            legacy_status,
            ..ConfigData::default()
        }
    }
}

prop_compose! {
    fn confirmation_base()(
        active in any::<bool>(), initiator in opt(text()), remark in opt(text()), activated_at in opt(any::<i64>()),
        l in (opt(link()), opt(link()), opt(link())),
    ) -> ConfirmationBase {
        ConfirmationBase {
            auto_confirm: AutoConfirmState { active, initiator, remark, activated_at },
            links: ConfirmationLinks { activate_auto_confirm: l.0, deactivate_auto_confirm: l.1, confirmation_base: l.2 },
        }
    }
}

prop_compose! {
    fn confirmation_action()(id in action_id(), confirmation in deployment(), action_history in opt(history())) -> ConfirmationBaseAction {
        ConfirmationBaseAction { id, confirmation, action_history }
    }
}

prop_compose! {
    fn confirmation_feedback()(
        confirmation in open(Confirmation::KNOWN, Confirmation::Other),
        code in opt(any::<i32>()),
        details in proptest::collection::vec(text(), 0..3),
    ) -> ConfirmationFeedback {
        ConfirmationFeedback { confirmation, code, details }
    }
}

prop_compose! {
    fn exception_info()(
        exception_class in opt(text()), error_code in opt(text()), message in opt(text()),
        info in opt(proptest::collection::btree_map("[a-z]{1,5}", text(), 0..3)),
    ) -> ExceptionInfo {
        ExceptionInfo {
            exception_class, error_code, message,
            info: info.map(|m| serde_json::Value::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect())),
        }
    }
}

fn roundtrip<T: Document + PartialEq + std::fmt::Debug>(doc: &T) {
    let bytes = doc.to_json();
    let back =
        T::from_json(&bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
    assert_eq!(&back, doc);
    #[cfg(feature = "cbor")]
    {
        let back = T::from_cbor(&doc.to_cbor()).unwrap();
        assert_eq!(&back, doc, "cbor");
    }
}

proptest! {
    #[test] fn controller_base_roundtrips(d in controller_base()) { roundtrip(&d) }
    #[test] fn deployment_base_roundtrips(d in deployment_base()) { roundtrip(&d) }
    #[test] fn artifact_list_roundtrips(d in proptest::collection::vec(artifact(), 0..3)) { roundtrip(&d) }
    #[test] fn feedback_roundtrips(d in feedback()) { roundtrip(&d) }
    #[test] fn status_roundtrips(d in status()) { roundtrip(&d) }
    #[test] fn config_data_roundtrips(d in config_data()) { roundtrip(&d) }
    #[test] fn confirmation_base_roundtrips(d in confirmation_base()) { roundtrip(&d) }
    #[test] fn confirmation_action_roundtrips(d in confirmation_action()) { roundtrip(&d) }
    #[test] fn confirmation_feedback_roundtrips(d in confirmation_feedback()) { roundtrip(&d) }
    #[test] fn activate_auto_confirm_roundtrips(initiator in opt(text()), remark in opt(text())) {
        roundtrip(&ActivateAutoConfirm { initiator, remark })
    }
    #[test] fn cancel_roundtrips(id in action_id(), stop in action_id()) {
        roundtrip(&CancelAction { id, cancel_action: CancelActionStop { stop_id: stop } })
    }
    #[test] fn assigned_version_roundtrips(name in text(), version in text()) {
        roundtrip(&AssignedVersion { name, version })
    }
    #[test] fn exception_info_roundtrips(d in exception_info()) { roundtrip(&d) }

    /// No decoder panics on arbitrary bytes; failures are typed.
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = ControllerBase::from_json(&bytes);
        let _ = DeploymentBase::from_json(&bytes);
        let _ = ArtifactList::from_json(&bytes);
        let _ = ActionFeedback::from_json(&bytes);
        let _ = ConfigData::from_json(&bytes);
        let _ = ConfirmationBase::from_json(&bytes);
        let _ = ConfirmationBaseAction::from_json(&bytes);
        let _ = CancelAction::from_json(&bytes);
        let _ = ExceptionInfo::from_json(&bytes);
        let _ = Status::from_json(&bytes);
        let _ = Artifact::from_json(&bytes);
        let _ = ConfirmationFeedback::from_json(&bytes);
        let _ = ActivateAutoConfirm::from_json(&bytes);
        let _ = AssignedVersion::from_json(&bytes);
        let _ = Md5Sum::parse(&String::from_utf8_lossy(&bytes));
    }

    /// The CBOR decoders are as robust as the JSON ones.
    #[cfg(feature = "cbor")]
    #[test]
    fn cbor_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = ControllerBase::from_cbor(&bytes);
        let _ = DeploymentBase::from_cbor(&bytes);
        let _ = Artifact::from_cbor(&bytes);
        let _ = ArtifactList::from_cbor(&bytes);
        let _ = ActionFeedback::from_cbor(&bytes);
        let _ = Status::from_cbor(&bytes);
        let _ = ConfigData::from_cbor(&bytes);
        let _ = ConfirmationBase::from_cbor(&bytes);
        let _ = ConfirmationBaseAction::from_cbor(&bytes);
        let _ = ConfirmationFeedback::from_cbor(&bytes);
        let _ = ActivateAutoConfirm::from_cbor(&bytes);
        let _ = CancelAction::from_cbor(&bytes);
        let _ = AssignedVersion::from_cbor(&bytes);
        let _ = ExceptionInfo::from_cbor(&bytes);
    }

    /// Decoding arbitrary JSON-ish structure never panics.
    #[test]
    fn decoders_survive_structured_garbage(s in r#"\{("[a-zA-Z_]{1,12}":(null|-?[0-9]{1,20}|"[a-z]{0,5}"|\[\]|\{\}|true),?){0,6}\}"#) {
        let _ = DeploymentBase::from_json(s.as_bytes());
        let _ = ControllerBase::from_json(s.as_bytes());
        let _ = ActionFeedback::from_json(s.as_bytes());
    }

    #[test]
    fn sleep_clock_form_parses_exactly(h in 0u64..10_000, m in 0u64..60, s in 0u64..60, nanos in 0u32..1_000_000_000) {
        let text = format!("{h:02}:{m:02}:{s:02}.{nanos:09}");
        prop_assert_eq!(parse_sleep(&text), Ok(Duration::new(h * 3600 + m * 60 + s, nanos)));
        let bare = format!("{}", h * 3600 + m * 60 + s);
        prop_assert_eq!(parse_sleep(&bare), Ok(Duration::from_secs(h * 3600 + m * 60 + s)));
    }

    #[test]
    fn sleep_iso_form_parses_exactly(d in 0u64..400, h in 0u64..1000, m in 0u64..1000, s in 0u64..100_000, ms in 0u32..1000) {
        let text = format!("P{d}DT{h}H{m}M{s}.{ms:03}S");
        let want = Duration::new(d * 86_400 + h * 3600 + m * 60 + s, ms * 1_000_000);
        prop_assert_eq!(parse_sleep(&text), Ok(want));
        let text = format!("PT{h}H");
        prop_assert_eq!(parse_sleep(&text), Ok(Duration::from_secs(h * 3600)));
    }

    /// Whatever the server says, the interval is within the bounds and never zero.
    #[test]
    fn interval_is_always_bounded(sleep in proptest::option::of(".{0,24}"), min in 1u64..100, span in 0u64..100_000) {
        let bounds = PollingBounds::new(Duration::from_millis(min), Duration::from_millis(min + span)).unwrap();
        let i = bounds.interval(sleep.as_deref());
        prop_assert!(i >= bounds.min() && i <= bounds.max() && !i.is_zero());
    }
}
