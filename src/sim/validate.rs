//! Request-body validation with class-validator-style messages, every problem collected.
//!
//! Only what a body says on its own is checked here; references to other objects (an
//! `assistantId` that must exist, a `number` already in use) need the store and are checked by
//! the routes.

use serde_json::Value;

use super::store::Object;

/// Phone-number providers, the discriminator of every phone-number DTO.
pub(crate) const PHONE_PROVIDERS: [&str; 5] =
    ["byo-phone-number", "twilio", "vonage", "vapi", "telnyx"];

const MODEL_PROVIDERS: [&str; 16] = [
    "anthropic",
    "anthropic-bedrock",
    "anyscale",
    "cerebras",
    "custom-llm",
    "deepinfra",
    "deep-seek",
    "google",
    "groq",
    "inflection-ai",
    "minimax",
    "openai",
    "openrouter",
    "perplexity-ai",
    "together-ai",
    "xai",
];

const VOICE_PROVIDERS: [&str; 19] = [
    "azure",
    "cartesia",
    "custom-voice",
    "deepgram",
    "11labs",
    "hume",
    "lmnt",
    "neuphonic",
    "openai",
    "playht",
    "wellsaid",
    "rime-ai",
    "smallest-ai",
    "tavus",
    "vapi",
    "sesame",
    "inworld",
    "minimax",
    "xai",
];

const TRANSCRIBER_PROVIDERS: [&str; 13] = [
    "assembly-ai",
    "azure",
    "custom-transcriber",
    "deepgram",
    "11labs",
    "gladia",
    "google",
    "speechmatics",
    "talkscriber",
    "openai",
    "cartesia",
    "soniox",
    "xai",
];

/// Fields the server sets; a body carrying one is rejected.
const READ_ONLY: [&str; 4] = ["id", "orgId", "createdAt", "updatedAt"];

/// The JSON type (and length bounds) a field must have.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text {
        min: usize,
        max: usize,
    },
    Bool,
    Object,
    Array,
    /// A string, or an object (a transfer's `message`).
    TextOrObject,
    /// A list of strings.
    Texts,
    /// A phone number's hooks (see [`hooks`]).
    Hooks,
    /// A `TransferDestinationNumber` or `TransferDestinationSip` (see [`destination`]).
    Destination,
}

const TEXT: Kind = Kind::Text {
    min: 0,
    max: usize::MAX,
};

