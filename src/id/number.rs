//! Phone numbers as vapiform names them: E.164, a SIP URI for a number that has no E.164
//! form, or `tel:` and the digits for a number on a customer's own trunk that is not E.164.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use super::NumberId;

/// How vapiform names a phone number, valid by construction: its E.164 form
/// (`+14155550101`); for a SIP-only number (a Vapi SIP number with no `number`) its SIP URI
/// (`sip:desk@example.sip.vapi.ai`), in lower case since Vapi compares SIP URIs without case;
/// or for a number that is not E.164 (a bring-your-own number such as an extension `4567`,
/// which Vapi keeps as written) `tel:` and the number, as RFC 3966 writes a local number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NumberKey(String);

impl NumberKey {
    /// The number as written in a file or returned by the API: a SIP URI when it starts with
    /// `sip:` (see [`sip_uri`]), a local number when it starts with `tel:` (see [`local`]),
    /// else a phone number normalised to E.164 (see [`normalize`]).
    pub(crate) fn parse(input: &str) -> Result<Self, String> {
        if is_sip(input) {
            sip_uri(input).map(Self)
        } else if is_local(input) {
            local(input.get(4..).unwrap_or_default()).map(Self)
        } else {
            normalize(input).map(Self)
        }
    }

    /// The key of a number as Vapi stores it that is not E.164 (`4567`): `tel:4567`.
    pub(crate) fn local_number(number: &str) -> Result<Self, String> {
        local(number).map(Self)
    }

    /// The number as text: E.164 with its `+`, or the SIP URI.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a SIP URI rather than an E.164 number.
    pub(crate) fn is_sip(&self) -> bool {
        is_sip(&self.0)
    }

    /// Whether this is an E.164 number, the only kind a carrier sells and vapiform imports.
    pub(crate) fn is_e164(&self) -> bool {
        self.0.starts_with('+')
    }
}

/// Tests write numbers as literals; a literal that is no number is a broken test.
#[cfg(test)]
impl From<&str> for NumberKey {
    fn from(text: &str) -> Self {
        Self::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }
}

impl PartialEq<str> for NumberKey {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for NumberKey {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl Deref for NumberKey {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for NumberKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NumberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How vapiform names a phone number of the account: by its [`NumberKey`], or, for a number
/// that has none (no number and no SIP URI it can be named by), by its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NumberName {
    /// Its E.164 form, SIP URI, or `tel:` and the number.
    Key(NumberKey),
    /// Its id, for want of a number.
    Id(NumberId),
}

impl NumberName {
    /// The number `text` names: a number's key when it is one, else an id.
    pub(crate) fn of(text: &str) -> Self {
        NumberKey::parse(text).map_or_else(|_| Self::Id(text.into()), Self::Key)
    }

    /// The name as text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Key(key) => key.as_str(),
            Self::Id(id) => id.as_str(),
        }
    }

    /// The key a file can list the number by, when it has one.
    pub(crate) fn key(&self) -> Option<&NumberKey> {
        match self {
            Self::Key(key) => Some(key),
            Self::Id(_) => None,
        }
    }
}

/// Tests write names as literals.
#[cfg(test)]
impl From<&str> for NumberName {
    fn from(text: &str) -> Self {
        Self::of(text)
    }
}

impl From<NumberKey> for NumberName {
    fn from(key: NumberKey) -> Self {
        Self::Key(key)
    }
}

impl Deref for NumberName {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for NumberName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for NumberName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for NumberName {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

/// Whether text is written as a SIP URI: it starts with `sip:`, in any case.
fn is_sip(text: &str) -> bool {
    text.get(..4)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("sip:"))
}

/// Whether text is written as a local number: it starts with `tel:`, in any case.
fn is_local(text: &str) -> bool {
    text.get(..4)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("tel:"))
}

/// A number that is not E.164 (`4567`, `*72`), as Vapi keeps a bring-your-own number:
/// `tel:` and 1 to 40 characters, digits, `*` and `#` (the spaces, dashes, dots and
/// parentheses of a written number ignored).
fn local(number: &str) -> Result<String, String> {
    let compact: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\t'))
        .collect();
    if compact.is_empty() || compact.chars().count() > 40 {
        return Err(format!(
            "local number `tel:{number}` needs 1 to 40 digits after `tel:`, like tel:4567"
        ));
    }
    if let Some(bad) = compact
        .chars()
        .find(|c| !c.is_ascii_digit() && !matches!(c, '*' | '#'))
    {
        return Err(format!(
            "local number `tel:{number}` contains {bad:?}; only digits, `*` and `#` are allowed"
        ));
    }
    Ok(format!("tel:{compact}"))
}

/// The longest SIP URI accepted, in characters.
const MAX_SIP_URI: usize = 255;

/// A SIP URI as written (`sip:desk@example.sip.vapi.ai`), in lower case: `sip:` and then at
/// least one character, with no spaces or control characters.
pub(super) fn sip_uri(input: &str) -> Result<String, String> {
    let rest = input.get(4..).unwrap_or_default();
    if rest.is_empty() {
        return Err(
            "a SIP URI needs an address after `sip:`, like sip:desk@example.sip.vapi.ai".to_owned(),
        );
    }
    if let Some(bad) = rest.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "SIP URI `{input}` contains {bad:?}; spaces and control characters are not allowed"
        ));
    }
    if input.chars().count() > MAX_SIP_URI {
        return Err(format!("SIP URI is longer than {MAX_SIP_URI} characters"));
    }
    Ok(input.to_lowercase())
}

