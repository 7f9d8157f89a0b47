//! Vapi's Chat API (`POST /chat`): one text turn with what answers a number, the test call of
//! `vapiform check`. Through the same request path as every other call (pace, retries, errors).

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::Client;
use crate::http::Error;

/// What answers: an assistant or a squad, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answerer {
    /// An assistant.
    Assistant(String),
    /// A squad (its first member speaks first).
    Squad(String),
}

/// The answer to one chat.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The text of the assistant's messages, in order, joined by a space.
    pub text: String,
    /// What Vapi says the chat cost, in dollars.
    pub cost: Option<f64>,
}

#[derive(Deserialize)]
struct Chat {
    #[serde(default)]
    output: Vec<Message>,
    #[serde(default)]
    cost: Option<f64>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    content: Option<Value>,
}

impl Client {
    /// Holds a one-turn text conversation: `input` to `answerer`. A chat is never repeated
    /// after an ambiguous failure (it is a `POST`), so at most one is paid for each call.
    pub async fn chat(&self, answerer: &Answerer, input: &str) -> Result<Reply, Error> {
        let mut body = Map::new();
        match answerer {
            Answerer::Assistant(id) => body.insert("assistantId".into(), json!(id)),
            Answerer::Squad(id) => body.insert("squadId".into(), json!(id)),
        };
        body.insert("name".into(), json!("vapiform check"));
        body.insert("input".into(), json!(input));
        let chat: Chat = self
            .transport
            .send(Method::POST, "/chat", &[], Some(&body))
            .await?;
        let text = chat
            .output
            .iter()
            .filter(|m| m.role.as_deref().is_none_or(|role| role == "assistant"))
            .filter_map(|m| m.content.as_ref().and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Reply {
            text,
            cost: chat.cost,
        })
    }
}
