//! Whether an answer is what the file expects: every expected phrase said, no rejected phrase
//! said, compared as whole words, case- and punctuation-insensitively ("ACME plumbing!" says
//! "Acme Plumbing"). The expected phrases are taken out before the rejected ones are looked
//! for, so a business named "Acme Plumbing" may say its name beside one named "Acme".

use serde::Serialize;

use super::{Expectation, Test};

/// How a number's check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// It answers as the file expects.
    Pass,
    /// It does not.
    Fail,
    /// What answers it cannot be held to a text conversation.
    Uncheckable,
    /// The conversation could not be held (an API error).
    Error,
    /// Not started: interrupted, or the budget was spent.
    NotAttempted,
}

impl Status {
    /// The word for the status, as in the JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Uncheckable => "uncheckable",
            Self::Error => "error",
            Self::NotAttempted => "not_attempted",
        }
    }
}

/// Text as it is compared: lower case, apostrophes dropped ("Bob's" is "Bobs"), every other
/// run of characters that are not letters or digits one space, with a space at each end so
/// that whole words match.
pub(crate) fn normalized(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars().flat_map(char::to_lowercase) {
        if matches!(c, '\'' | '\u{2019}') {
            continue;
        }
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// The verdict on what answered, before any conversation: `Some` when the route decides it
/// (nothing answers, or nothing a chat can reach), `None` when the answer must be heard.
pub(super) fn by_route(test: &Test, expect: &Expectation) -> Option<(Status, String)> {
    match test {
        Test::Unrouted if expect.unrouted => Some((
            Status::Pass,
            "rings nobody, as `unassigned: unlink` says".to_owned(),
        )),
        Test::Unrouted => Some((Status::Fail, "rings nobody: the call is hung up".to_owned())),
        _ if expect.unrouted => Some((
            Status::Fail,
            "still answered, but `unassigned: unlink` says it should ring nobody".to_owned(),
        )),
        Test::Uncheckable(why) => Some((Status::Uncheckable, why.clone())),
        Test::Said(_) | Test::Chat { .. } => None,
    }
}

/// Whether `heard` is what `expect` asks for; the reason when it is not.
pub(super) fn answer(heard: &str, expect: &Expectation) -> Result<String, String> {
    let heard_words = normalized(heard);
    if heard_words.trim().is_empty() {
        return Err("the answer is empty".to_owned());
    }
    let missing: Vec<&str> = expect
        .expect
        .iter()
        .filter(|phrase| !heard_words.contains(&normalized(phrase)))
        .map(String::as_str)
        .collect();
    let mut rest = heard_words.clone();
    for phrase in &expect.expect {
        rest = rest.replace(&normalized(phrase), " ");
    }
    let said: Vec<&str> = expect
        .reject
        .iter()
        .filter(|phrase| !normalized(phrase).trim().is_empty())
        .filter(|phrase| rest.contains(&normalized(phrase)))
        .map(String::as_str)
        .collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("does not say {}", quoted(&missing)));
    }
    if !said.is_empty() {
        problems.push(format!("says {}", quoted(&said)));
    }
    if problems.is_empty() {
        Ok(match expect.expect.as_slice() {
            [] => "names no business of the file".to_owned(),
            phrases => format!(
                "says {}",
                quoted(&phrases.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        })
    } else {
        Err(problems.join("; "))
    }
}

fn quoted(phrases: &[&str]) -> String {
    phrases
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expecting(expect: &[&str], reject: &[&str]) -> Expectation {
        Expectation {
            ask: String::new(),
            expect: expect.iter().map(|s| (*s).to_owned()).collect(),
            reject: reject.iter().map(|s| (*s).to_owned()).collect(),
            unrouted: false,
        }
    }

    #[test]
    fn phrases_match_as_whole_words_whatever_the_case_and_punctuation() {
        let acme = expecting(&["Acme Plumbing"], &["Acme", "Bob's Bakery"]);
        assert!(answer("Thanks for calling ACME plumbing!", &acme).is_ok());
        // At the very end of the answer, with nothing after it.
        assert!(answer("You reached Acme Plumbing", &acme).is_ok());
        assert!(answer("Thanks for calling Acme-Plumbing.", &acme).is_ok());
        assert_eq!(
            answer("Thanks for calling Acme.", &acme),
            Err("does not say \"Acme Plumbing\"; says \"Acme\"".to_owned())
        );
        assert_eq!(
            answer("Acme Plumbing, formerly Bobs Bakery", &acme),
            Err("says \"Bob's Bakery\"".to_owned())
        );
        // A word inside another is not the word.
        assert!(answer("Acme Plumbing and Acmes", &acme).is_ok());
        assert_eq!(answer(" .", &acme), Err("the answer is empty".to_owned()));
    }

    #[test]
    fn the_route_decides_unrouted_and_uncheckable_numbers() {
        let mut unlink = expecting(&[], &["Acme"]);
        unlink.unrouted = true;
        assert_eq!(
            by_route(&Test::Unrouted, &unlink).map(|v| v.0),
            Some(Status::Pass)
        );
        assert_eq!(
            by_route(&Test::Said("x".into()), &unlink).map(|v| v.0),
            Some(Status::Fail)
        );
        let acme = expecting(&["Acme"], &[]);
        assert_eq!(
            by_route(&Test::Unrouted, &acme).map(|v| v.0),
            Some(Status::Fail)
        );
        assert_eq!(
            by_route(&Test::Uncheckable("webhook".into()), &acme).map(|v| v.0),
            Some(Status::Uncheckable)
        );
        assert_eq!(by_route(&Test::Said("x".into()), &acme), None);
    }
}