/// Normalises a phone number as written in the file to E.164 (`+14155550101`).
///
/// Spaces, dashes, dots and parentheses are ignored; the number must start with `+` (or `00`,
/// read as `+`) followed by 8 to 15 digits, the first of which is not 0.
pub(crate) fn normalize(input: &str) -> Result<String, String> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\t'))
        .collect();
    let digits = if let Some(rest) = compact.strip_prefix('+') {
        rest
    } else if let Some(rest) = compact.strip_prefix("00") {
        rest
    } else if compact.is_empty() {
        return Err("a phone number cannot be empty".to_owned());
    } else {
        return Err(format!(
            "phone number `{input}` must start with `+` and the country code, like +14155550101"
        ));
    };
    if let Some(bad) = digits.chars().find(|c| !c.is_ascii_digit()) {
        return Err(format!(
            "phone number `{input}` contains `{bad}`; only digits, spaces, dashes, dots and parentheses are allowed"
        ));
    }
    if digits.starts_with('0') {
        return Err(format!(
            "phone number `{input}` must have a country code after `+`, which never starts with 0"
        ));
    }
    if !(8..=15).contains(&digits.len()) {
        return Err(format!(
            "phone number `{input}` has {} digits; E.164 numbers have 8 to 15",
            digits.len()
        ));
    }
    Ok(format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::{NumberKey, NumberName, normalize};

    #[test]
    fn a_number_is_named_by_its_key_or_else_its_id() {
        let named = NumberName::of("+1 (415) 555-0100");
        assert_eq!(named.key(), Some(&NumberKey::from("+14155550100")));
        assert_eq!(named.to_string(), "+14155550100");
        let (same, other) = (String::from("+14155550100"), String::from("+14155550101"));
        assert!(named == "+14155550100" && named != "+14155550101");
        assert!(named == same && named != other);
        let by_id = NumberName::of("9c000000-0000-4000-8000-000000000001");
        assert_eq!(by_id.key(), None);
        assert_eq!(&*by_id, "9c000000-0000-4000-8000-000000000001");
    }

    #[test]
    fn sip_uris_are_keys_in_lower_case() {
        let key = NumberKey::parse("SIP:Desk@Example.sip.vapi.ai").unwrap();
        assert_eq!(key.as_str(), "sip:desk@example.sip.vapi.ai");
        assert!(key.is_sip());
        assert!(!NumberKey::parse("+14155550100").unwrap().is_sip());
        assert!(
            NumberKey::parse("sip:")
                .unwrap_err()
                .contains("needs an address")
        );
        assert!(NumberKey::parse("sip:a b@c").unwrap_err().contains("' '"));
        assert!(
            NumberKey::parse("sipx")
                .unwrap_err()
                .contains("must start with `+`")
        );
    }

    #[test]
    fn local_numbers_are_tel_keys() {
        let key = NumberKey::parse("TEL:45-67").unwrap();
        assert_eq!(key.as_str(), "tel:4567");
        assert!(!key.is_sip() && !key.is_e164());
        assert!(NumberKey::parse("+14155550100").unwrap().is_e164());
        assert_eq!(NumberKey::local_number("*72").unwrap().as_str(), "tel:*72");
        assert!(NumberKey::parse("tel:").unwrap_err().contains("1 to 40"));
        assert!(NumberKey::parse("tel:12a").unwrap_err().contains("'a'"));
        assert!(
            NumberKey::parse("4567")
                .unwrap_err()
                .contains("must start with `+`")
        );
    }

    #[test]
    fn accepts_e164_as_is() {
        assert_eq!(normalize("+14155550101").unwrap(), "+14155550101");
    }

    #[test]
    fn strips_punctuation() {
        assert_eq!(normalize("+1 (415) 555-0101").unwrap(), "+14155550101");
        assert_eq!(normalize("+44 20.7946.0958").unwrap(), "+442079460958");
    }

    #[test]
    fn reads_double_zero_as_plus() {
        assert_eq!(normalize("0044 20 7946 0958").unwrap(), "+442079460958");
    }

    #[test]
    fn rejects_missing_plus() {
        let err = normalize("4155550101").unwrap_err();
        assert!(err.contains("must start with `+`"), "{err}");
    }

    #[test]
    fn rejects_letters_and_bad_lengths() {
        assert!(normalize("+1415555CALL").unwrap_err().contains("`C`"));
        assert!(normalize("+1234567").unwrap_err().contains("7 digits"));
        assert!(
            normalize("+1234567890123456")
                .unwrap_err()
                .contains("16 digits")
        );
        assert!(
            normalize("+0123456789")
                .unwrap_err()
                .contains("never starts with 0")
        );
        assert!(normalize("").unwrap_err().contains("empty"));
        assert!(normalize("+").unwrap_err().contains("0 digits"));
    }

    #[test]
    fn accepts_the_length_bounds() {
        assert_eq!(normalize("+12345678").unwrap(), "+12345678");
        assert_eq!(normalize("+123456789012345").unwrap(), "+123456789012345");
    }
}
