//! `/rest/v1/targettags`: tags, and their assignment to targets (one target,
//! or a batch with `onNotFoundPolicy`).

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::fiql::{Query, Selector};
use super::render;
use super::state::{Audit, TagDef};
use super::targets::{page_of, select};
use super::{Ctx, MgmtPath, body_json, errors, json, method_not_allowed, tenant_mut};
use crate::ddi::errors::ApiError;
use crate::ddi::http::bare;
use crate::ddi::route::RouteKind;
use crate::ddi::store::{Store, Tenant};

const NAME_MAX: usize = 128;
const DESCRIPTION_MAX: usize = 512;
const COLOUR_MAX: usize = 16;

pub(crate) fn route(
    store: &mut Store,
    ctx: &Ctx<'_>,
    method: &Method,
    p: &MgmtPath,
    body: &[u8],
) -> Result<Response, ApiError> {
    let tag_id = match p.segments.get(1) {
        None => None,
        Some(s) => Some(
            s.parse::<u64>()
                .map_err(|_| ApiError::body_not_readable(format!("`{s}` is not a tag id")))?,
        ),
    };
    match (p.kind, tag_id, method.clone()) {
        (RouteKind::MgmtTags, None, Method::GET) => list(store, ctx),
        (RouteKind::MgmtTags, None, Method::POST) => create(store, ctx, body),
        (RouteKind::MgmtTags, Some(id), Method::GET) => {
            let t = tenant(store, ctx)?;
            let tag = find(t, id)?;
            Ok(json(StatusCode::OK, &render::tag(ctx.origin, tag)))
        }
        (RouteKind::MgmtTags, Some(id), Method::PUT) => update(store, ctx, id, body),
        (RouteKind::MgmtTags, Some(id), Method::DELETE) => {
            let t = tenant_mut(store, ctx)?;
            t.mgmt
                .tags
                .remove(&id)
                .ok_or_else(|| errors::not_found("TargetTag", id))?;
            for m in t.mgmt.targets.values_mut() {
                m.tags.remove(&id);
            }
            Ok(bare(StatusCode::OK))
        }
        (RouteKind::MgmtTagAssignment, Some(id), m) => assignment(store, ctx, &m, id, p, body),
        (_, _, m) => Err(method_not_allowed(&m)),
    }
}

fn tenant<'a>(store: &'a Store, ctx: &Ctx<'_>) -> Result<&'a Tenant, ApiError> {
    store
        .tenants
        .get(&ctx.tenant)
        .ok_or_else(|| ApiError::empty(StatusCode::UNAUTHORIZED))
}

fn find(t: &Tenant, id: u64) -> Result<&TagDef, ApiError> {
    t.mgmt
        .tags
        .get(&id)
        .ok_or_else(|| errors::not_found("TargetTag", id))
}

fn list(store: &Store, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let query = match render::param(ctx.query, "q") {
        Some(q) if !q.trim().is_empty() => Some(Query::parse(&q, &|s| {
            matches!(s, Selector::Name | Selector::Description | Selector::Colour)
        })?),
        _ => None,
    };
    let (offset, limit) = render::paging(ctx.query)?;
    let t = tenant(store, ctx)?;
    let hits: Vec<&TagDef> = t
        .mgmt
        .tags
        .values()
        .filter(|tag| {
            query.as_ref().is_none_or(|q| {
                q.matches(&|s: &Selector| match s {
                    Selector::Name => vec![tag.name.clone()],
                    Selector::Description => tag.description.iter().cloned().collect(),
                    Selector::Colour => tag.colour.iter().cloned().collect(),
                    _ => Vec::new(),
                })
            })
        })
        .collect();
    let content: Vec<Value> = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(|tag| render::tag(ctx.origin, tag))
        .collect();
    Ok(json(StatusCode::OK, &render::paged(content, hits.len())))
}

struct TagBody {
    name: Option<String>,
    description: Option<String>,
    colour: Option<String>,
}

fn tag_body(v: &Value) -> Result<TagBody, ApiError> {
    let Value::Object(o) = v else {
        return Err(ApiError::body_not_readable("a tag must be an object"));
    };
    let field = |name: &str| match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::body_not_readable(format!(
            "`{name}` is not a string"
        ))),
    };
    let b = TagBody {
        name: field("name")?,
        description: field("description")?,
        colour: field("colour")?,
    };
    let check = |f: &str, v: &Option<String>, min: usize, max: usize| {
        v.as_deref().map_or(Ok(()), |s| {
            let n = s.encode_utf16().count();
            if n < min || n > max {
                Err(ApiError::constraint_violation(format!(
                    "{f}: size must be between {min} and {max}"
                )))
            } else {
                Ok(())
            }
        })
    };
    check("name", &b.name, 1, NAME_MAX)?;
    check("description", &b.description, 0, DESCRIPTION_MAX)?;
    check("colour", &b.colour, 0, COLOUR_MAX)?;
    Ok(b)
}

