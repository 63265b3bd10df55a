//! Stage 3 of the demo: the device runs Kanto-style update orchestration.
//!
//! The DDI deployment becomes a desired state with one domain per software
//! module (`firmware`, `containers`). A `desired-state` update manager
//! orchestrates it over a broker local to the device (testkit's embedded
//! MQTT broker, so no installed broker is needed), with two domain agents:
//! the firmware agent flashes the image on to the microcontroller over
//! `dfu-protocol` ([`crate::mcu`]), and a simulated containers agent.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ddi_client::model::DeploymentBase;
use desired_state::agent::{AgentError, DomainAgent, NoopAgent, PhaseContext};
use desired_state::manager::{CloudMessage, ManagerConfig};
use desired_state::model::{
    Action, ActionStatus, Association, Component, ComponentRef, DesiredState, Domain, Envelope,
    Inventory, SoftwareNode, SoftwareType, Status,
};
use desired_state::mqtt::{AgentHandle, CloudMode, ManagerEvent, ManagerHandle, MqttSettings};

use crate::mcu::{self, Health, McuReport};

/// The domain of firmware modules.
pub const FIRMWARE: &str = "firmware";
/// The domain of container modules.
pub const CONTAINERS: &str = "containers";

/// How one activity ended.
#[derive(Debug, Clone)]
pub struct ActivityReport {
    /// The final status the manager reported (COMPLETED, INCOMPLETE, …).
    pub status: Status,
    /// What the microcontroller did, if the firmware domain got that far.
    pub mcu: Option<McuReport>,
    /// Components per domain, as `domain:id version`.
    pub components: Vec<String>,
}

/// The desired state for a DDI deployment: a chunk whose `part` names a
/// container module goes to the containers domain, every other chunk to the
/// firmware domain; each component carries the path of its verified file.
pub fn desired_state(deployment: &DeploymentBase, files: &[PathBuf]) -> DesiredState {
    let mut firmware = Vec::new();
    let mut containers = Vec::new();
    let mut paths = files.iter();
    for chunk in &deployment.deployment.chunks {
        let mut component = Component::new(chunk.name.clone(), chunk.version.clone());
        for _ in &chunk.artifacts {
            if let Some(path) = paths.next() {
                component.config.push("file", path.display().to_string());
            }
        }
        if chunk.part.contains("container") {
            containers.push(component);
        } else {
            firmware.push(component);
        }
    }
    DesiredState {
        baselines: vec![],
        domains: vec![
            Domain::new(FIRMWARE, firmware),
            Domain::new(CONTAINERS, containers),
        ],
    }
}

/// Runs one activity for `desired` on a fresh local broker, manager and
/// agents; the microcontroller's health check behaves as `health`.
pub async fn run_activity(
    activity_id: &str,
    desired: DesiredState,
    health: Health,
    limit: Duration,
) -> Result<ActivityReport, String> {
    let broker = testkit::broker::Broker::start()
        .await
        .map_err(|e| format!("cannot start the local broker: {e}"))?;
    let settings = MqttSettings::new("127.0.0.1", broker.port());
    let mut manager = ManagerHandle::spawn(
        &settings,
        ManagerConfig::with_agents([FIRMWARE, CONTAINERS]),
        CloudMode::Plain,
    );
    let mcu_report = Arc::new(Mutex::new(None));
    let firmware = AgentHandle::spawn(
        &settings,
        FIRMWARE,
        McuAgent::new(health, Arc::clone(&mcu_report)),
    );
    let containers = AgentHandle::spawn(&settings, CONTAINERS, NoopAgent::new(CONTAINERS));
    let components = desired
        .domains
        .iter()
        .flat_map(|d| {
            d.components
                .iter()
                .map(move |c| format!("{}:{} {}", d.id, c.id, c.version))
        })
        .collect();

    let outcome = tokio::time::timeout(limit, async {
        wait_for_agents(&mut manager).await?;
        manager.apply(Envelope::new(
            activity_id,
            desired_state::agent::system_clock_ms(),
            desired,
        ));
        while let Some(event) = manager.next_event().await {
            if let ManagerEvent::Cloud(message) = event
                && let Some(status) = message.status()
                && status.is_final()
            {
                return Ok(status.clone());
            }
        }
        Err("the update manager stopped".to_owned())
    })
    .await
    .unwrap_or_else(|_| Err(format!("no final status within {limit:?}")));

    firmware.stop().await;
    containers.stop().await;
    manager.stop().await;
    broker.stop().await;
    let mcu = mcu_report.lock().ok().and_then(|g| g.clone());
    Ok(ActivityReport {
        status: outcome?,
        mcu,
        components,
    })
}

/// The first merged current state naming both domains means every agent is
/// connected and subscribed.
async fn wait_for_agents(manager: &mut ManagerHandle) -> Result<(), String> {
    while let Some(event) = manager.next_event().await {
        if let ManagerEvent::Cloud(CloudMessage::CurrentState(state)) = event {
            let inventory = state.payload.unwrap_or_default();
            let has = |domain: &str| {
                inventory
                    .software_nodes
                    .iter()
                    .any(|n| n.parameters.get("domain") == Some(domain))
            };
            if has(FIRMWARE) && has(CONTAINERS) {
                return Ok(());
            }
        }
    }
    Err("the update manager stopped before the agents connected".into())
}

/// The firmware domain agent: flashes its component's file on to the
/// microcontroller in the UPDATE phase and fails that phase, with the
/// bootloader's diagnostics, when the microcontroller rolls the image back.
#[derive(Debug)]
struct McuAgent {
    health: Health,
    pending: Vec<Component>,
    installed: Vec<Component>,
    report: Arc<Mutex<Option<McuReport>>>,
}

