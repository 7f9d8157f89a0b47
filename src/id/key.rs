//! Keys of businesses and shared assistants: `[a-z0-9][a-z0-9-]*`, the stable names a label
//! carries and an address ends with.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A business or shared-assistant key, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

impl Key {
    /// The key, if `text` is one: a lowercase letter or digit, then lowercase letters, digits
    /// and dashes.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        is_valid(text).then(|| Self(text.to_owned()))
    }

    /// The key as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key an assistant's label carries in the account: a [`Key`] when it is one, else the
/// text someone wrote there, which vapiform reports and never takes for a key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    /// A valid key.
    Key(Key),
    /// Anything else.
    Other(String),
}

impl Label {
    /// The label `text` is.
    pub(crate) fn of(text: &str) -> Self {
        Key::parse(text).map_or_else(|| Self::Other(text.to_owned()), Self::Key)
    }

    /// The label as text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Key(key) => key.as_str(),
            Self::Other(text) => text,
        }
    }

    /// The key, when the label is one.
    pub(crate) fn key(&self) -> Option<&Key> {
        match self {
            Self::Key(key) => Some(key),
            Self::Other(_) => None,
        }
    }
}

/// Tests write labels as literals.
#[cfg(test)]
impl From<&str> for Label {
    fn from(text: &str) -> Self {
        Self::of(text)
    }
}

impl From<Key> for Label {
    fn from(key: Key) -> Self {
        Self::Key(key)
    }
}

impl Deref for Label {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `text` is a valid key.
pub(crate) fn is_valid(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Tests write keys as literals; a literal that is no key is a broken test.
#[cfg(test)]
impl From<&str> for Key {
    fn from(text: &str) -> Self {
        Self::parse(text).unwrap_or_else(|| panic!("{text:?} is not a key"))
    }
}

impl Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_a_key_when_it_is_one() {
        let key = Label::of("acme-2");
        assert_eq!(key.key(), Key::parse("acme-2").as_ref());
        let other = Label::of("Bob's Bakery");
        assert_eq!(other.key(), None);
        assert_eq!(
            (&*key, other.to_string()),
            ("acme-2", "Bob's Bakery".to_owned())
        );
    }

    #[test]
    fn keys_are_lowercase_letters_digits_and_dashes() {
        assert!(Key::parse("acme-plumbing").is_some());
        assert!(Key::parse("0day").is_some());
        assert!(Key::parse("-acme").is_none());
        assert!(Key::parse("Acme").is_none());
        assert!(Key::parse("").is_none());
        assert!(Key::parse("acme_plumbing").is_none());
    }
}
