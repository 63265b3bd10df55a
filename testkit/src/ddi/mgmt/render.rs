//! Management API documents: targets and tags as hawkBit renders them
//! (vector `hawkbit-mgmt-target.json`), paged lists, and the `offset`,
//! `limit` and `sort` parameters.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use super::errors;
use super::state::{TagDef, TargetMeta};
use crate::ddi::errors::ApiError;
use crate::ddi::route::encode;
use crate::ddi::store::{Controller, Store};

/// Default and largest page (`PagingUtility`).
pub(crate) const DEFAULT_LIMIT: usize = 50;
pub(crate) const MAX_LIMIT: usize = 500;

fn ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn link(href: String) -> Value {
    json!({ "href": href })
}

/// `updateStatus` as hawkBit derives it.
pub(crate) fn update_status(store: &Store, c: &Controller) -> &'static str {
    if store.active_action(c).is_some() {
        "pending"
    } else if c.installed.is_some() {
        "in_sync"
    } else if c.last_poll.is_some() {
        "registered"
    } else {
        "unknown"
    }
}

/// One target.
pub(crate) fn target(
    store: &Store,
    origin: &str,
    tenant: &str,
    c: &Controller,
    m: &TargetMeta,
) -> Value {
    let base = format!("{origin}/rest/v1/targets/{}", encode(&c.id));
    let mut doc = Map::new();
    doc.insert("createdBy".into(), json!(m.audit.created_by));
    doc.insert("createdAt".into(), json!(m.audit.created_at));
    doc.insert("lastModifiedBy".into(), json!(m.audit.last_modified_by));
    doc.insert("lastModifiedAt".into(), json!(m.audit.last_modified_at));
    doc.insert("name".into(), json!(m.name));
    if let Some(d) = &m.description {
        doc.insert("description".into(), json!(d));
    }
    doc.insert("controllerId".into(), json!(c.id));
    doc.insert("updateStatus".into(), json!(update_status(store, c)));
    if let Some(last) = c.last_poll {
        let polling = store.tenants.get(tenant).map_or(300_000, |t| {
            i64::try_from(t.config.polling_time.as_millis()).unwrap_or(i64::MAX)
        });
        let last = ms(last);
        let next = last.saturating_add(polling);
        doc.insert("lastControllerRequestAt".into(), json!(last));
        doc.insert(
            "pollStatus".into(),
            json!({
                "lastRequestAt": last,
                "nextExpectedRequestAt": next,
                "overdue": ms(SystemTime::now()) > next.saturating_add(polling),
            }),
        );
    }
    if let Some(a) = &m.address {
        doc.insert("address".into(), json!(a));
    }
    if let Some(t) = &c.token {
        doc.insert("securityToken".into(), json!(t));
    }
    doc.insert("requestAttributes".into(), json!(c.request_attributes));
    doc.insert("autoConfirmActive".into(), json!(c.auto_confirm.is_some()));
    doc.insert(
        "_links".into(),
        json!({
            "self": link(base.clone()),
            "assignedDS": link(format!("{base}/assignedDS")),
            "installedDS": link(format!("{base}/installedDS")),
            "attributes": link(format!("{base}/attributes")),
            "actions": link(format!("{base}/actions?offset=0&limit=50&sort=id%3ADESC")),
            "metadata": link(format!("{base}/metadata?offset=0&limit=50")),
            "autoConfirm": link(format!("{base}/autoConfirm")),
        }),
    );
    Value::Object(doc)
}

/// One target tag.
pub(crate) fn tag(origin: &str, t: &TagDef) -> Value {
    let base = format!("{origin}/rest/v1/targettags/{}", t.id);
    let mut doc = Map::new();
    doc.insert("createdBy".into(), json!(t.audit.created_by));
    doc.insert("createdAt".into(), json!(t.audit.created_at));
    doc.insert("lastModifiedBy".into(), json!(t.audit.last_modified_by));
    doc.insert("lastModifiedAt".into(), json!(t.audit.last_modified_at));
    doc.insert("name".into(), json!(t.name));
    if let Some(d) = &t.description {
        doc.insert("description".into(), json!(d));
    }
    if let Some(c) = &t.colour {
        doc.insert("colour".into(), json!(c));
    }
    doc.insert(
        "_links".into(),
        json!({
            "self": link(base.clone()),
            "assignedTargets": link(format!("{base}/assigned?offset=0&limit=50")),
        }),
    );
    doc.insert("id".into(), json!(t.id));
    Value::Object(doc)
}

