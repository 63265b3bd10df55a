//! A ready-made fleet for benchmarks and demos: one manager (plain mode) and
//! five [`NoopAgent`] domains on a broker, driven like a cloud would: publish
//! a desired state, wait for its final feedback.

use std::time::{Duration, Instant};

use super::{AgentHandle, CloudMode, ManagerHandle, MqttClient, MqttSettings};
use crate::agent::NoopAgent;
use crate::manager::ManagerConfig;
use crate::model::{Component, DesiredState, Domain, Envelope, Feedback, Status};
use crate::publication::Publication;
use crate::topic::Topics;

/// The five domains of the harness.
pub const DOMAINS: [&str; 5] = [
    "containers",
    "firmware",
    "applications",
    "os",
    "configuration",
];

/// Options of [`ActivityHarness`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HarnessOptions {
    /// Broker host. Default `127.0.0.1`.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Agents send a progress message per action in every phase. Default false.
    pub chatty: bool,
    /// Our sockets set TCP_NODELAY. Default true.
    pub tcp_nodelay: bool,
    /// Longest wait for one activity. Default 120 s.
    pub timeout: Duration,
}

impl HarnessOptions {
    /// Options for a broker on 127.0.0.1:`port`.
    pub fn new(port: u16) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port,
            chatty: false,
            tcp_nodelay: true,
            timeout: Duration::from_secs(120),
        }
    }
}

/// The result of one activity.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityOutcome {
    /// From publishing the desired state to receiving the final feedback.
    pub elapsed: Duration,
    /// The final feedback.
    pub feedback: Feedback,
}

impl ActivityOutcome {
    /// Whether the activity ended COMPLETED.
    pub fn completed(&self) -> bool {
        self.feedback.status == Some(Status::Completed)
    }
}

/// Why a harness run failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// No final feedback in time.
    #[error("no final feedback within {0:?}")]
    Timeout(Duration),
    /// The connection to the broker ended.
    #[error("the cloud-side connection ended")]
    Disconnected,
}

/// One manager, five no-op agents and a cloud-side client, kept running
/// between activities.
#[derive(Debug)]
pub struct ActivityHarness {
    manager: ManagerHandle,
    agents: Vec<AgentHandle<NoopAgent>>,
    cloud: MqttClient,
    feedback_topic: String,
    timeout: Duration,
    runs: u64,
}

/// A desired state of `components` components spread over [`DOMAINS`].
pub fn desired_state(components: usize) -> DesiredState {
    let mut domains: Vec<Domain> = DOMAINS
        .iter()
        .map(|d| Domain::new(*d, Vec::new()))
        .collect();
    for i in 0..components {
        if let Some(d) = domains.get_mut(i % DOMAINS.len()) {
            d.components
                .push(Component::new(format!("component-{i}"), "1.0.0"));
        }
    }
    DesiredState {
        baselines: Vec::new(),
        domains,
    }
}

impl ActivityHarness {
    /// Starts everything and waits until the manager has heard from all five
    /// agents (its first merged current state is published).
    pub async fn start(options: &HarnessOptions) -> Result<Self, HarnessError> {
        let mut settings = MqttSettings::new(options.host.clone(), options.port);
        settings.tcp_nodelay = options.tcp_nodelay;
        let mut config = ManagerConfig::with_agents(DOMAINS);
        config.reboot_enabled = false;
        let north = Topics::for_domain(&config.domain);
        let mut cloud = MqttClient::connect(&settings, &[&north.feedback, &north.current_state]);
        if !cloud.connected().await {
            return Err(HarnessError::Disconnected);
        }
        let manager = ManagerHandle::spawn(&settings, config, CloudMode::Plain);
        let agents = DOMAINS
            .iter()
            .map(|d| AgentHandle::spawn(&settings, d, NoopAgent::new(*d).chatty(options.chatty)))
            .collect();
        // The broker may hold a retained inventory from an earlier manager:
        // only one published after this start counts.
        let since = crate::agent::system_clock_ms();
        let ready = async {
            loop {
                let (topic, payload) = cloud.next_message().await?;
                if topic != north.current_state {
                    continue;
                }
                let Ok(env) = Envelope::<crate::model::Inventory>::from_slice(&payload) else {
                    continue;
                };
                if env.timestamp < since {
                    continue;
                }
                let inv = env.payload.unwrap_or_default();
                if DOMAINS.iter().all(|d| {
                    inv.software_nodes
                        .iter()
                        .any(|n| n.parameters.get("domain") == Some(d))
                }) {
                    return Some(());
                }
            }
        };
        match tokio::time::timeout(options.timeout, ready).await {
            Ok(Some(())) => {}
            Ok(None) => return Err(HarnessError::Disconnected),
            Err(_) => return Err(HarnessError::Timeout(options.timeout)),
        }
        Ok(Self {
            manager,
            agents,
            cloud,
            feedback_topic: north.feedback,
            timeout: options.timeout,
            runs: 0,
        })
    }

    /// Publishes a desired state of `components` components and waits for its
    /// final feedback (COMPLETED, INCOMPLETE or IDENTIFICATION_FAILED).
    pub async fn run(&mut self, components: usize) -> Result<ActivityOutcome, HarnessError> {
        self.runs += 1;
        let id = format!("harness-{}-{}", std::process::id(), self.runs);
        let payload = Envelope::new(
            id.clone(),
            crate::agent::system_clock_ms(),
            desired_state(components),
        )
        .to_vec();
        let topic = Topics::for_domain("device").desired_state;
        let started = Instant::now();
        self.cloud.publish(Publication::new(topic, payload));
        let wait = async {
            loop {
                let (topic, payload) = self.cloud.next_message().await?;
                if topic != self.feedback_topic {
                    continue;
                }
                let Ok(env) = Envelope::<Feedback>::from_slice(&payload) else {
                    continue;
                };
                if env.activity_id != id {
                    continue;
                }
                let fb = env.payload.unwrap_or_default();
                if fb.status.as_ref().is_some_and(Status::is_final) {
                    return Some(fb);
                }
            }
        };
        match tokio::time::timeout(self.timeout, wait).await {
            Ok(Some(feedback)) => Ok(ActivityOutcome {
                elapsed: started.elapsed(),
                feedback,
            }),
            Ok(None) => Err(HarnessError::Disconnected),
            Err(_) => Err(HarnessError::Timeout(self.timeout)),
        }
    }

    /// Stops the manager and the agents.
    pub async fn stop(self) {
        self.manager.stop().await;
        for a in self.agents {
            a.stop().await;
        }
        self.cloud.stop();
    }
}

/// Runs one activity of `components` components across five no-op domains on
/// the broker at `options.port` and returns the time from publishing the
/// desired state to its final feedback.
pub async fn run_activity(
    options: &HarnessOptions,
    components: usize,
) -> Result<ActivityOutcome, HarnessError> {
    let mut h = ActivityHarness::start(options).await?;
    let out = h.run(components).await;
    h.stop().await;
    out
}
