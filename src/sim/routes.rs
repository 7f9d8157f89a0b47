//! The HTTP surface: the Vapi routes and the Telnyx route, each behind auth and fault
//! injection answered in its API's error shape, plus the unguarded `/__sim/*` routes for tests.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::faults::{AfterWrite, Faults, Surface, Verdict};
use super::meter::{self, Fault, Meter};
use super::query::{self, DateFilters};
use super::store::{Collection, Object, Store, Version};
use super::telnyx::{self, TelnyxError};
use super::{Options, timestamp};
use super::{chat, validate};
use crate::vapi::schema::PhoneProvider;

/// The `orgId` of every object the simulator creates.
pub(crate) const ORG_ID: &str = "5e1f7a2c-9b4d-4c8e-a6f3-0d2b8c7e1a94";

const INVALID_KEY: &str = "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.";

/// Everything the handlers share (deliberately not `Debug`: it holds the tokens).
pub(crate) struct App {
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    meter: Arc<Mutex<Meter>>,
    token: Option<String>,
    telnyx_token: Option<String>,
    latency: Duration,
    /// Becomes `true` when the simulator shuts down, which releases hung writes.
    stopping: watch::Receiver<bool>,
}

impl App {
    pub(crate) fn new(
        options: &Options,
        store: Store,
        meter: Arc<Mutex<Meter>>,
        stopping: watch::Receiver<bool>,
    ) -> Self {
        Self {
            store: Mutex::new(store),
            faults: Mutex::new(Faults::new(options)),
            meter,
            token: options.token.clone(),
            telnyx_token: options.telnyx_token.clone(),
            latency: options.latency,
            stopping,
        }
    }

    /// Tells the meter that a write left `number` routed to an assistant.
    fn count_routing(&self, number: &Object) {
        if number.get("assistantId").is_some_and(Value::is_string) {
            meter::lock(&self.meter).routed(std::time::SystemTime::now());
        }
    }

    pub(super) fn store(&self) -> MutexGuard<'_, Store> {
        // A panicking handler cannot leave the store half-changed in a way worth refusing to
        // serve over: every change is one insert or replace.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn authorized(&self, request: &Request, surface: Surface) -> bool {
        let Some(value) = request.headers().get(header::AUTHORIZATION) else {
            return false;
        };
        let Ok(value) = value.to_str() else {
            return false;
        };
        let Some((scheme, token)) = value.split_once(' ') else {
            return false;
        };
        let token = token.trim();
        let expected = match surface {
            Surface::Vapi => &self.token,
            Surface::Telnyx => &self.telnyx_token,
        };
        scheme.eq_ignore_ascii_case("bearer")
            && !token.is_empty()
            && expected.as_deref().is_none_or(|expected| expected == token)
    }
}

pub(super) type Shared = Arc<App>;

/// The whole router: Vapi routes behind [`vapi_guard`], the Telnyx route behind
/// [`telnyx_guard`], then the simulator's own routes.
pub(crate) fn router(app: App) -> Router {
    let app = Arc::new(app);
    let carrier = Router::new()
        .route("/v2/phone_numbers", get(list_telnyx_numbers))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            telnyx_guard,
        ));
    let api = Router::new()
        .route("/phone-number", post(create_phone).get(list_phones))
        .route(
            "/phone-number/{id}",
            get(get_phone).patch(update_phone).delete(delete_phone),
        )
        .route("/v2/phone-number", get(page_phones))
        .route("/assistant", post(create_assistant).get(list_assistants))
        .route(
            "/assistant/{id}",
            get(get_assistant)
                .patch(update_assistant)
                .delete(delete_assistant),
        )
        .route("/squad", get(list_squads))
        .route("/squad/{id}", get(get_squad))
        .route("/chat", post(chat::create))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&app), vapi_guard));
    Router::new()
        .merge(api)
        .merge(carrier)
        .route("/__sim/stats", get(stats))
        .route("/__sim/reset-stats", post(reset_stats))
        .fallback(unknown_route)
        .with_state(app)
}

