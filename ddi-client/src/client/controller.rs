//! One controller id's view of the DDI: all 16 operations.

use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode, header};
use url::Url;

use super::Shared;
use super::http::{Req, read_limited};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    ActionFeedback, ActionId, ActivateAutoConfirm, Artifact, AssignedVersion, CancelAction,
    ConfigData, ConfirmationBase, ConfirmationBaseAction, ConfirmationFeedback, ControllerBase,
    DeploymentBase, Document, Link, Md5Sum,
};

/// hawkBit rejects longer controller ids with 400.
const MAX_CONTROLLER_ID: usize = 256;

/// The answer to a conditional poll.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollResponse {
    /// A new document, with the ETag to send next time (if the server gave one).
    Modified {
        /// The root document.
        base: ControllerBase,
        /// The response's ETag.
        etag: Option<String>,
    },
    /// 304: nothing changed since the ETag that was sent.
    NotModified,
}

/// How much of an action's history to ask for with `deploymentBase`,
/// `installedBase` and `confirmationBase` requests (hawkBit's `actionHistory`
/// query parameter): the server status and the device's earlier feedback
/// messages, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HistoryRequest {
    /// No history (the parameter is left out).
    #[default]
    Omit,
    /// At most this many of the latest messages.
    Latest(u32),
    /// Every message the server keeps.
    All,
}

/// The outcome of `PUT installedBase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstalledBaseChange {
    /// 201: the version was newly recorded.
    Created,
    /// 200: it was already recorded.
    Unchanged,
}

/// The outcome of activating auto-confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AutoConfirmChange {
    /// It is now active.
    Activated,
    /// 409: it was already active (treated as success).
    AlreadyActive,
}

/// One controller id on a shared [`Client`](super::Client).
///
/// Cheap to clone; clones share the poll cache (last ETag and document).
#[derive(Debug, Clone)]
pub struct Controller {
    shared: Arc<Shared>,
    id: String,
    /// `{server}/{tenant}/controller/v1/{id}`
    root: Url,
    auth: Option<String>,
    cache: Arc<Mutex<Option<(String, ControllerBase)>>>,
}

impl Controller {
    pub(super) fn new(shared: Arc<Shared>, id: &str, auth: Option<String>) -> Result<Self> {
        if id.is_empty() || id.chars().count() > MAX_CONTROLLER_ID {
            return Err(Error::new(ErrorKind::Config)
                .with_source("controller id must be 1 to 256 characters"));
        }
        let mut root = shared.base.clone();
        root.path_segments_mut()
            .map_err(|()| Error::new(ErrorKind::Config))?
            .push(id);
        Ok(Self {
            shared,
            id: id.to_owned(),
            root,
            auth,
            cache: Arc::new(Mutex::new(None)),
        })
    }

    /// The controller id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The root resource URL.
    pub fn root_url(&self) -> &Url {
        &self.root
    }

