//! Query strings of the list routes: parsing with class-validator-style messages, and the
//! filters they express.

use super::store::{CreatedRange, Version};
use super::timestamp::{self, Instant};

const DATE_FILTERS: [&str; 8] = [
    "createdAtGt",
    "createdAtLt",
    "createdAtGe",
    "createdAtLe",
    "updatedAtGt",
    "updatedAtLt",
    "updatedAtGe",
    "updatedAtLe",
];

/// Inclusive bounds on both timestamps, from the eight `createdAt*`/`updatedAt*` filters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DateFilters {
    pub(crate) created: CreatedRange,
    updated: CreatedRange,
}

impl DateFilters {
    /// Whether `updatedAt` passes (the `createdAt` bounds are applied by the index scan).
    pub(crate) fn updated_matches(&self, version: &Version) -> bool {
        self.updated.from.is_none_or(|from| version.updated >= from)
            && self.updated.to.is_none_or(|to| version.updated <= to)
    }

    fn apply(&mut self, name: &str, at: Instant) {
        let range = if name.starts_with("created") {
            &mut self.created
        } else {
            &mut self.updated
        };
        let (from, to) = match &name[name.len() - 2..] {
            "Gt" => (Some(at.saturating_add(1)), None),
            "Ge" => (Some(at), None),
            "Lt" => (None, Some(at.saturating_sub(1))),
            _ => (None, Some(at)),
        };
        if let Some(from) = from {
            range.from = Some(range.from.map_or(from, |old| old.max(from)));
        }
        if let Some(to) = to {
            range.to = Some(range.to.map_or(to, |old| old.min(to)));
        }
    }
}

/// `GET /phone-number` and `GET /assistant`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListQuery {
    pub(crate) limit: usize,
    pub(crate) dates: DateFilters,
}

/// `GET /v2/phone-number`.
#[derive(Debug, Clone)]
pub(crate) struct PageQuery {
    pub(crate) page: usize,
    pub(crate) limit: usize,
    pub(crate) newest_first: bool,
    /// Lower-cased search text.
    pub(crate) search: Option<String>,
    pub(crate) dates: DateFilters,
}

/// Parses a v1 list query; unknown parameters are rejected like the API's whitelist pipe.
pub(crate) fn list(pairs: &[(String, String)]) -> Result<ListQuery, Vec<String>> {
    let mut problems = Vec::new();
    let mut query = ListQuery {
        limit: 100,
        dates: DateFilters::default(),
    };
    for (name, value) in pairs {
        if name == "limit" {
            if let Some(limit) = number(name, value, 0, 1000, &mut problems) {
                query.limit = limit;
            }
        } else if !date(name, value, &mut query.dates, &mut problems) {
            problems.push(format!("property {name} should not exist"));
        }
    }
    if problems.is_empty() {
        Ok(query)
    } else {
        Err(problems)
    }
}

