//! Fault rules: aimed at a route and optionally a device, used up after a count.

use std::time::Duration;

/// The routes of the simulator, for counters and fault rules.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    /// `GET /devices/{id}`.
    DeviceGet,
    /// `PUT /devices/{id}`.
    DevicePut,
    /// `DELETE /devices/{id}`.
    DeviceDelete,
    /// `GET /twins/{id}`.
    TwinGet,
    /// `PATCH /twins/{id}`.
    TwinPatch,
    /// `PUT /twins/{id}`.
    TwinPut,
    /// `POST /devices/query`.
    Query,
    /// `POST /devices` (bulk registry operations).
    Bulk,
    /// `POST /jobs/create`; item failures aimed here hit import-job lines.
    JobCreate,
    /// `GET /jobs/{id}`.
    JobGet,
    /// `PUT /blob/{container}/{name}`.
    BlobPut,
    /// `GET /blob/{container}/{name}`.
    BlobGet,
    /// Anything else (answered 404).
    Other,
}

impl Route {
    /// A short name (`"device.get"`, `"bulk"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::DeviceGet => "device.get",
            Self::DevicePut => "device.put",
            Self::DeviceDelete => "device.delete",
            Self::TwinGet => "twin.get",
            Self::TwinPatch => "twin.patch",
            Self::TwinPut => "twin.put",
            Self::Query => "query",
            Self::Bulk => "bulk",
            Self::JobCreate => "job.create",
            Self::JobGet => "job.get",
            Self::BlobPut => "blob.put",
            Self::BlobGet => "blob.get",
            Self::Other => "other",
        }
    }
}

/// What a rule does.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubFault {
    /// Answer with this status (5xx: `ServerError`/`ServiceUnavailable` bodies).
    Status(u16),
    /// Wait this long before handling the request (client timeouts).
    Delay(Duration),
    /// Send the headers, then break the connection mid-body.
    DropConnection,
    /// Answer 200 with a body that is not JSON (a broken proxy, a truncated answer).
    GarbageBody,
    /// Inside a bulk call or an import job, the matching device's entry
    /// fails with `ServerError`, the rest of the call going through.
    ItemFailure,
}

/// A fault aimed at `route` (any route when `None`) and optionally one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    pub(crate) route: Option<Route>,
    pub(crate) device: Option<String>,
    pub(crate) fault: HubFault,
    pub(crate) count: usize,
}

impl FaultRule {
    /// `fault` on the next `count` requests to `route` (any route when `None`).
    pub fn new(route: Option<Route>, fault: HubFault, count: usize) -> Self {
        Self {
            route,
            device: None,
            fault,
            count,
        }
    }

    /// Only requests (or bulk/job items) for this device.
    #[must_use]
    pub fn for_device(mut self, id: impl Into<String>) -> Self {
        self.device = Some(id.into());
        self
    }
}

/// The active rules.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
}

impl Faults {
    pub(crate) fn add(&mut self, rule: FaultRule) {
        if rule.count > 0 {
            self.rules.push(rule);
        }
    }

    fn take_where(&mut self, pick: impl Fn(&FaultRule) -> bool) -> Option<HubFault> {
        let i = self.rules.iter().position(pick)?;
        let rule = self.rules.get_mut(i)?;
        rule.count -= 1;
        let fault = rule.fault.clone();
        if rule.count == 0 {
            self.rules.remove(i);
        }
        Some(fault)
    }

    /// The request-level fault for this request, if a rule fires.
    pub(crate) fn request(&mut self, route: Route, device: Option<&str>) -> Option<HubFault> {
        self.take_where(|r| {
            r.fault != HubFault::ItemFailure
                && r.route.is_none_or(|x| x == route)
                && r.device.as_deref().is_none_or(|d| Some(d) == device)
        })
    }

    /// Whether the item for `device` inside a call to `route` must fail.
    pub(crate) fn item(&mut self, route: Route, device: &str) -> bool {
        self.take_where(|r| {
            r.fault == HubFault::ItemFailure
                && r.route.is_none_or(|x| x == route)
                && r.device.as_deref().is_none_or(|d| d == device)
        })
        .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_route_and_device_and_run_out() {
        let mut f = Faults::default();
        f.add(FaultRule::new(Some(Route::DeviceGet), HubFault::Status(503), 2).for_device("a"));
        f.add(FaultRule::new(None, HubFault::ItemFailure, 1).for_device("b"));
        assert_eq!(f.request(Route::DeviceGet, Some("b")), None);
        assert_eq!(f.request(Route::DevicePut, Some("a")), None);
        assert_eq!(
            f.request(Route::DeviceGet, Some("a")),
            Some(HubFault::Status(503))
        );
        assert_eq!(
            f.request(Route::DeviceGet, Some("a")),
            Some(HubFault::Status(503))
        );
        assert_eq!(f.request(Route::DeviceGet, Some("a")), None);
        assert!(!f.item(Route::Bulk, "a"));
        assert!(f.item(Route::Bulk, "b"));
        assert!(!f.item(Route::Bulk, "b"));
    }
}
