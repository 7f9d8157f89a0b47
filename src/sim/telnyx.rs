//! The carrier's side: Telnyx's `GET /v2/phone_numbers` over the account's `telnyxNumbers`,
//! with Telnyx's pagination, filters and error shape.

use std::collections::HashSet;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::Object;
use crate::telnyx::{PAGE_SIZE, Status};

/// Telnyx's error codes, as far as the simulator uses them.
const UNEXPECTED: &str = "10007";
const UNAUTHENTICATED: &str = "10009";
const TOO_MANY_REQUESTS: &str = "10011";
const INVALID_PARAMETER: &str = "10015";

/// Checks the carrier's numbers of a state file: each an object with a unique string `id`, a
/// unique string `phone_number`, a string `status` and, if any, `tags` as a list of strings.
pub(crate) fn load(numbers: Vec<Object>) -> Result<Vec<Object>, String> {
    let mut ids = HashSet::new();
    let mut phones = HashSet::new();
    for (index, number) in numbers.iter().enumerate() {
        let at = |field: &str| format!("telnyxNumbers[{index}] has no string \"{field}\"");
        let id = number
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| at("id"))?;
        let phone = number
            .get("phone_number")
            .and_then(Value::as_str)
            .ok_or_else(|| at("phone_number"))?;
        number
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| at("status"))?;
        match number.get("tags") {
            None | Some(Value::Null) => {}
            Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => {}
            Some(_) => {
                return Err(format!(
                    "telnyxNumbers[{index}] ({id}): tags must be a list of strings"
                ));
            }
        }
        if !ids.insert(id) {
            return Err(format!("telnyxNumbers[{index}]: duplicate id {id}"));
        }
        if !phones.insert(phone) {
            return Err(format!(
                "telnyxNumbers[{index}] ({id}): duplicate phone_number {phone}"
            ));
        }
    }
    Ok(numbers)
}

/// One error of a Telnyx error body.
#[derive(Debug)]
struct Problem {
    code: &'static str,
    title: &'static str,
    detail: String,
    parameter: Option<String>,
}

/// A Telnyx-shaped error: `{"errors": [{code, title, detail, source}]}`, with headers.
#[derive(Debug)]
pub(crate) struct TelnyxError {
    status: StatusCode,
    problems: Vec<Problem>,
    headers: Vec<(&'static str, HeaderValue)>,
}

impl TelnyxError {
    fn one(status: StatusCode, code: &'static str, title: &'static str, detail: &str) -> Self {
        Self {
            status,
            problems: vec![Problem {
                code,
                title,
                detail: detail.to_owned(),
                parameter: None,
            }],
            headers: Vec::new(),
        }
    }

    /// 401: the key is missing or not the one accepted.
    pub(crate) fn unauthorized() -> Self {
        Self::one(
            StatusCode::UNAUTHORIZED,
            UNAUTHENTICATED,
            "Authentication failed",
            "The API key is missing or invalid.",
        )
    }

    /// 429 with Telnyx's rate-limit headers; `reset` counts seconds from now.
    pub(crate) fn rate_limited(reset: u64, limit: u64) -> Self {
        let mut error = Self::one(
            StatusCode::TOO_MANY_REQUESTS,
            TOO_MANY_REQUESTS,
            "Too many requests",
            "Too many requests were sent; wait for the rate limit to reset.",
        );
        error.headers = vec![
            ("x-ratelimit-limit", HeaderValue::from(limit)),
            ("x-ratelimit-remaining", HeaderValue::from(0)),
            ("x-ratelimit-reset", HeaderValue::from(reset)),
        ];
        error
    }

    /// 500, injected before acting.
    pub(crate) fn unexpected() -> Self {
        Self::one(
            StatusCode::INTERNAL_SERVER_ERROR,
            UNEXPECTED,
            "Unexpected error",
            "An unexpected error occurred.",
        )
    }

    /// 400: the query string cannot be read at all.
    pub(crate) fn invalid_query(why: &str) -> Self {
        Self::one(
            StatusCode::BAD_REQUEST,
            INVALID_PARAMETER,
            "Invalid parameter",
            &format!("query string is invalid: {why}"),
        )
    }

    /// 400 naming each bad query parameter.
    fn invalid(problems: Vec<(String, String)>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            problems: problems
                .into_iter()
                .map(|(parameter, detail)| Problem {
                    code: INVALID_PARAMETER,
                    title: "Invalid parameter",
                    detail,
                    parameter: Some(parameter),
                })
                .collect(),
            headers: Vec::new(),
        }
    }
}

