//! `open_enum!`: string enums that keep the values they do not know.
//!
//! Servers add enum values over time, operators configure some of them, and
//! implementations disagree on spelling, so decoding never fails on an
//! unfamiliar string. One behaviour everywhere:
//!
//! - decode: the exact wire text, else the same text ignoring ASCII case
//!   (or one of the listed aliases), else `Other` with the text verbatim;
//! - encode: the canonical wire text, or an `Other` value unchanged;
//! - the enum is `#[non_exhaustive]`: new known values come in minor
//!   versions, and a value decoded as `Other` today may decode as a named
//!   variant tomorrow.
//!
//! This file is kept identical in every crate that declares such enums
//! (`scripts/test` compares the copies), so each crate stays usable alone.

/// Declares an open string enum; see the module docs.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every value this version knows, in declaration order.
            pub const KNOWN: &'static [Self] = &[ $( Self::$variant, )+ ];

            /// The wire text: the canonical spelling, or an `Other` value
            /// unchanged.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(s) => s,
                }
            }

            /// Whether this is a value outside [`Self::KNOWN`].
            pub fn is_other(&self) -> bool {
                matches!(self, Self::Other(_))
            }

            fn known(s: &str) -> Option<Self> {
                match s {
                    $( $text => return Some(Self::$variant), )+
                    _ => {}
                }
                $(
                    if s.eq_ignore_ascii_case($text) $(|| s.eq_ignore_ascii_case($alias))* {
                        return Some(Self::$variant);
                    }
                )+
                None
            }
        }

        impl ::core::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned()))
            }
        }

        impl ::core::convert::From<String> for $name {
            fn from(s: String) -> Self {
                Self::known(&s).unwrap_or(Self::Other(s))
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::core::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Text;
                impl ::serde::de::Visitor<'_> for Text {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                d.deserialize_str(Text)
            }
        }
    };
}

pub(crate) use open_enum;
