//! A macro for string enums: case-insensitive decode, unknown values kept.

/// Declares a string enum whose decoding ignores ASCII case and keeps unknown
/// values in `Other(String)`, and whose encoding writes the canonical
/// spelling (the one the service emits in its own documents).
macro_rules! lenient_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The canonical spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(s) => s,
                }
            }

            /// Parses ignoring ASCII case; unknown values become `Other`.
            pub fn parse(s: &str) -> Self {
                $(
                    if s.eq_ignore_ascii_case($text) $(|| s.eq_ignore_ascii_case($alias))* {
                        return Self::$variant;
                    }
                )+
                Self::Other(s.to_owned())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
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
                let s = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}

pub(crate) use lenient_enum;
