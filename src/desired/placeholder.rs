//! Placeholders in assistant bodies: `${business.key}`, `${business.name}`, `${vars.NAME}`,
//! `${env.NAME}`, and the `$${` escape for a literal `${`.
//!
//! Expansion ([`expand`]) happens when the file is loaded and keeps `${env.NAME}` and `$${`
//! verbatim, so an expanded body still tells an environment reference from literal text.
//! Environment references are resolved ([`resolve_env`]) only when a request is sent.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::vapi::API_KEY_VARIABLES;

/// A business's `vars` as text, by name: what fills `${vars.NAME}`. Held as a list sorted by
/// name rather than a map: a business has a handful, and at fleet size a map's node for each
/// (several times the size of its entries) would be a large part of the file in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Vars(Vec<(String, String)>);

impl Vars {
    /// The value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(held, _)| held.as_str().cmp(name))
            .ok()
            .map(|index| self.0[index].1.as_str())
    }

    /// Whether `name` has a value.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The values, in the order of their names.
    pub(crate) fn values(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, value)| value.as_str())
    }
}

/// From pairs of name and value; of a name given twice, the last value is kept, as in a map.
impl FromIterator<(String, String)> for Vars {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut vars: Vec<(String, String)> = pairs.into_iter().collect();
        vars.reverse();
        // Stable: of equal names, the one given last is first now, and kept.
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars.dedup_by(|later, kept| later.0 == kept.0);
        vars.shrink_to_fit();
        Self(vars)
    }
}

/// What `${business.*}` and `${vars.*}` expand to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Context<'a> {
    /// The business whose assistant is being expanded; `None` for a shared assistant.
    pub business: Option<BusinessContext<'a>>,
}

/// The business a body is expanded for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BusinessContext<'a> {
    /// The business key, for `${business.key}`.
    pub key: &'a str,
    /// The business display name, for `${business.name}`.
    pub name: &'a str,
    /// The business's `vars`, for `${vars.NAME}`.
    pub vars: &'a Vars,
}

impl<'a> Context<'a> {
    /// A context with no business: only `${env.*}` is allowed.
    pub(crate) fn shared() -> Self {
        Context { business: None }
    }

    /// A context for one business.
    pub(crate) fn business(key: &'a str, name: &'a str, vars: &'a Vars) -> Self {
        Context {
            business: Some(BusinessContext { key, name, vars }),
        }
    }
}

/// An environment variable that a body references but the environment does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name} is not set")]
pub(crate) struct MissingEnv {
    /// The variable name.
    pub name: String,
}

