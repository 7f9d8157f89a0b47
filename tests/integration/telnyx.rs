//! The carrier's inventory: the Telnyx client against the simulator's Telnyx route over HTTP,
//! and against a misbehaving Telnyx for the lists it must refuse.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use vapiform::http::Backoff;
use vapiform::sim::{self, Account, Options, Running};
use vapiform::telnyx::{ApiKey, Client, Error, Settings, SetupError, Status, UrlError};

const KEY: &str = "KEY0190telnyx-secret-4e2a";

/// A Telnyx number as the API returns it; `i` picks id and number.
fn number(i: usize, status: &str, tags: &[&str]) -> Map<String, Value> {
    let value = json!({
        "id": format!("{}", 1_293_384_261_075_731_000_u64 + i as u64),
        "record_type": "phone_number",
        "phone_number": format!("+1628555{i:04}"),
        "status": status,
        "tags": tags,
        "connection_id": "1684641123236054244",
        "connection_name": "vapi-sip",
        "customer_reference": null,
        "phone_number_type": "local",
        "country_iso_alpha2": "US",
        "deletion_lock_enabled": false,
    });
    let Value::Object(map) = value else {
        unreachable!()
    };
    map
}

async fn carrier(numbers: Vec<Map<String, Value>>, options: Options) -> Running {
    sim::start(Options {
        account: Some(Account {
            telnyx_numbers: numbers,
            ..Account::default()
        }),
        ..options
    })
    .await
    .expect("simulator starts")
}

fn client_with(url: &str, key: &str, change: impl FnOnce(&mut Settings)) -> Client {
    let mut settings = Settings::new(url, ApiKey::new(key));
    settings.rps = 0.0;
    change(&mut settings);
    Client::new(&settings).expect("client")
}

fn client(url: &str) -> Client {
    client_with(url, KEY, |_| {})
}

fn requests(running: &Running) -> u64 {
    running
        .stats()
        .by_route
        .get("GET /v2/phone_numbers")
        .copied()
        .unwrap_or(0)
}