impl IntoResponse for TelnyxError {
    fn into_response(self) -> Response {
        let errors: Vec<Value> = self
            .problems
            .into_iter()
            .map(|problem| {
                let mut error = json!({
                    "code": problem.code,
                    "title": problem.title,
                    "detail": problem.detail,
                });
                if let Some(parameter) = problem.parameter {
                    error["source"] = json!({ "parameter": parameter });
                }
                error
            })
            .collect();
        let mut response = super::routes::json_response(self.status, &json!({ "errors": errors }));
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// A parsed `GET /v2/phone_numbers` query.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Query {
    page: usize,
    size: usize,
    tag: Option<String>,
    status: Option<Status>,
    /// The digits `phone_number` must contain.
    digits: Option<String>,
    /// The upper-case `country_iso_alpha2` values a number may have.
    countries: Option<Vec<String>>,
    /// The field to sort by, and whether descending (`-field`); `None` keeps the file's order.
    sort: Option<(&'static str, bool)>,
}

/// The fields Telnyx's `sort` parameter accepts (each optionally behind `-` for descending).
const SORT_FIELDS: [&str; 4] = [
    "purchased_at",
    "phone_number",
    "connection_name",
    "usage_payment_method",
];

/// Parses the query; every bad parameter is reported.
fn query(pairs: &[(String, String)]) -> Result<Query, TelnyxError> {
    let mut problems = Vec::new();
    let mut query = Query {
        page: 1,
        size: 20,
        tag: None,
        status: None,
        digits: None,
        countries: None,
        sort: None,
    };
    for (name, value) in pairs {
        match name.as_str() {
            "page[number]" => match value.trim().parse::<usize>() {
                Ok(page) if page >= 1 => query.page = page,
                _ => problems.push((
                    name.clone(),
                    "page[number] must be a whole number of at least 1".to_owned(),
                )),
            },
            "page[size]" => match value.trim().parse::<usize>() {
                Ok(size) if (1..=PAGE_SIZE).contains(&size) => query.size = size,
                _ => problems.push((
                    name.clone(),
                    format!("page[size] must be a whole number between 1 and {PAGE_SIZE}"),
                )),
            },
            "filter[tag]" => query.tag = Some(value.clone()),
            "filter[status]" => query.status = Some(Status::parse(value)),
            "filter[phone_number]" => {
                let digits = digits(value);
                if digits.len() < 3 {
                    problems.push((
                        name.clone(),
                        "filter[phone_number] must hold at least 3 digits".to_owned(),
                    ));
                } else {
                    query.digits = Some(digits);
                }
            }
            "filter[country_iso_alpha2]" => {
                let countries: Vec<String> = value
                    .split(',')
                    .map(|c| c.trim().to_ascii_uppercase())
                    .collect();
                if countries
                    .iter()
                    .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
                {
                    query.countries = Some(countries);
                } else {
                    problems.push((
                        name.clone(),
                        "filter[country_iso_alpha2] must be ISO 3166-1 alpha-2 codes".to_owned(),
                    ));
                }
            }
            "sort" => {
                let (field, descending) = match value.strip_prefix('-') {
                    Some(field) => (field, true),
                    None => (value.as_str(), false),
                };
                match SORT_FIELDS.iter().find(|known| **known == field) {
                    Some(known) => query.sort = Some((known, descending)),
                    None => problems.push((
                        name.clone(),
                        format!(
                            "sort must be one of {} (or one behind -)",
                            SORT_FIELDS.join(", ")
                        ),
                    )),
                }
            }
            _ => problems.push((
                name.clone(),
                format!("{name} is not a parameter the simulator knows"),
            )),
        }
    }
    if problems.is_empty() {
        Ok(query)
    } else {
        Err(TelnyxError::invalid(problems))
    }
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Whether a number passes the query's filters.
fn matches(number: &Object, query: &Query) -> bool {
    let text = |field: &str| number.get(field).and_then(Value::as_str);
    query.tag.as_ref().is_none_or(|tag| {
        number
            .get("tags")
            .and_then(Value::as_array)
            .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(tag)))
    }) && query
        .status
        .as_ref()
        .is_none_or(|status| text("status").map(Status::parse).as_ref() == Some(status))
        && query.digits.as_ref().is_none_or(|wanted| {
            text("phone_number").is_some_and(|phone| digits(phone).contains(wanted.as_str()))
        })
        && query.countries.as_ref().is_none_or(|countries| {
            text("country_iso_alpha2")
                .is_some_and(|country| countries.iter().any(|c| c.eq_ignore_ascii_case(country)))
        })
}

/// One page of the numbers that pass the filters, with Telnyx's `meta`.
pub(crate) fn list(numbers: &[Object], pairs: &[(String, String)]) -> Result<Value, TelnyxError> {
    let query = query(pairs)?;
    let mut found: Vec<&Object> = numbers.iter().filter(|n| matches(n, &query)).collect();
    if let Some((field, descending)) = query.sort {
        // Stable, so ties (and numbers without the field, first) keep the file's order.
        found.sort_by(|a, b| {
            let order = a
                .get(field)
                .and_then(Value::as_str)
                .cmp(&b.get(field).and_then(Value::as_str));
            if descending { order.reverse() } else { order }
        });
    }
    let data: Vec<&Object> = found
        .iter()
        .skip((query.page - 1).saturating_mul(query.size))
        .take(query.size)
        .copied()
        .collect();
    Ok(json!({
        "data": data,
        "meta": {
            "page_number": query.page,
            "page_size": query.size,
            "total_pages": found.len().div_ceil(query.size),
            "total_results": found.len(),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The ids a list of `numbers` answers for `query`, in order.
    fn listed(numbers: &[Object], query: &[(&str, &str)]) -> Vec<String> {
        list(numbers, &pairs(query)).unwrap()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn number(id: &str, phone: &str, status: &str, tags: &[&str]) -> Object {
        match json!({"id": id, "record_type": "phone_number", "phone_number": phone, "status": status, "tags": tags})
        {
            Value::Object(object) => object,
            _ => unreachable!(),
        }
    }

    #[test]
    fn parameters_are_bounded_and_unknown_ones_refused() {
        assert_eq!(query(&[]).unwrap().size, 20);
        assert_eq!(
            query(&pairs(&[("page[size]", "250"), ("page[number]", "3")])).unwrap(),
            Query {
                page: 3,
                size: 250,
                tag: None,
                status: None,
                digits: None,
                countries: None,
                sort: None,
            }
        );
        let refused = query(&pairs(&[
            ("page[size]", "251"),
            ("page[number]", "0"),
            ("filter[phone_number]", "+1-4"),
            ("sort", "area_code"),
            ("filter[country_iso_alpha2]", "USA"),
        ]))
        .unwrap_err();
        let named: Vec<_> = refused
            .problems
            .iter()
            .map(|p| p.parameter.as_deref().unwrap())
            .collect();
        assert_eq!(
            named,
            [
                "page[size]",
                "page[number]",
                "filter[phone_number]",
                "sort",
                "filter[country_iso_alpha2]"
            ]
        );
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn filters_by_tag_status_and_digits() {
        let numbers = vec![
            number("1", "+14155550120", "active", &["vapi-pool"]),
            number("2", "+14155550121", "purchase-pending", &["vapi-pool", "x"]),
            number("3", "+442079460958", "active", &[]),
        ];
        let ids = |query: &[(&str, &str)]| listed(&numbers, query);
        assert_eq!(ids(&[("filter[tag]", "vapi-pool")]), ["1", "2"]);
        assert_eq!(ids(&[("filter[status]", "Purchase_Pending")]), ["2"]);
        assert_eq!(ids(&[("filter[phone_number]", "(415) 555-0121")]), ["2"]);
        assert_eq!(ids(&[("filter[phone_number]", "2079")]), ["3"]);
        assert_eq!(
            ids(&[("filter[tag]", "vapi-pool"), ("filter[status]", "active")]),
            ["1"]
        );
    }

    #[test]
    fn sorts_and_filters_by_country_as_telnyx_documents() {
        let mut numbers = vec![
            number("1", "+14155550121", "active", &[]),
            number("2", "+442079460958", "active", &[]),
            number("3", "+14155550120", "active", &[]),
        ];
        for (number, country) in numbers.iter_mut().zip(["US", "GB", "US"]) {
            number.insert("country_iso_alpha2".into(), json!(country));
        }
        let ids = |query: &[(&str, &str)]| listed(&numbers, query);
        assert_eq!(ids(&[("sort", "phone_number")]), ["3", "1", "2"]);
        assert_eq!(ids(&[("sort", "-phone_number")]), ["2", "1", "3"]);
        assert_eq!(ids(&[("filter[country_iso_alpha2]", "us")]), ["1", "3"]);
        assert_eq!(ids(&[("filter[country_iso_alpha2]", "GB,FR")]), ["2"]);
    }

    #[test]
    fn pages_carry_telnyx_meta() {
        let numbers: Vec<Object> = (0..5)
            .map(|i| number(&i.to_string(), &format!("+1415555010{i}"), "active", &[]))
            .collect();
        let page = list(
            &numbers,
            &pairs(&[("page[size]", "2"), ("page[number]", "3")]),
        )
        .unwrap();
        assert_eq!(page["data"].as_array().unwrap().len(), 1);
        assert_eq!(
            page["meta"],
            json!({"page_number": 3, "page_size": 2, "total_pages": 3, "total_results": 5})
        );
        let beyond = list(
            &numbers,
            &pairs(&[("page[size]", "2"), ("page[number]", "9")]),
        )
        .unwrap();
        assert_eq!(beyond["data"], json!([]));
    }

    #[test]
    fn unusable_numbers_are_named_when_loading() {
        let mut no_phone = number("1", "+1", "active", &[]);
        no_phone.remove("phone_number");
        assert_eq!(
            load(vec![no_phone]).unwrap_err(),
            "telnyxNumbers[0] has no string \"phone_number\""
        );
        assert_eq!(
            load(vec![
                number("1", "+14155550120", "active", &[]),
                number("2", "+14155550120", "active", &[]),
            ])
            .unwrap_err(),
            "telnyxNumbers[1] (2): duplicate phone_number +14155550120"
        );
        let mut bad_tags = number("1", "+14155550120", "active", &[]);
        bad_tags.insert("tags".into(), json!("vapi-pool"));
        assert_eq!(
            load(vec![bad_tags]).unwrap_err(),
            "telnyxNumbers[0] (1): tags must be a list of strings"
        );
    }
}
