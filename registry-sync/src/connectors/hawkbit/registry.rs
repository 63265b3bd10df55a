//! [`HawkbitRegistry`]: the [`ExternalRegistry`] over the Management API,
//! with attributes written through DDI.

use super::config::HawkbitConfig;
use super::mapping::{MetadataChanges, TargetMapping, attribute_body};
use super::mgmt::MgmtClient;
use super::model::{MaybePaged, MetadataEntry, PagedList, Tag, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{DeviceId, DeviceRecord, DeviceStatus};
use crate::plan::{Operation, Precondition};
use crate::registry::{Capabilities, ExternalRegistry, Page, PageToken};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;
use tokio::sync::Mutex;

/// Largest page the Management API serves.
const MAX_PAGE: usize = 500;

/// A hawkBit tenant as an [`ExternalRegistry`].
///
/// See the [module docs](super) for the mapping, soft delete and scoping.
pub struct HawkbitRegistry {
    name: String,
    config: HawkbitConfig,
    mgmt: MgmtClient,
    ddi: Option<ddi_client::Client>,
    mapping: TargetMapping,
    /// The id of the soft-delete tag once known.
    disabled_tag_id: Mutex<Option<u64>>,
}

impl fmt::Debug for HawkbitRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HawkbitRegistry")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A target with everything the record needs.
struct Full {
    target: Target,
    metadata: Vec<MetadataEntry>,
    tags: Vec<Tag>,
    attributes: BTreeMap<String, String>,
}

impl HawkbitRegistry {
    /// A connector with `config`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] naming a setting out of range (a base URL
    /// that is not an absolute http(s) URL, a zero size), or
    /// [`ErrorKind::Rejected`] when an HTTP client cannot be built from it.
    pub fn new(config: &HawkbitConfig) -> Result<Self> {
        let urls = config.validate()?;
        let mgmt = MgmtClient::new(
            &urls.base,
            &config.user,
            config.password.clone(),
            config.timeout,
            config.connect_timeout,
        )?;
        let ddi = match &config.gateway_token {
            None => None,
            Some(token) => {
                let mut b = ddi_client::Client::builder(
                    urls.ddi.as_str().trim_end_matches('/'),
                    config.tenant.clone(),
                );
                b.auth(ddi_client::Auth::GatewayToken(token.expose().to_owned()))
                    // the engine retries, with its own budget and journal
                    .backoff(ddi_client::Backoff::none())
                    .request_timeout(config.timeout)
                    .connect_timeout(config.connect_timeout);
                Some(b.build().map_err(|e| {
                    Error::new(ErrorKind::Rejected)
                        .with_context("ddi client")
                        .with_source(e)
                })?)
            }
        };
        let mapping = TargetMapping {
            disabled_tag: config.disabled_tag.clone(),
            reason_key: config.reason_key.clone(),
            read_tokens: config.read_tokens,
            name_tag: config.name_tag.clone(),
            description_tag: config.description_tag.clone(),
        };
        Ok(Self {
            name: format!("hawkbit:{}", config.tenant),
            config: config.clone(),
            mgmt,
            ddi,
            mapping,
            disabled_tag_id: Mutex::new(None),
        })
    }

    /// The record ↔ target rules in use.
    pub fn mapping(&self) -> &TargetMapping {
        &self.mapping
    }

    /// What a [`HawkbitChangeFeed`](super::HawkbitChangeFeed) polls with:
    /// the Management API client, the listing filter and the source name.
    pub(super) fn feed_parts(&self) -> (MgmtClient, Option<String>, String) {
        (
            self.mgmt.clone(),
            self.config.filter.clone(),
            self.name.clone(),
        )
    }

    async fn target(&self, id: &str) -> Result<Option<Target>> {
        match self
            .mgmt
            .send(Method::GET, &["targets", id], &[], None)
            .await
        {
            Ok(a) => a.json().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn metadata(&self, id: &str) -> Result<Vec<MetadataEntry>> {
        let limit = twin_model::hawkbit::target::METADATA_PER_TARGET_MAX.to_string();
        let a = self
            .mgmt
            .send(
                Method::GET,
                &["targets", id, "metadata"],
                &[("offset", "0"), ("limit", &limit)],
                None,
            )
            .await?;
        Ok(a.json::<MaybePaged<MetadataEntry>>()?.into_vec())
    }

    async fn tags(&self, id: &str) -> Result<Vec<Tag>> {
        self.mgmt
            .send(Method::GET, &["targets", id, "tags"], &[], None)
            .await?
            .json()
    }

    async fn attributes(&self, id: &str) -> Result<BTreeMap<String, String>> {
        self.mgmt
            .send(Method::GET, &["targets", id, "attributes"], &[], None)
            .await?
            .json()
    }

    /// Metadata, tags and attributes of a known target.
    async fn complete(&self, target: Target) -> Result<Full> {
        let id = target.controller_id.clone();
        let (metadata, tags, attributes) =
            tokio::try_join!(self.metadata(&id), self.tags(&id), self.attributes(&id))?;
        Ok(Full {
            target,
            metadata,
            tags,
            attributes,
        })
    }

    fn record(&self, f: &Full) -> DeviceRecord {
        self.mapping
            .record(&f.target, &f.metadata, &f.tags, &f.attributes)
    }

    async fn full(&self, id: &str) -> Result<Option<Full>> {
        match self.target(id).await? {
            None => Ok(None),
            Some(t) => self.complete(t).await.map(Some),
        }
    }

    /// The soft-delete tag's id, created on first use.
    async fn disabled_tag(&self) -> Result<u64> {
        let mut cached = self.disabled_tag_id.lock().await;
        if let Some(id) = *cached {
            return Ok(id);
        }
        let name = &self.config.disabled_tag;
        let q = format!(
            "name==\"{}\"",
            name.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let found: PagedList<Tag> = self
            .mgmt
            .send(Method::GET, &["targettags"], &[("q", &q)], None)
            .await?
            .json()?;
        let existing = found.content.into_iter().find(|t| &t.name == name);
        let tag = match existing {
            Some(t) => t,
            None => {
                let body = json!([{
                    "name": name,
                    "description": "soft-deleted by registry-sync; the reason is in the target's metadata",
                }]);
                let created: Vec<Tag> = self
                    .mgmt
                    .send(Method::POST, &["targettags"], &[], Some(&body))
                    .await?
                    .json()?;
                created.into_iter().next().ok_or_else(|| {
                    Error::new(ErrorKind::Decode).with_context("tag create answer")
                })?
            }
        };
        let id = tag
            .id
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| Error::new(ErrorKind::Decode).with_context("tag without id"))?;
        *cached = Some(id);
        Ok(id)
    }

    async fn set_disabled_tag(&self, id: &str, assigned: bool) -> Result<()> {
        let method = if assigned {
            Method::POST
        } else {
            Method::DELETE
        };
        let mut retried = false;
        loop {
            let tag = self.disabled_tag().await?.to_string();
            match self
                .mgmt
                .send(
                    method.clone(),
                    &["targettags", &tag, "assigned", id],
                    &[],
                    None,
                )
                .await
            {
                // the cached tag may have been deleted by an operator: look
                // it up (or create it) again, once
                Err(e) if e.is_not_found() && !retried => {
                    *self.disabled_tag_id.lock().await = None;
                    retried = true;
                }
                other => return other.map(drop),
            }
        }
    }

    async fn write_metadata(&self, id: &str, changes: &MetadataChanges) -> Result<()> {
        // deletes first, so a target near the 100-entry quota makes room
        for k in &changes.delete {
            match self
                .mgmt
                .send(Method::DELETE, &["targets", id, "metadata", k], &[], None)
                .await
            {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        for (k, v) in &changes.update {
            let body = json!({ "key": k, "value": v });
            self.mgmt
                .send(
                    Method::PUT,
                    &["targets", id, "metadata", k],
                    &[],
                    Some(&body),
                )
                .await?;
        }
        if !changes.create.is_empty() {
            let body = Value::Array(
                changes
                    .create
                    .iter()
                    .map(|(k, v)| json!({ "key": k, "value": v }))
                    .collect(),
            );
            self.mgmt
                .send(Method::POST, &["targets", id, "metadata"], &[], Some(&body))
                .await?;
        }
        Ok(())
    }

    async fn write_attributes(&self, device: &DeviceRecord) -> Result<()> {
        let Some(ddi) = &self.ddi else {
            return Err(Error::new(ErrorKind::Unsupported)
                .with_context("writing attributes needs the tenant's gateway token"));
        };
        let controller = ddi.controller(device.id.as_str()).map_err(|e| {
            Error::new(ErrorKind::Rejected)
                .with_context(device.id.to_string())
                .with_source(e)
        })?;
        let body = attribute_body(&device.attributes);
        controller
            .put_config_data(None, &body)
            .await
            .map_err(|e| from_ddi(e, device.id.as_str()))
    }

    /// Brings metadata, the soft-delete tag and attributes of an existing
    /// target to what `device` says, from `current`.
    async fn converge(&self, device: &DeviceRecord, current: &Full) -> Result<()> {
        let id = device.id.as_str();
        let have: BTreeMap<String, String> = current
            .metadata
            .iter()
            .map(|m| (m.key.clone(), m.value.clone()))
            .collect();
        let changes = MetadataChanges::between(&have, &self.mapping.metadata(device));
        if !changes.is_empty() {
            self.write_metadata(id, &changes).await?;
        }
        let tagged = current
            .tags
            .iter()
            .any(|t| t.name == self.config.disabled_tag);
        let disabled = !device.status.is_enabled();
        if tagged != disabled {
            self.set_disabled_tag(id, disabled).await?;
        }
        let attrs_now: crate::model::Properties = current
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if attrs_now != device.attributes {
            self.write_attributes(device).await?;
        }
        Ok(())
    }

    /// The steps after a create: the target exists now, so transient
    /// failures are retried here a few times rather than leaving a
    /// half-made target behind (the next sync would update it anyway).
    async fn finish_create(&self, device: &DeviceRecord, target: Target) -> Result<()> {
        let fresh = Full {
            target,
            metadata: Vec::new(),
            tags: Vec::new(),
            attributes: BTreeMap::new(),
        };
        let mut attempt = 0u32;
        loop {
            let result = match attempt {
                0 => self.converge(device, &fresh).await,
                _ => match self.full(device.id.as_str()).await {
                    Ok(Some(current)) => self.converge(device, &current).await,
                    Ok(None) => Err(Error::new(ErrorKind::NotFound)
                        .with_context(format!("{}: deleted while being created", device.id))),
                    Err(e) => Err(e),
                },
            };
            match result {
                Err(e) if e.is_retryable() && attempt + 1 < self.config.follow_up_attempts => {
                    let wait = e
                        .retry_after()
                        .unwrap_or(Duration::from_millis(100 << attempt.min(4)))
                        .min(Duration::from_secs(2));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn create_body(&self, device: &DeviceRecord) -> Value {
        let mut t = serde_json::Map::new();
        t.insert("controllerId".into(), json!(device.id.as_str()));
        t.insert("name".into(), json!(self.mapping.name(device)));
        if let Some(d) = self.mapping.description(device).filter(|d| !d.is_empty()) {
            t.insert("description".into(), json!(d));
        }
        if let Some(c) = &device.credentials {
            t.insert("securityToken".into(), json!(c.expose_primary()));
        }
        Value::Object(t)
    }

    /// The `PUT /targets/{id}` body that brings token, name and description
    /// to what `device` says, `None` when nothing differs.
    fn update_body(&self, device: &DeviceRecord, current: &Target) -> Option<Value> {
        let mut t = serde_json::Map::new();
        if let Some(c) = &device.credentials
            && current.security_token.as_ref().map(|s| s.expose()) != Some(c.expose_primary())
        {
            t.insert("securityToken".into(), json!(c.expose_primary()));
        }
        if self.mapping.name_tag.is_some() {
            let name = self.mapping.name(device);
            if name != current.name {
                t.insert("name".into(), json!(name));
            }
        }
        if let Some(d) = self.mapping.description(device)
            && d != current.description.as_deref().unwrap_or_default()
        {
            t.insert("description".into(), json!(d));
        }
        (!t.is_empty()).then_some(Value::Object(t))
    }

    async fn post_targets(&self, devices: &[&DeviceRecord]) -> Result<Vec<Target>> {
        let body = Value::Array(devices.iter().map(|d| self.create_body(d)).collect());
        let created: Vec<Target> = self
            .mgmt
            .send(Method::POST, &["targets"], &[], Some(&body))
            .await?
            .json()?;
        Ok(created)
    }

    /// A target left bare by an earlier create of this very record (the
    /// `POST` went through, the answer or the follow-ups were lost, e.g. a
    /// crash): same `securityToken`, no metadata, no tags, no attributes.
    /// The token is the device's secret, so a foreign target cannot pass for
    /// it; without credentials nothing proves ownership and nothing is
    /// adopted.
    async fn unfinished_create(&self, device: &DeviceRecord) -> Result<Option<Full>> {
        let Some(wanted) = &device.credentials else {
            return Ok(None);
        };
        let Some(current) = self.full(device.id.as_str()).await? else {
            return Ok(None);
        };
        let same_token = current.target.security_token.as_ref().map(|t| t.expose())
            == Some(wanted.expose_primary());
        let bare =
            current.metadata.is_empty() && current.tags.is_empty() && current.attributes.is_empty();
        Ok((same_token && bare).then_some(current))
    }

    async fn apply_one(&self, op: &Operation) -> Result<()> {
        match op {
            Operation::Create { device } => self.create(device).await.map(drop),
            Operation::Update {
                device,
                precondition,
            } => self.update(device, precondition).await.map(drop),
            Operation::Delete { id, precondition } => self.delete(id, precondition).await,
            Operation::Disable {
                id,
                reason,
                precondition,
            } => self.disable(id, reason, precondition).await.map(drop),
        }
    }

    async fn read_back(&self, id: &DeviceId) -> Result<DeviceRecord> {
        match self.full(id.as_str()).await? {
            Some(f) => Ok(self.record(&f)),
            None => Err(Error::new(ErrorKind::NotFound).with_context(id.to_string())),
        }
    }
}

/// One bulk item in flight: its position and its result.
type Job<'a> = futures_util::future::BoxFuture<'a, (usize, Result<()>)>;

/// Maps a DDI client error (attribute writes) to this crate's kinds.
fn from_ddi(e: ddi_client::Error, id: &str) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_quota_exceeded() {
        ErrorKind::Rejected
    } else if e.is_rate_limited() {
        let wait = e.retry_after();
        return Error::throttled(wait)
            .with_context(id.to_owned())
            .with_source(e);
    } else {
        match e.status_code() {
            Some(401 | 403) => ErrorKind::Unauthorized,
            Some(404) => ErrorKind::NotFound,
            Some(s) if s >= 500 => ErrorKind::Unavailable,
            Some(_) => ErrorKind::Rejected,
            None => match e.kind() {
                ddi_client::ErrorKind::Connect | ddi_client::ErrorKind::Interrupted => {
                    ErrorKind::Unavailable
                }
                ddi_client::ErrorKind::Decode => ErrorKind::Decode,
                _ => ErrorKind::Rejected,
            },
        }
    };
    Error::new(kind).with_context(id.to_owned()).with_source(e)
}

#[async_trait]
impl ExternalRegistry for HawkbitRegistry {
    fn name(&self) -> &str {
        &self.name
    }

    /// Bulk creates (one `POST /targets` per batch), no native disable (a
    /// tag and a metadata entry instead), no etags, pages of 500.
    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::new();
        caps.max_bulk(Some(self.config.max_bulk))
            .soft_delete(false)
            .etags(false)
            .max_page_size(MAX_PAGE)
            .import_jobs(false);
        caps
    }

    async fn list(&self, cursor: Option<&PageToken>, limit: usize) -> Result<Page> {
        let offset: u64 = match cursor {
            None => 0,
            Some(t) => t
                .as_str()
                .parse()
                .map_err(|_| Error::new(ErrorKind::Decode).with_context("hawkbit page token"))?,
        };
        let limit = limit.clamp(1, MAX_PAGE);
        let (offset_s, limit_s) = (offset.to_string(), limit.to_string());
        let mut query = vec![
            ("offset", offset_s.as_str()),
            ("limit", limit_s.as_str()),
            ("sort", "controllerId:ASC"),
        ];
        if let Some(f) = &self.config.filter {
            query.push(("q", f.as_str()));
        }
        let page: PagedList<Target> = self
            .mgmt
            .send(Method::GET, &["targets"], &query, None)
            .await?
            .json()?;
        let got = page.content.len() as u64;
        let fulls: Vec<Full> = stream::iter(page.content)
            .map(|t| async move {
                let id = t.controller_id.clone();
                match self.complete(t).await {
                    Ok(f) => Ok(Some(f)),
                    // deleted between the list and the lookups
                    Err(e) if e.is_not_found() => {
                        tracing::debug!(target_id = %id, "target vanished while listing");
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            })
            .buffered(self.config.lookups_in_flight)
            .try_collect::<Vec<Option<Full>>>()
            .await?
            .into_iter()
            .flatten()
            .collect();
        let devices = fulls.iter().map(|f| self.record(f)).collect();
        let end = offset + got;
        let next = (got > 0 && end < page.total).then(|| PageToken::new(end.to_string()));
        Ok(Page::new(devices, next))
    }

    async fn get(&self, id: &DeviceId) -> Result<Option<DeviceRecord>> {
        Ok(self.full(id.as_str()).await?.map(|f| self.record(&f)))
    }

    async fn create(&self, device: &DeviceRecord) -> Result<DeviceRecord> {
        self.mapping.validate(device)?;
        if !device.attributes.is_empty() && self.ddi.is_none() {
            return Err(Error::new(ErrorKind::Unsupported)
                .with_context("writing attributes needs the tenant's gateway token"));
        }
        let target = match self.post_targets(&[device]).await {
            Ok(mut created) => created.pop().ok_or_else(|| {
                Error::new(ErrorKind::Decode).with_context("empty target create answer")
            })?,
            Err(e) if e.is_already_exists() => {
                let Some(current) = self.unfinished_create(device).await? else {
                    return Err(e);
                };
                current.target
            }
            Err(e) => return Err(e),
        };
        self.finish_create(device, target).await?;
        self.read_back(&device.id).await
    }

    /// Writes the token (when the record has credentials), the name and
    /// description (when tags stand for them), metadata, the soft-delete
    /// mark and attributes. hawkBit has no etags: the
    /// precondition is not checked.
    async fn update(
        &self,
        device: &DeviceRecord,
        precondition: &Precondition,
    ) -> Result<DeviceRecord> {
        let _ = precondition;
        self.mapping.validate(device)?;
        let Some(current) = self.full(device.id.as_str()).await? else {
            return Err(Error::new(ErrorKind::NotFound).with_context(device.id.to_string()));
        };
        if let Some(body) = self.update_body(device, &current.target) {
            self.mgmt
                .send(
                    Method::PUT,
                    &["targets", device.id.as_str()],
                    &[],
                    Some(&body),
                )
                .await
                .map(drop)?;
        }
        self.converge(device, &current).await?;
        self.read_back(&device.id).await
    }

    async fn delete(&self, id: &DeviceId, precondition: &Precondition) -> Result<()> {
        let _ = precondition;
        self.mgmt
            .send(Method::DELETE, &["targets", id.as_str()], &[], None)
            .await
            .map(drop)
    }

    /// Soft delete: assigns the disabled tag and writes the reason to
    /// metadata; the target, its history and its token stay.
    async fn disable(
        &self,
        id: &DeviceId,
        reason: &str,
        precondition: &Precondition,
    ) -> Result<DeviceRecord> {
        let _ = precondition;
        let Some(current) = self.full(id.as_str()).await? else {
            return Err(Error::new(ErrorKind::NotFound).with_context(id.to_string()));
        };
        let mut desired = self.record(&current);
        desired.status = DeviceStatus::disabled(reason);
        self.converge(&desired, &current).await?;
        self.read_back(id).await
    }

    /// Creates go in one `POST /targets` (all or nothing in hawkBit; when it
    /// is refused, each create is retried alone so one existing id does not
    /// fail the others); their follow-ups and the other operations run
    /// [`HawkbitConfig::lookups_in_flight`] at a time.
    async fn apply_bulk(&self, operations: &[Operation]) -> Result<Vec<Result<()>>> {
        if operations.len() > self.config.max_bulk {
            return Err(Error::new(ErrorKind::Rejected).with_context("bulk batch too large"));
        }
        let mut results: Vec<Option<Result<()>>> = operations.iter().map(|_| None).collect();
        let mut creates: Vec<(usize, &DeviceRecord)> = Vec::new();
        for (i, op) in operations.iter().enumerate() {
            if let Operation::Create { device } = op {
                match self.mapping.validate(device) {
                    Ok(()) => creates.push((i, device)),
                    Err(e) => {
                        if let Some(slot) = results.get_mut(i) {
                            *slot = Some(Err(e));
                        }
                    }
                }
            }
        }
        let n = self.config.lookups_in_flight;
        if !creates.is_empty() {
            let devices: Vec<&DeviceRecord> = creates.iter().map(|(_, d)| *d).collect();
            let done: Vec<(usize, Result<()>)> = match self.post_targets(&devices).await {
                Ok(created) => {
                    let by_id: BTreeMap<String, Target> = created
                        .into_iter()
                        .map(|t| (t.controller_id.clone(), t))
                        .collect();
                    let by_id = &by_id;
                    let jobs: Vec<Job<'_>> = creates
                        .into_iter()
                        .map(|(i, d)| -> Job<'_> {
                            Box::pin(async move {
                                let r = match by_id.get(d.id.as_str()) {
                                    Some(t) => self.finish_create(d, t.clone()).await,
                                    None => Err(Error::new(ErrorKind::Decode).with_context(
                                        format!("{}: missing from the create answer", d.id),
                                    )),
                                };
                                (i, r)
                            })
                        })
                        .collect();
                    stream::iter(jobs).buffer_unordered(n).collect().await
                }
                Err(e) if e.is_retryable() => return Err(e),
                // one refused item refuses the batch: each on its own
                Err(_) => {
                    let jobs: Vec<Job<'_>> = creates
                        .into_iter()
                        .map(|(i, d)| -> Job<'_> {
                            Box::pin(async move { (i, self.create(d).await.map(drop)) })
                        })
                        .collect();
                    stream::iter(jobs).buffer_unordered(n).collect().await
                }
            };
            for (i, r) in done {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
        let mut jobs: Vec<Job<'_>> = Vec::new();
        for (i, op) in operations.iter().enumerate() {
            if results.get(i).is_some_and(Option::is_none) {
                jobs.push(Box::pin(async move { (i, self.apply_one(op).await) }));
            }
        }
        let rest: Vec<(usize, Result<()>)> = stream::iter(jobs).buffer_unordered(n).collect().await;
        for (i, r) in rest {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
        let out = results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(Error::new(ErrorKind::Unavailable).with_context("bulk item not run"))
                })
            })
            .collect();
        Ok(out)
    }
}