fn create(store: &mut Store, ctx: &Ctx<'_>, body: &[u8]) -> Result<Response, ApiError> {
    let Value::Array(items) = body_json(body)? else {
        return Err(ApiError::body_not_readable("expected an array of tags"));
    };
    let t = tenant_mut(store, ctx)?;
    let mut bodies = Vec::with_capacity(items.len());
    let mut names = BTreeSet::new();
    for item in &items {
        let b = tag_body(item)?;
        let Some(name) = b.name.clone() else {
            return Err(ApiError::constraint_violation("name: must not be null"));
        };
        if t.mgmt.tag_by_name(&name).is_some() || !names.insert(name.clone()) {
            return Err(errors::already_exists(format!("TargetTag {name}")));
        }
        bodies.push((name, b));
    }
    let mut docs = Vec::with_capacity(bodies.len());
    for (name, b) in bodies {
        let id = t.mgmt.next_tag_id();
        let tag = TagDef {
            id,
            name,
            description: b.description,
            colour: b.colour,
            audit: Audit::new(&ctx.user),
        };
        docs.push(render::tag(ctx.origin, &tag));
        t.mgmt.tags.insert(id, tag);
    }
    Ok(json(StatusCode::CREATED, &Value::Array(docs)))
}

fn update(store: &mut Store, ctx: &Ctx<'_>, id: u64, body: &[u8]) -> Result<Response, ApiError> {
    let b = tag_body(&body_json(body)?)?;
    let t = tenant_mut(store, ctx)?;
    if let Some(name) = &b.name
        && t.mgmt.tag_by_name(name).is_some_and(|other| other.id != id)
    {
        return Err(errors::already_exists(format!("TargetTag {name}")));
    }
    let tag = t
        .mgmt
        .tags
        .get_mut(&id)
        .ok_or_else(|| errors::not_found("TargetTag", id))?;
    if let Some(n) = b.name {
        tag.name = n;
    }
    if let Some(d) = b.description {
        tag.description = Some(d);
    }
    if let Some(c) = b.colour {
        tag.colour = Some(c);
    }
    tag.audit.touch(&ctx.user);
    Ok(json(StatusCode::OK, &render::tag(ctx.origin, tag)))
}

/// `onNotFoundPolicy` of batch assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnNotFound {
    Fail,
    FoundAndFail,
    FoundAndSucceed,
}

fn assignment(
    store: &mut Store,
    ctx: &Ctx<'_>,
    method: &Method,
    tag_id: u64,
    p: &MgmtPath,
    body: &[u8],
) -> Result<Response, ApiError> {
    find(tenant(store, ctx)?, tag_id)?;
    let single = p.segments.get(3).cloned();
    if *method == Method::GET && single.is_none() {
        let t = tenant(store, ctx)?;
        let only: BTreeSet<String> = t
            .mgmt
            .targets
            .iter()
            .filter(|(_, m)| m.tags.contains(&tag_id))
            .map(|(id, _)| id.clone())
            .collect();
        let ids = select(store, ctx, Some(&only))?;
        return Ok(json(StatusCode::OK, &page_of(store, ctx, &ids)?));
    }
    let assign = match *method {
        Method::POST => true,
        Method::DELETE => false,
        ref other => return Err(method_not_allowed(other)),
    };
    let (ids, policy) = match single {
        Some(id) => (vec![id], OnNotFound::Fail),
        None => {
            let ids: Vec<String> =
                serde_json::from_value(body_json(body)?).map_err(ApiError::body_not_readable)?;
            let policy = match render::param(ctx.query, "onNotFoundPolicy").as_deref() {
                None | Some("FAIL") => OnNotFound::Fail,
                Some("ON_WHAT_FOUND_AND_FAIL") => OnNotFound::FoundAndFail,
                Some("ON_WHAT_FOUND_AND_SUCCESS") => OnNotFound::FoundAndSucceed,
                Some(other) => {
                    return Err(ApiError::body_not_readable(format!(
                        "`{other}` is not an onNotFoundPolicy"
                    )));
                }
            };
            (ids, policy)
        }
    };
    let t = tenant_mut(store, ctx)?;
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !t.mgmt.targets.contains_key(*id))
        .collect();
    if let Some(first) = missing.first()
        && policy == OnNotFound::Fail
    {
        return Err(errors::not_found("Target", first));
    }
    let first_missing = missing.first().map(|s| (*s).clone());
    for id in &ids {
        if let Some(m) = t.mgmt.targets.get_mut(id) {
            let changed = if assign {
                m.tags.insert(tag_id)
            } else {
                m.tags.remove(&tag_id)
            };
            if changed {
                m.audit.touch(&ctx.user);
            }
        }
    }
    match (first_missing, policy) {
        (Some(id), OnNotFound::FoundAndFail) => Err(errors::not_found("Target", id)),
        _ => Ok(bare(StatusCode::OK)),
    }
}
