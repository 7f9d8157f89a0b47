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
    Text { min: usize, max: usize },
    Bool,
    Object,
    Array,
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
    ("fallbackDestination", Kind::Object, true),
    ("hooks", Kind::Array, false),
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
    for (name, value) in body {
        if name == "provider" {
            continue;
        }
        match PHONE_COMMON
            .iter()
            .chain(specific)
            .find(|(field, _, _)| field == name)
        {
            Some((field, kind, nullable)) => check(field, value, *kind, *nullable, problems),
            None => problems.push(format!("property {name} should not exist")),
        }
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
        (Kind::Bool, Value::Bool(_))
        | (Kind::Object, Value::Object(_))
        | (Kind::Array, Value::Array(_)) => true,
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
        Kind::Object => format!("{name} must be an object"),
        Kind::Array => format!("{name} must be an array"),
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
}