/// A raw GET to the simulator, for what the client never sends.
async fn get(
    running: &Running,
    query: &str,
    key: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/v2/phone_numbers{query}", running.url()))
        .bearer_auth(key)
        .send()
        .await
        .expect("request reaches the simulator");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn six_hundred_numbers_over_three_pages_are_read_completely() {
    let numbers: Vec<_> = (0..600)
        .map(|i| number(i, "active", &["vapi-pool"]))
        .collect();
    let running = carrier(numbers, Options::default()).await;
    let listed = client(&running.url())
        .list_numbers()
        .await
        .expect("complete list");
    let phones: HashSet<&str> = listed.iter().map(|n| n.phone_number.as_str()).collect();
    assert_eq!(listed.len(), 600);
    assert_eq!(phones.len(), 600, "no number repeated or lost");
    assert!(phones.contains("+16285550000") && phones.contains("+16285550599"));
    assert_eq!(requests(&running), 3, "pages of 250: 250 + 250 + 100");
    let first = &listed[0];
    assert_eq!(first.status, Status::Active);
    assert_eq!(first.tags, ["vapi-pool"]);
    assert_eq!(first.connection_name.as_deref(), Some("vapi-sip"));
    assert_eq!(
        first.other["deletion_lock_enabled"], false,
        "unknown fields kept"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn an_empty_inventory_is_one_request_and_no_numbers() {
    let running = carrier(Vec::new(), Options::default()).await;
    assert!(
        client(&running.url())
            .list_numbers()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(requests(&running), 1);
    running.shutdown().await;
}

#[tokio::test]
async fn every_number_is_read_with_its_tags_and_the_simulator_filters_tag_status_and_digits() {
    let numbers = vec![
        number(1, "active", &["vapi-pool"]),
        number(2, "purchase-pending", &["vapi-pool"]),
        number(3, "active", &["other"]),
        number(4, "port_pending", &[]),
    ];
    let running = carrier(numbers, Options::default()).await;
    let all = client(&running.url()).list_numbers().await.unwrap();
    let tagged: Vec<_> = all
        .iter()
        .filter(|n| n.tags.iter().any(|t| t == "vapi-pool"))
        .collect();
    let phones: Vec<&str> = tagged.iter().map(|n| n.phone_number.as_str()).collect();
    assert_eq!(phones, ["+16285550001", "+16285550002"]);
    assert_eq!(tagged[1].status, Status::PurchasePending);
    assert_eq!(all.len(), 4);

    let ids = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["phone_number"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, _, body) = get(&running, "?filter[status]=Purchase_Pending", KEY).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&body), ["+16285550002"]);
    let (_, _, body) = get(&running, "?filter[status]=port-pending", KEY).await;
    assert_eq!(ids(&body), ["+16285550004"], "separators do not matter");
    let (_, _, body) = get(&running, "?filter[phone_number]=555-0003", KEY).await;
    assert_eq!(ids(&body), ["+16285550003"], "digits, contained");
    let (_, _, body) = get(
        &running,
        "?filter[tag]=vapi-pool&filter[status]=active&page[size]=1",
        KEY,
    )
    .await;
    assert_eq!(ids(&body), ["+16285550001"]);
    assert_eq!(
        body["meta"],
        json!({"page_number": 1, "page_size": 1, "total_pages": 1, "total_results": 1})
    );
    running.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_and_keys_are_answered_in_telnyxs_error_shape() {
    let running = carrier(
        vec![number(1, "active", &[])],
        Options {
            telnyx_token: Some(KEY.into()),
            token: Some("the-vapi-key".into()),
            ..Options::default()
        },
    )
    .await;
    let (status, _, body) = get(&running, "?page[size]=251&page[number]=0", KEY).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["source"]["parameter"], "page[size]");
    assert_eq!(errors[0]["code"], "10015");
    assert_eq!(errors[1]["source"]["parameter"], "page[number]");
    let (status, _, body) = get(&running, "?filter[phone_number]=12", KEY).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, _, body) = get(&running, "", "the-vapi-key").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the Vapi key is not the carrier's"
    );
    assert_eq!(body["errors"][0]["code"], "10009");

    let error = client_with(&running.url(), "wrong-key-7c1d", |_| {})
        .list_numbers()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unauthorized {
                service: "Telnyx",
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert_eq!(
        text,
        "GET /v2/phone_numbers: Telnyx rejected the API key (401 Unauthorized): \
         Authentication failed: The API key is missing or invalid. (code 10009)"
    );
    assert!(!text.contains("wrong-key-7c1d"));
    running.shutdown().await;
}

#[tokio::test]
async fn a_429_is_retried_after_the_seconds_in_x_ratelimit_reset() {
    let numbers: Vec<_> = (0..600).map(|i| number(i, "active", &[])).collect();
    // Two requests a second: pages 1 and 2 pass, page 3 gets a 429 asking for one second.
    let running = carrier(
        numbers,
        Options {
            rate_limit: Some(2.0),
            ..Options::default()
        },
    )
    .await;
    // One retry, after a millisecond of our own: only the server's one second can save it.
    let client = client_with(&running.url(), KEY, |settings| {
        settings.concurrency = 1;
        settings.backoff = Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(1),
            attempts: 2,
        };
    });
    let started = Instant::now();
    let listed = client
        .list_numbers()
        .await
        .expect("retried after the reset");
    assert_eq!(listed.len(), 600);
    assert_eq!(requests(&running), 4, "three pages and one retry");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    running.shutdown().await;
}

#[tokio::test]
async fn the_simulators_429_carries_telnyxs_headers_and_body() {
    let running = carrier(
        Vec::new(),
        Options {
            rate_limit: Some(1.0),
            ..Options::default()
        },
    )
    .await;
    let (status, _, _) = get(&running, "", KEY).await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = get(&running, "", KEY).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["x-ratelimit-limit"], "1");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    assert_eq!(headers["x-ratelimit-reset"], "1");
    assert!(
        headers.get("retry-after").is_none(),
        "Telnyx sends no Retry-After"
    );
    assert_eq!(body["errors"][0]["code"], "10011");
    // Vapi's routes have their own bucket.
    let vapi = reqwest::Client::new()
        .get(format!("{}/phone-number", running.url()))
        .bearer_auth("k")
        .send()
        .await
        .unwrap();
    assert_eq!(vapi.status(), StatusCode::OK);
    running.shutdown().await;
}

