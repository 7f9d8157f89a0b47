//! Where a number's calls go: one model, used by the planner (what a change does to callers),
//! the routing line and the caller's view, the mass-change rule, `numbers` and export.
//!
//! Vapi decides in this order (the phone-number schema's field descriptions): a `call.ringing`
//! hook acts first, when the number rings (its first action only: a transfer takes the call
//! away, a say speaks its text); then the call goes to the number's assistant, else its squad,
//! else its (retired) workflow; with none of them, Vapi asks the server URL for an assistant
//! (the `assistant-request` webhook); with no server URL, or when that request fails, the call
//! is transferred to the fallback destination, and with none it is hung up. A hook with
//! filters acts only for the callers they match; the first matching hook acts.

use serde_json::{Map, Value};

use super::model::Endpoint;
use crate::desired::say;

/// What a number's own fields route to, before any id is given a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Base<'a> {
    /// `assistantId`.
    Assistant(&'a str),
    /// `squadId`.
    Squad(&'a str),
    /// `workflowId` (workflows are retired).
    Workflow(&'a str),
    /// Nothing routed, and a server URL: the `assistant-request` webhook.
    Webhook(&'a str),
    /// Nothing routed and no server URL: the fallback destination.
    Fallback(String),
    /// Nothing at all: the call is hung up.
    Nothing,
}

/// The non-empty string at `key`.
fn text<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    fields
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The route a number's fields give, hooks aside.
pub(crate) fn base(fields: &Map<String, Value>) -> Base<'_> {
    if let Some(id) = text(fields, "assistantId") {
        Base::Assistant(id)
    } else if let Some(id) = text(fields, "squadId") {
        Base::Squad(id)
    } else if let Some(id) = text(fields, "workflowId") {
        Base::Workflow(id)
    } else if let Some(url) = fields
        .get("server")
        .and_then(|server| server.get("url"))
        .and_then(Value::as_str)
        .filter(|url| !url.is_empty())
    {
        Base::Webhook(url)
    } else if let Some(destination) = fields.get("fallbackDestination").and_then(destination) {
        Base::Fallback(destination)
    } else {
        Base::Nothing
    }
}

/// A transfer destination as a reviewer reads it: the number (with its extension) or the SIP
/// URI.
fn destination(value: &Value) -> Option<String> {
    let number = value.get("number").and_then(Value::as_str);
    let sip = value.get("sipUri").and_then(Value::as_str);
    match (number, sip) {
        (Some(number), _) => Some(match value.get("extension").and_then(Value::as_str) {
            Some(extension) => format!("{number} ext. {extension}"),
            None => number.to_owned(),
        }),
        (None, Some(sip)) => Some(sip.to_owned()),
        (None, None) => None,
    }
}

/// What a `call.ringing` hook does, for the callers it acts on.
struct Ringing {
    /// The caller prefixes it is limited to; empty for every caller.
    prefixes: Vec<String>,
    action: Action,
}

enum Action {
    Say(String),
    Transfer(Option<String>),
}

/// The `call.ringing` hook a hook value is, when it is one with an action.
fn ringing(hook: &Value) -> Option<Ringing> {
    if hook.get("on")?.as_str()? != "call.ringing" {
        return None;
    }
    let first = hook.get("do")?.as_array()?.first()?;
    let action = match first.get("type")?.as_str()? {
        "say" => Action::Say(first.get("exact")?.as_str()?.to_owned()),
        "transfer" => Action::Transfer(first.get("destination").and_then(destination)),
        _ => return None,
    };
    let prefixes = hook
        .get("filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|filter| {
            filter
                .get("startsWith")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    Some(Ringing { prefixes, action })
}

/// Where calls go for a number with these fields: its [`base`] as an endpoint, the assistant
/// and squad ids named by `assistant` and `squad`, behind its `call.ringing` hooks.
pub(crate) fn endpoint(
    fields: &Map<String, Value>,
    assistant: impl FnOnce(&str) -> Endpoint,
    squad: impl FnOnce(&str) -> Endpoint,
) -> Endpoint {
    let base = match base(fields) {
        Base::Assistant(id) => assistant(id),
        Base::Squad(id) => squad(id),
        Base::Workflow(id) => Endpoint::Workflow { id: id.into() },
        Base::Webhook(url) => Endpoint::Webhook {
            url: crate::http::redact_text(url),
        },
        Base::Fallback(destination) => Endpoint::Fallback { destination },
        Base::Nothing => Endpoint::Nothing,
    };
    calls(fields.get("hooks"), base)
}

/// Where calls go for a number with these fields, each endpoint by what routes it alone (ids,
/// texts, destinations; no names): what a route shown for it must route like
/// ([`Endpoint::same_route`]).
pub(crate) fn unnamed(fields: &Map<String, Value>) -> Endpoint {
    endpoint(fields, assistant, |id| Endpoint::Squad {
        id: id.into(),
        name: None,
        business: None,
    })
}

/// An assistant by id alone.
pub(crate) fn assistant(id: &str) -> Endpoint {
    Endpoint::Assistant {
        id: Some(id.into()),
        address: None,
        name: None,
        business: None,
        greeting: None,
    }
}

/// Where calls go: `base` (the routed endpoint, named) behind the number's `call.ringing`
/// hooks, the first matching hook acting first.
pub(crate) fn calls(hooks: Option<&Value>, base: Endpoint) -> Endpoint {
    let hooks: Vec<Ringing> = hooks
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(ringing)
        .collect();
    hooks.into_iter().rev().fold(base, |then, hook| {
        let acts = |then: Option<Endpoint>| match hook.action {
            Action::Say(ref text) => Endpoint::Say {
                text: text.clone(),
                then: then.filter(Endpoint::answers).map(Box::new),
            },
            Action::Transfer(ref to) => Endpoint::Transfer {
                destination: to.clone(),
            },
        };
        if hook.prefixes.is_empty() {
            acts(Some(then))
        } else {
            Endpoint::Screened {
                prefixes: hook.prefixes.clone(),
                action: Box::new(acts(Some(then.clone()))),
                otherwise: Box::new(then),
            }
        }
    })
}

/// Whether a number's calls reach anything but nobody or a message alone: an assistant, squad,
/// webhook, fallback or transfer, for some caller (a retired workflow runs no more). What the
/// mass-change rule counts as routed, and what makes a number not free.
pub(crate) fn answers(fields: &Map<String, Value>) -> bool {
    !matches!(base(fields), Base::Nothing | Base::Workflow(_))
        || fields
            .get("hooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(ringing)
            .any(|hook| matches!(hook.action, Action::Transfer(_)))
}

/// Whether `hook` is the say hook of `unassigned: {say}` on a number: the exact shape vapiform
/// writes ([`say::text_of`]) on a number with no assistant or squad (`routed`).
/// vapiform never leaves its say hook on a routed number, so a say hook there is someone
/// else's, and stays.
pub(crate) fn owns_say_hook(hook: &Value, routed: bool) -> bool {
    !routed && say::text_of(hook).is_some()
}

/// Whether a number with these fields has an assistant or squad set (a retired workflow runs
/// no more).
pub(crate) fn is_routed(fields: &Map<String, Value>) -> bool {
    ["assistantId", "squadId"]
        .iter()
        .any(|field| text(fields, field).is_some())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_routing_fields_win_then_the_webhook_then_the_fallback() {
        let all = fields(json!({
            "assistantId": "a", "squadId": "s", "workflowId": "w",
            "server": {"url": "https://hook.example"},
            "fallbackDestination": {"type": "number", "number": "+14155550000"}
        }));
        assert_eq!(base(&all), Base::Assistant("a"));
        let mut rest = all.clone();
        rest.remove("assistantId");
        assert_eq!(base(&rest), Base::Squad("s"));
        rest.remove("squadId");
        assert_eq!(base(&rest), Base::Workflow("w"));
        rest.insert("workflowId".into(), Value::Null);
        assert_eq!(base(&rest), Base::Webhook("https://hook.example"));
        rest.remove("server");
        assert_eq!(base(&rest), Base::Fallback("+14155550000".into()));
        rest.insert(
            "fallbackDestination".into(),
            json!({"type": "sip", "sipUri": "sip:desk@example.com"}),
        );
        assert_eq!(base(&rest), Base::Fallback("sip:desk@example.com".into()));
        rest.remove("fallbackDestination");
        assert_eq!(base(&rest), Base::Nothing);
        assert!(!answers(&rest));
        assert!(answers(&all));
    }

    #[test]
    fn a_ringing_hook_acts_before_the_route() {
        let transfer = json!([{"on": "call.ringing", "do": [{"type": "transfer", "destination": {"type": "number", "number": "+19005550000"}}]}]);
        assert_eq!(
            calls(Some(&transfer), Endpoint::Nothing),
            Endpoint::Transfer {
                destination: Some("+19005550000".into())
            }
        );
        assert!(answers(&fields(json!({ "hooks": transfer }))));
        let say = json!([{"on": "call.ending"}, {"on": "call.ringing", "do": [{"type": "say", "exact": "Recorded."}]}]);
        let squad = Endpoint::Squad {
            id: "s".into(),
            name: None,
            business: None,
        };
        assert_eq!(
            calls(Some(&say), squad.clone()),
            Endpoint::Say {
                text: "Recorded.".into(),
                then: Some(Box::new(squad.clone()))
            }
        );
        assert_eq!(
            calls(Some(&say), Endpoint::Nothing),
            Endpoint::Say {
                text: "Recorded.".into(),
                then: None
            }
        );
        assert!(!answers(&fields(json!({ "hooks": say }))));
        let screened = json!([{"on": "call.ringing", "filters": [{"type": "startsWith", "key": "number", "startsWith": ["91", "86"]}], "do": [{"type": "transfer"}]}]);
        assert_eq!(
            calls(Some(&screened), squad.clone()),
            Endpoint::Screened {
                prefixes: vec!["91".into(), "86".into()],
                action: Box::new(Endpoint::Transfer { destination: None }),
                otherwise: Box::new(squad),
            }
        );
    }

    #[test]
    fn the_say_hook_is_owned_only_on_a_number_routed_nowhere_else() {
        let hook = say::hook("Not in service.");
        assert!(owns_say_hook(&hook, false));
        assert!(!owns_say_hook(&hook, true));
        let filtered = json!({"on": "call.ringing", "filters": [{"type": "startsWith", "key": "number", "startsWith": ["1"]}], "do": [{"type": "say", "exact": "Hi"}]});
        assert!(!owns_say_hook(&filtered, false));
        assert!(!is_routed(&fields(
            json!({"assistantId": null, "squadId": ""})
        )));
        for field in ["assistantId", "squadId"] {
            assert!(is_routed(&fields(json!({ field: "x" }))), "{field}");
        }
        assert!(!is_routed(&fields(json!({"workflowId": "w"}))));
        assert!(!answers(&fields(json!({"workflowId": "w"}))));
    }
}
