//! A complete update loop for device agents.
//!
//! [`Agent`] polls, honours `download`/`update` handling
//! (`skip|attempt|forced`), maintenance windows, download-only actions and
//! the consent flow, downloads and verifies every artifact, hands the files
//! to an [`Installer`], reports progress and the result, accepts or rejects
//! cancellations, answers `configData` requests, and persists the action's
//! phase so that a restart resumes (a half-downloaded artifact continues
//! from its `.part` file; an installer result is reported even if the
//! process died before sending it).
//!
//! While an artifact downloads, the agent keeps polling at the active
//! interval and stops the transfer (keeping its resumable `.part`) when the
//! server asks to cancel; the next step accepts the cancellation.
//!
//! Every decision is made by the pure function [`decide`]; the agent only
//! performs I/O around it.

mod decide;
mod state_file;

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use decide::{ActionState, ConsentPolicy, Decision, DeviceWishes, Offer, Phase, decide};

use tokio::sync::watch;

use self::state_file::StateFile;
use crate::client::{Controller, HistoryRequest};
use crate::download::{DownloadProgress, safe_file_name};
use crate::error::{Error, ErrorKind, Result, RetryClass};
use crate::model::{
    ActionFeedback, AssignedVersion, ConfigData, Confirmation, ConfirmationBaseAction,
    ConfirmationFeedback, ControllerBase, DeploymentBase, Execution, Finished, PollingBounds,
};

/// What the installer reports.
///
/// Built with [`InstallOutcome::success`] or [`InstallOutcome::failure`]
/// and the `with_*` methods, so that fields added later do not break
/// installers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallOutcome {
    /// Whether the update is installed.
    pub success: bool,
    /// A device status code for the server.
    pub code: Option<i32>,
    /// Messages for the server.
    pub details: Vec<String>,
}

impl InstallOutcome {
    /// The update is installed.
    pub fn success() -> Self {
        Self {
            success: true,
            code: None,
            details: Vec::new(),
        }
    }

    /// The update could not be installed.
    pub fn failure() -> Self {
        Self {
            success: false,
            ..Self::success()
        }
    }

    /// Sets the device status code reported to the server.
    #[must_use]
    pub fn with_code(mut self, code: i32) -> Self {
        self.code = Some(code);
        self
    }

    /// Adds a message for the server (sanitised and split as
    /// [`ActionFeedback::with_detail`] does when it is sent).
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }
}

/// The device side of an update: what to install and how.
///
/// Implement the methods as `async fn`: the futures must be `Send`, because
/// the agent may run on a multi-threaded runtime. No extra crate (such as
/// `async-trait`) is needed.
///
/// ```
/// use std::path::PathBuf;
/// use ddi_client::agent::{InstallOutcome, Installer};
/// use ddi_client::model::DeploymentBase;
///
/// struct Slot;
///
/// impl Installer for Slot {
///     async fn install(&self, _deployment: &DeploymentBase, files: &[PathBuf]) -> InstallOutcome {
///         match files {
///             [] => InstallOutcome::failure().with_detail("nothing to install"),
///             _ => InstallOutcome::success(),
///         }
///     }
/// }
/// ```
pub trait Installer: Send + Sync {
    /// Installs the verified files of `deployment` (one path per artifact, in
    /// chunk order).
    fn install(
        &self,
        deployment: &DeploymentBase,
        files: &[PathBuf],
    ) -> impl Future<Output = InstallOutcome> + Send;

    /// Called instead of [`Self::install`] when the agent starts and finds
    /// that an earlier run started installing `deployment` but recorded no
    /// result: the process crashed, the power went, or the installer
    /// rebooted the device to activate the update. An installer that
    /// reboots into the new image should check here whether it booted and
    /// report that, not install again. Default: install again, so plain
    /// installers must be idempotent.
    fn resume_install(
        &self,
        deployment: &DeploymentBase,
        files: &[PathBuf],
    ) -> impl Future<Output = InstallOutcome> + Send {
        self.install(deployment, files)
    }

    /// Whether to confirm an action that waits for consent. Default: yes.
    fn consent(&self, _action: &ConfirmationBaseAction) -> impl Future<Output = bool> + Send {
        std::future::ready(true)
    }

