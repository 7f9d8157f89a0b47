//! The simulator through real HTTP: the checklist of `vapi-api.md` section 8.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use vapiform::sim::{self, Account, Options, Running};

/// A started simulator and a client for it.
struct Api {
    running: Running,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn start(options: Options) -> Self {
        let token = options.token.clone().unwrap_or_else(|| "test-key".into());
        let running = sim::start(options).await.expect("simulator starts");
        Self {
            running,
            http: reqwest::Client::new(),
            token,
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, body) = self.send_raw(method, path, body, Some(&self.token)).await;
        (status, body)
    }

    async fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.running.url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the simulator");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, headers, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send("POST", path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send("PATCH", path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send("DELETE", path, None).await
    }

    /// Creates and returns an object, asserting 201.
    async fn create(&self, path: &str, body: Value) -> Value {
        let (status, object) = self.post(path, body).await;
        assert_eq!(status, StatusCode::CREATED, "{object}");
        object
    }
}

fn id(object: &Value) -> String {
    object["id"].as_str().expect("object has an id").to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a bare array")
        .iter()
        .map(id)
        .collect()
}

fn telnyx(number: &str) -> Value {
    json!({"provider": "telnyx", "number": number, "credentialId": "cred-1"})
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(object) => object,
        _ => panic!("not an object"),
    }
}

/// An account whose objects have the given ids and creation times.
fn seeded(numbers: &[(&str, &str, &str)], assistants: &[(&str, &str)]) -> Account {
    Account {
        phone_numbers: numbers
            .iter()
            .map(|(id, created, name)| {
                object(json!({
                    "id": id, "orgId": "org", "provider": "vapi", "number": format!("+1555{id}"),
                    "name": name, "status": "active", "createdAt": created, "updatedAt": created,
                }))
            })
            .collect(),
        assistants: assistants
            .iter()
            .map(|(id, created)| {
                object(
                    json!({"id": id, "orgId": "org", "createdAt": created, "updatedAt": created}),
                )
            })
            .collect(),
        ..Account::default()
    }
}