/// A writable field: its name, type, and whether `null` (clear) is accepted.
type Field = (&'static str, Kind, bool);

/// Fields every phone-number create and update DTO accepts.
const PHONE_COMMON: [Field; 7] = [
    ("name", Kind::Text { min: 0, max: 40 }, true),
    ("assistantId", TEXT, true),
    ("squadId", TEXT, true),
    ("workflowId", TEXT, true),
    ("server", Kind::Object, true),
    ("fallbackDestination", Kind::Destination, true),
    ("hooks", Kind::Hooks, false),
];

/// The events a phone-number hook can be on.
const HOOK_EVENTS: [&str; 2] = ["call.ringing", "call.ending"];

/// The actions of a phone-number hook.
const HOOK_ACTIONS: [&str; 2] = ["transfer", "say"];

/// The ended reasons a `call.ending` hook may filter on: assistant-request failures.
const ENDED_REASONS: [&str; 6] = [
    "assistant-request-failed",
    "assistant-request-returned-error",
    "assistant-request-returned-unspeakable-error",
    "assistant-request-returned-invalid-assistant",
    "assistant-request-returned-no-assistant",
    "assistant-request-returned-forwarding-phone-number",
];

/// The optional fields of a `TransferDestinationNumber` (`type` and `number` are checked apart).
const NUMBER_DESTINATION: [Field; 6] = [
    ("extension", TEXT, false),
    ("callerId", TEXT, false),
    ("message", Kind::TextOrObject, false),
    ("transferPlan", Kind::Object, false),
    ("numberE164CheckEnabled", Kind::Bool, false),
    ("description", TEXT, false),
];

/// The optional fields of a `TransferDestinationSip` (`type` and `sipUri` are checked apart).
const SIP_DESTINATION: [Field; 5] = [
    ("callerId", TEXT, false),
    ("sipHeaders", Kind::Object, false),
    ("message", Kind::TextOrObject, false),
    ("transferPlan", Kind::Object, false),
    ("description", TEXT, false),
];

/// The provider-specific fields of the create (`creating`) or update DTO.
fn phone_fields(provider: &str, creating: bool) -> &'static [Field] {
    match (provider, creating) {
        ("byo-phone-number", _) => &[
            ("number", Kind::Text { min: 3, max: 40 }, false),
            ("credentialId", TEXT, false),
            ("numberE164CheckEnabled", Kind::Bool, false),
        ],
        ("twilio", _) => &[
            ("number", TEXT, false),
            ("twilioAccountSid", TEXT, false),
            ("twilioAuthToken", TEXT, false),
            ("twilioApiKey", TEXT, false),
            ("twilioApiSecret", TEXT, false),
            ("smsEnabled", Kind::Bool, false),
        ],
        ("vapi", true) => &[
            (
                "numberDesiredAreaCode",
                Kind::Text { min: 3, max: 3 },
                false,
            ),
            ("sipUri", TEXT, false),
            ("authentication", Kind::Object, false),
        ],
        ("vapi", false) => &[
            ("sipUri", TEXT, false),
            ("authentication", Kind::Object, false),
        ],
        // vonage and telnyx
        _ => &[("number", TEXT, false), ("credentialId", TEXT, false)],
    }
}

fn phone_required(provider: &str) -> &'static [&'static str] {
    match provider {
        "byo-phone-number" => &["credentialId"],
        "twilio" => &["number", "twilioAccountSid"],
        "vonage" | "telnyx" => &["number", "credentialId"],
        _ => &[],
    }
}

/// Checks a `POST /phone-number` body; returns its provider if the body is valid.
pub(crate) fn phone_create(body: &Object) -> Result<&'static str, Vec<String>> {
    let provider = match body.get("provider").and_then(Value::as_str) {
        Some(provider) => PHONE_PROVIDERS.iter().find(|known| **known == provider),
        None => None,
    };
    let Some(provider) = provider else {
        return Err(vec![one_of("provider", &PHONE_PROVIDERS)]);
    };
    let mut problems = Vec::new();
    check_phone_fields(body, provider, true, &mut problems);
    for field in phone_required(provider) {
        if !body.contains_key(*field) {
            problems.push(format!("{field} should not be empty"));
            problems.push(format!("{field} must be a string"));
        }
    }
    if problems.is_empty() {
        Ok(provider)
    } else {
        Err(problems)
    }
}

/// Checks a `PATCH /phone-number/{id}` body against the update DTO of the stored provider.
pub(crate) fn phone_update(body: &Object, stored_provider: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(provider) = body.get("provider")
        && provider.as_str() != Some(stored_provider)
    {
        problems.push(format!(
            "provider must be {stored_provider}: a phone number's provider cannot be changed"
        ));
    }
    check_phone_fields(body, stored_provider, false, &mut problems);
    problems
}

fn check_phone_fields(body: &Object, provider: &str, creating: bool, problems: &mut Vec<String>) {
    let specific = phone_fields(provider, creating);
    check_fields(
        "",
        body,
        &[&PHONE_COMMON, specific],
        &["provider"],
        problems,
    );
}

