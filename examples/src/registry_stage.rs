//! fleet-demo's registry stage: devices onboarded in an IoT Hub become
//! hawkBit targets through `registry-sync`, receive the release over DDI,
//! and a device deleted from the hub is disabled in hawkBit, not lost.
//!
//! The hub is testkit's IoT Hub simulator, reached through
//! [`IotHubRegistry`] (REST, SAS tokens); hawkBit is the DDI simulator of the
//! earlier stages, whose Management API [`HawkbitRegistry`] writes targets,
//! metadata and soft-delete marks, and whose DDI `configData` takes the
//! reported properties as target attributes under a gateway token.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ddi_client::{Auth, Client};
use registry_sync::connectors::hawkbit::{HawkbitConfig, HawkbitRegistry};
use registry_sync::connectors::iothub::{ConnectionString, IotHubConfig, IotHubRegistry};
use registry_sync::model::Secret;
use registry_sync::plan::{Field, FieldSet, Precondition, Removal, ReportedAsAttributes};
use registry_sync::{DeviceId, DeviceRecord, Engine, ExternalRegistry, Planner, Policy, Scope};
use serde_json::json;
use testkit::ddi::{ActionId, ActionStatus, Assignment, DdiServer, DistributionId};
use testkit::iothub::IotHubServer;

use crate::slot_installer::SlotInstaller;

/// The Management API login the stage configures on the DDI simulator.
pub const MGMT_USER: &str = "registry-sync";
const MGMT_PASSWORD: &str = "demo-mgmt-password";
/// The DDI gateway token the connector writes attributes with.
pub const GATEWAY_TOKEN: &str = "demo-gateway-token";
/// The hub's name, also the ownership tag value in hawkBit.
pub const HUB: &str = "fleet-hub";

/// What happened to one hub device.
#[derive(Debug, Clone)]
pub struct HubDeviceRow {
    /// The device id, in the hub and in hawkBit.
    pub id: String,
    /// Whether it is still in the hub.
    pub in_hub: bool,
    /// The hawkBit target's state: `enabled`, `disabled: <reason>`, or `missing`.
    pub target: String,
    /// Its target attributes (from the hub's reported properties).
    pub attributes: String,
    /// Its action's final status on the DDI side.
    pub action: Option<ActionStatus>,
}

/// The stage's outcome.
#[derive(Debug, Clone)]
pub struct RegistryStageReport {
    /// One row per hub device.
    pub rows: Vec<HubDeviceRow>,
    /// The device removed from the hub.
    pub deleted: String,
    /// Operations of the first sync (created targets).
    pub created: usize,
    /// Operations of the second sync (disabled targets).
    pub disabled: usize,
}

impl RegistryStageReport {
    /// Whether everything went as the stage intends: every hub device is a
    /// target that finished the release; the deleted one is disabled with its
    /// history kept.
    pub fn as_intended(&self) -> bool {
        self.rows.iter().all(|r| {
            let target_ok = if r.id == self.deleted {
                !r.in_hub && r.target.starts_with("disabled")
            } else {
                r.in_hub && r.target == "enabled"
            };
            target_ok && r.action == Some(ActionStatus::Finished) && !r.attributes.is_empty()
        })
    }
}

