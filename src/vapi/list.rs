//! Reading a whole collection with v1 list calls.
//!
//! A v1 list returns at most 1000 objects, newest first, with no cursor. vapiform pages with
//! `createdAtLe=<createdAt of the last object>` and drops ids it has already seen, so objects
//! that share a timestamp across a page boundary are neither lost nor repeated. When more
//! than a page's worth share one `createdAt`, that instant is split by `updatedAt` ranges
//! until every range fits in a page. A list that cannot be read completely is an error:
//! nothing may be concluded from a partial collection.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::client::Client;
use super::wire::{Listed, page_items};
use crate::http::{Error, Text, decode_objects};

/// The largest page Vapi serves.
pub(crate) const PAGE: usize = 1000;

impl Client {
    /// Every object of the collection at `path` that matches `filter` (extra query
    /// parameters such as `createdAtGe`).
    pub(crate) async fn list_all<T: Listed>(
        &self,
        path: &str,
        filter: &[(&str, String)],
    ) -> Result<Vec<T>, Error> {
        self.list_all_into(path, filter, |page| page).await
    }

    /// [`Client::list_all`], each page's new objects made into what `keep` makes of them as
    /// the page arrives, so that a page's text is not held past what `keep` keeps of it.
    ///
    /// The next page is asked for as soon as this one's last object is read, and this one is
    /// read whole while the next is on the wire: the cursor is that object's `createdAt`
    /// unless the page holds nothing new (a tie across a whole page), which only reading it
    /// whole shows; then the page asked for is dropped unread.
    pub(crate) async fn list_all_into<T: Listed, U>(
        &self,
        path: &str,
        filter: &[(&str, String)],
        mut keep: impl FnMut(Vec<T>) -> Vec<U>,
    ) -> Result<Vec<U>, Error> {
        let query = |cursor: Option<&str>| {
            let mut query = vec![("limit", PAGE.to_string())];
            query.extend(filter.iter().cloned());
            if let Some(at) = cursor {
                query.push(("createdAtLe", at.to_owned()));
            }
            query
        };
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        let mut page = self.page_text(path, &query(None)).await?;
        loop {
            let items = split(path, &page)?;
            // A last object that does not read is reported by reading the page whole.
            let last = items
                .last()
                .filter(|_| items.len() >= PAGE)
                .and_then(|item| T::read(item, &page).ok())
                .map(|item| item.created_at().to_owned());
            let next_query = last.as_deref().map(|last| query(Some(last)));
            let next = async {
                match &next_query {
                    Some(next_query) => Some(self.page_text(path, next_query).await),
                    None => None,
                }
            };
            let read = async {
                decode_objects(path, &items, |item| T::read(item, &page)).map(|objects| {
                    objects
                        .into_iter()
                        .filter(|item| seen.insert(item.id().to_owned()))
                        .collect::<Vec<T>>()
                })
            };
            let (next, fresh) = futures::join!(next, read);
            let fresh = fresh?;
            let (Some(last), Some(next)) = (last, next) else {
                all.extend(keep(fresh));
                break;
            };
            if fresh.is_empty() {
                // A full page of objects created at one instant: split it by updatedAt.
                self.list_instant(path, &last, filter, &mut seen, &mut all, &mut keep)
                    .await?;
                page = self
                    .page_text(path, &query(Some(&before(&last, path)?)))
                    .await?;
                continue;
            }
            all.extend(keep(fresh));
            page = next?;
        }
        Ok(all)
    }

    /// Every object created exactly at `at`, by bisecting `updatedAt` until each range fits a page.
    async fn list_instant<T: Listed, U>(
        &self,
        path: &str,
        at: &str,
        filter: &[(&str, String)],
        seen: &mut HashSet<String>,
        all: &mut Vec<U>,
        keep: &mut impl FnMut(Vec<T>) -> Vec<U>,
    ) -> Result<(), Error> {
        let created = parse(at, path)?;
        let mut ranges = vec![(created, OffsetDateTime::now_utc() + time::Duration::days(1))];
        while let Some((low, high)) = ranges.pop() {
            let mut query = vec![
                ("limit", PAGE.to_string()),
                ("createdAtGe", at.to_owned()),
                ("createdAtLe", at.to_owned()),
                ("updatedAtGe", format(low)),
                ("updatedAtLt", format(high)),
            ];
            query.extend(
                filter
                    .iter()
                    // This range replaces the time filters; the result is a superset, never less.
                    .filter(|(name, _)| {
                        !name.starts_with("createdAt") && !name.starts_with("updatedAt")
                    })
                    .cloned(),
            );
            let page = self.page::<T>(path, &query).await?;
            if page.len() < PAGE {
                keep_new(page, seen, all, keep);
                continue;
            }
            let middle = low + (high - low) / 2;
            if high - low <= time::Duration::milliseconds(1) || middle == low {
                return Err(Error::Incomplete {
                    path: path.to_owned(),
                    detail: format!(
                        "more than {PAGE} objects share createdAt and updatedAt {}",
                        format(low)
                    ),
                });
            }
            ranges.push((low, middle));
            ranges.push((middle, high));
        }
        Ok(())
    }

    /// One page, each object read on its own so that a malformed one is named.
    async fn page<T: Listed>(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<T>, Error> {
        let page = self.page_text(path, query).await?;
        decode_objects(path, &split(path, &page)?, |item| T::read(item, &page))
    }

    /// The text of one page.
    async fn page_text(&self, path: &str, query: &[(&str, String)]) -> Result<Text, Error> {
        self.transport
            .send_text(Method::GET, path, query, None)
            .await
    }
}

/// The JSON of each object of a page of the list at `path`.
fn split<'p>(path: &str, page: &'p Text) -> Result<Vec<&'p RawValue>, Error> {
    page_items(page.as_str()).map_err(|detail| Error::Decode {
        method: Method::GET,
        path: path.to_owned(),
        detail,
    })
}

/// Appends what `keep` makes of the objects not seen before.
fn keep_new<T: Listed, U>(
    page: Vec<T>,
    seen: &mut HashSet<String>,
    all: &mut Vec<U>,
    keep: &mut impl FnMut(Vec<T>) -> Vec<U>,
) {
    let fresh = page
        .into_iter()
        .filter(|item| seen.insert(item.id().to_owned()))
        .collect();
    all.extend(keep(fresh));
}

fn parse(at: &str, path: &str) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(at, &Rfc3339).map_err(|e| Error::Incomplete {
        path: path.to_owned(),
        detail: format!("createdAt {at:?} is not an ISO 8601 time: {e}"),
    })
}

/// The last millisecond before `at`, for the cursor past a tie that has been read.
fn before(at: &str, path: &str) -> Result<String, Error> {
    Ok(format(parse(at, path)? - time::Duration::milliseconds(1)))
}

/// ISO 8601 with milliseconds and `Z`, as Vapi writes times.
pub(crate) fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_at_millisecond_precision() {
        let at = parse("2026-03-26T15:43:16.145Z", "/x").unwrap();
        assert_eq!(format(at), "2026-03-26T15:43:16.145Z");
        assert_eq!(
            before("2026-03-26T15:43:16.000Z", "/x").unwrap(),
            "2026-03-26T15:43:15.999Z"
        );
        assert!(parse("yesterday", "/x").is_err());
    }
}