/// Checks every field of `object` but those in `skip` against the `fields` tables: an unknown
/// one, or one of the wrong type, is a problem named under `prefix` (`""` or `hooks.0.`).
fn check_fields(
    prefix: &str,
    object: &Object,
    fields: &[&[Field]],
    skip: &[&str],
    problems: &mut Vec<String>,
) {
    for (name, value) in object {
        if skip.contains(&name.as_str()) {
            continue;
        }
        match fields
            .iter()
            .flat_map(|table| table.iter())
            .find(|(field, _, _)| field == name)
        {
            Some((field, kind, nullable)) => {
                check(
                    &format!("{prefix}{field}"),
                    value,
                    *kind,
                    *nullable,
                    problems,
                );
            }
            None => problems.push(format!("{prefix}property {name} should not exist")),
        }
    }
}

/// Checks a phone number's `hooks` (`name` is where they are): each is `call.ringing` with
/// `do` an array of actions and optional caller-prefix `filters`, or `call.ending` with `do`
/// one action and optional ended-reason `filters`.
fn hooks(name: &str, items: &[Value], problems: &mut Vec<String>) {
    for (index, hook) in items.iter().enumerate() {
        let at = format!("{name}.{index}");
        let Value::Object(hook) = hook else {
            problems.push(format!("{at} must be an object"));
            continue;
        };
        let ringing = match hook.get("on").and_then(Value::as_str) {
            Some("call.ringing") => true,
            Some("call.ending") => false,
            _ => {
                problems.push(one_of(&format!("{at}.on"), &HOOK_EVENTS));
                continue;
            }
        };
        check_fields(
            &format!("{at}."),
            hook,
            &[],
            &["on", "do", "filters"],
            problems,
        );
        match (hook.get("do"), ringing) {
            (Some(Value::Array(actions)), true) => {
                for (step, action) in actions.iter().enumerate() {
                    hook_action(&format!("{at}.do.{step}"), action, problems);
                }
            }
            (Some(action @ Value::Object(_)), false) => {
                hook_action(&format!("{at}.do"), action, problems);
            }
            _ => {
                if hook.get("do").is_none() {
                    problems.push(format!("{at}.do should not be empty"));
                }
                let kind = if ringing { Kind::Array } else { Kind::Object };
                problems.push(type_message(&format!("{at}.do"), kind));
            }
        }
        match hook.get("filters") {
            None => {}
            Some(Value::Array(filters)) => {
                for (index, filter) in filters.iter().enumerate() {
                    let at = format!("{at}.filters.{index}");
                    if ringing {
                        hook_filter(
                            &at,
                            filter,
                            ("startsWith", "number", "startsWith"),
                            None,
                            problems,
                        );
                    } else {
                        hook_filter(
                            &at,
                            filter,
                            ("oneOf", "call.endedReason", "oneOf"),
                            Some(&ENDED_REASONS),
                            problems,
                        );
                    }
                }
            }
            Some(_) => problems.push(format!("{at}.filters must be an array")),
        }
    }
}

/// Checks one hook action: `{type: transfer, destination?}` or `{type: say, exact}`.
fn hook_action(at: &str, action: &Value, problems: &mut Vec<String>) {
    let Value::Object(action) = action else {
        problems.push(format!("{at} must be an object"));
        return;
    };
    match action.get("type").and_then(Value::as_str) {
        Some("transfer") => {
            const TRANSFER: [Field; 1] = [("destination", Kind::Destination, false)];
            check_fields(&format!("{at}."), action, &[&TRANSFER], &["type"], problems);
        }
        Some("say") => {
            check_fields(&format!("{at}."), action, &[], &["type", "exact"], problems);
            require(action, &format!("{at}.exact"), TEXT, problems);
        }
        _ => problems.push(one_of(&format!("{at}.type"), &HOOK_ACTIONS)),
    }
}

