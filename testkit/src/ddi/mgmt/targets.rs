//! `/rest/v1/targets`: list, batch create, read, update, delete, attributes,
//! a target's tags and its metadata.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::fiql::{Query, Selector};
use super::render::{self, SortField};
use super::state::{Audit, TargetMeta};
use super::{Ctx, MgmtPath, body_json, errors, json, method_not_allowed, tenant_mut};
use crate::ddi::errors::ApiError;
use crate::ddi::http::bare;
use crate::ddi::route::RouteKind;
use crate::ddi::store::{Controller, Store};

const CONTROLLER_ID_MAX: usize = 256;
const NAME_MAX: usize = 128;
const DESCRIPTION_MAX: usize = 512;
const ADDRESS_MAX: usize = 512;
const TOKEN_MAX: usize = 128;
const METADATA_KEY_MAX: usize = 128;
const METADATA_VALUE_MAX: usize = 4000;
const METADATA_PER_TARGET: usize = 100;

pub(crate) fn route(
    store: &mut Store,
    ctx: &Ctx<'_>,
    method: &Method,
    p: &MgmtPath,
    body: &[u8],
) -> Result<Response, ApiError> {
    let id = p.segments.get(1).map(String::as_str).unwrap_or_default();
    match (p.kind, method.clone()) {
        (RouteKind::MgmtTargets, Method::GET) => list(store, ctx),
        (RouteKind::MgmtTargets, Method::POST) => create(store, ctx, body),
        (RouteKind::MgmtTarget, Method::GET) => {
            let doc = target_doc(store, ctx, id)?;
            Ok(json(StatusCode::OK, &doc))
        }
        (RouteKind::MgmtTarget, Method::PUT) => update(store, ctx, id, body),
        (RouteKind::MgmtTarget, Method::DELETE) => {
            let t = tenant_mut(store, ctx)?;
            if t.controllers.remove(id).is_none() {
                return Err(errors::not_found("Target", id));
            }
            t.mgmt.targets.remove(id);
            Ok(bare(StatusCode::OK))
        }
        (RouteKind::MgmtTargetAttributes, Method::GET) => {
            let c = controller(store, ctx, id)?;
            if c.attributes.is_empty() {
                // MgmtTargetResource answers an empty map with 204
                return Ok(bare(StatusCode::NO_CONTENT));
            }
            Ok(json(StatusCode::OK, &json!(c.attributes)))
        }
        (RouteKind::MgmtTargetTags, Method::GET) => {
            controller(store, ctx, id)?;
            let t = tenant_mut(store, ctx)?;
            let ids = t
                .mgmt
                .targets
                .get(id)
                .map(|m| m.tags.clone())
                .unwrap_or_default();
            let docs: Vec<Value> = ids
                .iter()
                .filter_map(|tid| t.mgmt.tags.get(tid))
                .map(|tag| render::tag(ctx.origin, tag))
                .collect();
            Ok(json(StatusCode::OK, &Value::Array(docs)))
        }
        (RouteKind::MgmtTargetMetadata, m) => metadata(store, ctx, &m, p, body),
        (_, m) => Err(method_not_allowed(&m)),
    }
}

fn controller<'a>(store: &'a Store, ctx: &Ctx<'_>, id: &str) -> Result<&'a Controller, ApiError> {
    store
        .controller(&ctx.tenant, id)
        .ok_or_else(|| errors::not_found("Target", id))
}

pub(crate) fn target_doc(store: &Store, ctx: &Ctx<'_>, id: &str) -> Result<Value, ApiError> {
    let c = controller(store, ctx, id)?;
    let m = store
        .tenants
        .get(&ctx.tenant)
        .and_then(|t| t.mgmt.targets.get(id))
        .ok_or_else(|| errors::not_found("Target", id))?;
    Ok(render::target(store, ctx.origin, &ctx.tenant, c, m))
}

fn target_selectors(s: &Selector) -> bool {
    !matches!(s, Selector::Colour)
}

