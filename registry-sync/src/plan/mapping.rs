//! The seam that turns a master device's data into what the replica stores.
//!
//! These simple mappings and [`FnMapping`] cover same-kind registries; the
//! IoT Hub twin to hawkBit mapping with hawkBit's limits is `twin-model`'s,
//! plugged in as [`TwinAttributes`](super::TwinAttributes).

use crate::model::{DeviceRecord, Properties};
use std::borrow::Cow;
use std::fmt;

/// Maps a master device to the tags and attributes its replica should carry.
///
/// Must be pure and deterministic: the planner calls it for every device on
/// both sides of a comparison, and re-planning must be stable. Returning
/// `Cow::Borrowed` avoids an allocation per device on large plans.
pub trait AttributeMapping: Send + Sync + fmt::Debug {
    /// The replica's tags (the scope's ownership tag is added by the planner).
    fn tags<'a>(&self, master: &'a DeviceRecord) -> Cow<'a, Properties> {
        Cow::Borrowed(&master.tags)
    }

    /// The replica's attributes.
    fn attributes<'a>(&self, master: &'a DeviceRecord) -> Cow<'a, Properties>;
}

/// Same-kind registries: tags to tags, attributes to attributes.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirectMapping;

impl AttributeMapping for DirectMapping {
    fn attributes<'a>(&self, master: &'a DeviceRecord) -> Cow<'a, Properties> {
        Cow::Borrowed(&master.attributes)
    }
}

/// IoT Hub to hawkBit style: tags to tags, reported properties to attributes.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportedAsAttributes;

impl AttributeMapping for ReportedAsAttributes {
    fn attributes<'a>(&self, master: &'a DeviceRecord) -> Cow<'a, Properties> {
        Cow::Borrowed(&master.reported)
    }
}

/// A mapping from two functions (tags, attributes), e.g. a `twin-model` adapter.
pub struct FnMapping<T, A> {
    tags: T,
    attributes: A,
}

impl<T, A> FnMapping<T, A>
where
    T: Fn(&DeviceRecord) -> Properties + Send + Sync,
    A: Fn(&DeviceRecord) -> Properties + Send + Sync,
{
    /// Wraps the two functions.
    pub fn new(tags: T, attributes: A) -> Self {
        Self { tags, attributes }
    }
}

impl<T, A> fmt::Debug for FnMapping<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnMapping")
    }
}

impl<T, A> AttributeMapping for FnMapping<T, A>
where
    T: Fn(&DeviceRecord) -> Properties + Send + Sync,
    A: Fn(&DeviceRecord) -> Properties + Send + Sync,
{
    fn tags<'a>(&self, master: &'a DeviceRecord) -> Cow<'a, Properties> {
        Cow::Owned((self.tags)(master))
    }

    fn attributes<'a>(&self, master: &'a DeviceRecord) -> Cow<'a, Properties> {
        Cow::Owned((self.attributes)(master))
    }
}