/// Checks one hook filter `{type, key, <list>: [...]}` whose `type` and `key` must be the
/// given ones and whose list holds strings (of `allowed`, when given).
fn hook_filter(
    at: &str,
    filter: &Value,
    (kind, key, list): (&str, &str, &str),
    allowed: Option<&[&str]>,
    problems: &mut Vec<String>,
) {
    let Value::Object(filter) = filter else {
        problems.push(format!("{at} must be an object"));
        return;
    };
    check_fields(
        &format!("{at}."),
        filter,
        &[],
        &["type", "key", list],
        problems,
    );
    for (field, wanted) in [("type", kind), ("key", key)] {
        if filter.get(field).and_then(Value::as_str) != Some(wanted) {
            problems.push(one_of(&format!("{at}.{field}"), &[wanted]));
        }
    }
    let path = format!("{at}.{list}");
    require(filter, &path, Kind::Texts, problems);
    if let (Some(allowed), Some(Value::Array(items))) = (allowed, filter.get(list)) {
        for item in items.iter().filter_map(Value::as_str) {
            if !allowed.contains(&item) {
                problems.push(format!("each value in {}", one_of(&path, allowed)));
                break;
            }
        }
    }
}

/// Checks a transfer destination (`at` is where it is): `{type: number, number (3 to 40
/// characters), ...}` or `{type: sip, sipUri (sip: or sips:), ...}`.
fn destination(at: &str, object: &Object, problems: &mut Vec<String>) {
    let prefix = format!("{at}.");
    match object.get("type").and_then(Value::as_str) {
        Some("number") => {
            check_fields(
                &prefix,
                object,
                &[&NUMBER_DESTINATION],
                &["type", "number"],
                problems,
            );
            require(
                object,
                &format!("{at}.number"),
                Kind::Text { min: 3, max: 40 },
                problems,
            );
        }
        Some("sip") => {
            check_fields(
                &prefix,
                object,
                &[&SIP_DESTINATION],
                &["type", "sipUri"],
                problems,
            );
            let path = format!("{at}.sipUri");
            require(object, &path, TEXT, problems);
            if let Some(Value::String(uri)) = object.get("sipUri") {
                let lower = uri.to_ascii_lowercase();
                let rest = lower
                    .strip_prefix("sips:")
                    .or_else(|| lower.strip_prefix("sip:"));
                if rest.is_none_or(|rest| rest.trim().is_empty()) {
                    problems.push(format!(
                        "{path} must be a valid SIP URI (sip:user@host or sips:user@host)"
                    ));
                }
            }
        }
        _ => problems.push(one_of(&format!("{at}.type"), &["number", "sip"])),
    }
}

/// Checks an assistant create or update body (nothing is required; unknown fields are kept).
pub(crate) fn assistant(body: &Object) -> Vec<String> {
    let mut problems = Vec::new();
    for name in body.keys() {
        if READ_ONLY.contains(&name.as_str()) {
            problems.push(format!("property {name} should not exist"));
        }
    }
    if let Some(name) = body.get("name") {
        check(
            "name",
            name,
            Kind::Text { min: 0, max: 40 },
            true,
            &mut problems,
        );
    }
    if let Some(metadata) = body.get("metadata") {
        check("metadata", metadata, Kind::Object, true, &mut problems);
    }
    if let Some(model) = nested(body, "model", &mut problems)
        && let Some(provider) = provider(model, "model", &MODEL_PROVIDERS, &mut problems)
    {
        require(model, "model.model", TEXT, &mut problems);
        if provider == "custom-llm" {
            require(model, "model.url", TEXT, &mut problems);
        }
    }
    if let Some(voice) = nested(body, "voice", &mut problems)
        && let Some(provider) = provider(voice, "voice", &VOICE_PROVIDERS, &mut problems)
    {
        match provider {
            "custom-voice" => require(voice, "voice.server", Kind::Object, &mut problems),
            _ => require(voice, "voice.voiceId", TEXT, &mut problems),
        }
        match provider {
            "neuphonic" => require(voice, "voice.language", TEXT, &mut problems),
            "sesame" => require(voice, "voice.model", TEXT, &mut problems),
            _ => {}
        }
    }
    if let Some(transcriber) = nested(body, "transcriber", &mut problems)
        && let Some(provider) = provider(
            transcriber,
            "transcriber",
            &TRANSCRIBER_PROVIDERS,
            &mut problems,
        )
    {
        match provider {
            "custom-transcriber" => {
                require(
                    transcriber,
                    "transcriber.server",
                    Kind::Object,
                    &mut problems,
                );
            }
            "speechmatics" => require(
                transcriber,
                "transcriber.customVocabulary",
                Kind::Array,
                &mut problems,
            ),
            "openai" => require(transcriber, "transcriber.model", TEXT, &mut problems),
            _ => {}
        }
    }
    problems
}