/// Target ids in the tenant matching `q`, sorted as asked.
pub(crate) fn select(
    store: &Store,
    ctx: &Ctx<'_>,
    only: Option<&BTreeSet<String>>,
) -> Result<Vec<String>, ApiError> {
    let query = match render::param(ctx.query, "q") {
        Some(q) if !q.trim().is_empty() => Some(Query::parse(&q, &target_selectors)?),
        _ => None,
    };
    let order = render::sort(ctx.query)?;
    let Some(t) = store.tenants.get(&ctx.tenant) else {
        return Ok(Vec::new());
    };
    let mut hits: Vec<(&Controller, &TargetMeta)> = t
        .controllers
        .values()
        .filter(|c| only.is_none_or(|o| o.contains(&c.id)))
        .filter_map(|c| t.mgmt.targets.get(&c.id).map(|m| (c, m)))
        .filter(|(c, m)| {
            query.as_ref().is_none_or(|q| {
                q.matches(&|s: &Selector| match s {
                    Selector::ControllerId => vec![c.id.clone()],
                    Selector::Name => vec![m.name.clone()],
                    Selector::Description => m.description.iter().cloned().collect(),
                    Selector::UpdateStatus => vec![render::update_status(store, c).to_owned()],
                    Selector::Tag => m
                        .tags
                        .iter()
                        .filter_map(|id| t.mgmt.tags.get(id))
                        .map(|tag| tag.name.clone())
                        .collect(),
                    Selector::Metadata(k) => m.metadata.get(k).cloned().into_iter().collect(),
                    Selector::Attribute(k) => c.attributes.get(k).cloned().into_iter().collect(),
                    Selector::CreatedAt => vec![m.audit.created_at.to_string()],
                    Selector::LastModifiedAt => vec![m.audit.last_modified_at.to_string()],
                    Selector::Colour => Vec::new(),
                })
            })
        })
        .collect();
    hits.sort_by(|(ca, ma), (cb, mb)| {
        for (field, ascending) in &order {
            let o = match field {
                SortField::Id => ma.seq.cmp(&mb.seq),
                SortField::ControllerId => ca.id.cmp(&cb.id),
                SortField::Name => ma.name.cmp(&mb.name),
                SortField::CreatedAt => ma.audit.created_at.cmp(&mb.audit.created_at),
                SortField::LastModifiedAt => {
                    ma.audit.last_modified_at.cmp(&mb.audit.last_modified_at)
                }
            };
            let o = if *ascending { o } else { o.reverse() };
            if o.is_ne() {
                return o;
            }
        }
        ma.seq.cmp(&mb.seq)
    });
    Ok(hits.into_iter().map(|(c, _)| c.id.clone()).collect())
}

/// A page of targets among `ids`.
pub(crate) fn page_of(store: &Store, ctx: &Ctx<'_>, ids: &[String]) -> Result<Value, ApiError> {
    let (offset, limit) = render::paging(ctx.query)?;
    let content = ids
        .iter()
        .skip(offset)
        .take(limit)
        .map(|id| target_doc(store, ctx, id))
        .collect::<Result<Vec<Value>, ApiError>>()?;
    Ok(render::paged(content, ids.len()))
}

fn list(store: &Store, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let ids = select(store, ctx, None)?;
    Ok(json(StatusCode::OK, &page_of(store, ctx, &ids)?))
}

fn opt_str<'a>(
    o: &'a serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, ApiError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::body_not_readable(format!(
            "`{field}` is not a string"
        ))),
    }
}

fn opt_bool(o: &serde_json::Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::body_not_readable(format!(
            "`{field}` is not a boolean"
        ))),
    }
}

fn check_len(field: &str, value: Option<&str>, min: usize, max: usize) -> Result<(), ApiError> {
    if let Some(v) = value {
        let n = v.encode_utf16().count();
        if n < min || n > max {
            return Err(ApiError::constraint_violation(format!(
                "{field}: size must be between {min} and {max}"
            )));
        }
    }
    Ok(())
}