/// One piece of a string: literal text, an escape, or a placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'s> {
    /// Text copied as is.
    Text(&'s str),
    /// `$${`, a literal `${`.
    Escape,
    /// `${...}` with the text between the braces; `closed` is false when `}` is missing.
    Placeholder { name: &'s str, closed: bool },
}

/// What a placeholder name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'s> {
    /// `${business.key}`
    BusinessKey,
    /// `${business.name}`
    BusinessName,
    /// `${vars.NAME}`
    Var(&'s str),
    /// `${env.NAME}`
    Env(&'s str),
    /// `${env.NAME}` naming one of vapiform's own API keys ([`API_KEY_VARIABLES`]): refused,
    /// and never resolved.
    ApiKey(&'s str),
    /// Anything else.
    Unknown,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_env_name(s: &str) -> bool {
    is_identifier(s) && !s.contains('-')
}

/// Classifies the text between `${` and `}`.
pub(crate) fn kind(name: &str) -> Kind<'_> {
    match name {
        "business.key" => Kind::BusinessKey,
        "business.name" => Kind::BusinessName,
        _ => {
            if let Some(var) = name.strip_prefix("vars.").filter(|v| is_identifier(v)) {
                Kind::Var(var)
            } else if let Some(env) = name.strip_prefix("env.").filter(|v| is_env_name(v)) {
                // Compared without case: on Windows `vapi_api_key` is the same variable.
                if API_KEY_VARIABLES
                    .iter()
                    .any(|key| key.eq_ignore_ascii_case(env))
                {
                    Kind::ApiKey(env)
                } else {
                    Kind::Env(env)
                }
            } else {
                Kind::Unknown
            }
        }
    }
}

/// Splits a string into literal text, escapes and placeholders.
pub(crate) fn pieces(s: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        let after = &rest[at..];
        if let Some(escaped) = after.strip_prefix("$${") {
            if at > 0 {
                out.push(Piece::Text(&rest[..at]));
            }
            out.push(Piece::Escape);
            rest = escaped;
        } else if let Some(inner) = after.strip_prefix("${") {
            if at > 0 {
                out.push(Piece::Text(&rest[..at]));
            }
            if let Some(end) = inner.find('}') {
                out.push(Piece::Placeholder {
                    name: &inner[..end],
                    closed: true,
                });
                rest = &inner[end + 1..];
            } else {
                out.push(Piece::Placeholder {
                    name: inner,
                    closed: false,
                });
                rest = "";
            }
        } else {
            out.push(Piece::Text(&rest[..=at]));
            rest = &after[1..];
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// A placeholder that a context could not fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unfilled {
    /// The text between `${` and `}` (or the end of the string).
    pub(crate) name: String,
    /// False when the closing `}` is missing.
    pub(crate) closed: bool,
}

/// A string being expanded. Template text is copied as written: it is already in the
/// placeholder syntax. A substituted value (a business name or key, a var) is literal text: a
/// `${` in it is written `$${`, so it is neither a placeholder nor unescaped when sent.
#[derive(Default)]
struct Expanded {
    text: String,
    /// The text ends with a `$` of a literal value, which a `{` that follows would turn into `${`.
    open_dollar: bool,
}

impl Expanded {
    fn template(&mut self, text: &str) {
        if self.open_dollar && text.starts_with('{') {
            self.text.push('$');
        }
        // A literal `$` right before `${env.NAME}` cannot be written in the placeholder syntax
        // (`$${` is the escape); such a value and placeholder read as one literal `${`.
        self.text.push_str(text);
        self.open_dollar = false;
    }

    fn literal(&mut self, value: &str) {
        if self.open_dollar && value.starts_with('{') {
            self.text.push('$');
        }
        self.text.push_str(&value.replace("${", "$${"));
        self.open_dollar = value.ends_with('$');
    }
}

/// Substitutes what `ctx` can fill and lists what it cannot. Substituted values are literal
/// text: placeholders and escapes inside a business name or a var are not expanded again.
pub(crate) fn fill(s: &str, ctx: &Context) -> (String, Vec<Unfilled>) {
    let mut out = Expanded::default();
    let mut unfilled = Vec::new();
    for piece in pieces(s) {
        match piece {
            Piece::Text(text) => out.template(text),
            Piece::Escape => out.template("$${"),
            Piece::Placeholder { name, closed } => {
                let value = match (closed, kind(name), ctx.business) {
                    (true, Kind::BusinessKey, Some(b)) => Some(b.key),
                    (true, Kind::BusinessName, Some(b)) => Some(b.name),
                    (true, Kind::Var(var), Some(b)) => b.vars.get(var),
                    _ => None,
                };
                let closing = if closed { "}" } else { "" };
                match value {
                    Some(value) => out.literal(value),
                    None if closed && matches!(kind(name), Kind::Env(_)) => {
                        out.template(&format!("${{{name}}}"));
                    }
                    None => {
                        out.template(&format!("${{{name}{closing}"));
                        unfilled.push(Unfilled {
                            name: name.to_owned(),
                            closed,
                        });
                    }
                }
            }
        }
    }
    (out.text, unfilled)
}

/// Substitutes `${business.key}`, `${business.name}` and `${vars.NAME}`, keeping `${env.NAME}`
/// and `$${` verbatim.
///
/// Returns the names (the text between the braces) of every placeholder that the context cannot
/// fill: unknown kinds, a variable the business does not define, `${business.*}` or `${vars.*}`
/// without a business, and an unterminated `${`. Tests read substitution through it.
#[cfg(test)]
fn expand(s: &str, ctx: &Context) -> Result<String, Vec<String>> {
    let (out, unfilled) = fill(s, ctx);
    if unfilled.is_empty() {
        Ok(out)
    } else {
        Err(unfilled.into_iter().map(|u| u.name).collect())
    }
}

/// `s` with every `${env.NAME}` resolved and `$${` turned into `${`: what is sent to Vapi.
pub(crate) fn resolve_text(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, MissingEnv> {
    let mut out = String::with_capacity(s.len());
    for piece in pieces(s) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Escape => out.push_str("${"),
            Piece::Placeholder { name, closed } => match kind(name) {
                Kind::Env(env) if closed => match lookup(env) {
                    Some(value) => out.push_str(&value),
                    None => {
                        return Err(MissingEnv {
                            name: env.to_owned(),
                        });
                    }
                },
                _ => {
                    out.push_str("${");
                    out.push_str(name);
                    if closed {
                        out.push('}');
                    }
                }
            },
        }
    }
    Ok(out)
}

/// Resolves every `${env.NAME}` in the strings of `value` (object keys are left alone) and turns
/// `$${` into `${`. This is what is sent to Vapi; it must never be printed or logged.
pub(crate) fn resolve_env(
    value: &Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, MissingEnv> {
    crate::strings::try_map(value, |text| resolve_text(text, lookup))
}

/// The names of the environment variables referenced (`${env.NAME}`) anywhere in `values`.
pub(crate) fn env_references_in<'v>(
    values: impl IntoIterator<Item = &'v Value>,
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    crate::strings::each(values, &mut |s: &str| {
        if !s.contains("${") {
            return;
        }
        for piece in pieces(s) {
            if let Piece::Placeholder { name, closed: true } = piece
                && let Kind::Env(env) = kind(name)
            {
                names.insert(env.to_owned());
            }
        }
    });
    names
}

/// Whether `s` contains an `${env.NAME}` reference (an escaped `$${env.NAME}` does not count).
pub(crate) fn has_env_reference(s: &str) -> bool {
    pieces(s).iter().any(|piece| {
        matches!(piece, Piece::Placeholder { name, closed: true } if matches!(kind(name), Kind::Env(_)))
    })
}

/// The text a user means, for display: `$${` becomes `${`; `${env.NAME}` references stay as
/// text and are never resolved.
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for piece in pieces(s) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Escape => out.push_str("${"),
            Piece::Placeholder { name, closed } => {
                out.push_str("${");
                out.push_str(name);
                if closed {
                    out.push('}');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn vars() -> Vars {
        Vars::from_iter([("hours".to_owned(), "8am-6pm".to_owned())])
    }

    #[test]
    fn vars_are_found_by_name_and_the_last_of_a_name_given_twice_is_kept() {
        let pair = |name: &str, value: &str| (name.to_owned(), value.to_owned());
        let vars = Vars::from_iter([
            pair("zone", "z"),
            pair("city", "Springfield"),
            pair("hours", "7am"),
            pair("city", "Riverside"),
        ]);
        assert_eq!(vars.get("city"), Some("Riverside"));
        assert_eq!(vars.get("zone"), Some("z"));
        assert_eq!(vars.get("hours"), Some("7am"));
        assert!(vars.contains("hours") && !vars.contains("hour"));
        assert_eq!(vars.values().collect::<Vec<_>>(), ["Riverside", "7am", "z"]);
    }

    #[test]
    fn expands_business_and_vars() {
        let vars = vars();
        let ctx = Context::business("acme", "Acme Plumbing", &vars);
        assert_eq!(
            expand(
                "${business.name} (${business.key}) open ${vars.hours}",
                &ctx
            )
            .unwrap(),
            "Acme Plumbing (acme) open 8am-6pm"
        );
    }

    #[test]
    fn keeps_env_and_escapes_verbatim() {
        let vars = vars();
        let ctx = Context::business("acme", "Acme", &vars);
        assert_eq!(
            expand("t=${env.HOOK_TOKEN} lit=$${vars.hours} $x $", &ctx).unwrap(),
            "t=${env.HOOK_TOKEN} lit=$${vars.hours} $x $"
        );
    }

    #[test]
    fn reports_every_unknown_placeholder() {
        let vars = vars();
        let ctx = Context::business("acme", "Acme", &vars);
        assert_eq!(
            expand("${vars.days} ${foo} ${business.phone} ${env.} ${open", &ctx).unwrap_err(),
            ["vars.days", "foo", "business.phone", "env.", "open"]
        );
    }

    #[test]
    fn shared_context_has_no_business() {
        assert_eq!(
            expand("${business.name} ${vars.hours}", &Context::shared()).unwrap_err(),
            ["business.name", "vars.hours"]
        );
        assert_eq!(expand("${env.X}", &Context::shared()).unwrap(), "${env.X}");
    }

    #[test]
    fn resolves_env_in_strings_only() {
        let body = json!({
            "server": {"headers": {"x-token": "Bearer ${env.TOKEN}"}},
            "${env.KEY}": ["$${env.TOKEN}", 3, null],
        });
        let lookup = |name: &str| (name == "TOKEN").then(|| "s3cr3t".to_owned());
        assert_eq!(
            resolve_env(&body, &lookup).unwrap(),
            json!({
                "server": {"headers": {"x-token": "Bearer s3cr3t"}},
                "${env.KEY}": ["${env.TOKEN}", 3, null],
            })
        );
    }

    #[test]
    fn missing_env_is_named() {
        let err = resolve_env(&json!(["${env.NOPE}"]), &|_| None).unwrap_err();
        assert_eq!(err.to_string(), "environment variable NOPE is not set");
    }

    #[test]
    fn lists_env_references() {
        let body = json!({"a": "${env.B} ${env.A}", "c": ["$${env.C}", {"d": "${env.A}"}]});
        assert_eq!(
            env_references_in([&body]).into_iter().collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert!(has_env_reference("x ${env.A}"));
        assert!(!has_env_reference("x $${env.A}"));
    }

    #[test]
    fn names_and_vars_are_literal_text() {
        let vars = Vars::from_iter([
            ("a".to_owned(), "${env.SECRET} $${x} ${vars.b}".to_owned()),
            ("dollar".to_owned(), "5$".to_owned()),
        ]);
        let ctx = Context::business("acme", "Acme ${env.HOOK}", &vars);
        let expanded = expand("${business.name}: ${vars.a} ${vars.dollar}{x}", &ctx).unwrap();
        assert_eq!(
            resolve_env(&Value::String(expanded), &|_| Some("LEAKED".to_owned())).unwrap(),
            "Acme ${env.HOOK}: ${env.SECRET} $${x} ${vars.b} 5${x}"
        );
    }

    #[test]
    fn api_keys_are_never_placeholders() {
        for name in [
            "VAPI_API_KEY",
            "VAPI_PRIVATE_API_KEY",
            "VAPI_TOKEN",
            "TELNYX_API_KEY",
            "vapi_api_key",
        ] {
            let text = format!("${{env.{name}}}");
            assert_eq!(
                expand(&text, &Context::shared()).unwrap_err(),
                [format!("env.{name}")]
            );
            let resolved = resolve_env(&Value::String(text.clone()), &|_| Some("sk-live".into()));
            assert_eq!(resolved.unwrap(), Value::String(text), "never resolved");
        }
    }

    #[test]
    fn unescape_only_touches_escapes() {
        assert_eq!(unescape("$${x} ${env.A} $$ $"), "${x} ${env.A} $$ $");
    }

    proptest! {
        #[test]
        fn expand_never_panics(s in "\\PC*", t in "[$\\{\\}a-z.]{0,40}") {
            let vars = vars();
            let ctx = Context::business("k", "N", &vars);
            let _ = expand(&s, &ctx);
            let _ = expand(&t, &ctx);
            let _ = expand(&t, &Context::shared());
            let _ = unescape(&t);
            let _ = resolve_env(&Value::String(t.clone()), &|_| Some(String::new()));
        }

        #[test]
        fn a_var_reads_back_exactly_as_written(value in "[${}a-z]{0,12}", after in "[${}a-z]{0,6}") {
            let vars = Vars::from_iter([("v".to_owned(), value.clone())]);
            let ctx = Context::business("k", "N", &vars);
            // `after` is template text, so it is read in the placeholder syntax itself.
            let Ok(tail) = expand(&after, &Context::shared()) else { return Ok(()) };
            if tail.starts_with('$') && value.ends_with('$') {
                return Ok(());
            }
            let expanded = expand(&format!("${{vars.v}}{after}"), &ctx).unwrap();
            let lookup = |_: &str| Some("E".to_owned());
            let read = resolve_env(&Value::String(expanded), &lookup).unwrap();
            let tail = resolve_env(&Value::String(tail), &lookup).unwrap();
            prop_assert_eq!(read, Value::String(format!("{value}{}", tail.as_str().unwrap())));
        }

        #[test]
        fn text_without_dollar_is_unchanged(s in "[^$]*") {
            let vars = vars();
            prop_assert_eq!(expand(&s, &Context::business("k", "N", &vars)).unwrap(), s.clone());
            prop_assert_eq!(unescape(&s), s);
        }
    }
}