/// The object under `name`, if present and an object; `null` (a clear) is accepted.
fn nested<'a>(body: &'a Object, name: &str, problems: &mut Vec<String>) -> Option<&'a Object> {
    match body.get(name)? {
        Value::Object(object) => Some(object),
        Value::Null => None,
        _ => {
            problems.push(format!("{name} must be an object"));
            None
        }
    }
}

fn provider<'a>(
    object: &'a Object,
    path: &str,
    known: &[&str],
    problems: &mut Vec<String>,
) -> Option<&'a str> {
    match object.get("provider").and_then(Value::as_str) {
        Some(provider) if known.contains(&provider) => Some(provider),
        _ => {
            problems.push(one_of(&format!("{path}.provider"), known));
            None
        }
    }
}

/// Requires the last segment of `path` in `object`, with the given type.
fn require(object: &Object, path: &str, kind: Kind, problems: &mut Vec<String>) {
    let key = path.rsplit('.').next().unwrap_or(path);
    if let Some(value) = object.get(key) {
        check(path, value, kind, false, problems);
    } else {
        if matches!(kind, Kind::Text { .. }) {
            problems.push(format!("{path} should not be empty"));
        }
        problems.push(type_message(path, kind));
    }
}

fn check(name: &str, value: &Value, kind: Kind, nullable: bool, problems: &mut Vec<String>) {
    let fits = match (kind, value) {
        (_, Value::Null) => nullable,
        (Kind::Text { min, max }, Value::String(text)) => {
            let length = text.chars().count();
            if length > max {
                problems.push(format!(
                    "{name} must be shorter than or equal to {max} characters"
                ));
            }
            if length < min {
                problems.push(format!(
                    "{name} must be longer than or equal to {min} characters"
                ));
            }
            true
        }
        (Kind::Hooks, Value::Array(items)) => {
            hooks(name, items, problems);
            true
        }
        (Kind::Destination, Value::Object(object)) => {
            destination(name, object, problems);
            true
        }
        (Kind::Texts, Value::Array(items)) => {
            if !items.iter().all(Value::is_string) {
                problems.push(format!("each value in {name} must be a string"));
            }
            true
        }
        (Kind::Bool, Value::Bool(_))
        | (Kind::Object | Kind::TextOrObject, Value::Object(_))
        | (Kind::Array, Value::Array(_))
        | (Kind::TextOrObject, Value::String(_)) => true,
        _ => false,
    };
    if !fits {
        problems.push(type_message(name, kind));
    }
}

fn type_message(name: &str, kind: Kind) -> String {
    match kind {
        Kind::Text { .. } => format!("{name} must be a string"),
        Kind::Bool => format!("{name} must be a boolean value"),
        Kind::Object | Kind::Destination => format!("{name} must be an object"),
        Kind::Array | Kind::Hooks | Kind::Texts => format!("{name} must be an array"),
        Kind::TextOrObject => format!("{name} must be a string or an object"),
    }
}