/// The fields of a create or update body, validated.
struct TargetBody<'a> {
    controller_id: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    address: Option<&'a str>,
    token: Option<&'a str>,
    request_attributes: Option<bool>,
}

fn target_body(v: &Value) -> Result<TargetBody<'_>, ApiError> {
    let Value::Object(o) = v else {
        return Err(ApiError::body_not_readable("a target must be an object"));
    };
    let b = TargetBody {
        controller_id: opt_str(o, "controllerId")?,
        name: opt_str(o, "name")?,
        description: opt_str(o, "description")?,
        address: opt_str(o, "address")?,
        token: opt_str(o, "securityToken")?,
        request_attributes: opt_bool(o, "requestAttributes")?,
    };
    check_len("name", b.name, 1, NAME_MAX)?;
    check_len("description", b.description, 0, DESCRIPTION_MAX)?;
    check_len("address", b.address, 0, ADDRESS_MAX)?;
    check_len("securityToken", b.token, 1, TOKEN_MAX)?;
    Ok(b)
}

fn create(store: &mut Store, ctx: &Ctx<'_>, body: &[u8]) -> Result<Response, ApiError> {
    let Value::Array(items) = body_json(body)? else {
        return Err(ApiError::body_not_readable("expected an array of targets"));
    };
    let mut bodies = Vec::with_capacity(items.len());
    let mut seen = BTreeSet::new();
    for item in &items {
        let b = target_body(item)?;
        let Some(id) = b.controller_id else {
            return Err(ApiError::constraint_violation(
                "controllerId: must not be null",
            ));
        };
        check_len("controllerId", Some(id), 1, CONTROLLER_ID_MAX)?;
        if id.chars().any(char::is_whitespace) {
            return Err(ApiError::constraint_violation(
                "controllerId: must match \"[\\S]*\"",
            ));
        }
        if store.controller(&ctx.tenant, id).is_some() || !seen.insert(id.to_owned()) {
            return Err(errors::already_exists(format!("Target {id}")));
        }
        bodies.push(b);
    }
    let t = tenant_mut(store, ctx)?;
    let mut created = Vec::with_capacity(bodies.len());
    for b in bodies {
        let id = b.controller_id.unwrap_or_default().to_owned();
        let token = match b.token {
            Some(tok) => tok.to_owned(),
            None => t.mgmt.generate_token(&id),
        };
        let mut c = Controller::new(&id, Some(token));
        if let Some(r) = b.request_attributes {
            c.request_attributes = r;
        }
        t.controllers.insert(id.clone(), c);
        let seq = t.mgmt.next_seq();
        t.mgmt.targets.insert(
            id.clone(),
            TargetMeta {
                seq,
                name: b.name.unwrap_or(&id).to_owned(),
                description: b.description.map(str::to_owned),
                address: b.address.map(str::to_owned),
                audit: Audit::new(&ctx.user),
                metadata: BTreeMap::new(),
                tags: BTreeSet::new(),
            },
        );
        created.push(id);
    }
    let docs = created
        .iter()
        .map(|id| target_doc(store, ctx, id))
        .collect::<Result<Vec<Value>, ApiError>>()?;
    Ok(json(StatusCode::CREATED, &Value::Array(docs)))
}

fn update(store: &mut Store, ctx: &Ctx<'_>, id: &str, body: &[u8]) -> Result<Response, ApiError> {
    let v = body_json(body)?;
    let b = target_body(&v)?;
    let t = tenant_mut(store, ctx)?;
    let (Some(c), Some(m)) = (t.controllers.get_mut(id), t.mgmt.targets.get_mut(id)) else {
        return Err(errors::not_found("Target", id));
    };
    if let Some(n) = b.name {
        m.name = n.to_owned();
    }
    if let Some(d) = b.description {
        m.description = Some(d.to_owned());
    }
    if let Some(a) = b.address {
        m.address = Some(a.to_owned());
    }
    if let Some(tok) = b.token {
        c.token = Some(tok.to_owned());
    }
    if let Some(r) = b.request_attributes {
        c.request_attributes = r;
    }
    m.audit.touch(&ctx.user);
    let doc = target_doc(store, ctx, id)?;
    Ok(json(StatusCode::OK, &doc))
}

