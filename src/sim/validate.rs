//! Request-body validation: Vapi's own DTOs (see [`crate::vapi::schema`]) in the lines
//! `NestJS` puts in a 400's `message`, plus the SIP URI check Vapi makes beyond its schema.
//!
//! Only what a body says on its own is checked here; references to other objects (an
//! `assistantId` that must exist, a `number` already in use) need the store and are checked by
//! the routes.

use serde_json::Value;

use super::store::Object;
use crate::vapi::schema::{self, Dto, PhoneProvider};

/// Checks a `POST /phone-number` body by its provider's create DTO; returns the provider if
/// the body is valid.
pub(crate) fn phone_create(body: &Object) -> Result<PhoneProvider, Vec<String>> {
    let Some(provider) = body
        .get("provider")
        .and_then(Value::as_str)
        .and_then(PhoneProvider::from_wire)
    else {
        let known: Vec<&str> = PhoneProvider::ALL.iter().map(|p| p.wire()).collect();
        return Err(vec![format!(
            "provider must be one of the following values: {}",
            known.join(", ")
        )]);
    };
    let problems = check(Dto::CreatePhoneNumber(provider), body);
    if problems.is_empty() {
        Ok(provider)
    } else {
        Err(problems)
    }
}

/// Checks a `PATCH /phone-number/{id}` body by the update DTO of the stored number's provider
/// (whose `provider` enum also refuses a change of provider).
pub(crate) fn phone_update(body: &Object, stored: PhoneProvider) -> Vec<String> {
    check(Dto::UpdatePhoneNumber(stored), body)
}

/// Checks an assistant create (`creating`) or update body.
pub(crate) fn assistant(body: &Object, creating: bool) -> Vec<String> {
    let dto = if creating {
        Dto::CreateAssistant
    } else {
        Dto::UpdateAssistant
    };
    check(dto, body)
}

/// Checks a `POST /chat` body by Vapi's `CreateChatDTO`.
pub(crate) fn chat(body: &Object) -> Vec<String> {
    check(Dto::CreateChat, body)
}

/// The schema's violations, then the SIP URIs' (only when the schema passed, as class-validator
/// runs custom validators on a well-formed destination only).
fn check(dto: Dto, body: &Object) -> Vec<String> {
    // The schema walks a `Value`; the body is already one, behind its map.
    let body = Value::Object(body.clone());
    let mut problems: Vec<String> = schema::check(dto, &body)
        .iter()
        .map(|violation| violation.nest_message().to_owned())
        .collect();
    if problems.is_empty() {
        sip_uris(&body, &mut problems);
    }
    problems
}

/// Every transfer destination of a phone-number body with a `sipUri` that is not `sip:` or
/// `sips:` followed by something: Vapi refuses those though its schema says only "string".
fn sip_uris(body: &Value, problems: &mut Vec<String>) {
    let mut destinations = vec![(
        "fallbackDestination".to_owned(),
        &body["fallbackDestination"],
    )];
    for (index, hook) in body["hooks"].as_array().into_iter().flatten().enumerate() {
        match &hook["do"] {
            Value::Array(actions) => {
                for (step, action) in actions.iter().enumerate() {
                    destinations.push((
                        format!("hooks.{index}.do.{step}.destination"),
                        &action["destination"],
                    ));
                }
            }
            action => destinations.push((
                format!("hooks.{index}.do.destination"),
                &action["destination"],
            )),
        }
    }
    for (at, destination) in destinations {
        let Some(uri) = destination.get("sipUri").and_then(Value::as_str) else {
            continue;
        };
        let lower = uri.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("sips:")
            .or_else(|| lower.strip_prefix("sip:"));
        if rest.is_none_or(|rest| rest.trim().is_empty()) {
            problems.push(format!(
                "{at}.sipUri must be a valid SIP URI (sip:user@host or sips:user@host)"
            ));
        }
    }
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
    fn phone_create_picks_the_providers_dto() {
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
            Ok(PhoneProvider::Vapi)
        );
        assert_eq!(
            phone_create(&object(json!({"number": "1"}))).unwrap_err(),
            [
                "provider must be one of the following values: byo-phone-number, twilio, vonage, vapi, telnyx"
            ]
        );
    }

    #[test]
    fn phone_update_refuses_another_provider_by_the_stored_ones_dto() {
        assert_eq!(
            phone_update(
                &object(json!({"provider": "twilio"})),
                PhoneProvider::Telnyx
            ),
            ["provider must be one of the following values: telnyx"]
        );
        // The vapi update DTO has no number.
        assert_eq!(
            phone_update(&object(json!({"number": "+1"})), PhoneProvider::Vapi),
            ["property number should not exist"]
        );
    }

    #[test]
    fn sip_uris_must_be_sip_uris_wherever_they_are() {
        let body = object(json!({
            "fallbackDestination": {"type": "sip", "sipUri": "https://pbx.example.com"},
            "hooks": [
                {"on": "call.ringing", "do": [{"type": "transfer", "destination": {"type": "sip", "sipUri": "sip:"}}]},
                {"on": "call.ending", "do": {"type": "transfer", "destination": {"type": "sip", "sipUri": "SIPS:desk@pbx"}}},
            ],
        }));
        assert_eq!(
            phone_update(&body, PhoneProvider::Vapi),
            [
                "fallbackDestination.sipUri must be a valid SIP URI (sip:user@host or sips:user@host)",
                "hooks.0.do.0.destination.sipUri must be a valid SIP URI (sip:user@host or sips:user@host)",
            ]
        );
    }

    #[test]
    fn assistants_by_the_create_and_update_dtos() {
        let body = object(json!({"name": "x", "id": "a1"}));
        assert_eq!(assistant(&body, true), ["property id should not exist"]);
        assert_eq!(assistant(&body, false), ["property id should not exist"]);
    }
}