#[tokio::test]
async fn crud_answers_201_200_and_404_after_delete() {
    let api = Api::start(Options::default()).await;
    let assistant = api
        .create(
            "/assistant",
            json!({"name": "acme", "metadata": {"owner": "acme"}}),
        )
        .await;
    assert_eq!(
        assistant["orgId"],
        api.create("/assistant", json!({})).await["orgId"]
    );
    let created_at = assistant["createdAt"].as_str().unwrap();
    assert_eq!(
        created_at.len(),
        "2026-03-26T15:43:16.145Z".len(),
        "{created_at}"
    );
    assert!(created_at.ends_with('Z') && created_at.as_bytes()[19] == b'.');
    assert_eq!(assistant["createdAt"], assistant["updatedAt"]);
    assert!(uuid::Uuid::parse_str(&id(&assistant)).is_ok());

    let number = api
        .create(
            "/phone-number",
            json!({"provider": "telnyx", "number": "+14155550123", "credentialId": "c",
                   "assistantId": id(&assistant)}),
        )
        .await;
    assert_eq!(number["status"], "active");
    let path = format!("/phone-number/{}", id(&number));
    let (status, fetched) = api.get(&path).await;
    assert_eq!((status, &fetched), (StatusCode::OK, &number));

    let (status, deleted) = api.delete(&path).await;
    assert_eq!((status, &deleted), (StatusCode::OK, &number));
    let (status, body) = api.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"message": "Not Found", "error": "Not Found", "statusCode": 404})
    );
    assert_eq!(api.delete(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.patch(&path, json!({})).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn vapi_numbers_get_a_generated_number() {
    let api = Api::start(Options::default()).await;
    let number = api
        .create(
            "/phone-number",
            json!({"provider": "vapi", "numberDesiredAreaCode": "415"}),
        )
        .await;
    let digits = number["number"].as_str().unwrap();
    assert!(
        digits.starts_with("+1415") && digits.len() == 12,
        "{digits}"
    );
}

#[tokio::test]
async fn bad_or_missing_keys_get_401() {
    let api = Api::start(Options {
        token: Some("right".into()),
        ..Options::default()
    })
    .await;
    let unauthorized = json!({
        "message": "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.",
        "error": "Unauthorized",
        "statusCode": 401,
    });
    for token in [None, Some(""), Some("wrong")] {
        let (status, _, body) = api.send_raw("GET", "/assistant", None, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "token {token:?}");
        assert_eq!(body, unauthorized);
    }
    let (status, _, _) = api.send_raw("GET", "/assistant", None, Some("right")).await;
    assert_eq!(status, StatusCode::OK);

    let open = Api::start(Options::default()).await;
    assert_eq!(
        open.send_raw("GET", "/assistant", None, Some("anything"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        open.send_raw("GET", "/assistant", None, Some("")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn v1_lists_are_newest_first_with_limit_and_strict_date_filters() {
    let account = seeded(
        &[],
        &[
            ("a1", "2026-01-01T00:00:00.000Z"),
            ("a2", "2026-01-02T00:00:00.000Z"),
            ("a3", "2026-01-03T00:00:00.000Z"),
            ("a4", "2026-01-03T00:00:00.000Z"),
            ("a5", "2026-01-04T00:00:00.500Z"),
        ],
    );
    let api = Api::start(Options {
        account: Some(account),
        ..Options::default()
    })
    .await;
    let (status, all) = api.get("/assistant").await;
    assert_eq!(status, StatusCode::OK);
    // Newest first; the tie on Jan 3 is broken by id, descending.
    assert_eq!(ids(&all), ["a5", "a4", "a3", "a2", "a1"]);
    assert_eq!(ids(&api.get("/assistant?limit=2").await.1), ["a5", "a4"]);
    assert_eq!(
        ids(&api.get("/assistant?limit=0").await.1),
        Vec::<String>::new()
    );

    // Strict vs inclusive, comparing instants (an offset and extra precision included).
    let lt = api
        .get("/assistant?createdAtLt=2026-01-03T00:00:00.000Z")
        .await
        .1;
    assert_eq!(ids(&lt), ["a2", "a1"]);
    let le = api
        .get("/assistant?createdAtLe=2026-01-03T01:00:00%2B01:00")
        .await
        .1;
    assert_eq!(ids(&le), ["a4", "a3", "a2", "a1"]);
    let gt = api
        .get("/assistant?createdAtGt=2026-01-04T00:00:00.4999Z")
        .await
        .1;
    assert_eq!(ids(&gt), ["a5"]);
    let ge = api
        .get("/assistant?createdAtGe=2026-01-02T00:00:00Z&createdAtLt=2026-01-04T00:00:00Z")
        .await
        .1;
    assert_eq!(ids(&ge), ["a4", "a3", "a2"]);

    let (status, body) = api.get("/assistant?limit=1001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"message": ["limit must not be greater than 1000"], "error": "Bad Request", "statusCode": 400})
    );
    assert_eq!(
        api.get("/assistant?limit=-1").await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, body) = api.get("/phone-number?updatedAtGt=soon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!(["updatedAtGt must be a valid ISO 8601 date string"])
    );

    // updatedAt filters see PATCHes.
    let (status, _) = api.patch("/assistant/a1", json!({"name": "touched"})).await;
    assert_eq!(status, StatusCode::OK);
    let touched = api
        .get("/assistant?updatedAtGt=2026-02-01T00:00:00Z")
        .await
        .1;
    assert_eq!(ids(&touched), ["a1"]);
    let untouched = api
        .get("/assistant?updatedAtLe=2026-02-01T00:00:00Z")
        .await
        .1;
    assert_eq!(ids(&untouched), ["a5", "a4", "a3", "a2"]);
}

#[tokio::test]
async fn objects_created_in_the_same_millisecond_share_a_timestamp() {
    let api = Api::start(Options::default()).await;
    let mut stamps = Vec::new();
    for _ in 0..100 {
        stamps.push(api.create("/assistant", json!({})).await["createdAt"].clone());
    }
    let mut distinct = stamps.clone();
    distinct.dedup();
    // Sequential creates over loopback take well under a millisecond each.
    assert!(
        distinct.len() < stamps.len(),
        "no two creates shared a millisecond"
    );
    let listed = api.get("/assistant?limit=1000").await.1;
    let listed_stamps: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["createdAt"].as_str().unwrap())
        .collect();
    assert!(listed_stamps.windows(2).all(|pair| pair[0] >= pair[1]));
}

#[tokio::test]
async fn v2_pages_sort_and_search() {
    let account = seeded(
        &[
            ("n1", "2026-01-01T00:00:00.000Z", "Support line"),
            ("n2", "2026-01-02T00:00:00.000Z", "sales"),
            ("n3", "2026-01-03T00:00:00.000Z", "SUPPORT backup"),
            ("n4", "2026-01-04T00:00:00.000Z", "billing"),
            ("n5", "2026-01-05T00:00:00.000Z", "spare"),
        ],
        &[],
    );
    let api = Api::start(Options {
        account: Some(account),
        ..Options::default()
    })
    .await;
    let (status, page) = api.get("/v2/phone-number?limit=2&page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page["results"]), ["n3", "n2"]);
    assert_eq!(
        page["metadata"],
        json!({"itemsPerPage": 2, "totalItems": 5, "currentPage": 2, "totalPages": 3,
               "hasNextPage": true, "sortOrder": "DESC"})
    );
    let last = api
        .get("/v2/phone-number?limit=2&page=3&sortOrder=ASC")
        .await
        .1;
    assert_eq!(ids(&last["results"]), ["n5"]);
    assert_eq!(last["metadata"]["hasNextPage"], false);
    assert_eq!(last["metadata"]["sortOrder"], "ASC");

    let found = api.get("/v2/phone-number?search=support").await.1;
    assert_eq!(ids(&found["results"]), ["n3", "n1"]);
    assert_eq!(found["metadata"]["totalItems"], 2);
    // The number is searched too.
    assert_eq!(
        ids(&api.get("/v2/phone-number?search=555n4").await.1["results"]),
        ["n4"]
    );
    let window = api
        .get("/v2/phone-number?createdAtGt=2026-01-02T00:00:00Z&createdAtLe=2026-01-04T00:00:00Z")
        .await
        .1;
    assert_eq!(ids(&window["results"]), ["n4", "n3"]);
    assert_eq!(
        api.get("/v2/phone-number?page=0").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        api.get("/v2/phone-number?sortOrder=up").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn unlink_with_null_then_get_shows_null() {
    let api = Api::start(Options::default()).await;
    let assistant = api.create("/assistant", json!({"name": "a"})).await;
    let number = api
        .create("/phone-number", {
            let mut body = telnyx("+14155550100");
            body["assistantId"] = json!(id(&assistant));
            body["name"] = json!("front desk");
            body
        })
        .await;
    let path = format!("/phone-number/{}", id(&number));
    let (status, patched) = api
        .patch(
            &path,
            json!({"provider": "telnyx", "assistantId": null, "squadId": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let (_, fetched) = api.get(&path).await;
    assert!(fetched.as_object().unwrap().contains_key("assistantId"));
    assert_eq!(fetched["assistantId"], Value::Null);
    assert_eq!(fetched["squadId"], Value::Null);
    assert_eq!(fetched["name"], "front desk");
    // Vapi documents null only for the routing fields.
    let (status, refused) = api.patch(&path, json!({"name": null})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["message"], json!(["name must be a string"]));
    assert_eq!(fetched["number"], "+14155550100");
    assert_ne!(fetched["updatedAt"], Value::Null);
}

#[tokio::test]
async fn patch_replaces_nested_objects_wholesale() {
    let api = Api::start(Options::default()).await;
    let assistant = api
        .create(
            "/assistant",
            json!({"name": "bot", "firstMessage": "Hi!",
                   "model": {"provider": "openai", "model": "gpt-4o",
                             "messages": [{"role": "system", "content": "Be kind."}]}}),
        )
        .await;
    let path = format!("/assistant/{}", id(&assistant));
    let (status, patched) = api
        .patch(
            &path,
            json!({"model": {"provider": "openai", "model": "gpt-4o-mini"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let (_, fetched) = api.get(&path).await;
    assert_eq!(
        fetched["model"],
        json!({"provider": "openai", "model": "gpt-4o-mini"})
    );
    assert_eq!(fetched["firstMessage"], "Hi!");
    assert_eq!(fetched["createdAt"], assistant["createdAt"]);

    let number = api
        .create("/phone-number", {
            let mut body = telnyx("+14155550101");
            body["server"] = json!({"url": "https://a.example", "timeoutSeconds": 5});
            body
        })
        .await;
    let path = format!("/phone-number/{}", id(&number));
    api.patch(&path, json!({"server": {"url": "https://b.example"}}))
        .await;
    assert_eq!(
        api.get(&path).await.1["server"],
        json!({"url": "https://b.example"})
    );
}

#[tokio::test]
async fn names_are_limited_to_40_characters() {
    let api = Api::start(Options::default()).await;
    let forty = "n".repeat(40);
    let assistant = api.create("/assistant", json!({ "name": forty })).await;
    let (status, body) = api
        .post("/assistant", json!({ "name": format!("{forty}x") }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!(["name must be shorter than or equal to 40 characters"])
    );
    let path = format!("/assistant/{}", id(&assistant));
    assert_eq!(
        api.patch(&path, json!({ "name": format!("{forty}x") }))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(api.get(&path).await.1["name"], json!(forty));

    let number = api.create("/phone-number", telnyx("+14155550102")).await;
    let path = format!("/phone-number/{}", id(&number));
    let (status, body) = api
        .patch(&path, json!({ "name": format!("{forty}x") }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!(["name must be shorter than or equal to 40 characters"])
    );
    assert_eq!(
        api.patch(&path, json!({ "name": forty })).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn assistants_refuse_unknown_read_only_and_bad_nested_fields() {
    let api = Api::start(Options::default()).await;
    let assistant = api
        .create(
            "/assistant",
            json!({"backgroundSound": "office", "stopSpeakingPlan": {"numWords": 2}}),
        )
        .await;
    let (_, fetched) = api.get(&format!("/assistant/{}", id(&assistant))).await;
    assert_eq!(fetched["stopSpeakingPlan"], json!({"numWords": 2}));
    // Fields Vapi retired from its DTO are unknown like any other.
    let (status, body) = api
        .post(
            "/assistant",
            json!({"silenceTimeoutSeconds": 30, "messagePlan": {"idleMessages": ["hi?"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!([
            "property silenceTimeoutSeconds should not exist",
            "property messagePlan should not exist",
        ])
    );

    let (status, body) = api
        .post(
            "/assistant",
            json!({"id": "mine", "metadata": [], "voice": {"provider": "vapi"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!([
            "property id should not exist",
            "metadata must be an object",
            "voice.voiceId should not be empty",
            "voice.voiceId must be a string",
        ])
    );
    let (status, body) = api
        .post("/assistant", json!({"model": {"provider": "openai"}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_array()
            .unwrap()
            .contains(&json!("model.model must be a string"))
    );
    let (status, body) = api
        .patch(
            &format!("/assistant/{}", id(&assistant)),
            json!({"updatedAt": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!(["property updatedAt should not exist"])
    );
    assert_eq!(api.get("/assistant").await.1.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn phone_numbers_refuse_unknown_fields_and_bad_references() {
    let api = Api::start(Options::default()).await;
    let (status, body) = api
        .post("/phone-number", json!({"provider": "telnyx", "number": "+14155550103", "credentialId": "c", "metadata": {}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!(["property metadata should not exist"])
    );
    let (status, body) = api
        .post(
            "/phone-number",
            json!({"provider": "twilio", "number": "+1"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!([
            "twilioAccountSid should not be empty",
            "twilioAccountSid must be a string"
        ])
    );

    let number = api.create("/phone-number", telnyx("+14155550103")).await;
    let path = format!("/phone-number/{}", id(&number));
    for (body, message) in [
        (
            json!({"status": "blocked"}),
            "property status should not exist",
        ),
        (json!({"id": "x"}), "property id should not exist"),
        (
            json!({"smsEnabled": false}),
            "property smsEnabled should not exist",
        ),
    ] {
        let (status, answer) = api.patch(&path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["message"], json!([message]));
    }
    // The stored provider's update DTO allows only that provider.
    let (status, answer) = api.patch(&path, json!({"provider": "twilio"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["message"],
        json!(["provider must be one of the following values: telnyx"])
    );
    let (status, answer) = api
        .patch(
            &path,
            json!({"assistantId": "00000000-0000-4000-8000-000000000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["message"][0]
            .as_str()
            .unwrap()
            .starts_with("assistantId must reference an existing assistant")
    );
    // The same number twice (however it is written) is refused, as the carrier would.
    let (status, answer) = api.post("/phone-number", telnyx("14155550103")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(api.get(&path).await.1, number);
    assert_eq!(
        api.get("/phone-number").await.1.as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_number_routing_to_an_assistant_does_not_pin_it() {
    let api = Api::start(Options::default()).await;
    // A number routing to an assistant pins nothing (the schema's pin is a squad member's
    // `assistantVersion`).
    let routed = api.create("/assistant", json!({})).await;
    let mut body = telnyx("+14155550104");
    body["assistantId"] = json!(id(&routed));
    api.create("/phone-number", body).await;
    let path = format!("/assistant/{}", id(&routed));
    assert_eq!(api.delete(&path).await.0, StatusCode::OK);
    assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_squad_member_pinning_a_version_makes_a_delete_a_409() {
    let pinned = "00000000-0000-4000-8001-000000000007";
    let at = "2026-05-01T00:00:00.000Z";
    let api = Api::start(Options {
        account: Some(
            serde_json::from_value(json!({
                "assistants": [{"id": pinned, "orgId": "o", "createdAt": at, "updatedAt": at}],
                "squads": [{"id": "5a0d0000-0000-4000-8000-000000000001", "orgId": "o", "name": "Desk",
                    "members": [{"assistantId": pinned, "assistantVersion": "v3"}],
                    "createdAt": at, "updatedAt": at}]}))
            .unwrap(),
        ),
        ..Options::default()
    })
    .await;
    let path = format!("/assistant/{pinned}");
    let (status, answer) = api.delete(&path).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["error"], "assistant_pinned");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("squad 5a0d0000-0000-4000-8000-000000000001"),
        "{answer}"
    );
    assert_eq!(api.get(&path).await.0, StatusCode::OK);
}

#[tokio::test]
async fn over_the_rate_limit_requests_get_429_with_retry_after_and_change_nothing() {
    let api = Api::start(Options {
        rate_limit: Some(3.0),
        ..Options::default()
    })
    .await;
    let mut created = 0;
    let mut limited = 0;
    for _ in 0..10 {
        let (status, headers, body) = api
            .send_raw("POST", "/assistant", Some(json!({})), Some("k"))
            .await;
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
                assert!(retry >= 1);
                assert_eq!(
                    body,
                    json!({"message": "Rate limit exceeded", "error": "Too Many Requests", "statusCode": 429})
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(limited >= 5, "only {limited} of 10 were limited");
    // Once a token is back (a third of a second at 3 per second), the list shows only the
    // creates that were let through.
    let list = loop {
        match api.get("/assistant").await {
            (StatusCode::TOO_MANY_REQUESTS, _) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (status, list) => {
                assert_eq!(status, StatusCode::OK);
                break list;
            }
        }
    };
    assert_eq!(list.as_array().unwrap().len(), created);
}

#[tokio::test]
async fn error_rate_one_answers_500_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let api = Api::start(Options {
        state: Some(state.clone()),
        error_rate: 1.0,
        ..Options::default()
    })
    .await;
    for _ in 0..5 {
        let (status, body) = api.post("/assistant", json!({"name": "x"})).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            json!({"message": "Internal server error", "statusCode": 500})
        );
    }
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved, json!({"phoneNumbers": [], "assistants": []}));
    assert_eq!(api.running.stats().total, 5);
}

#[tokio::test]
async fn lagging_reads_show_the_previous_version_then_the_new_one() {
    let at = "2026-01-01T00:00:00.000Z";
    let named = |id: &str, name: &str| {
        object(json!({"id": id, "orgId": "org", "name": name, "createdAt": at, "updatedAt": at}))
    };
    // With a minute of lag every read right after a write is behind it, however slow the
    // machine; with 100 ms of lag, the same reads have caught up 150 ms after the last write.
    for (lag, caught_up) in [
        (Duration::from_secs(60), None),
        (Duration::from_millis(100), Some(Duration::from_millis(150))),
    ] {
        let api = Api::start(Options {
            lag,
            account: Some(Account {
                phone_numbers: Vec::new(),
                assistants: vec![named("kept", "old"), named("doomed", "doomed")],
                ..Account::default()
            }),
            ..Options::default()
        })
        .await;
        let created = api.create("/assistant", json!({"name": "new"})).await;
        let created_path = format!("/assistant/{}", id(&created));
        // Writes always see the latest version, lag or not: a number may route to it at once.
        let mut routed = telnyx("+14155550106");
        routed["assistantId"] = json!(id(&created));
        api.create("/phone-number", routed).await;
        let (status, patched) = api
            .patch("/assistant/kept", json!({"name": "changed"}))
            .await;
        assert_eq!(
            (status, &patched["name"]),
            (StatusCode::OK, &json!("changed"))
        );
        assert_eq!(api.delete("/assistant/doomed").await.0, StatusCode::OK);

        let Some(wait) = caught_up else {
            assert_eq!(api.get(&created_path).await.0, StatusCode::NOT_FOUND);
            assert_eq!(api.get("/assistant/kept").await.1["name"], "old");
            assert_eq!(api.get("/assistant/doomed").await.0, StatusCode::OK);
            let listed = api.get("/assistant").await.1;
            assert_eq!(ids(&listed), ["kept", "doomed"]);
            assert_eq!(listed[0]["name"], "old");
            continue;
        };
        tokio::time::sleep(wait).await;
        assert_eq!(api.get(&created_path).await.1["name"], "new");
        assert_eq!(api.get("/assistant/kept").await.1["name"], "changed");
        assert_eq!(api.get("/assistant/doomed").await.0, StatusCode::NOT_FOUND);
        let listed = api.get("/assistant").await.1;
        assert_eq!(ids(&listed), [id(&created), "kept".to_owned()]);
    }
}

#[tokio::test]
async fn state_is_persisted_after_writes_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("account.json");
    let options = || Options {
        state: Some(state.clone()),
        ..Options::default()
    };
    let api = Api::start(options()).await;
    assert!(state.exists(), "the state file is created at start");
    let assistant = api
        .create(
            "/assistant",
            json!({"name": "kept", "endCallPhrases": ["bye", "goodbye"]}),
        )
        .await;
    let mut body = telnyx("+14155550105");
    body["assistantId"] = json!(id(&assistant));
    let number = api.create("/phone-number", body).await;
    let saved: Account = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved.assistants, vec![object(assistant.clone())]);
    assert_eq!(saved.phone_numbers, vec![object(number.clone())]);
    api.running.shutdown().await;

    let api = Api::start(options()).await;
    assert_eq!(
        api.get(&format!("/assistant/{}", id(&assistant))).await.1,
        assistant
    );
    assert_eq!(api.get("/phone-number").await.1, json!([number]));
    api.delete(&format!("/phone-number/{}", id(&number))).await;
    let saved: Account = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert!(saved.phone_numbers.is_empty());
    assert_eq!(saved.assistants.len(), 1);
}

#[tokio::test]
async fn a_broken_state_file_is_reported_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("broken.json");
    std::fs::write(&state, "{\n  \"assistants\": [\n    {\"id\": }\n  ]\n}\n").unwrap();
    let error = sim::start(Options {
        state: Some(state.clone()),
        ..Options::default()
    })
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("broken.json"), "{message}");
    assert!(
        matches!(error, sim::Error::ParseState { line: 3, .. }),
        "{error:?}"
    );

    std::fs::write(
        &state,
        r#"{"assistants": [{"id": "a", "createdAt": "whenever", "updatedAt": "x"}]}"#,
    )
    .unwrap();
    let error = sim::start(Options {
        state: Some(state),
        ..Options::default()
    })
    .await
    .unwrap_err();
    assert!(error.to_string().contains("createdAt"), "{error}");
}

#[tokio::test]
async fn stats_count_requests_by_route_and_are_served_over_http() {
    let api = Api::start(Options::default()).await;
    let assistant = api.create("/assistant", json!({})).await;
    api.get(&format!("/assistant/{}", id(&assistant))).await;
    api.get("/assistant?limit=5").await;
    api.get("/v2/phone-number").await;
    api.send_raw("GET", "/phone-number", None, None).await;
    let counted = api.running.stats();
    assert_eq!(counted.total, 5);
    assert_eq!(counted.by_route["POST /assistant"], 1);
    assert_eq!(counted.by_route["GET /assistant/{id}"], 1);
    assert_eq!(counted.by_route["GET /assistant"], 1);
    assert_eq!(counted.by_route["GET /v2/phone-number"], 1);
    assert_eq!(counted.by_route["GET /phone-number"], 1);

    let (status, over_http) = api.send("GET", "/__sim/stats", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(over_http, serde_json::to_value(&counted).unwrap());
    assert_eq!(
        api.running.stats().total,
        5,
        "the stats route is not counted"
    );
    api.send_raw("POST", "/__sim/reset-stats", None, None).await;
    assert_eq!(api.running.stats(), sim::Stats::default());
}

#[tokio::test]
async fn latency_delays_every_response() {
    let api = Api::start(Options {
        latency: Duration::from_millis(150),
        ..Options::default()
    })
    .await;
    let started = Instant::now();
    let (status, _, _) = api.send_raw("GET", "/assistant", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    api.get("/assistant").await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let api = std::sync::Arc::new(
        Api::start(Options {
            state: Some(state.clone()),
            ..Options::default()
        })
        .await,
    );
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let api = std::sync::Arc::clone(&api);
            tokio::spawn(async move {
                api.create("/assistant", json!({ "name": format!("a{i}") }))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(api.get("/assistant").await.1.as_array().unwrap().len(), 40);
    let saved: Account = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved.assistants.len(), 40);
}

#[tokio::test]
async fn a_squad_is_read_by_id_as_vapi_answers_it() {
    let at = "2026-01-01T00:00:00.000Z";
    let squad = json!({
        "id": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "orgId": "o", "name": "Front desk team",
        "members": [{"assistantId": "7f3c1e2a-5b6d-4c8e-9f01-23456789abcd"}],
        "createdAt": at, "updatedAt": at,
    });
    let account = Account {
        squads: vec![object(squad.clone())],
        ..Account::default()
    };
    let api = Api::start(Options {
        account: Some(account),
        ..Options::default()
    })
    .await;
    let (status, served) = api.get("/squad/3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, squad);
    assert_eq!(
        vapiform::vapi::schema::check(vapiform::vapi::schema::Dto::Squad, &served),
        []
    );
    let (status, _) = api.get("/squad/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