#[test]
fn the_client_refuses_plain_http_to_another_host() {
    let refused =
        Client::new(&Settings::new("http://api.telnyx.com", ApiKey::new(KEY))).unwrap_err();
    assert!(
        matches!(refused, SetupError::Url(UrlError::Insecure { .. })),
        "{refused:?}"
    );
    let text = refused.to_string();
    assert!(
        text.contains("refusing to send the API key over plain http to http://api.telnyx.com/"),
        "{text}"
    );
    assert!(!text.contains(KEY));
    assert!(Client::new(&Settings::new("http://127.0.0.1:9", ApiKey::new(KEY))).is_ok());
    assert!(Client::new(&Settings::new("https://api.telnyx.com", ApiKey::new(KEY))).is_ok());
}

/// A Telnyx that answers page `n` with `pages(n)`: lists the simulator would never serve.
async fn misbehaving(
    pages: impl Fn(usize) -> (StatusCode, Value) + Send + Sync + 'static,
) -> String {
    let pages = Arc::new(pages);
    let app = axum::Router::new().fallback(
        move |axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>| {
            let pages = Arc::clone(&pages);
            async move {
                let page = query
                    .iter()
                    .find(|(name, _)| name == "page[number]")
                    .and_then(|(_, value)| value.parse().ok())
                    .unwrap_or(1);
                let (status, body) = pages(page);
                (status, axum::Json(body))
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Page `page` of `total` numbers, 250 a page, numbered from `first`, claiming `claimed` in all.
fn page(page: usize, first: usize, count: usize, claimed: usize) -> Value {
    let data: Vec<Value> = (first..first + count)
        .map(|i| Value::Object(number(i, "active", &[])))
        .collect();
    json!({"data": data, "meta": {
        "page_number": page, "page_size": 250,
        "total_pages": claimed.div_ceil(250), "total_results": claimed,
    }})
}

async fn refused(pages: impl Fn(usize) -> (StatusCode, Value) + Send + Sync + 'static) -> Error {
    let url = misbehaving(pages).await;
    let client = client_with(&url, KEY, |settings| settings.backoff.attempts = 1);
    client
        .list_numbers()
        .await
        .expect_err("nothing may be concluded")
}

#[tokio::test]
async fn a_list_that_does_not_add_up_is_refused_as_incomplete() {
    let ok = StatusCode::OK;
    // The total changed between pages.
    let error = refused(move |n| match n {
        1 => (ok, page(1, 0, 250, 600)),
        2 => (ok, page(2, 250, 250, 601)),
        _ => (ok, page(n, 500, 100, 600)),
    })
    .await;
    assert!(matches!(error, Error::Incomplete { .. }), "{error}");
    assert!(
        error.to_string().starts_with(
            "GET /v2/phone_numbers: cannot list completely: page 2 counts 601 numbers on 3 pages, page 1 counted 600 on 3"
        ),
        "{error}"
    );
    // The last page is short of the total.
    let error = refused(move |n| match n {
        3 => (ok, page(3, 500, 50, 600)),
        _ => (ok, page(n, (n - 1) * 250, 250, 600)),
    })
    .await;
    assert_eq!(
        error.to_string(),
        "GET /v2/phone_numbers: cannot list completely: read 550 numbers, but Telnyx counts 600"
    );
    // A page in the middle is short.
    let error = refused(move |n| match n {
        2 => (ok, page(2, 250, 200, 600)),
        _ => (
            ok,
            page(n, (n - 1) * 250, if n == 3 { 100 } else { 250 }, 600),
        ),
    })
    .await;
    assert!(
        error
            .to_string()
            .contains("page 2 holds 200 numbers, not 250"),
        "{error}"
    );
    // A number listed twice (page 2 starts with page 1's last number).
    let error = refused(move |n| match n {
        2 => (ok, page(2, 249, 250, 600)),
        _ => (
            ok,
            page(n, (n - 1) * 250, if n == 3 { 100 } else { 250 }, 600),
        ),
    })
    .await;
    assert!(error.to_string().contains("is listed twice"), "{error}");
    // More pages than the numbers could fill.
    let error = refused(move |_| {
        (ok, json!({"data": [], "meta": {"page_number": 1, "page_size": 250, "total_pages": 3, "total_results": 0}}))
    })
    .await;
    assert!(
        error
            .to_string()
            .contains("announces 3 pages for 0 numbers"),
        "{error}"
    );
    // Totals that add up, but past any account: refused at page 1, not paged through.
    let error = refused(move |_| {
        (ok, json!({"data": [], "meta": {"page_number": 1, "page_size": 250, "total_pages": 1_000_000_000_u64, "total_results": 250_000_000_000_u64}}))
    })
    .await;
    assert!(
        error
            .to_string()
            .contains("announces 250000000000 numbers on 1000000000 pages, more than vapiform reads (1000000 numbers)"),
        "{error}"
    );
}

#[tokio::test]
async fn a_failing_page_fails_the_list_with_telnyxs_message() {
    let error = refused(|n| match n {
        1 => (StatusCode::OK, page(1, 0, 250, 300)),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"errors": [{"code": "10007", "title": "Unexpected error", "detail": "Try again later.",
                               "source": {"pointer": "/"}}]}),
        ),
    })
    .await;
    assert_eq!(
        error.to_string(),
        "GET /v2/phone_numbers: 500 Internal Server Error: Unexpected error: Try again later. (code 10007, at /)"
    );
    let error = refused(|_| {
        (
            StatusCode::OK,
            json!({"data": [{"id": "1", "status": "active"}],
        "meta": {"page_number": 1, "page_size": 250, "total_pages": 1, "total_results": 1}}),
        )
    })
    .await;
    assert!(
        matches!(error, Error::Malformed { index: 0, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("missing field `phone_number`"),
        "{error}"
    );
}

#[tokio::test]
async fn the_quickstart_sandbox_serves_both_sides_from_one_address() {
    let text = std::fs::read_to_string(crate::support::example("quickstart/account.json")).unwrap();
    let account: Account = serde_json::from_str(&text).unwrap();
    let running = sim::start(Options {
        account: Some(account),
        ..Options::default()
    })
    .await
    .unwrap();
    let carrier: Vec<_> = client(&running.url())
        .list_numbers()
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.tags.iter().any(|t| t == "vapi-pool"))
        .collect();
    let mut vapi_settings = vapiform::vapi::Settings::new(running.url(), ApiKey::new("k"));
    vapi_settings.rps = 0.0;
    let vapi = vapiform::vapi::Client::new(&vapi_settings)
        .unwrap()
        .list_numbers()
        .await
        .unwrap();
    let at_carrier = |status: Status| -> Vec<&str> {
        let mut numbers: Vec<&str> = carrier
            .iter()
            .filter(|n| n.status == status)
            .map(|n| n.phone_number.as_str())
            .collect();
        numbers.sort_unstable();
        numbers
    };
    let in_vapi: HashSet<&str> = vapi.iter().filter_map(|n| n.number.as_deref()).collect();
    let free: Vec<&str> = at_carrier(Status::Active)
        .into_iter()
        .filter(|n| !in_vapi.contains(n))
        .collect();
    assert_eq!(free, ["+14155550120", "+14155550121", "+14155550122"]);
    assert_eq!(at_carrier(Status::PortPending), ["+14155550130"]);
    let owned: HashSet<&str> = carrier.iter().map(|n| n.phone_number.as_str()).collect();
    let released: Vec<&str> = in_vapi
        .iter()
        .copied()
        .filter(|n| !owned.contains(n))
        .collect();
    assert_eq!(
        released,
        ["+14155550103"],
        "Vapi still routes a number the carrier released"
    );
    running.shutdown().await;
}
