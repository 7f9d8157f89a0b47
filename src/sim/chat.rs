//! `POST /chat`, the test call: a deterministic reply built from the assistant's own text, so
//! `vapiform check` is tested offline. It is not a model: the reply is what the assistant says
//! first when it speaks first (its `firstMessage`), then the first sentence of its system
//! prompt; a squad answers with its first member. Each chat costs [`COST`] dollars. The body is
//! judged by Vapi's `CreateChatDTO`, and the answer is a `Chat` as Vapi's schema describes it.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::routes::{
    ApiError, Reply, Shared, ensure_valid, json_response, new_object, object_body, stamp,
};
use super::store::{Object, Store};
use super::validate;

/// What each chat costs, in dollars: a fixed, small amount, so cost limits can be tested.
pub(crate) const COST: f64 = 0.002;

pub(super) async fn create(State(app): State<Shared>, body: Bytes) -> Reply {
    let body = object_body(&body)?;
    ensure_valid(validate::chat(&body))?;
    let mut store = app.store();
    let now = Instant::now();
    let assistant = match (
        body.get("assistantId").and_then(Value::as_str),
        body.get("squadId").and_then(Value::as_str),
    ) {
        (Some(id), _) => Some(
            store
                .assistants
                .visible(id, now)
                .map(|v| v.object.clone())
                .ok_or_else(|| not_found("assistant", id))?,
        ),
        (None, Some(id)) => {
            let squad = store
                .squads
                .visible(id, now)
                .map(|v| v.object.clone())
                .ok_or_else(|| not_found("squad", id))?;
            first_member(&store, &squad)
        }
        (None, None) => body.get("assistant").and_then(Value::as_object).cloned(),
    };
    let Some(assistant) = assistant else {
        return Err(ApiError::bad_request(vec![
            "one of assistantId, assistant, squadId or squad is required".to_owned(),
        ]));
    };
    let (mut chat, _) = new_object(&mut store);
    for key in ["assistantId", "squadId", "name", "input"] {
        if let Some(value) = body.get(key) {
            chat.insert(key.to_owned(), value.clone());
        }
    }
    chat.insert(
        "output".into(),
        json!([{"role": "assistant", "content": reply(&assistant)}]),
    );
    chat.insert("cost".into(), json!(COST));
    stamp(&mut chat, true);
    Ok(json_response(StatusCode::CREATED, &chat))
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("Couldn't Get {what}. {id} not found"),
    )
}

/// A squad's first member, as it is stored or inline.
fn first_member(store: &Store, squad: &Object) -> Option<Object> {
    let member = squad.get("members")?.as_array()?.first()?;
    match member.get("assistantId").and_then(Value::as_str) {
        Some(id) => store
            .assistants
            .visible(id, Instant::now())
            .map(|v| v.object.clone()),
        None => member.get("assistant")?.as_object().cloned(),
    }
}

/// What the assistant answers: its first message when it speaks first with a set message,
/// then the first sentence of its system prompt.
pub(crate) fn reply(assistant: &Object) -> String {
    let speaks_first = assistant
        .get("firstMessageMode")
        .and_then(Value::as_str)
        .is_none_or(|mode| mode == "assistant-speaks-first");
    let first = assistant
        .get("firstMessage")
        .and_then(Value::as_str)
        .filter(|_| speaks_first);
    let prompt = assistant
        .get("model")
        .and_then(|model| model.get("messages"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|message| message.get("role").and_then(Value::as_str) == Some("system"))
        .and_then(|message| message.get("content"))
        .and_then(Value::as_str)
        .map(first_sentence);
    [first, prompt]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Up to and including the first `.`, `!` or `?` that ends a sentence (followed by white
/// space or the end), else the first line.
fn first_sentence(text: &str) -> &str {
    let text = text.trim_start();
    let end = text
        .char_indices()
        .find(|&(at, c)| {
            matches!(c, '.' | '!' | '?')
                && text[at + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .map_or_else(
            || text.find('\n').unwrap_or(text.len()),
            |(at, c)| at + c.len_utf8(),
        );
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assistant(value: Value) -> Object {
        match value {
            Value::Object(object) => object,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn the_reply_is_the_greeting_then_the_prompts_first_sentence() {
        let acme = assistant(json!({
            "firstMessage": "Thanks for calling Acme Plumbing.",
            "model": {"messages": [{"role": "system", "content": "You answer for Acme Plumbing. Be brief."}]}
        }));
        assert_eq!(
            reply(&acme),
            "Thanks for calling Acme Plumbing. You answer for Acme Plumbing."
        );
        let waits = assistant(json!({
            "firstMessage": "Hi!", "firstMessageMode": "assistant-waits-for-user",
            "model": {"messages": [{"role": "system", "content": "You are Bob's Bakery v1.2\nMore"}]}
        }));
        assert_eq!(reply(&waits), "You are Bob's Bakery v1.2");
        assert_eq!(reply(&assistant(json!({}))), "");
    }
}