fn one_of(name: &str, values: &[&str]) -> String {
    format!(
        "{name} must be one of the following values: {}",
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Object {
        match value {
            Value::Object(object) => object,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn phone_create_requires_provider_fields_and_rejects_unknown_ones() {
        let problems = phone_create(&object(json!({
            "provider": "telnyx",
            "number": "+14155550123",
            "status": "active",
            "smsEnabled": true,
        })))
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "property status should not exist",
                "property smsEnabled should not exist",
                "credentialId should not be empty",
                "credentialId must be a string",
            ]
        );
        assert_eq!(
            phone_create(&object(json!({"provider": "vapi", "name": "x"}))),
            Ok("vapi")
        );
        assert_eq!(
            phone_create(&object(json!({"number": "1"}))).unwrap_err(),
            [
                "provider must be one of the following values: byo-phone-number, twilio, vonage, vapi, telnyx"
            ]
        );
    }

    #[test]
    fn phone_update_accepts_nulls_and_limits_names() {
        let ok = object(json!({
            "provider": "telnyx", "assistantId": null, "squadId": null, "workflowId": null,
            "name": null, "server": null, "fallbackDestination": null,
        }));
        assert!(phone_update(&ok, "telnyx").is_empty());
        let bad = object(json!({
            "provider": "twilio",
            "name": "x".repeat(41),
            "numberDesiredAreaCode": "415",
            "hooks": null,
        }));
        assert_eq!(
            phone_update(&bad, "telnyx"),
            [
                "provider must be telnyx: a phone number's provider cannot be changed",
                "name must be shorter than or equal to 40 characters",
                "property numberDesiredAreaCode should not exist",
                "hooks must be an array",
            ]
        );
        // The vapi update DTO has no number.
        assert_eq!(
            phone_update(&object(json!({"number": "+1"})), "vapi"),
            ["property number should not exist"]
        );
    }

    #[test]
    fn forty_characters_is_fine_and_counted_in_characters() {
        let name = "é".repeat(40);
        assert!(phone_update(&object(json!({ "name": name })), "vapi").is_empty());
        assert!(assistant(&object(json!({ "name": name }))).is_empty());
    }

    #[test]
    fn assistant_checks_read_only_fields_and_nested_providers() {
        let problems = assistant(&object(json!({
            "id": "x",
            "metadata": "owner",
            "model": {"provider": "custom-llm", "model": "m"},
            "voice": {"provider": "elevenlabs", "voiceId": "v"},
            "transcriber": {"model": "nova-2"},
            "somethingNew": {"kept": true},
        })));
        assert_eq!(problems[0], "property id should not exist");
        assert_eq!(problems[1], "metadata must be an object");
        assert_eq!(problems[2], "model.url should not be empty");
        assert_eq!(problems[3], "model.url must be a string");
        assert!(
            problems[4].starts_with("voice.provider must be one of the following values: azure")
        );
        assert!(problems[5].starts_with("transcriber.provider must be one of"));
        assert_eq!(problems.len(), 6);
    }

    #[test]
    fn assistant_accepts_a_realistic_body_and_clears() {
        let body = object(json!({
            "name": "acme-support-bot", "firstMessage": "Hi!",
            "metadata": {"vapiform": {"key": "acme"}},
            "model": {"provider": "openai", "model": "gpt-4o-mini",
                      "messages": [{"role": "system", "content": "You are helpful."}]},
            "voice": {"provider": "vapi", "voiceId": "Elliot"},
            "transcriber": {"provider": "deepgram", "model": "nova-2"},
        }));
        assert!(assistant(&body).is_empty());
        assert!(assistant(&object(json!({"voice": null, "metadata": null}))).is_empty());
        assert_eq!(
            assistant(&object(json!({"voice": {"provider": "custom-voice"}}))),
            ["voice.server must be an object"]
        );
    }

    #[test]
    fn hooks_are_checked_as_deep_as_the_spec_goes() {
        let good = object(json!({"hooks": [
            {"on": "call.ringing", "do": [{"type": "say", "exact": "This number is not in service."}]},
            {"on": "call.ringing", "filters": [{"type": "startsWith", "key": "number", "startsWith": ["1415"]}],
             "do": [{"type": "transfer", "destination": {"type": "number", "number": "+14155550199"}}]},
            {"on": "call.ending", "do": {"type": "transfer"},
             "filters": [{"type": "oneOf", "key": "call.endedReason", "oneOf": ["assistant-request-failed"]}]},
        ]}));
        assert_eq!(phone_update(&good, "telnyx"), Vec::<String>::new());
        let bad = object(json!({"hooks": [
            {"on": "call.answered", "do": []},
            {"on": "call.ringing", "do": {"type": "say", "exact": "x"}},
            {"on": "call.ringing", "do": [{"type": "say"}, {"type": "dial"}, {"type": "say", "exact": "x", "voice": "y"}]},
            {"on": "call.ending", "do": [{"type": "say", "exact": "x"}]},
            {"on": "call.ringing", "do": [], "filters": [{"type": "contains", "key": "number", "startsWith": [1]}], "when": 1},
            {"on": "call.ending", "do": {"type": "transfer", "destination": {"type": "number"}},
             "filters": [{"type": "oneOf", "key": "call.endedReason", "oneOf": ["customer-ended-call"]}]},
            "ring",
        ]}));
        assert_eq!(
            phone_update(&bad, "telnyx"),
            [
                "hooks.0.on must be one of the following values: call.ringing, call.ending",
                "hooks.1.do must be an array",
                "hooks.2.do.0.exact should not be empty",
                "hooks.2.do.0.exact must be a string",
                "hooks.2.do.1.type must be one of the following values: transfer, say",
                "hooks.2.do.2.property voice should not exist",
                "hooks.3.do must be an object",
                "hooks.4.property when should not exist",
                "hooks.4.filters.0.type must be one of the following values: startsWith",
                "each value in hooks.4.filters.0.startsWith must be a string",
                "hooks.5.do.destination.number should not be empty",
                "hooks.5.do.destination.number must be a string",
                "each value in hooks.5.filters.0.oneOf must be one of the following values: assistant-request-failed, assistant-request-returned-error, assistant-request-returned-unspeakable-error, assistant-request-returned-invalid-assistant, assistant-request-returned-no-assistant, assistant-request-returned-forwarding-phone-number",
                "hooks.6 must be an object",
            ]
        );
    }

    #[test]
    fn fallback_destinations_are_a_number_or_a_sip_uri() {
        for good in [
            json!({"type": "number", "number": "+14155550199", "message": "Connecting you", "callerId": "+1"}),
            json!({"type": "number", "number": "911", "numberE164CheckEnabled": false}),
            json!({"type": "sip", "sipUri": "sip:front-desk@pbx.example.com", "sipHeaders": {"x": "1"}}),
        ] {
            let body = object(json!({ "fallbackDestination": good }));
            assert_eq!(phone_update(&body, "vapi"), Vec::<String>::new(), "{good}");
        }
        let problems = |destination: Value| {
            phone_update(
                &object(json!({ "fallbackDestination": destination })),
                "vapi",
            )
        };
        assert_eq!(
            problems(json!({"type": "number", "number": "12"})),
            ["fallbackDestination.number must be longer than or equal to 3 characters"]
        );
        assert_eq!(
            problems(json!({"type": "number", "number": "1".repeat(41), "sipUri": "sip:x"})),
            [
                "fallbackDestination.property sipUri should not exist",
                "fallbackDestination.number must be shorter than or equal to 40 characters",
            ]
        );
        assert_eq!(
            problems(json!({"type": "sip", "sipUri": "https://pbx.example.com"})),
            [
                "fallbackDestination.sipUri must be a valid SIP URI (sip:user@host or sips:user@host)"
            ]
        );
        assert_eq!(
            problems(json!({"type": "assistant", "assistantName": "x"})),
            ["fallbackDestination.type must be one of the following values: number, sip"]
        );
        assert_eq!(
            problems(json!("+14155550199")),
            ["fallbackDestination must be an object"]
        );
    }
}