    /// Whether to postpone installing a soft action (`update: attempt`), for
    /// example while the device is busy; it stays downloaded and is asked
    /// again at the next poll. Forced actions are never deferred. Default: no.
    fn defer_install(&self, _deployment: &DeploymentBase) -> impl Future<Output = bool> + Send {
        std::future::ready(false)
    }

    /// Attributes sent when the server asks for `configData`. Default: none.
    fn attributes(&self) -> ConfigData {
        ConfigData::default()
    }

    /// A version installed outside the DDI flow, declared once through
    /// `PUT installedBase` at start-up. Default: none.
    fn installed_version(&self) -> Option<AssignedVersion> {
        None
    }

    /// Download progress of one artifact. Default: ignored.
    fn on_progress(&self, _file: &str, _progress: DownloadProgress) {}
}

/// What one [`Agent::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StepReport {
    /// The decision taken.
    pub decision: Decision,
    /// How long to wait before the next step.
    pub next_poll: Duration,
}

/// The update loop for one controller.
#[derive(Debug)]
pub struct Agent<I> {
    controller: Controller,
    installer: Arc<I>,
    work_dir: PathBuf,
    state: StateFile,
    bounds: PollingBounds,
    active_poll: Duration,
    consent: ConsentPolicy,
    announced_version: bool,
    progress_step: Option<u8>,
}

