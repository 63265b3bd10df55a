//! Device agents as the demo runs them: polling fast (the simulated server
//! suggests a second), each on its own task, all stopped by one signal.

use std::path::Path;
use std::time::Duration;

use ddi_client::Controller;
use ddi_client::agent::{Agent, Installer};
use ddi_client::model::PollingBounds;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Runs `controller`'s update loop with `installer` (state under `work`)
/// until `stop` turns true.
pub fn spawn<I: Installer + 'static>(
    controller: Controller,
    installer: I,
    work: &Path,
    mut stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, String> {
    let mut agent = Agent::new(controller, installer, work);
    let bounds = PollingBounds::new(Duration::from_millis(100), Duration::from_secs(2))
        .map_err(|e| format!("polling bounds: {e}"))?;
    agent
        .polling_bounds(bounds)
        .active_poll_interval(Duration::from_millis(100));
    Ok(tokio::spawn(async move {
        agent
            .run(async move { while stop.changed().await.is_ok() && !*stop.borrow() {} })
            .await;
    }))
}