    fn api(&self, method: Method, url: Url) -> Req<'_> {
        let mut r = Req::new(method, url, self.auth.as_deref());
        r.timeout = self.shared.request_timeout;
        r.accept = Some(if self.shared.cbor {
            "application/cbor"
        } else {
            "application/json"
        });
        r
    }

    /// `root/seg/seg…`, with each segment percent-encoded.
    fn under_root(&self, segments: &[&str]) -> Url {
        let mut u = self.root.clone();
        if let Ok(mut p) = u.path_segments_mut() {
            p.extend(segments);
        }
        u
    }

    /// Resolves a link: absolute hrefs are used verbatim (query included),
    /// relative ones against the controller resource (`deploymentBase/1`
    /// means `…/{controllerId}/deploymentBase/1`).
    pub fn resolve(&self, link: &Link) -> Result<Url> {
        // Relative hrefs are relative to the controller resource itself.
        let mut dir = self.root.clone();
        if let Ok(mut p) = dir.path_segments_mut() {
            p.push("");
        }
        dir.join(&link.href)
            .map_err(|e| Error::new(ErrorKind::MissingLink).with_source(e))
    }

    /// A link to an action resource built from its id, for resuming an
    /// action after a restart when no fresh link is at hand (`kind` is
    /// `deploymentBase`, `cancelAction`, `confirmationBase` or `installedBase`).
    pub fn action_link(&self, kind: &str, id: &ActionId) -> Link {
        Link::new(self.under_root(&[kind, id.as_str()]).to_string())
    }

    fn with_history(&self, link: &Link, history: HistoryRequest) -> Result<Url> {
        let mut url = self.resolve(link)?;
        let count = match history {
            HistoryRequest::Omit => None,
            HistoryRequest::Latest(n) => Some(i64::from(n)),
            // hawkBit's spelling of "every message it keeps"
            HistoryRequest::All => Some(-1),
        };
        if let Some(n) = count {
            url.query_pairs_mut()
                .append_pair("actionHistory", &n.to_string());
        }
        Ok(url)
    }

    /// `action link` + `/feedback`, dropping the link's query (`c=` is only
    /// meaningful on GET).
    fn feedback_url(&self, link: &Link) -> Result<Url> {
        let mut url = self.resolve(link)?;
        url.set_query(None);
        url.path_segments_mut()
            .map_err(|()| Error::new(ErrorKind::MissingLink))?
            .pop_if_empty()
            .push("feedback");
        Ok(url)
    }

    /// Operation 1: `GET` the root resource, conditionally.
    pub async fn poll_conditional(&self, etag: Option<&str>) -> Result<PollResponse> {
        let mut req = self.api(Method::GET, self.root.clone());
        if let Some(tag) = etag {
            req = req.header(header::IF_NONE_MATCH, tag.to_owned());
        }
        let resp = self.shared.send(&req, &[304]).await?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(PollResponse::NotModified);
        }
        let etag = resp
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let base: ControllerBase = self.shared.read_doc(resp).await?;
        Ok(PollResponse::Modified { base, etag })
    }

    /// Operation 1: polls, sending the last ETag and answering a 304 with the
    /// cached document, so callers always get the current state.
    pub async fn poll(&self) -> Result<ControllerBase> {
        let etag = self.cached().map(|(t, _)| t);
        match self.poll_conditional(etag.as_deref()).await? {
            PollResponse::Modified { base, etag } => {
                if let Ok(mut c) = self.cache.lock() {
                    *c = etag.map(|t| (t, base.clone()));
                }
                Ok(base)
            }
            PollResponse::NotModified => match self.cached() {
                Some((_, base)) => Ok(base),
                // A 304 to a request without If-None-Match is a server bug.
                None => Err(Error::status(304, None)),
            },
        }
    }

    fn cached(&self) -> Option<(String, ControllerBase)> {
        self.cache.lock().ok()?.clone()
    }

    /// Operation 2: `GET deploymentBase/{id}` via its link (`c=` kept), with
    /// as much of the action's history as `history` asks for.
    pub async fn deployment_base(
        &self,
        link: &Link,
        history: HistoryRequest,
    ) -> Result<DeploymentBase> {
        let url = self.with_history(link, history)?;
        self.shared.fetch(&self.api(Method::GET, url)).await
    }

    /// Operation 3: `POST deploymentBase/{id}/feedback`.
    ///
    /// A 410 means the action is already closed: drop it and re-poll.
    pub async fn deployment_feedback(
        &self,
        action: &Link,
        feedback: &ActionFeedback,
    ) -> Result<()> {
        let url = self.feedback_url(action)?;
        self.post(url, feedback).await
    }

    /// Operation 4: `GET cancelAction/{id}`.
    pub async fn cancel_action(&self, link: &Link) -> Result<CancelAction> {
        self.shared
            .fetch(&self.api(Method::GET, self.resolve(link)?))
            .await
    }

    /// Operation 5: `POST cancelAction/{id}/feedback`. Accept a cancellation
    /// with `closed` + `success`; refuse it with `rejected`.
    pub async fn cancel_feedback(&self, cancel: &Link, feedback: &ActionFeedback) -> Result<()> {
        let url = self.feedback_url(cancel)?;
        self.post(url, feedback).await
    }

    /// Operation 6: `PUT configData` (the link from the poll if given,
    /// else the standard path).
    pub async fn put_config_data(&self, link: Option<&Link>, data: &ConfigData) -> Result<()> {
        let url = match link {
            Some(l) => self.resolve(l)?,
            None => self.under_root(&["configData"]),
        };
        let req = self.api(Method::PUT, url).doc(data, self.shared.cbor);
        self.shared.send(&req, &[]).await.map(drop)
    }

    /// Operation 7: `GET installedBase/{id}`: the last finished action.
    pub async fn installed_base(
        &self,
        link: &Link,
        history: HistoryRequest,
    ) -> Result<DeploymentBase> {
        let url = self.with_history(link, history)?;
        self.shared.fetch(&self.api(Method::GET, url)).await
    }

    /// Operation 8: `PUT installedBase` (experimental, hawkBit ≥ 0.6.0):
    /// declares a distribution set installed offline.
    pub async fn put_installed_base(
        &self,
        version: &AssignedVersion,
    ) -> Result<InstalledBaseChange> {
        let req = self
            .api(Method::PUT, self.under_root(&["installedBase"]))
            .doc(version, self.shared.cbor);
        let resp = self.shared.send(&req, &[]).await?;
        Ok(if resp.status() == StatusCode::CREATED {
            InstalledBaseChange::Created
        } else {
            InstalledBaseChange::Unchanged
        })
    }

    /// Operation 9: `GET confirmationBase`.
    pub async fn confirmation_base(&self) -> Result<ConfirmationBase> {
        let url = self.under_root(&["confirmationBase"]);
        self.shared.fetch(&self.api(Method::GET, url)).await
    }

    /// Operation 10: `GET confirmationBase/{id}` via its link.
    pub async fn confirmation_action(
        &self,
        link: &Link,
        history: HistoryRequest,
    ) -> Result<ConfirmationBaseAction> {
        let url = self.with_history(link, history)?;
        self.shared.fetch(&self.api(Method::GET, url)).await
    }

    /// Operation 11: `POST confirmationBase/{id}/feedback` (confirm or deny,
    /// with the caller's code and details).
    pub async fn confirmation_feedback(
        &self,
        action: &Link,
        feedback: &ConfirmationFeedback,
    ) -> Result<()> {
        let url = self.feedback_url(action)?;
        self.post(url, feedback).await
    }

    /// Operation 12: `POST confirmationBase/activateAutoConfirm`.
    pub async fn activate_auto_confirm(
        &self,
        body: Option<&ActivateAutoConfirm>,
    ) -> Result<AutoConfirmChange> {
        let mut req = self.api(
            Method::POST,
            self.under_root(&["confirmationBase", "activateAutoConfirm"]),
        );
        if let Some(b) = body {
            req = req.doc(b, self.shared.cbor);
        }
        let resp = self.shared.send(&req, &[409]).await?;
        Ok(if resp.status() == StatusCode::CONFLICT {
            AutoConfirmChange::AlreadyActive
        } else {
            AutoConfirmChange::Activated
        })
    }

    /// Operation 13: `POST confirmationBase/deactivateAutoConfirm`.
    pub async fn deactivate_auto_confirm(&self) -> Result<()> {
        let req = self.api(
            Method::POST,
            self.under_root(&["confirmationBase", "deactivateAutoConfirm"]),
        );
        self.shared.send(&req, &[]).await.map(drop)
    }

    /// Operation 14: `GET softwaremodules/{id}/artifacts`.
    pub async fn artifacts(&self, software_module_id: u64) -> Result<Vec<Artifact>> {
        let url = self.under_root(&[
            "softwaremodules",
            &software_module_id.to_string(),
            "artifacts",
        ]);
        self.shared.fetch(&self.api(Method::GET, url)).await
    }

    /// Operation 16: `GET …/{fileName}.MD5SUM` via the artifact's md5sum link.
    pub async fn md5sum(&self, artifact: &Artifact) -> Result<Md5Sum> {
        let link = artifact
            .links
            .md5sum()
            .ok_or_else(|| Error::new(ErrorKind::MissingLink))?;
        let url = self.resolve(link)?;
        let mut req = self.api(Method::GET, url);
        req.accept = Some("text/plain");
        let resp = self.shared.send(&req, &[]).await?;
        let body = read_limited(resp, 4096).await?;
        let text = String::from_utf8_lossy(&body);
        Md5Sum::parse(&text).map_err(|e| Error::new(ErrorKind::Decode).with_source(e))
    }

    async fn post<T: Document>(&self, url: Url, body: &T) -> Result<()> {
        let req = self.api(Method::POST, url).doc(body, self.shared.cbor);
        self.shared.send(&req, &[]).await.map(drop)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn auth(&self) -> Option<&str> {
        self.auth.as_deref()
    }
}
