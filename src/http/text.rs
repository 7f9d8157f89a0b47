//! The text of an answer, shared rather than copied.

use std::fmt;

use bytes::Bytes;

/// The body of an answer as text, held in one shared buffer so that parts of it (each object
/// of a list page) can be kept without copying them out: an account's assistants are most of
/// what it weighs, and copying each out of its page held them twice while the account was
/// read. Always valid UTF-8: a body that is not was replaced on arrival.
#[derive(Clone, PartialEq, Eq)]
pub struct Text(Bytes);

impl Text {
    /// The text of `bytes`, invalid UTF-8 replaced.
    pub(crate) fn new(bytes: Bytes) -> Self {
        if std::str::from_utf8(&bytes).is_ok() {
            Self(bytes)
        } else {
            Self(Bytes::from(String::from_utf8_lossy(&bytes).into_owned()))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Valid by construction; checking again is cheap beside what reads it.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// `part` as a text of its own: sharing this text's buffer when `part` was borrowed from
    /// it, a copy otherwise.
    pub(crate) fn part(&self, part: &str) -> Self {
        let whole = &self.0;
        let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        if start <= whole.len() && part.len() <= whole.len() - start {
            Self(self.0.slice(start..start + part.len()))
        } else {
            Self::from(part)
        }
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Self(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_shares_the_buffer_and_anything_else_is_copied() {
        let page = Text::new(Bytes::from_static(br#"[{"id":"a"},{"id":"b"}]"#));
        let second = &page.as_str()[12..22];
        let part = page.part(second);
        assert_eq!(part.as_str(), r#"{"id":"b"}"#);
        assert_eq!(part.0.as_ptr(), second.as_ptr(), "shared, not copied");
        let elsewhere = String::from(r#"{"id":"c"}"#);
        let copied = page.part(&elsewhere);
        assert_eq!(copied.as_str(), elsewhere);
        assert_ne!(copied.0.as_ptr(), elsewhere.as_ptr());
    }

    #[test]
    fn invalid_utf8_is_replaced_on_arrival() {
        let text = Text::new(Bytes::from_static(b"caf\xe9 ok"));
        assert_eq!(text.as_str(), "caf\u{fffd} ok");
    }
}