/// `{content, total, size}`.
pub(crate) fn paged(content: Vec<Value>, total: usize) -> Value {
    json!({ "content": content, "total": total, "size": content.len() })
}

/// `offset` and `limit` as `PagingUtility` sanitises them.
pub(crate) fn paging(query: Option<&str>) -> Result<(usize, usize), ApiError> {
    let mut offset = 0i64;
    let mut limit = DEFAULT_LIMIT as i64;
    for (k, v) in params(query) {
        let parse = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::body_not_readable(format!("`{v}` is not a number")))
        };
        match k.as_str() {
            "offset" => offset = parse(&v)?,
            "limit" => limit = parse(&v)?,
            _ => {}
        }
    }
    let offset = usize::try_from(offset.max(0)).unwrap_or(0);
    let limit = usize::try_from(limit.clamp(1, MAX_LIMIT as i64)).unwrap_or(DEFAULT_LIMIT);
    Ok((offset, limit))
}

/// The decoded query parameters.
pub(crate) fn params(query: Option<&str>) -> Vec<(String, String)> {
    query.map_or_else(Vec::new, |q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
}

/// One named parameter.
pub(crate) fn param(query: Option<&str>, name: &str) -> Option<String> {
    params(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A sort key of targets or tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortField {
    /// Creation order (the database id; the default, not selectable).
    Id,
    ControllerId,
    Name,
    CreatedAt,
    LastModifiedAt,
}

/// `sort=field:ASC,field2:DESC`; `None` = the default (id ascending).
pub(crate) fn sort(query: Option<&str>) -> Result<Vec<(SortField, bool)>, ApiError> {
    let Some(spec) = param(query, "sort") else {
        return Ok(vec![(SortField::Id, true)]);
    };
    let mut out = Vec::new();
    for part in spec.split(',') {
        let Some((field, dir)) = part.split_once(':') else {
            return Err(errors::sort(
                "hawkbit.server.error.rest.param.sortParamSyntax",
                part,
            ));
        };
        let field = match field.trim().to_ascii_lowercase().as_str() {
            // hawkBit's `TargetFields.ID` is the controllerId
            "id" | "controllerid" => SortField::ControllerId,
            "name" => SortField::Name,
            "createdat" => SortField::CreatedAt,
            "lastmodifiedat" => SortField::LastModifiedAt,
            _ => {
                return Err(errors::sort(
                    "hawkbit.server.error.rest.param.invalidField",
                    field,
                ));
            }
        };
        let ascending = match dir.trim().to_ascii_uppercase().as_str() {
            "ASC" => true,
            "DESC" => false,
            _ => {
                return Err(errors::sort(
                    "hawkbit.server.error.rest.param.invalidDirection",
                    dir,
                ));
            }
        };
        out.push((field, ascending));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_sanitised() {
        assert_eq!(paging(None).unwrap(), (0, 50));
        assert_eq!(paging(Some("offset=-3&limit=9999")).unwrap(), (0, 500));
        assert_eq!(paging(Some("limit=0")).unwrap(), (0, 1));
        assert!(paging(Some("limit=x")).is_err());
    }

    #[test]
    fn sort_parameters() {
        assert_eq!(sort(None).unwrap(), vec![(SortField::Id, true)]);
        assert_eq!(
            sort(Some("sort=controllerId:DESC,name:asc")).unwrap(),
            vec![(SortField::ControllerId, false), (SortField::Name, true)]
        );
        assert!(sort(Some("sort=nope:ASC")).is_err());
        assert!(sort(Some("sort=name:UP")).is_err());
        assert!(sort(Some("sort=name")).is_err());
    }
}
