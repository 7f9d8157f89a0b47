//! The hook `unassigned: {say: TEXT}` owns: `{on: call.ringing, do: [{type: say, exact: TEXT}]}`
//! on a number no business lists, so a caller hears TEXT and no assistant runs.
//!
//! vapiform recognises the hook by its shape, whatever its text: a `call.ringing` hook without
//! filters whose one action says a text, on a number with no assistant, squad or workflow
//! (see `plan::route::owns_say_hook`). It writes one first on every unassigned number under the
//! `say` policy (replacing any other hook of that shape there, which would never play), and
//! removes it from a number it routes or unlinks, in the same PATCH. A say hook on a routed
//! number is never vapiform's (it never leaves one there), so it is someone else's and stays.

use serde_json::{Value, json};

/// The hook that makes a number say `text` when it rings.
pub(crate) fn hook(text: &str) -> Value {
    json!({"on": "call.ringing", "do": [{"type": "say", "exact": text}]})
}

/// The text a hook says, when it is a say hook as [`hook`] writes it (keys the server adds
/// are tolerated; filters or a second action make it some other hook).
pub(crate) fn text_of(hook: &Value) -> Option<&str> {
    if hook.get("on")?.as_str()? != "call.ringing" {
        return None;
    }
    let unfiltered = match hook.get("filters") {
        None | Some(Value::Null) => true,
        Some(Value::Array(filters)) => filters.is_empty(),
        Some(_) => false,
    };
    let [action] = hook.get("do")?.as_array()?.as_slice() else {
        return None;
    };
    if !unfiltered || action.get("type")?.as_str()? != "say" {
        return None;
    }
    action.get("exact")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_say_hook_is_known_by_its_shape() {
        assert_eq!(text_of(&hook("Not in service.")), Some("Not in service."));
        let with_defaults = json!({"on": "call.ringing", "filters": [], "do": [{"type": "say", "exact": "Hi", "voice": null}]});
        assert_eq!(text_of(&with_defaults), Some("Hi"));
        for other in [
            json!({"on": "call.ending", "do": [{"type": "say", "exact": "Hi"}]}),
            json!({"on": "call.ringing", "do": [{"type": "say", "exact": "Hi"}, {"type": "transfer"}]}),
            json!({"on": "call.ringing", "filters": [{"type": "startsWith", "key": "number", "startsWith": ["1"]}], "do": [{"type": "say", "exact": "Hi"}]}),
            json!({"on": "call.ringing", "do": [{"type": "transfer", "destination": {"type": "number", "number": "+14155550100"}}]}),
            json!("call.ringing"),
        ] {
            assert_eq!(text_of(&other), None, "{other}");
        }
    }
}