/// Parses a `/v2/phone-number` query.
pub(crate) fn page(pairs: &[(String, String)]) -> Result<PageQuery, Vec<String>> {
    let mut problems = Vec::new();
    let mut query = PageQuery {
        page: 1,
        limit: 100,
        newest_first: true,
        search: None,
        dates: DateFilters::default(),
    };
    for (name, value) in pairs {
        match name.as_str() {
            "limit" => {
                if let Some(limit) = number(name, value, 0, 1000, &mut problems) {
                    query.limit = limit;
                }
            }
            "page" => {
                if let Some(page) = number(name, value, 1, usize::MAX, &mut problems) {
                    query.page = page;
                }
            }
            "sortOrder" => match value.as_str() {
                "ASC" => query.newest_first = false,
                "DESC" => query.newest_first = true,
                _ => {
                    problems
                        .push("sortOrder must be one of the following values: ASC, DESC".into());
                }
            },
            // Only createdAt ordering means anything for phone numbers; the others are
            // accepted because the spec lists them.
            "sortBy" => {
                if !["createdAt", "duration", "cost"].contains(&value.as_str()) {
                    problems.push(
                        "sortBy must be one of the following values: createdAt, duration, cost"
                            .into(),
                    );
                }
            }
            "search" => {
                if value.chars().count() > 100 {
                    problems.push("search must be shorter than or equal to 100 characters".into());
                } else {
                    query.search = Some(value.to_lowercase());
                }
            }
            _ => {
                if !date(name, value, &mut query.dates, &mut problems) {
                    problems.push(format!("property {name} should not exist"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(query)
    } else {
        Err(problems)
    }
}

/// Parses a whole number within `min..=max`; fractions are truncated as `Number()` then a
/// database `LIMIT` would.
fn number(
    name: &str,
    value: &str,
    min: usize,
    max: usize,
    problems: &mut Vec<String>,
) -> Option<usize> {
    let Ok(parsed) = value.trim().parse::<f64>() else {
        problems.push(format!(
            "{name} must be a number conforming to the specified constraints"
        ));
        return None;
    };
    if !parsed.is_finite() {
        problems.push(format!(
            "{name} must be a number conforming to the specified constraints"
        ));
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "bounds are small or usize::MAX")]
    let (low, high) = (min as f64, max as f64);
    if parsed < low {
        problems.push(format!("{name} must not be less than {min}"));
        return None;
    }
    if parsed > high {
        problems.push(format!("{name} must not be greater than {max}"));
        return None;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked to lie within min..=max, both non-negative"
    )]
    let whole = parsed.trunc() as usize;
    Some(whole)
}

/// Applies a date filter; returns false if `name` is not one.
fn date(name: &str, value: &str, dates: &mut DateFilters, problems: &mut Vec<String>) -> bool {
    if !DATE_FILTERS.contains(&name) {
        return false;
    }
    match timestamp::parse(value) {
        Some(at) => dates.apply(name, at),
        None => problems.push(format!("{name} must be a valid ISO 8601 date string")),
    }
    true
}

/// Whether a phone number matches a lower-cased search over name, number and SIP URI.
pub(crate) fn search_matches(version: &Version, needle: &str) -> bool {
    ["name", "number", "sipUri"].iter().any(|field| {
        version
            .object
            .get(*field)
            .and_then(serde_json::Value::as_str)
            .is_some_and(|text| text.to_lowercase().contains(needle))
    })
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

    #[test]
    fn limit_defaults_to_100_and_is_bounded() {
        assert_eq!(list(&[]).unwrap().limit, 100);
        assert_eq!(list(&pairs(&[("limit", "1000")])).unwrap().limit, 1000);
        assert_eq!(list(&pairs(&[("limit", "0")])).unwrap().limit, 0);
        assert_eq!(
            list(&pairs(&[("limit", "1001")])).unwrap_err(),
            ["limit must not be greater than 1000"]
        );
        assert_eq!(
            list(&pairs(&[("limit", "-1")])).unwrap_err(),
            ["limit must not be less than 0"]
        );
        assert_eq!(
            list(&pairs(&[("limit", "ten")])).unwrap_err(),
            ["limit must be a number conforming to the specified constraints"]
        );
    }

    #[test]
    fn strict_and_inclusive_bounds_become_inclusive_instants() {
        let at = timestamp::parse("2026-01-01T00:00:00.000Z").unwrap();
        let q = list(&pairs(&[
            ("createdAtGt", "2026-01-01T00:00:00.000Z"),
            ("createdAtLe", "2026-01-02T00:00:00Z"),
        ]))
        .unwrap();
        assert_eq!(q.dates.created.from, Some(at + 1));
        assert_eq!(q.dates.created.to, timestamp::parse("2026-01-02T00:00:00Z"));
        let q = list(&pairs(&[
            ("updatedAtLt", "2026-01-01T00:00:00Z"),
            ("updatedAtLt", "2025-01-01T00:00:00Z"),
        ]))
        .unwrap();
        // The tighter of two bounds wins.
        assert_eq!(
            q.dates.updated.to,
            Some(timestamp::parse("2025-01-01T00:00:00Z").unwrap() - 1)
        );
    }

    #[test]
    fn bad_dates_and_unknown_parameters_are_reported_together() {
        let problems = list(&pairs(&[
            ("createdAtLt", "not a date"),
            ("cursor", "abc"),
            ("page", "2"),
        ]))
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "createdAtLt must be a valid ISO 8601 date string",
                "property cursor should not exist",
                "property page should not exist",
            ]
        );
    }

    #[test]
    fn page_query_checks_page_sort_and_search() {
        let q = page(&pairs(&[
            ("page", "3"),
            ("sortOrder", "ASC"),
            ("search", "Support"),
        ]))
        .unwrap();
        assert_eq!((q.page, q.newest_first), (3, false));
        assert_eq!(q.search.as_deref(), Some("support"));
        assert_eq!(
            page(&pairs(&[("page", "0"), ("sortOrder", "asc")])).unwrap_err(),
            [
                "page must not be less than 1",
                "sortOrder must be one of the following values: ASC, DESC"
            ]
        );
    }
}