/// [`guard`] for the Vapi routes.
async fn vapi_guard(
    State(app): State<Shared>,
    matched: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    guard(&app, Surface::Vapi, &matched, request, next).await
}

/// [`guard`] for the Telnyx route.
async fn telnyx_guard(
    State(app): State<Shared>,
    matched: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    guard(&app, Surface::Telnyx, &matched, request, next).await
}

/// Counts the request, then applies auth, rate limit and error injection, answering each in
/// the shape of the API the route belongs to, then latency.
async fn guard(
    app: &App,
    surface: Surface,
    matched: &MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let route = format!("{} {}", request.method(), matched.as_str());
    let _in_flight = Meter::arrive(&app.meter, route.clone(), Instant::now());
    let response = if app.authorized(&request, surface) {
        let write = request.method() != Method::GET;
        let verdict = app
            .faults
            .lock()
            .expect("faults lock")
            .judge(surface, Instant::now(), write);
        match (verdict, surface) {
            (Verdict::Serve, _) => next.run(request).await,
            (
                Verdict::RateLimited {
                    retry_after_secs, ..
                },
                Surface::Vapi,
            ) => {
                meter::lock(&app.meter).inject(Fault::RateLimited);
                let mut response =
                    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded")
                        .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                response
            }
            (
                Verdict::RateLimited {
                    retry_after_secs,
                    limit,
                },
                Surface::Telnyx,
            ) => {
                meter::lock(&app.meter).inject(Fault::RateLimited);
                TelnyxError::rate_limited(retry_after_secs, limit).into_response()
            }
            (Verdict::Fail, Surface::Vapi) => {
                meter::lock(&app.meter).inject(Fault::Error);
                internal_error()
            }
            (Verdict::Fail, Surface::Telnyx) => {
                meter::lock(&app.meter).inject(Fault::Error);
                TelnyxError::unexpected().into_response()
            }
            (Verdict::FailAfterWrite(how), _) => {
                let response = next.run(request).await;
                if response.status().is_success() {
                    meter::lock(&app.meter).inject(Fault::AfterWrite(how));
                    fail_after_acting(app, how).await
                } else {
                    // Nothing was stored, so there is nothing to fail after.
                    response
                }
            }
        }
    } else {
        match surface {
            Surface::Vapi => ApiError::new(StatusCode::UNAUTHORIZED, INVALID_KEY).into_response(),
            Surface::Telnyx => TelnyxError::unauthorized().into_response(),
        }
    };
    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
    }
    tracing::debug!(%route, status = response.status().as_u16(), "simulated");
    response
}

fn internal_error() -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({"message": "Internal server error", "statusCode": 500}),
    )
}

/// The answer to a write that was stored but is to look failed.
async fn fail_after_acting(app: &App, how: AfterWrite) -> Response {
    match how {
        AfterWrite::Status500 => internal_error(),
        AfterWrite::Drop => dropped(),
        AfterWrite::Hang => {
            // Until shutdown; the client gives up long before. A closed channel also releases.
            let mut stopping = app.stopping.clone();
            let _ = stopping.wait_for(|stop| *stop).await;
            internal_error()
        }
    }
}

/// A response whose body fails before its first byte: the server closes the connection
/// without writing the status line, so the client sees the connection dropped.
fn dropped() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated connection drop after the write was stored",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// A JSON answer with the charset Express adds.
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("JSON values serialize");
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A NestJS-shaped error: `{message, error, statusCode}`.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    message: Value,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, message: impl Into<Value>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(super) fn bad_request(problems: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, problems)
    }

    fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Object::new();
        body.insert("message".into(), self.message);
        body.insert(
            "error".into(),
            json!(self.status.canonical_reason().unwrap_or("Error")),
        );
        body.insert("statusCode".into(), json!(self.status.as_u16()));
        json_response(self.status, &body)
    }
}

/// Handlers answer with a success response or a NestJS-shaped error.
pub(super) type Reply = Result<Response, ApiError>;

