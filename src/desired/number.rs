//! Phone numbers: normalisation to E.164.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A phone number in E.164 form (`+14155550101`), valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct E164(String);

impl E164 {
    /// The number as written in a file, normalised (see [`normalize`]).
    pub fn parse(input: &str) -> Result<Self, String> {
        normalize(input).map(Self)
    }

    /// The number as text, with its `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tests write numbers as literals; a literal that is no number is a broken test.
#[cfg(test)]
impl From<&str> for E164 {
    fn from(text: &str) -> Self {
        Self::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }
}

impl PartialEq<str> for E164 {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for E164 {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl Deref for E164 {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for E164 {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalises a phone number as written in the file to E.164 (`+14155550101`).
///
/// Spaces, dashes, dots and parentheses are ignored; the number must start with `+` (or `00`,
/// read as `+`) followed by 8 to 15 digits, the first of which is not 0.
pub fn normalize(input: &str) -> Result<String, String> {
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
    use super::normalize;

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