impl McuAgent {
    fn new(health: Health, report: Arc<Mutex<Option<McuReport>>>) -> Self {
        Self {
            health,
            pending: Vec::new(),
            installed: Vec::new(),
            report,
        }
    }
}

impl DomainAgent for McuAgent {
    async fn identify(
        &mut self,
        desired: &DesiredState,
        _ctx: &mut PhaseContext<'_>,
    ) -> Result<Vec<Action>, AgentError> {
        self.pending = desired
            .domain(FIRMWARE)
            .map(|d| d.components.clone())
            .unwrap_or_default();
        Ok(self
            .pending
            .iter()
            .map(|c| {
                Action::new(
                    ComponentRef::new(format!("{FIRMWARE}:{}", c.id), c.version.clone()),
                    ActionStatus::Identified,
                )
                .with_message("Firmware will be flashed on to the microcontroller.")
            })
            .collect())
    }

    async fn download(&mut self, _ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        // The DDI client already downloaded and verified every file.
        Ok(())
    }

    async fn update(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        for (index, component) in self.pending.clone().iter().enumerate() {
            let Some(file) = component.config.get("file") else {
                return Err(AgentError::new(format!(
                    "component {} names no file",
                    component.id
                )));
            };
            let image = tokio::fs::read(file)
                .await
                .map_err(|e| AgentError::new(format!("cannot read {file}: {e}")))?;
            let health = self.health;
            let report = tokio::task::spawn_blocking(move || {
                let factory = mcu::factory_image(image.len());
                mcu::deliver(&factory, &image, health)
            })
            .await
            .map_err(|e| AgentError::new(format!("mcu simulation stopped: {e}")))?;
            if let Ok(mut slot) = self.report.lock() {
                *slot = Some(report.clone());
            }
            if !report.confirmed {
                return Err(AgentError::new(report.summary));
            }
            ctx.set_action(index, ActionStatus::Updating, 100, &report.summary);
            ctx.report_progress();
        }
        Ok(())
    }

    async fn activate(&mut self, _ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.installed = std::mem::take(&mut self.pending);
        Ok(())
    }

    async fn rollback(&mut self, _ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.pending.clear();
        Ok(())
    }

    async fn cleanup(&mut self, _ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.pending.clear();
        Ok(())
    }

    async fn current_state(&mut self) -> Inventory {
        let root = format!("{FIRMWARE}-update-agent");
        let mut inventory = Inventory::default();
        inventory.software_nodes.push(SoftwareNode::agent_root(
            root.clone(),
            "Microcontroller Update Agent (dfu-protocol)",
            env!("CARGO_PKG_VERSION"),
            FIRMWARE,
        ));
        for c in &self.installed {
            let id = format!("{FIRMWARE}:{}", c.id);
            inventory.software_nodes.push(SoftwareNode {
                id: id.clone(),
                version: c.version.clone(),
                kind: Some(SoftwareType::Image),
                ..SoftwareNode::default()
            });
            inventory
                .associations
                .push(Association::new(root.clone(), id));
        }
        inventory
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddi_client::model::Document;

    #[test]
    fn modules_map_to_domains_by_part_and_carry_their_files() {
        let deployment = DeploymentBase::from_json(
            br#"{"id":"9","deployment":{"download":"forced","update":"forced","chunks":[
                {"part":"firmware","version":"2.0.0","name":"fw","artifacts":[{"filename":"fw.bin","size":3}]},
                {"part":"containers","version":"1.4.0","name":"telemetry","artifacts":[{"filename":"t.json","size":2}]}]}}"#,
        )
        .unwrap();
        let files = [
            PathBuf::from("/slot/0/fw.bin"),
            PathBuf::from("/slot/1/t.json"),
        ];
        let desired = desired_state(&deployment, &files);
        let firmware = desired.domain(FIRMWARE).unwrap();
        assert_eq!(firmware.components.len(), 1);
        assert_eq!(firmware.components[0].version, "2.0.0");
        assert_eq!(
            firmware.components[0].config.get("file"),
            Some("/slot/0/fw.bin")
        );
        let containers = desired.domain(CONTAINERS).unwrap();
        assert_eq!(containers.components[0].id, "telemetry");
        assert_eq!(
            containers.components[0].config.get("file"),
            Some("/slot/1/t.json")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rolled_back_firmware_makes_the_activity_incomplete() {
        let dir = tempfile::tempdir().unwrap();
        let fw = dir.path().join("fw.bin");
        std::fs::write(&fw, vec![7_u8; 40 * 1024]).unwrap();
        let mut component = Component::new("fw", "2.0.0");
        component.config.push("file", fw.display().to_string());
        let desired = DesiredState {
            baselines: vec![],
            domains: vec![
                Domain::new(FIRMWARE, vec![component]),
                Domain::new(CONTAINERS, vec![Component::new("web", "1.1")]),
            ],
        };
        let limit = Duration::from_secs(30);
        let ok = run_activity("a-ok", desired.clone(), Health::Passes, limit)
            .await
            .unwrap();
        assert_eq!(ok.status, Status::Completed);
        assert!(ok.mcu.is_some_and(|m| m.confirmed));
        let bad = run_activity("a-bad", desired, Health::Fails, limit)
            .await
            .unwrap();
        assert_eq!(bad.status, Status::Incomplete);
        assert!(
            bad.mcu
                .is_some_and(|m| !m.confirmed && m.summary.contains("rolled back"))
        );
    }
}