/// Fails with 400 if any problems were found.
pub(super) fn ensure_valid(problems: Vec<String>) -> Result<(), ApiError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(problems))
    }
}

/// The body as a JSON object; an empty body counts as `{}`, like Express's JSON parser.
pub(super) fn object_body(body: &Bytes) -> Result<Object, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Object::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "request body must be a JSON object",
        )),
        Err(why) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("request body is not valid JSON: {why}"),
        )),
    }
}

type RawQuery = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn query_pairs(query: RawQuery) -> Result<Vec<(String, String)>, ApiError> {
    query
        .map(|Query(pairs)| pairs)
        .map_err(|why| ApiError::bad_request(vec![format!("query string is invalid: {why}")]))
}

/// Persists after a write; the change stays in memory even if the file cannot be written.
fn persist(store: &Store) -> Result<(), ApiError> {
    store.persist().map_err(|why| {
        tracing::error!(error = %why, "simulator state not saved");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("simulator: {why}"),
        )
    })
}

/// The object under construction, with the server-set fields first.
pub(super) fn new_object(store: &mut Store) -> (Object, String) {
    let mut object = Object::new();
    let id = store.new_id();
    object.insert("id".into(), json!(id));
    object.insert("orgId".into(), json!(ORG_ID));
    (object, id)
}

pub(super) fn stamp(object: &mut Object, created: bool) {
    let now = json!(timestamp::format(timestamp::now()));
    if created {
        object.insert("createdAt".into(), now.clone());
    }
    object.insert("updatedAt".into(), now);
}

/// Problems with what a phone-number body refers to: where it routes, and its number.
fn phone_references(store: &Store, body: &Object, id: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    let targets = [
        ("assistantId", &store.assistants, "assistant"),
        ("squadId", &store.squads, "squad"),
    ];
    for (field, collection, kind) in targets {
        if let Some(Value::String(target)) = body.get(field)
            && collection.current(target).is_none()
        {
            problems.push(format!(
                "{field} must reference an existing {kind}; {target} does not exist"
            ));
        }
    }
    if let Some(Value::String(workflow)) = body.get("workflowId") {
        problems.push(format!(
            "workflowId must reference an existing workflow; {workflow} does not exist (workflows were retired)"
        ));
    }
    if let Some(Value::String(number)) = body.get("number")
        && let Some(other) = store.number_taken(number, id)
    {
        problems.push(format!(
            "number {number} is already in use by phone number {other}"
        ));
    }
    problems
}

async fn create_phone(State(app): State<Shared>, body: Bytes) -> Reply {
    let body = object_body(&body)?;
    let provider = validate::phone_create(&body).map_err(ApiError::bad_request)?;
    let mut store = app.store();
    ensure_valid(phone_references(&store, &body, None))?;
    let (mut object, _) = new_object(&mut store);
    object.insert("provider".into(), json!(provider.wire()));
    if provider == PhoneProvider::Vapi && !body.contains_key("sipUri") {
        let area = body.get("numberDesiredAreaCode").and_then(Value::as_str);
        object.insert("number".into(), json!(store.new_number(area)));
    }
    for (name, value) in body {
        object.entry(name).or_insert(value);
    }
    match provider {
        PhoneProvider::Byo => {
            object
                .entry("numberE164CheckEnabled")
                .or_insert(json!(true));
        }
        PhoneProvider::Twilio => {
            object.entry("smsEnabled").or_insert(json!(true));
        }
        PhoneProvider::Vonage | PhoneProvider::Vapi | PhoneProvider::Telnyx => {}
    }
    object.insert("status".into(), json!("active"));
    stamp(&mut object, true);
    store
        .phone_numbers
        .insert(Store::version(object.clone()), Instant::now());
    persist(&store)?;
    app.count_routing(&object);
    Ok(json_response(StatusCode::CREATED, &object))
}