impl<I: Installer + 'static> Agent<I> {
    /// An agent keeping its downloads and `agent-state.json` in `work_dir`.
    pub fn new(controller: Controller, installer: I, work_dir: impl AsRef<Path>) -> Self {
        let work_dir = work_dir.as_ref().to_owned();
        Self {
            controller,
            installer: Arc::new(installer),
            state: StateFile::new(work_dir.join("agent-state.json")),
            work_dir,
            bounds: PollingBounds::default(),
            active_poll: Duration::from_secs(5),
            consent: ConsentPolicy::default(),
            announced_version: false,
            progress_step: None,
        }
    }

    /// Also reports download progress as percentages while an artifact
    /// downloads: a `proceeding` feedback with progress `{cnt: percent, of:
    /// 100}` each time another `step` percent of the file has arrived.
    /// hawkBit keeps a bounded number of messages per action, so keep the
    /// step coarse (10 sends at most 11 messages per artifact). Default: off;
    /// the agent then reports one progress feedback per finished artifact.
    pub fn download_progress_feedback(&mut self, step_percent: Option<u8>) -> &mut Self {
        self.progress_step = step_percent.filter(|s| (1..=100).contains(s));
        self
    }

    /// Bounds for the server's suggested sleep. Default: [`PollingBounds::default`].
    pub fn polling_bounds(&mut self, bounds: PollingBounds) -> &mut Self {
        self.bounds = bounds;
        self
    }

    /// Poll interval while an action is in progress (not below the bounds'
    /// minimum). Default: 5 s.
    pub fn active_poll_interval(&mut self, d: Duration) -> &mut Self {
        self.active_poll = d;
        self
    }

    /// How to answer confirmation requests. Default: ask the installer.
    pub fn consent_policy(&mut self, policy: ConsentPolicy) -> &mut Self {
        self.consent = policy;
        self
    }

    /// The installer.
    pub fn installer(&self) -> &I {
        &self.installer
    }

    /// Runs steps until `stop` resolves, sleeping as the server suggests.
    /// Transient errors are logged and retried at the next poll.
    pub async fn run(&mut self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let wait = match self.step().await {
                Ok(report) => report.next_poll,
                Err(e) => {
                    tracing::warn!(error = %e, class = ?e.retry_class(), "agent step failed");
                    match e.retry_class() {
                        RetryClass::Auth => self.bounds.max().min(Duration::from_secs(600)),
                        _ => self.bounds.interval(None),
                    }
                }
            };
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One poll and whatever it calls for.
    pub async fn step(&mut self) -> Result<StepReport> {
        // Polling first registers the controller (plug and play), which
        // the installedBase PUT needs.
        let base = self.controller.poll().await?;
        if !self.announced_version {
            if let Some(v) = self.installer.installed_version() {
                match self.controller.put_installed_base(&v).await {
                    Ok(_) => {}
                    // Older servers (and goosebit) lack the endpoint.
                    Err(e) if e.is_not_found() || e.status_code() == Some(405) => {}
                    Err(e) => return Err(e),
                }
            }
            self.announced_version = true;
        }
        if let Some(link) = &base.links.config_data {
            let attrs = self.installer.attributes();
            if !attrs.data.is_empty() {
                self.controller.put_config_data(Some(link), &attrs).await?;
            }
        }
        let offer = self.fetch_offer(&base).await?;
        let state = self.state.load().await;
        let defer_soft_install = match &offer {
            Offer::Deployment { base, .. } => self.installer.defer_install(base).await,
            _ => false,
        };
        let wishes = DeviceWishes {
            consent: self.consent,
            defer_soft_install,
        };
        let decision = decide(&offer, state.as_ref(), wishes);
        self.execute(&offer, &decision).await?;
        let idle = matches!(
            decision,
            Decision::Idle
                | Decision::WaitForDownload
                | Decision::WaitForWindow
                | Decision::ForgetState
        );
        let suggested = self.bounds.interval(base.sleep());
        let next_poll = if idle {
            suggested
        } else {
            self.bounds.clamp(self.active_poll).min(suggested)
        };
        Ok(StepReport {
            decision,
            next_poll,
        })
    }

    async fn fetch_offer(&self, base: &ControllerBase) -> Result<Offer> {
        let links = &base.links;
        Ok(if let Some(link) = &links.cancel_action {
            Offer::Cancel {
                cancel: self.controller.cancel_action(link).await?,
                link: link.clone(),
            }
        } else if let Some(link) = &links.confirmation_base {
            Offer::Confirmation {
                action: self
                    .controller
                    .confirmation_action(link, HistoryRequest::Omit)
                    .await?,
                link: link.clone(),
            }
        } else if let Some(link) = &links.deployment_base {
            Offer::Deployment {
                base: self
                    .controller
                    .deployment_base(link, HistoryRequest::Omit)
                    .await?,
                link: link.clone(),
            }
        } else {
            Offer::Nothing
        })
    }

    async fn set_phase(&self, base: &DeploymentBase, phase: Phase) -> Result<()> {
        let state = ActionState {
            id: base.id.clone(),
            phase,
        };
        self.state.store(Some(&state)).await
    }

    async fn execute(&self, offer: &Offer, decision: &Decision) -> Result<()> {
        match (offer, decision) {
            (_, Decision::ForgetState) => {
                self.clear_downloads().await;
                self.state.store(None).await
            }
            (
                Offer::Confirmation { link, action },
                Decision::AskConsent | Decision::AnswerConsent { .. },
            ) => {
                let confirm = match decision {
                    Decision::AnswerConsent { confirm } => *confirm,
                    _ => self.installer.consent(action).await,
                };
                let answer = if confirm {
                    Confirmation::Confirmed
                } else {
                    Confirmation::Denied
                };
                let fb = ConfirmationFeedback {
                    confirmation: answer,
                    code: None,
                    details: vec![format!(
                        "device {}",
                        if confirm { "confirmed" } else { "denied" }
                    )],
                };
                self.controller.confirmation_feedback(link, &fb).await
            }
            (Offer::Cancel { link, .. }, Decision::AcceptCancel) => {
                let fb = ActionFeedback::new(Execution::Closed, Finished::Success)
                    .with_detail("cancellation accepted")
                    .timestamped_now();
                self.controller.cancel_feedback(link, &fb).await?;
                self.clear_downloads().await;
                self.state.store(None).await
            }
            (Offer::Cancel { link, .. }, Decision::RejectCancel) => {
                let fb = ActionFeedback::new(Execution::Rejected, Finished::None)
                    .with_detail("installation already started")
                    .timestamped_now();
                self.controller.cancel_feedback(link, &fb).await
            }
            (Offer::Deployment { link, base }, Decision::Download { install }) => {
                self.set_phase(base, Phase::Downloading).await?;
                let fb = ActionFeedback::new(Execution::Download, Finished::None)
                    .with_detail("downloading")
                    .timestamped_now();
                self.feedback(link, &fb).await?;
                let files = match self.download_all(link, base).await {
                    Ok(Some(files)) => files,
                    // A cancellation arrived; the next step answers it.
                    Ok(None) => return Ok(()),
                    Err(e) if e.is_transient() => return Err(e),
                    Err(e) => return self.fail(link, base, &e).await,
                };
                self.set_phase(base, Phase::Downloaded).await?;
                if *install {
                    self.install(link, base, &files, false).await
                } else {
                    self.report_downloaded(link, base).await
                }
            }
            (Offer::Deployment { link, base }, Decision::ReportDownloaded) => {
                self.report_downloaded(link, base).await
            }
            (Offer::Deployment { link, base }, Decision::Install | Decision::ResumeInstall) => {
                // After a restart the files are already verified on disk.
                let files = match self.download_all(link, base).await {
                    Ok(Some(files)) => files,
                    Ok(None) => return Ok(()),
                    Err(e) if e.is_transient() => return Err(e),
                    Err(e) => return self.fail(link, base, &e).await,
                };
                let resume = matches!(decision, Decision::ResumeInstall);
                self.install(link, base, &files, resume).await
            }
            (Offer::Deployment { link, base }, Decision::ReportResult { success, code }) => {
                self.report_result(link, base, *success, *code, Vec::new())
                    .await
            }
            _ => Ok(()),
        }
    }

    async fn feedback(&self, link: &crate::model::Link, fb: &ActionFeedback) -> Result<()> {
        match self.controller.deployment_feedback(link, fb).await {
            // Intermediate feedback over quota is dropped; final feedback is
            // always accepted by the server.
            Err(e) if e.is_quota_exceeded() => Ok(()),
            other => other,
        }
    }

    fn action_dir(&self, base: &DeploymentBase) -> PathBuf {
        self.work_dir
            .join("downloads")
            .join(safe_component(base.id.as_str()))
    }

    async fn clear_downloads(&self) {
        let _ = tokio::fs::remove_dir_all(self.work_dir.join("downloads")).await;
    }

    async fn download_all(
        &self,
        link: &crate::model::Link,
        base: &DeploymentBase,
    ) -> Result<Option<Vec<PathBuf>>> {
        let total: usize = base
            .deployment
            .chunks
            .iter()
            .map(|c| c.artifacts.len())
            .sum();
        let mut files = Vec::with_capacity(total);
        let mut done = 0u32;
        for (ci, chunk) in base.deployment.chunks.iter().enumerate() {
            // One folder per chunk: two modules may ship equally named files.
            let dir = self.action_dir(base).join(ci.to_string());
            tokio::fs::create_dir_all(&dir).await.map_err(Error::io)?;
            for artifact in &chunk.artifacts {
                let name = safe_file_name(&artifact.filename)?;
                let path = dir.join(name);
                if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
                    let mut dl = self.controller.download(artifact);
                    let installer = Arc::clone(&self.installer);
                    let file = name.to_owned();
                    let (latest, seen) = watch::channel(None);
                    dl.on_progress(move |p| {
                        installer.on_progress(&file, p);
                        latest.send_replace(Some(p));
                    });
                    let reports = self.report_percentages(link, name, seen);
                    if self
                        .unless_cancelled(dl.to_file(&dir), reports)
                        .await?
                        .is_none()
                    {
                        return Ok(None);
                    }
                }
                done += 1;
                let fb = ActionFeedback::new(Execution::Proceeding, Finished::None)
                    .with_progress(done, u32::try_from(total).unwrap_or(u32::MAX))
                    .with_detail(format!("downloaded {name}"))
                    .timestamped_now();
                self.feedback(link, &fb).await?;
                files.push(path);
            }
        }
        Ok(Some(files))
    }

    /// Runs a long download while polling at the active interval; gives up
    /// on it (keeping the resumable `.part`) as soon as the server asks to
    /// cancel, so the next step can accept the cancellation.
    async fn unless_cancelled<T>(
        &self,
        work: impl Future<Output = Result<T>>,
        progress: impl Future<Output = Infallible>,
    ) -> Result<Option<T>> {
        let watch = async {
            loop {
                tokio::time::sleep(self.bounds.clamp(self.active_poll)).await;
                if let Ok(base) = self.controller.poll().await
                    && base.links.cancel_action.is_some()
                {
                    return;
                }
            }
        };
        tokio::select! {
            result = work => result.map(Some),
            () = watch => Ok(None),
            never = progress => match never {},
        }
    }

    /// Sends a percentage feedback whenever the download crosses another
    /// [`Self::download_progress_feedback`] step; runs until dropped.
    async fn report_percentages(
        &self,
        link: &crate::model::Link,
        file: &str,
        mut seen: watch::Receiver<Option<DownloadProgress>>,
    ) -> Infallible {
        if let Some(step) = self.progress_step {
            let mut next = u32::from(step);
            while seen.changed().await.is_ok() {
                let Some(p) = *seen.borrow_and_update() else {
                    continue;
                };
                let Some(percent) = p.total.filter(|t| *t > 0).map(|t| {
                    u32::try_from(p.downloaded.saturating_mul(100) / t)
                        .unwrap_or(100)
                        .min(100)
                }) else {
                    continue;
                };
                if percent < next {
                    continue;
                }
                next = (percent / u32::from(step) + 1) * u32::from(step);
                let fb = ActionFeedback::new(Execution::Proceeding, Finished::None)
                    .with_progress(percent, 100)
                    .with_detail(format!("downloading {file}: {percent}%"))
                    .timestamped_now();
                // Progress is best effort: a failed report must not stop the download.
                if let Err(e) = self.feedback(link, &fb).await {
                    tracing::debug!(error = %e, "progress feedback not sent");
                }
            }
        }
        std::future::pending().await
    }

    /// Runs the installer (or, after an interrupted installation, asks it to
    /// resume) and reports its outcome.
    async fn install(
        &self,
        link: &crate::model::Link,
        base: &DeploymentBase,
        files: &[PathBuf],
        resume: bool,
    ) -> Result<()> {
        self.set_phase(base, Phase::Installing).await?;
        let detail = if resume {
            "resuming an interrupted installation"
        } else {
            "installing"
        };
        let fb = ActionFeedback::new(Execution::Proceeding, Finished::None)
            .with_detail(detail)
            .timestamped_now();
        self.feedback(link, &fb).await?;
        let outcome = if resume {
            self.installer.resume_install(base, files).await
        } else {
            self.installer.install(base, files).await
        };
        self.set_phase(
            base,
            Phase::Installed {
                success: outcome.success,
                code: outcome.code,
            },
        )
        .await?;
        self.report_result(link, base, outcome.success, outcome.code, outcome.details)
            .await
    }

    async fn report_downloaded(
        &self,
        link: &crate::model::Link,
        base: &DeploymentBase,
    ) -> Result<()> {
        let fb = ActionFeedback::new(Execution::Downloaded, Finished::None)
            .with_detail("downloaded; waiting to install")
            .timestamped_now();
        self.feedback(link, &fb).await?;
        self.set_phase(base, Phase::DownloadReported).await
    }

    async fn report_result(
        &self,
        link: &crate::model::Link,
        base: &DeploymentBase,
        success: bool,
        code: Option<i32>,
        details: Vec<String>,
    ) -> Result<()> {
        let finished = if success {
            Finished::Success
        } else {
            Finished::Failure
        };
        let mut fb = ActionFeedback::new(Execution::Closed, finished).timestamped_now();
        if let Some(c) = code {
            fb = fb.with_code(c);
        }
        if details.is_empty() {
            fb = fb.with_detail(if success {
                "installed"
            } else {
                "installation failed"
            });
        }
        for d in details {
            fb = fb.with_detail(d);
        }
        match self.controller.deployment_feedback(link, &fb).await {
            // 410: the server already closed it; nothing left to report.
            Ok(()) => {}
            Err(e) if e.is_gone() || e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        let _ = tokio::fs::remove_dir_all(self.action_dir(base)).await;
        self.state.store(None).await
    }

    /// Ends the action with a failure feedback carrying the error.
    async fn fail(
        &self,
        link: &crate::model::Link,
        base: &DeploymentBase,
        e: &Error,
    ) -> Result<()> {
        let code = match e.kind() {
            ErrorKind::HashMismatch => Some(-2),
            ErrorKind::UnsafeFileName => Some(-3),
            ErrorKind::InsufficientSpace => Some(-4),
            _ => e.status_code().map(i32::from),
        };
        self.report_result(
            link,
            base,
            false,
            code,
            vec![format!("download failed: {e}")],
        )
        .await
    }
}

/// An action id as one path component (ids come from the server).
fn safe_component(id: &str) -> String {
    let s: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if s.is_empty() { "action".to_owned() } else { s }
}