fn entry(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": value })
}

fn metadata(
    store: &mut Store,
    ctx: &Ctx<'_>,
    method: &Method,
    p: &MgmtPath,
    body: &[u8],
) -> Result<Response, ApiError> {
    let id = p.segments.get(1).map(String::as_str).unwrap_or_default();
    let key = p.segments.get(3).map(String::as_str);
    let user = ctx.user.clone();
    let t = tenant_mut(store, ctx)?;
    let m = t
        .mgmt
        .targets
        .get_mut(id)
        .ok_or_else(|| errors::not_found("Target", id))?;
    match (key, method.clone()) {
        (None, Method::GET) => {
            let (offset, limit) = render::paging(ctx.query)?;
            let content: Vec<Value> = m
                .metadata
                .iter()
                .skip(offset)
                .take(limit)
                .map(|(k, v)| entry(k, v))
                .collect();
            Ok(json(
                StatusCode::OK,
                &render::paged(content, m.metadata.len()),
            ))
        }
        (None, Method::POST) => {
            let Value::Array(items) = body_json(body)? else {
                return Err(ApiError::body_not_readable("expected an array of metadata"));
            };
            let mut add = BTreeMap::new();
            for item in &items {
                let Value::Object(o) = item else {
                    return Err(ApiError::body_not_readable("metadata must be objects"));
                };
                let k = opt_str(o, "key")?
                    .ok_or_else(|| ApiError::constraint_violation("key: must not be null"))?;
                let v = opt_str(o, "value")?.unwrap_or_default();
                check_len("key", Some(k), 1, METADATA_KEY_MAX)?;
                check_len("value", Some(v), 0, METADATA_VALUE_MAX)?;
                if m.metadata.contains_key(k) || add.insert(k.to_owned(), v.to_owned()).is_some() {
                    return Err(errors::already_exists(format!("Metadata {k}")));
                }
            }
            if m.metadata.len() + add.len() > METADATA_PER_TARGET {
                return Err(errors::quota("TargetMetadata", id, METADATA_PER_TARGET));
            }
            let docs: Vec<Value> = add.iter().map(|(k, v)| entry(k, v)).collect();
            m.metadata.extend(add);
            m.audit.touch(&user);
            Ok(json(StatusCode::CREATED, &Value::Array(docs)))
        }
        (Some(k), Method::GET) => {
            let v = m
                .metadata
                .get(k)
                .ok_or_else(|| errors::not_found("TargetMetadata", k))?;
            Ok(json(StatusCode::OK, &entry(k, v)))
        }
        (Some(k), Method::PUT) => {
            let v = body_json(body)?;
            let Value::Object(o) = &v else {
                return Err(ApiError::body_not_readable("expected a metadata object"));
            };
            let value = opt_str(o, "value")?.unwrap_or_default();
            check_len("value", Some(value), 0, METADATA_VALUE_MAX)?;
            let slot = m
                .metadata
                .get_mut(k)
                .ok_or_else(|| errors::not_found("TargetMetadata", k))?;
            value.clone_into(slot);
            m.audit.touch(&user);
            Ok(json(StatusCode::OK, &entry(k, value)))
        }
        (Some(k), Method::DELETE) => {
            m.metadata
                .remove(k)
                .ok_or_else(|| errors::not_found("TargetMetadata", k))?;
            m.audit.touch(&user);
            Ok(bare(StatusCode::OK))
        }
        (_, other) => Err(method_not_allowed(&other)),
    }
}