async fn update_phone(State(app): State<Shared>, Path(id): Path<String>, body: Bytes) -> Reply {
    let body = object_body(&body)?;
    let mut store = app.store();
    let Some(current) = store.phone_numbers.current(&id) else {
        return Err(ApiError::not_found());
    };
    let stored = current
        .object
        .get("provider")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(provider) = PhoneProvider::from_wire(stored) else {
        return Err(ApiError::bad_request(vec![format!(
            "phone number {id} has provider {stored:?}, which has no update DTO"
        )]));
    };
    let mut problems = validate::phone_update(&body, provider);
    problems.extend(phone_references(&store, &body, Some(&id)));
    ensure_valid(problems)?;
    let routes = body.get("assistantId").is_some_and(Value::is_string);
    let mut object = current.object.clone();
    object.extend(body);
    stamp(&mut object, false);
    store
        .phone_numbers
        .replace(Store::version(object.clone()), Instant::now());
    persist(&store)?;
    if routes {
        app.count_routing(&object);
    }
    Ok(json_response(StatusCode::OK, &object))
}

async fn delete_phone(State(app): State<Shared>, Path(id): Path<String>) -> Reply {
    let mut store = app.store();
    let Some(removed) = store.phone_numbers.remove(&id, Instant::now()) else {
        return Err(ApiError::not_found());
    };
    persist(&store)?;
    Ok(json_response(StatusCode::OK, &removed.object))
}

async fn get_phone(State(app): State<Shared>, Path(id): Path<String>) -> Reply {
    get_one(&app.store().phone_numbers, &id)
}

async fn get_assistant(State(app): State<Shared>, Path(id): Path<String>) -> Reply {
    get_one(&app.store().assistants, &id)
}

async fn get_squad(State(app): State<Shared>, Path(id): Path<String>) -> Reply {
    get_one(&app.store().squads, &id)
}

fn get_one(collection: &Collection, id: &str) -> Reply {
    match collection.visible(id, Instant::now()) {
        Some(version) => Ok(json_response(StatusCode::OK, &version.object)),
        None => Err(ApiError::not_found()),
    }
}

async fn list_phones(State(app): State<Shared>, query: RawQuery) -> Reply {
    list(&app.store().phone_numbers, &query_pairs(query)?)
}

async fn list_assistants(State(app): State<Shared>, query: RawQuery) -> Reply {
    list(&app.store().assistants, &query_pairs(query)?)
}

async fn list_squads(State(app): State<Shared>, query: RawQuery) -> Reply {
    list(&app.store().squads, &query_pairs(query)?)
}

async fn list_telnyx_numbers(
    State(app): State<Shared>,
    query: RawQuery,
) -> Result<Response, TelnyxError> {
    let pairs = query
        .map(|Query(pairs)| pairs)
        .map_err(|why| TelnyxError::invalid_query(&why.to_string()))?;
    let page = telnyx::list(&app.store().telnyx_numbers, &pairs)?;
    Ok(json_response(StatusCode::OK, &page))
}

/// A v1 list: a bare array, newest first (ties by id, descending).
fn list(collection: &Collection, pairs: &[(String, String)]) -> Reply {
    let query = query::list(pairs).map_err(ApiError::bad_request)?;
    let objects: Vec<&RawValue> = matching(collection, &query.dates, Instant::now(), true)
        .take(query.limit)
        .map(|version| &*version.text)
        .collect();
    Ok(json_response(StatusCode::OK, &objects))
}

fn matching<'a>(
    collection: &'a Collection,
    dates: &'a DateFilters,
    now: Instant,
    newest_first: bool,
) -> impl Iterator<Item = &'a Version> + 'a {
    collection
        .visible_in(dates.created, now, newest_first)
        .filter(|version| dates.updated_matches(version))
}

