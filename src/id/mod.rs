//! The names of things, valid by construction: a business's or shared assistant's [`Key`],
//! how vapiform names a phone number ([`NumberKey`]: E.164, a SIP URI, or `tel:` and a number
//! that is not E.164), and the ids Vapi gives assistants and phone numbers. An assistant's id
//! and a number's are different types, so one is never written where the other belongs (a
//! number's precondition checked against an assistant, a route set to a number's id). Each
//! reads and writes as the plain string it is.

mod key;
mod number;

pub(crate) use key::{Key, Label, is_valid as is_key};

use serde::de::Error as _;
use serde::{Deserializer, Serializer};

/// Names are written as their text, and read back only as what they can be.
macro_rules! as_text {
    ($name:ty, $read:expr) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                let read: fn(&str) -> Result<Self, String> = $read;
                read(&text).map_err(D::Error::custom)
            }
        }
    };
}

as_text!(Key, |text| Key::parse(text).ok_or_else(|| format!(
    "{text:?} is not a key: a lowercase letter or digit, then lowercase letters, digits and dashes"
)));
as_text!(Label, |text| Ok(Label::of(text)));
as_text!(NumberKey, NumberKey::parse);
as_text!(NumberName, |text| Ok(NumberName::of(text)));
pub(crate) use number::{NumberKey, NumberName, normalize as normalize_number};

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as Vapi sent it.
            pub(crate) fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id! {
    /// An assistant's id.
    AssistantId
}

id! {
    /// A phone number's id (not the number: see `NumberKey` for what names a number).
    NumberId
}

id! {
    /// A squad's id.
    SquadId
}

id! {
    /// A workflow's id (Vapi retired workflows; a number can still hold one).
    WorkflowId
}
