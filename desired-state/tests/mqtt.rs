//! The MQTT binding against a real Mosquitto broker on loopback.
#![cfg(feature = "mqtt")]
// Helpers outside #[test] functions are not covered by clippy.toml's test exemption.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use desired_state::agent::{AgentError, DomainAgent, NoopAgent, PhaseContext};
use desired_state::manager::ManagerConfig;
use desired_state::model::{
    Action, CommandKind, Component, ConsentStatus, DesiredState, Domain, Envelope, Feedback,
    Inventory, OwnerConsent, OwnerConsentFeedback, Status,
};
use desired_state::mqtt::harness::{ActivityHarness, HarnessOptions};
use desired_state::mqtt::{AgentHandle, CloudMode, ManagerHandle, MqttClient, MqttSettings};
use desired_state::publication::Publication;
use desired_state::topic::Topics;
use testkit::peers::{Mosquitto, MosquittoOptions};

const LIMIT: Duration = Duration::from_secs(30);

fn broker() -> Option<Mosquitto> {
    Mosquitto::start_with(&MosquittoOptions {
        tcp_nodelay: true,
        ..MosquittoOptions::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_domain_activity_completes_over_mosquitto() {
    let Some(b) = broker() else { return };
    let mut h = ActivityHarness::start(&HarnessOptions::new(b.port()))
        .await
        .unwrap();
    for n in [5, 100] {
        let out = h.run(n).await.unwrap();
        assert!(out.completed(), "{:?}", out.feedback);
        assert_eq!(out.feedback.actions.len(), n);
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatty_agents_complete_over_mosquitto() {
    let Some(b) = broker() else { return };
    let out = desired_state::mqtt::harness::run_activity(&chatty_options(b.port()), 50)
        .await
        .unwrap();
    assert!(out.completed(), "{:?}", out.feedback);
}

/// A cloud-side client on the plain northbound topics.
struct Cloud {
    client: MqttClient,
    north: Topics,
}

impl Cloud {
    async fn connect(settings: &MqttSettings) -> Self {
        let north = Topics::for_domain("device");
        let mut client = MqttClient::connect(
            settings,
            &[&north.feedback, &north.current_state, &north.owner_consent],
        );
        assert!(client.connected().await);
        Self { client, north }
    }

    /// Waits until the manager's merged inventory lists every domain in `domains`.
    async fn ready(&mut self, domains: &[&str]) {
        tokio::time::timeout(LIMIT, async {
            loop {
                let (topic, payload) = self.client.next_message().await.unwrap();
                if topic == self.north.current_state {
                    let inv = Envelope::<Inventory>::from_slice(&payload)
                        .unwrap()
                        .payload
                        .unwrap_or_default();
                    if domains.iter().all(|d| {
                        inv.software_nodes
                            .iter()
                            .any(|n| n.parameters.get("domain") == Some(d))
                    }) {
                        return;
                    }
                }
            }
        })
        .await
        .expect("agents not ready");
    }

    fn apply(&self, id: &str, domains: &[&str]) {
        let ds = DesiredState {
            baselines: vec![],
            domains: domains
                .iter()
                .map(|d| Domain::new(*d, vec![Component::new("app", "2.0")]))
                .collect(),
        };
        self.client.publish(Publication::new(
            self.north.desired_state.clone(),
            Envelope::new(id, 1, ds).to_vec(),
        ));
    }

    /// Waits for the final feedback of `id`, answering consent requests with `consent`.
    async fn finish(
        &mut self,
        id: &str,
        consent: Option<ConsentStatus>,
    ) -> (Feedback, Vec<Status>) {
        let mut seen = Vec::new();
        let fb = tokio::time::timeout(LIMIT, async {
            loop {
                let (topic, payload) = self.client.next_message().await.unwrap();
                if topic == self.north.owner_consent {
                    let req = Envelope::<OwnerConsent>::from_slice(&payload).unwrap();
                    let answer = OwnerConsentFeedback {
                        status: consent.clone(),
                    };
                    self.client.publish(Publication::new(
                        self.north.owner_consent_feedback.clone(),
                        Envelope::new(req.activity_id, 2, answer).to_vec(),
                    ));
                    continue;
                }
                if topic != self.north.feedback {
                    continue;
                }
                let env = Envelope::<Feedback>::from_slice(&payload).unwrap();
                if env.activity_id != id {
                    continue;
                }
                let fb = env.payload.unwrap();
                seen.push(fb.status.clone().unwrap());
                if fb.status.as_ref().is_some_and(Status::is_final) {
                    return fb;
                }
            }
        })
        .await
        .expect("no final feedback");
        (fb, seen)
    }
}

fn manager_config(domains: &[&str]) -> ManagerConfig {
    let mut c = ManagerConfig::with_agents(domains.iter().copied());
    c.reboot_enabled = false;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_failing_its_download_ends_incomplete_while_the_other_finishes() {
    let Some(b) = broker() else { return };
    let settings = MqttSettings::new("127.0.0.1", b.port());
    let mut cloud = Cloud::connect(&settings).await;
    let m = ManagerHandle::spawn(
        &settings,
        manager_config(&["good", "bad"]),
        CloudMode::Plain,
    );
    let good = AgentHandle::spawn(&settings, "good", NoopAgent::new("good"));
    let bad = AgentHandle::spawn(
        &settings,
        "bad",
        NoopAgent::new("bad").failing(CommandKind::Download),
    );
    cloud.ready(&["good", "bad"]).await;
    cloud.apply("fail-1", &["good", "bad"]);
    let (fb, _) = cloud.finish("fail-1", None).await;
    assert_eq!(fb.status, Some(Status::Incomplete));
    assert_eq!(fb.message, "the update process is incompleted");
    let good = good.stop().await.unwrap();
    assert_eq!(
        good.agent().installed().len(),
        1,
        "the healthy domain was updated"
    );
    let bad = bad.stop().await.unwrap();
    assert!(bad.agent().installed().is_empty());
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswering_domain_hits_the_phase_timeout() {
    let Some(b) = broker() else { return };
    let settings = MqttSettings::new("127.0.0.1", b.port());
    let mut cloud = Cloud::connect(&settings).await;
    let mut cfg = manager_config(&["alive", "silent"]);
    cfg.phase_timeout = Duration::from_secs(1);
    cfg.agents.get_mut("silent").unwrap().read_timeout = Duration::from_millis(200);
    let m = ManagerHandle::spawn(&settings, cfg, CloudMode::Plain);
    let alive = AgentHandle::spawn(&settings, "alive", NoopAgent::new("alive"));
    cloud.ready(&["alive"]).await;
    cloud.apply("timeout-1", &["alive", "silent"]);
    let (fb, _) = cloud.finish("timeout-1", None).await;
    assert_eq!(fb.status, Some(Status::IdentificationFailed));
    assert_eq!(
        fb.message,
        "failed to wait for command 'DOWNLOAD' signal: not received in 1s"
    );
    alive.stop().await;
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_denying_the_update_rolls_back_and_ends_incomplete() {
    let Some(b) = broker() else { return };
    let settings = MqttSettings::new("127.0.0.1", b.port());
    let mut cloud = Cloud::connect(&settings).await;
    let mut cfg = manager_config(&["apps"]);
    cfg.owner_consent_commands = vec![CommandKind::Update];
    let m = ManagerHandle::spawn(&settings, cfg, CloudMode::Plain);
    let apps = AgentHandle::spawn(&settings, "apps", NoopAgent::new("apps"));
    cloud.ready(&["apps"]).await;
    cloud.apply("consent-1", &["apps"]);
    let (fb, _) = cloud.finish("consent-1", Some(ConsentStatus::Denied)).await;
    assert_eq!(fb.status, Some(Status::Incomplete));
    assert_eq!(
        fb.message,
        "the update process is incompleted: owner approval not granted"
    );
    let apps = apps.stop().await.unwrap();
    assert!(apps.agent().installed().is_empty(), "nothing was activated");
    m.stop().await;
}

/// A no-op agent whose download and update take a while.
struct SlowAgent(NoopAgent, Duration);

impl DomainAgent for SlowAgent {
    async fn identify(
        &mut self,
        d: &DesiredState,
        ctx: &mut PhaseContext<'_>,
    ) -> Result<Vec<Action>, AgentError> {
        self.0.identify(d, ctx).await
    }
    async fn download(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        tokio::time::sleep(self.1).await;
        self.0.download(ctx).await
    }
    async fn update(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        tokio::time::sleep(self.1).await;
        self.0.update(ctx).await
    }
    async fn activate(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.0.activate(ctx).await
    }
    async fn rollback(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.0.rollback(ctx).await
    }
    async fn cleanup(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.0.cleanup(ctx).await
    }
    async fn current_state(&mut self) -> Inventory {
        self.0.current_state().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_mid_activity_loses_no_activity() {
    let Some(mut b) = broker() else { return };
    let settings = MqttSettings::new("127.0.0.1", b.port());
    let mut cloud = Cloud::connect(&settings).await;
    let m = ManagerHandle::spawn(
        &settings,
        manager_config(&["slow", "fast"]),
        CloudMode::Plain,
    );
    let slow = AgentHandle::spawn(
        &settings,
        "slow",
        SlowAgent(NoopAgent::new("slow"), Duration::from_millis(1500)),
    );
    let fast = AgentHandle::spawn(&settings, "fast", NoopAgent::new("fast"));
    cloud.ready(&["slow", "fast"]).await;
    cloud.apply("restart-1", &["slow", "fast"]);
    // Wait for RUNNING: the slow domain is now downloading.
    tokio::time::timeout(LIMIT, async {
        loop {
            let (topic, payload) = cloud.client.next_message().await.unwrap();
            if topic == cloud.north.feedback
                && Envelope::<Feedback>::from_slice(&payload)
                    .unwrap()
                    .payload
                    .unwrap()
                    .status
                    == Some(Status::Running)
            {
                return;
            }
        }
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.restart().unwrap();
    let (fb, _) = cloud.finish("restart-1", None).await;
    assert_eq!(fb.status, Some(Status::Completed), "{fb:?}");
    let slow = slow.stop().await.unwrap();
    assert_eq!(slow.agent().0.installed().len(), 1);
    let fast = fast.stop().await.unwrap();
    assert_eq!(fast.agent().installed().len(), 1);
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn things_mode_applies_over_the_ditto_feature() {
    let Some(b) = broker() else { return };
    let settings = MqttSettings::new("127.0.0.1", b.port());
    let mut cloud = MqttClient::connect(&settings, &["e", "command///res/#"]);
    assert!(cloud.connected().await);
    // suite-connector's retained identity answer.
    cloud.publish(Publication::retained(
        "edge/thing/response",
        br#"{"deviceId":"demo:device","tenantId":"t"}"#.to_vec(),
    ));
    let m = ManagerHandle::spawn(&settings, manager_config(&["apps"]), CloudMode::Things);
    let apps = AgentHandle::spawn(&settings, "apps", NoopAgent::new("apps"));
    // Wait for the feature registration and a current state that lists the agent.
    tokio::time::timeout(LIMIT, async {
        loop {
            let (topic, payload) = cloud.next_message().await.unwrap();
            let text = String::from_utf8_lossy(&payload);
            if topic == "e"
                && text.contains("/features/UpdateManager/properties")
                && text.contains("apps-update-agent")
            {
                return;
            }
        }
    })
    .await
    .unwrap();
    let apply = serde_json::json!({
        "topic": "demo/device/things/live/messages/apply",
        "headers": {"correlation-id": "c-1", "response-required": true},
        "path": "/features/UpdateManager/inbox/messages/apply",
        "value": {"activityId": "things-1", "timestamp": 1,
                  "desiredState": {"domains": [{"id": "apps", "components": [{"id": "x", "version": "1"}]}]}}
    });
    cloud.publish(Publication::new(
        "command///req/r1/apply",
        serde_json::to_vec(&apply).unwrap(),
    ));
    let mut got_204 = false;
    let status = tokio::time::timeout(LIMIT, async {
        loop {
            let (topic, payload) = cloud.next_message().await.unwrap();
            if topic == "command///res/r1/204" {
                got_204 = true;
                continue;
            }
            if topic != "e" {
                continue;
            }
            let msg: desired_state::model::ditto::DittoMessage<
                desired_state::model::ditto::FeedbackValue,
            > = match desired_state::model::ditto::DittoMessage::from_slice(&payload) {
                Ok(m) => m,
                Err(_) => continue,
            };
            if let Some(v) = msg.value
                && v.activity_id == "things-1"
                && let Some(s) = v.desired_state_feedback.status
                && s.is_final()
            {
                return s;
            }
        }
    })
    .await
    .unwrap();
    assert!(got_204);
    assert_eq!(status, Status::Completed);
    apps.stop().await;
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_without_a_cloud_and_follow_the_events() {
    let Some(b) = broker() else { return };
    let settings = MqttSettings::new("127.0.0.1", b.port());
    let mut m = ManagerHandle::spawn(&settings, manager_config(&["fw", "apps"]), CloudMode::Plain);
    let fw = AgentHandle::spawn(&settings, "fw", NoopAgent::new("fw"));
    let apps = AgentHandle::spawn(&settings, "apps", NoopAgent::new("apps"));
    // The first merged current state (both agents answered) means all are connected.
    tokio::time::timeout(LIMIT, async {
        loop {
            if let Some(desired_state::mqtt::ManagerEvent::Cloud(
                desired_state::manager::CloudMessage::CurrentState(e),
            )) = m.next_event().await
            {
                let inv = e.payload.unwrap_or_default();
                if ["fw", "apps"].iter().all(|d| {
                    inv.software_nodes
                        .iter()
                        .any(|n| n.parameters.get("domain") == Some(d))
                }) {
                    return;
                }
            }
        }
    })
    .await
    .unwrap();
    let ds = DesiredState {
        baselines: vec![],
        domains: vec![
            Domain::new("fw", vec![Component::new("image", "2.0")]),
            Domain::new("apps", vec![Component::new("web", "1.1")]),
        ],
    };
    m.apply(Envelope::new("ddi-42", 1, ds));
    let status = tokio::time::timeout(LIMIT, async {
        loop {
            if let Some(desired_state::mqtt::ManagerEvent::Cloud(msg)) = m.next_event().await
                && let Some(s) = msg.status()
                && s.is_final()
            {
                return s.clone();
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(status, Status::Completed);
    assert_eq!(
        fw.stop().await.unwrap().agent().installed()[0].version,
        "2.0"
    );
    apps.stop().await;
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_published_while_the_broker_is_down_are_delivered_after_it_returns() {
    let Some(mut b) = broker() else { return };
    let settings = MqttSettings::new("127.0.0.1", b.port());
    let mut publisher = MqttClient::connect(&settings, &[]);
    assert!(publisher.connected().await);
    b.kill();
    // Wait until the client noticed, then publish into the outbox.
    tokio::time::timeout(LIMIT, async {
        while let Some(e) = publisher.next_event().await {
            if matches!(e, desired_state::mqtt::ConnectionEvent::Disconnected(_)) {
                return;
            }
        }
    })
    .await
    .unwrap();
    publisher.publish(Publication::retained("offline/test", b"kept".to_vec()));
    b.restart().unwrap();
    assert!(
        tokio::time::timeout(LIMIT, publisher.connected())
            .await
            .unwrap()
    );
    let mut reader = MqttClient::connect(&settings, &["offline/test"]);
    let (topic, payload) = tokio::time::timeout(LIMIT, reader.next_message())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(topic, "offline/test");
    assert_eq!(&payload[..], b"kept");
}

/// MQTT over TLS (feature `mqtt-tls`) against Mosquitto with a TLS-only
/// listener that requires client certificates.
#[cfg(feature = "mqtt-tls")]
mod tls {
    use super::*;
    use desired_state::mqtt::TlsSettings;
    use testkit::ddi::test_pki;
    use testkit::peers::MosquittoTls;

    fn tls_broker() -> Option<Mosquitto> {
        Mosquitto::start_with(&MosquittoOptions {
            tcp_nodelay: true,
            tls: Some(MosquittoTls::test_pki(true)),
        })
    }

    fn settings(port: u16, ca: &str, identity: Option<(&str, &str)>) -> MqttSettings {
        let mut s = MqttSettings::new("127.0.0.1", port);
        s.tls = Some(TlsSettings {
            ca_pem: ca.as_bytes().to_vec(),
            client_auth: identity.map(|(c, k)| (c.as_bytes().to_vec(), k.as_bytes().to_vec())),
        });
        s
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_activity_completes_over_tls_with_client_certificates() {
        let Some(b) = tls_broker() else { return };
        let settings = settings(
            b.port(),
            test_pki::CA_CERT,
            Some((test_pki::DEV1_CERT, test_pki::DEV1_KEY)),
        );
        let mut cloud = Cloud::connect(&settings).await;
        let m = ManagerHandle::spawn(&settings, manager_config(&["apps"]), CloudMode::Plain);
        let apps = AgentHandle::spawn(&settings, "apps", NoopAgent::new("apps"));
        cloud.ready(&["apps"]).await;
        cloud.apply("tls-1", &["apps"]);
        let (fb, _) = cloud.finish("tls-1", None).await;
        assert_eq!(fb.status, Some(Status::Completed));
        let apps = apps.stop().await.unwrap();
        assert_eq!(apps.agent().installed().len(), 1);
        m.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_connection_without_a_client_certificate_or_with_the_wrong_ca() {
        let Some(b) = tls_broker() else { return };
        // The broker wants a client certificate.
        let no_cert = settings(b.port(), test_pki::CA_CERT, None);
        let mut client = MqttClient::connect(&no_cert, &["x"]);
        let connected = tokio::time::timeout(Duration::from_secs(2), client.connected()).await;
        assert!(
            !matches!(connected, Ok(true)),
            "connected without a certificate"
        );
        // The broker's certificate does not chain to this "CA".
        let wrong_ca = settings(
            b.port(),
            test_pki::DEV2_CERT,
            Some((test_pki::DEV1_CERT, test_pki::DEV1_KEY)),
        );
        let mut client = MqttClient::connect(&wrong_ca, &["x"]);
        let connected = tokio::time::timeout(Duration::from_secs(2), client.connected()).await;
        assert!(!matches!(connected, Ok(true)), "trusted an unknown server");
        // Unusable TLS material: a typed error up front, and a connection
        // that gives up at once instead of panicking or going plain TCP.
        let garbage = settings(b.port(), "not a certificate", None);
        let err = garbage.tls.as_ref().unwrap().client_config().unwrap_err();
        assert!(
            err.to_string().starts_with("unusable tls settings"),
            "{err}"
        );
        let mut client = MqttClient::connect(&garbage, &["x"]);
        let connected = tokio::time::timeout(Duration::from_secs(2), client.connected()).await;
        assert_eq!(connected, Ok(false), "the connection gives up at once");
        let bad_key = settings(
            b.port(),
            test_pki::CA_CERT,
            Some((test_pki::DEV1_CERT, test_pki::DEV2_KEY)),
        );
        let err = bad_key.tls.as_ref().unwrap().client_config().unwrap_err();
        assert!(!err.to_string().contains("PRIVATE"), "{err}");
        // A plain-TCP client gets nowhere on a TLS listener.
        let plain = MqttSettings::new("127.0.0.1", b.port());
        let mut client = MqttClient::connect(&plain, &["x"]);
        let connected = tokio::time::timeout(Duration::from_secs(2), client.connected()).await;
        assert!(!matches!(connected, Ok(true)), "plain TCP accepted");
    }
}

fn chatty_options(port: u16) -> HarnessOptions {
    let mut options = HarnessOptions::new(port);
    options.chatty = true;
    options
}