async fn page_phones(State(app): State<Shared>, query: RawQuery) -> Reply {
    let query = query::page(&query_pairs(query)?).map_err(ApiError::bad_request)?;
    let store = app.store();
    let found: Vec<&Version> = matching(
        &store.phone_numbers,
        &query.dates,
        Instant::now(),
        query.newest_first,
    )
    .filter(|version| {
        query
            .search
            .as_deref()
            .is_none_or(|needle| query::search_matches(version, needle))
    })
    .collect();
    let total = found.len();
    let pages = if query.limit == 0 {
        0
    } else {
        total.div_ceil(query.limit)
    };
    let results: Vec<&RawValue> = found
        .iter()
        .skip((query.page - 1).saturating_mul(query.limit))
        .take(query.limit)
        .map(|version| &*version.text)
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "results": results,
            "metadata": {
                "itemsPerPage": query.limit,
                "totalItems": total,
                "currentPage": query.page,
                "totalPages": pages,
                "hasNextPage": query.page < pages,
                "sortOrder": if query.newest_first { "DESC" } else { "ASC" },
            },
        }),
    ))
}

async fn create_assistant(State(app): State<Shared>, body: Bytes) -> Reply {
    let body = object_body(&body)?;
    ensure_valid(validate::assistant(&body, true))?;
    let mut store = app.store();
    let (mut object, _) = new_object(&mut store);
    object.extend(body);
    stamp(&mut object, true);
    store
        .assistants
        .insert(Store::version(object.clone()), Instant::now());
    persist(&store)?;
    Ok(json_response(StatusCode::CREATED, &object))
}

async fn update_assistant(State(app): State<Shared>, Path(id): Path<String>, body: Bytes) -> Reply {
    let body = object_body(&body)?;
    ensure_valid(validate::assistant(&body, false))?;
    let mut store = app.store();
    let Some(current) = store.assistants.current(&id) else {
        return Err(ApiError::not_found());
    };
    let mut object = current.object.clone();
    object.extend(body);
    stamp(&mut object, false);
    store
        .assistants
        .replace(Store::version(object.clone()), Instant::now());
    persist(&store)?;
    Ok(json_response(StatusCode::OK, &object))
}

/// Deletes an assistant unless it is "pinned". The real API answers 409 `assistant_pinned`
/// when another resource pins a version of the assistant, as a squad member's
/// `assistantVersion` does (the schema's `SquadMemberDTO`); a phone number routing to it pins
/// nothing (its `assistantId` is left naming a deleted assistant).
async fn delete_assistant(State(app): State<Shared>, Path(id): Path<String>) -> Reply {
    let mut store = app.store();
    if store.assistants.current(&id).is_none() {
        return Err(ApiError::not_found());
    }
    let pinning: Vec<String> = store
        .squads
        .currents()
        .filter(|squad| pins(&squad.object, &id))
        .map(|squad| format!("squad {}", squad.id()))
        .collect();
    if !pinning.is_empty() {
        return Ok(json_response(
            StatusCode::CONFLICT,
            &json!({
                "error": "assistant_pinned",
                "message": format!(
                    "assistant {id} is pinned by {}; remove those references first",
                    pinning.join(", ")
                ),
            }),
        ));
    }
    let removed = store
        .assistants
        .remove(&id, Instant::now())
        .expect("checked to exist under the same lock");
    persist(&store)?;
    Ok(json_response(StatusCode::OK, &removed.object))
}

/// Whether one of `squad`'s `members` pins a version of the assistant `id`.
fn pins(squad: &Object, id: &str) -> bool {
    squad
        .get("members")
        .and_then(Value::as_array)
        .is_some_and(|members| {
            members.iter().any(|member| {
                member.get("assistantId").and_then(Value::as_str) == Some(id)
                    && member
                        .get("assistantVersion")
                        .is_some_and(|version| !version.is_null())
            })
        })
}

async fn stats(State(app): State<Shared>) -> Response {
    let stats = meter::lock(&app.meter).stats().clone();
    json_response(StatusCode::OK, &stats)
}

async fn reset_stats(State(app): State<Shared>) -> Response {
    let mut meter = meter::lock(&app.meter);
    meter.reset();
    json_response(StatusCode::OK, meter.stats())
}

async fn unknown_route(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("Cannot {} {}", request.method(), request.uri().path()),
    )
}
