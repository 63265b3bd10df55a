//! Which master data must be present before a device is synced.

use crate::model::DeviceRecord;

/// Which master data must be present before a device is synced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completeness {
    required_tags: Vec<Box<str>>,
    required_reported: Vec<Box<str>>,
}

impl Completeness {
    /// Nothing required.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires these tags.
    pub fn require_tags<I: IntoIterator<Item = S>, S: Into<Box<str>>>(
        &mut self,
        keys: I,
    ) -> &mut Self {
        self.required_tags.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Requires these reported properties (flattened keys).
    pub fn require_reported<I: IntoIterator<Item = S>, S: Into<Box<str>>>(
        &mut self,
        keys: I,
    ) -> &mut Self {
        self.required_reported
            .extend(keys.into_iter().map(Into::into));
        self
    }

    /// The required keys `device` lacks (tags as `tags.KEY`, reported as `reported.KEY`).
    pub fn missing(&self, device: &DeviceRecord) -> Vec<Box<str>> {
        let tags = self
            .required_tags
            .iter()
            .filter(|k| !device.tags.contains_key(k))
            .map(|k| format!("tags.{k}").into_boxed_str());
        let reported = self
            .required_reported
            .iter()
            .filter(|k| !device.reported.contains_key(k))
            .map(|k| format!("reported.{k}").into_boxed_str());
        tags.chain(reported).collect()
    }

    /// Whether nothing is required.
    pub fn is_empty(&self) -> bool {
        self.required_tags.is_empty() && self.required_reported.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_names_what_is_missing() {
        let mut c = Completeness::new();
        c.require_tags(["EUI"]).require_reported(["fw"]);
        let d = DeviceRecord::new("d").with_tag("EUI", "00");
        assert_eq!(c.missing(&d), vec![Box::from("reported.fw")]);
    }
}
