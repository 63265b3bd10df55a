//! The fleet-update end-to-end demo: `cargo run --release -p examples --bin fleet-demo`.
//!
//! Stage 1 (ddi-client): an in-process hawkBit DDI server (testkit's
//! simulator) gets a firmware deployment for a handful of simulated devices.
//! Each device runs the `ddi-client` update loop: it polls, downloads the
//! artifact with a progress bar, verifies its SHA-256 while streaming,
//! installs it into its inactive slot and reports success. A table then
//! shows what the server recorded for each device.
//!
//! Stage 2 (dfu-protocol): installing means flashing the firmware on to the
//! device's microcontroller over `dfu-protocol` (session, wire frames, updater,
//! flash simulator, bootloader). One microcontroller's application fails its
//! health check: its bootloader retries the image, rolls back to the previous
//! one, and the device reports the diagnostics to the server as a failure.
//!
//! Stage 3 (desired-state): the deployment carries a firmware module and a
//! containers module. Each device hands it to its own update manager as a
//! desired state (over an embedded MQTT broker, so no broker needs to be
//! installed); the manager orchestrates the firmware domain, whose agent does
//! the stage-2 flashing, and a simulated containers domain. The failing
//! microcontroller makes its activity INCOMPLETE.
//!
//! Stage 4 (registry-sync): devices onboarded in a simulated Azure IoT Hub
//! are synced into hawkBit as targets (tags as metadata, reported
//! properties as attributes), poll with their tokens and install the same
//! release; a device deleted from the hub is disabled in hawkBit, its target
//! and history kept.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ddi_client::{Auth, Client};
use desired_state::model::Status;
use examples::mcu::Health;
use examples::slot_installer::SlotInstaller;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use testkit::ddi::{
    ActionStatus, ArtifactSpec, Assignment, DdiServer, Deployment, ModuleSpec, TenantConfig,
};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "End-to-end fleet update against in-process simulated peers")]
struct Options {
    /// Number of simulated devices.
    #[arg(long, default_value_t = 5)]
    devices: usize,
    /// Size of the firmware image in MiB.
    #[arg(long, default_value_t = 2)]
    image_mib: u64,
    /// Which device's microcontroller fails its health check (1-based; 0 for none).
    #[arg(long, default_value_t = 3)]
    failing_mcu: usize,
    /// Number of devices onboarded in the simulated IoT Hub (stage 4).
    #[arg(long, default_value_t = 3)]
    hub_devices: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    examples::logging::init("warn");
    match run(&options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet-demo: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options) -> Result<(), String> {
    println!(
        "== stage 1: hawkBit DDI rollout to {} simulated devices ==",
        options.devices
    );
    let tenant = TenantConfig {
        // stage 4 writes target attributes through DDI under this token
        gateway_token: Some(examples::registry_stage::GATEWAY_TOKEN.to_owned()),
        polling_time: Duration::from_secs(1),
        min_polling_time: Duration::from_secs(1),
        ..TenantConfig::default()
    };
    let server = DdiServer::builder().tenant("DEFAULT", tenant).start();
    let devices: Vec<String> = (1..=options.devices)
        .map(|i| format!("device-{i:02}"))
        .collect();
    for device in &devices {
        server.register_controller(device, Some(&format!("token-{device}")));
    }
    let image = ArtifactSpec::generated("firmware-2.0.0.bin", options.image_mib << 20, 2026);
    let firmware = server.create_module(
        ModuleSpec::new("firmware", "2.0.0")
            .part("firmware")
            .artifact(image),
    );
    let compose = ArtifactSpec::new(
        "telemetry-agent.json",
        &br#"{"image":"registry.local/telemetry-agent:1.4.0"}"#[..],
    );
    let containers = server.create_module(
        ModuleSpec::new("telemetry-agent", "1.4.0")
            .part("containers")
            .artifact(compose),
    );
    let distribution =
        server.create_distribution("fleet-release", "2026.11", &[firmware, containers]);
    let deployment = Deployment {
        module: firmware,
        distribution,
        actions: devices
            .iter()
            .map(|d| server.assign(d, distribution, &Assignment::default()))
            .collect(),
    };
    let module = server
        .module(deployment.module)
        .ok_or("the deployed module vanished")?;
    let sha256 = module
        .artifacts
        .first()
        .map(|a| a.hashes.sha256.clone())
        .unwrap_or_default();
    println!(
        "server at {}: firmware 2.0.0 ({} MiB, sha256 {}…) and telemetry-agent 1.4.0 assigned, actions {:?}",
        server.url(),
        options.image_mib,
        sha256.get(..16).unwrap_or(&sha256),
        deployment.actions
    );

    let work = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
    let bars = MultiProgress::new();
    let style =
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {bytes:>10}/{total_bytes:<10} {msg}")
            .map_err(|e| format!("bad progress template: {e}"))?
            .progress_chars("=> ");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut agents = Vec::new();
    let mut installers = Vec::new();
    for (index, device) in devices.iter().enumerate() {
        let health = if index + 1 == options.failing_mcu {
            Health::Fails
        } else {
            Health::Passes
        };
        let client = Client::builder(server.url(), "DEFAULT")
            .auth(Auth::TargetToken(format!("token-{device}")))
            .build()
            .map_err(|e| format!("client for {device}: {e}"))?;
        let controller = client
            .controller(device)
            .map_err(|e| format!("{device}: {e}"))?;
        let bar = bars.add(
            ProgressBar::new(0)
                .with_style(style.clone())
                .with_prefix(device.clone()),
        );
        let dir = work.path().join(device);
        let installer =
            Arc::new(SlotInstaller::new(dir.join("slot-b"), Some(bar)).with_update_manager(health));
        installers.push((device.clone(), Arc::clone(&installer)));
        agents.push(examples::demo_agent::spawn(
            controller,
            SharedInstaller(installer),
            &dir.join("agent"),
            stop_rx.clone(),
        )?);
    }

    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.timeout_secs);
    let finished = loop {
        let done = deployment
            .actions
            .iter()
            .filter(|id| server.action(**id).is_some_and(|a| !a.active))
            .count();
        if done == deployment.actions.len() {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = stop_tx.send(true);
    for agent in agents {
        let _ = agent.await;
    }
    bars.clear()
        .map_err(|e| format!("cannot clear the progress bars: {e}"))?;

    println!(
        "\n{:<10} {:>6} {:<9} {:>10} {:<12} {:>7}  microcontroller",
        "device", "action", "server", "slot", "manager", "dfu"
    );
    let mut expected = finished;
    let mut diagnostics = Vec::new();
    for (index, ((device, installer), action_id)) in
        installers.iter().zip(&deployment.actions).enumerate()
    {
        let action = server.action(*action_id);
        let status = action.as_ref().map(|a| a.status);
        // The failing microcontroller must end as a reported failure with its
        // diagnostics; every other device must finish.
        let must_fail = index + 1 == options.failing_mcu;
        let wanted = if must_fail {
            ActionStatus::Error
        } else {
            ActionStatus::Finished
        };
        let installed = installer.installed();
        let recorded = action
            .as_ref()
            .and_then(|a| a.history.last())
            .map(|e| e.messages.join("; "))
            .unwrap_or_default();
        let diagnosed = !must_fail || recorded.contains("rolled back");
        expected &= status == Some(wanted) && diagnosed;
        if must_fail {
            diagnostics.push(format!("{device}: {recorded}"));
        }
        let activity = installed.as_ref().and_then(|i| i.activity.as_ref());
        let mcu = activity.and_then(|a| a.mcu.as_ref());
        let manager_wanted = if must_fail {
            Status::Incomplete
        } else {
            Status::Completed
        };
        expected &= activity.is_some_and(|a| a.status == manager_wanted);
        println!(
            "{:<10} {:>6} {:<9} {:>10} {:<12} {:>7}  {}",
            device,
            action_id,
            status.map_or("missing".to_owned(), |s| format!("{s:?}")),
            installed
                .as_ref()
                .map_or("-".to_owned(), |i| format!("{} B", i.bytes)),
            activity.map_or("-".to_owned(), |a| a.status.as_str().to_owned()),
            mcu.map_or("-".to_owned(), |m| format!("{} rt", m.round_trips)),
            mcu.map_or("-", |m| m.summary.as_str()),
        );
    }
    for line in &diagnostics {
        println!("server recorded for {line}");
    }
    println!("elapsed {:.2} s", started.elapsed().as_secs_f64());
    if !expected {
        return Err("the fleet did not reach the expected state in time".into());
    }
    println!(
        "stage 1 complete: every device downloaded, verified and installed the release over DDI"
    );
    if (1..=devices.len()).contains(&options.failing_mcu) {
        println!(
            "stage 2 complete: every microcontroller confirmed the image over dfu-protocol, except \
             device-{:02}'s, which retried it, rolled back and reported why",
            options.failing_mcu
        );
    } else {
        println!("stage 2 complete: every microcontroller confirmed the image over dfu-protocol");
    }
    println!(
        "stage 3 complete: each device's update manager ran the release as a desired state across \
         the firmware and containers domains (INCOMPLETE where the firmware rolled back)"
    );

    println!("\n== stage 4: registry sync: IoT Hub devices become hawkBit targets ==");
    let report = examples::registry_stage::run(
        &server,
        distribution,
        options.hub_devices,
        work.path(),
        Duration::from_secs(options.timeout_secs),
    )
    .await?;
    println!(
        "\n{:<14} {:<8} {:<44} {:<10} attributes",
        "hub device", "in hub", "hawkBit target", "action"
    );
    for row in &report.rows {
        println!(
            "{:<14} {:<8} {:<44} {:<10} {}",
            row.id,
            if row.in_hub { "yes" } else { "deleted" },
            row.target,
            row.action
                .map_or("missing".to_owned(), |s| format!("{s:?}")),
            row.attributes,
        );
    }
    if !report.as_intended() {
        return Err("the registry stage did not reach the expected state".into());
    }
    println!(
        "stage 4 complete: {} hub devices became hawkBit targets and installed the release; \
         {} deleted from the hub was disabled, not lost",
        report.created, report.deleted
    );
    Ok(())
}

/// Lets the demo keep a handle on each installer the agent owns.
#[derive(Debug)]
struct SharedInstaller(Arc<SlotInstaller>);

impl ddi_client::agent::Installer for SharedInstaller {
    async fn install(
        &self,
        deployment: &ddi_client::model::DeploymentBase,
        files: &[std::path::PathBuf],
    ) -> ddi_client::agent::InstallOutcome {
        self.0.install(deployment, files).await
    }

    fn on_progress(&self, file: &str, progress: ddi_client::download::DownloadProgress) {
        self.0.on_progress(file, progress);
    }
}