/// Runs the stage against `server` (whose tenant `DEFAULT` must accept
/// target tokens and [`GATEWAY_TOKEN`]): `devices` new devices are created
/// in a simulated hub, synced, updated with `distribution`, and the last one
/// is deleted from the hub and synced again.
pub async fn run(
    server: &DdiServer,
    distribution: DistributionId,
    devices: usize,
    work: &Path,
    timeout: Duration,
) -> Result<RegistryStageReport, String> {
    server.add_mgmt_user("DEFAULT", MGMT_USER, MGMT_PASSWORD);
    let hub_server = IotHubServer::start(HUB);
    let cs = hub_server
        .connection_string(None)
        .ok_or("the hub simulator has no access policy")?;
    let cs = ConnectionString::parse(&cs).map_err(|e| format!("hub connection string: {e}"))?;
    let hub: Arc<IotHubRegistry> = Arc::new(
        IotHubRegistry::new(IotHubConfig::new(cs).base_url(hub_server.url()))
            .map_err(|e| format!("hub connector: {e}"))?,
    );

    // Onboarding: devices created in the hub through its REST API, each then
    // reporting its running firmware as a device would.
    let ids: Vec<String> = (1..=devices.max(1))
        .map(|i| format!("hub-sensor-{i:02}"))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let site = if i % 2 == 0 { "north" } else { "south" };
        hub.create(&DeviceRecord::new(id.as_str()).with_tag("site", site))
            .await
            .map_err(|e| format!("creating {id} in the hub: {e}"))?;
        let reported = json!({"firmware": {"version": "1.0.0"}, "hw": "rev-b"});
        if let serde_json::Value::Object(patch) = reported {
            hub_server.report(id, &patch);
        }
    }
    println!(
        "IoT Hub {HUB} at {}: {} devices onboarded ({})",
        hub_server.url(),
        ids.len(),
        ids.join(", ")
    );

    let mut hawkbit_config = HawkbitConfig::new(
        server.url(),
        "DEFAULT",
        MGMT_USER,
        Secret::new(MGMT_PASSWORD),
    );
    hawkbit_config.gateway_token(Secret::new(GATEWAY_TOKEN));
    // The sync leaves tokens alone: hawkBit generates them, the hub's keys
    // are its own (IoT Hub listings carry no keys).
    let tenant = Arc::new(
        HawkbitRegistry::new(hawkbit_config.clone().read_tokens(false))
            .map_err(|e| format!("hawkBit: {e}"))?,
    );
    let mut policy = Policy::new(Scope::tag("managedBy", HUB));
    policy
        .removal(Removal::Disable {
            reason: format!("deleted from IoT Hub {HUB}").into(),
        })
        .fields(FieldSet::all().without(Field::Credentials));
    let planner = Planner::new(&policy, Arc::new(ReportedAsAttributes))
        .map_err(|e| format!("planner: {e}"))?;
    let engine = Engine::builder(hub.clone(), tenant.clone(), planner)
        .build()
        .map_err(|e| format!("engine: {e}"))?;
    let first = engine
        .sync_once()
        .await
        .map_err(|e| format!("first sync: {e}"))?;
    println!(
        "sync {HUB} -> hawkBit: {} targets created (reported properties became attributes)",
        first.created
    );

    // Provisioning reads each new target's token; the rollout goes to every
    // target the sync owns.
    let provisioning = HawkbitRegistry::new(hawkbit_config.read_tokens(true))
        .map_err(|e| format!("hawkBit: {e}"))?;
    let mut actions: Vec<(String, ActionId)> = Vec::new();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut agents = Vec::new();
    for id in &ids {
        let target = provisioning
            .get(&DeviceId::new(id.as_str()))
            .await
            .map_err(|e| format!("reading target {id}: {e}"))?
            .ok_or_else(|| format!("target {id} was not created"))?;
        if target.tags.get("managedBy") != Some(HUB) {
            return Err(format!("target {id} is not owned by the sync"));
        }
        let token = target
            .credentials
            .as_ref()
            .map(|c| c.expose_primary().to_owned())
            .ok_or_else(|| format!("target {id} has no security token"))?;
        actions.push((
            id.clone(),
            server.assign(id, distribution, &Assignment::default()),
        ));
        let client = Client::builder(server.url(), "DEFAULT")
            .auth(Auth::TargetToken(token))
            .build()
            .map_err(|e| format!("client for {id}: {e}"))?;
        let controller = client.controller(id).map_err(|e| format!("{id}: {e}"))?;
        let dir = work.join(id);
        agents.push(crate::demo_agent::spawn(
            controller,
            SlotInstaller::new(dir.join("slot-b"), None),
            &dir.join("agent"),
            stop_rx.clone(),
        )?);
    }
    let deadline = Instant::now() + timeout;
    while !actions
        .iter()
        .all(|(_, a)| server.action(*a).is_some_and(|a| !a.active))
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
    for agent in agents {
        let _ = agent.await;
    }
    println!("rollout: the new targets polled with their tokens and installed the release");

    // Offboarding: the last device leaves the hub; hawkBit keeps it disabled.
    let deleted = ids.last().cloned().unwrap_or_default();
    hub.delete(&DeviceId::new(deleted.as_str()), &Precondition::Any)
        .await
        .map_err(|e| format!("deleting {deleted} from the hub: {e}"))?;
    let second = engine
        .sync_once()
        .await
        .map_err(|e| format!("second sync: {e}"))?;
    println!(
        "{deleted} deleted from the hub; sync: {} target disabled, none deleted",
        second.disabled
    );

    let mut rows = Vec::new();
    for (id, action) in &actions {
        let target = tenant
            .get(&DeviceId::new(id.as_str()))
            .await
            .map_err(|e| format!("reading target {id}: {e}"))?;
        let state = match &target {
            None => "missing".to_owned(),
            Some(t) => match &t.status {
                registry_sync::model::DeviceStatus::Disabled { reason } => {
                    format!("disabled: {}", reason.as_deref().unwrap_or("no reason"))
                }
                _ => "enabled".to_owned(),
            },
        };
        let attributes = target
            .as_ref()
            .map(|t| {
                t.attributes
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        rows.push(HubDeviceRow {
            id: id.clone(),
            in_hub: hub_server.identity(id).is_some(),
            target: state,
            attributes,
            action: server.action(*action).map(|a| a.status),
        });
    }
    Ok(RegistryStageReport {
        rows,
        deleted,
        created: first.created,
        disabled: second.disabled,
    })
}
