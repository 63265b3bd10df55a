//! The device fields a sync writes, named one by one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A field of a [`DeviceRecord`](crate::model::DeviceRecord) the planner
/// compares and writes (the id is the key; `reported` belongs to the device).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    /// Enabled or disabled, with the reason.
    Status,
    /// Keys or token.
    Credentials,
    /// Tags (through the mapping).
    Tags,
    /// Attributes (through the mapping).
    Attributes,
}

impl Field {
    /// Every field, in declaration order.
    pub const ALL: [Self; 4] = [
        Self::Status,
        Self::Credentials,
        Self::Tags,
        Self::Attributes,
    ];

    const fn bit(self) -> u8 {
        match self {
            Self::Status => 1,
            Self::Credentials => 2,
            Self::Tags => 4,
            Self::Attributes => 8,
        }
    }
}

/// A set of [`Field`]s: the fields a policy syncs
/// ([`Policy::fields`](super::Policy::fields)), or those found different
/// ([`Reason::Differs`](super::Reason::Differs)).
///
/// ```
/// use registry_sync::plan::{Field, FieldSet};
/// // Everything but the keys, e.g. when the replica generates its own tokens.
/// let synced = FieldSet::all().without(Field::Credentials);
/// assert!(synced.contains(Field::Tags) && !synced.contains(Field::Credentials));
/// assert_eq!(FieldSet::from_iter([Field::Tags, Field::Attributes]), FieldSet::none().with(Field::Tags).with(Field::Attributes));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "Vec<Field>", from = "Vec<Field>")]
pub struct FieldSet {
    bits: u8,
}

impl FieldSet {
    /// Every field.
    pub fn all() -> Self {
        Self::from_iter(Field::ALL)
    }

    /// No field.
    pub fn none() -> Self {
        Self::default()
    }

    /// This set with `field` added.
    #[must_use]
    pub fn with(self, field: Field) -> Self {
        Self {
            bits: self.bits | field.bit(),
        }
    }

    /// This set with `field` removed.
    #[must_use]
    pub fn without(self, field: Field) -> Self {
        Self {
            bits: self.bits & !field.bit(),
        }
    }

    /// Whether `field` is in the set.
    pub fn contains(&self, field: Field) -> bool {
        self.bits & field.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The fields in the set, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = Field> + use<> {
        let set = *self;
        Field::ALL.into_iter().filter(move |f| set.contains(*f))
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(fields: I) -> Self {
        fields.into_iter().fold(Self::none(), Self::with)
    }
}

impl From<Field> for FieldSet {
    fn from(field: Field) -> Self {
        Self::none().with(field)
    }
}

impl From<FieldSet> for Vec<Field> {
    fn from(set: FieldSet) -> Self {
        set.iter().collect()
    }
}

impl From<Vec<Field>> for FieldSet {
    fn from(fields: Vec<Field>) -> Self {
        fields.into_iter().collect()
    }
}

impl fmt::Debug for FieldSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_name_their_fields() {
        let s = FieldSet::all().without(Field::Credentials);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [Field::Status, Field::Tags, Field::Attributes]
        );
        assert!(FieldSet::none().is_empty());
        assert_eq!(format!("{:?}", FieldSet::from(Field::Tags)), "{Tags}");
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"["status","tags","attributes"]"#);
        assert_eq!(serde_json::from_str::<FieldSet>(&json).unwrap(), s);
    }
}
