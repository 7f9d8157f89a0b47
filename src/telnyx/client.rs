//! The client: the carrier's phone numbers, read completely or not at all.

use std::collections::HashMap;

use futures::{StreamExt as _, TryStreamExt as _};
use reqwest::Method;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::dialect::TELNYX;
use super::wire::PhoneNumber;
use crate::http::{BaseUrl, Error, Settings, SetupError, Transport, decode_objects, parse};

/// The largest page Telnyx serves.
pub const PAGE_SIZE: usize = 250;

/// The most numbers an inventory is read to: far beyond any account vapiform serves, and a
/// bound on what a carrier answering nonsense totals can make it page through.
pub(super) const MAX_NUMBERS: usize = 1_000_000;

const NUMBERS: &str = "/v2/phone_numbers";

/// A Telnyx API client. Cheap to share by reference across concurrent tasks.
#[derive(Debug)]
pub struct Client {
    transport: Transport,
    /// Pages read at once.
    in_flight: usize,
}

/// One page of a Telnyx list.
#[derive(Debug, Deserialize)]
struct Page {
    data: Vec<Box<RawValue>>,
    meta: Meta,
}

/// What a page says about the whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
struct Meta {
    page_number: usize,
    page_size: usize,
    total_pages: usize,
    total_results: usize,
}

impl Client {
    /// Builds a client. Refuses a base URL that would carry the key in clear text (plain
    /// `http://` to anything but a loopback address) and a key that cannot be a header.
    pub fn new(settings: &Settings) -> Result<Self, SetupError> {
        Ok(Self {
            transport: Transport::new(settings, &TELNYX)?,
            in_flight: settings.concurrency.max(1),
        })
    }

    /// Where requests go, redacted when displayed.
    pub fn base_url(&self) -> &BaseUrl {
        self.transport.base_url()
    }

    /// Every number on the account, whatever its tags (the caller sorts tagged from untagged,
    /// so a number the carrier owns without the tag is not taken for one it does not own):
    /// page 1, then the other pages `meta.total_pages` announces, within the client's concurrency. A list that cannot
    /// be shown to be complete is an error ([`Error::Incomplete`]): a page that disagrees with
    /// the first about the totals, fewer or more numbers than `total_results`, or a number
    /// listed twice. Nothing may be concluded from part of the carrier's inventory.
    pub async fn list_numbers(&self) -> Result<Vec<PhoneNumber>, Error> {
        self.list_numbers_into(
            |number| number,
            |number| (number.id.as_str(), number.phone_number.as_str()),
        )
        .await
    }

    /// [`Client::list_numbers`], each number made into what `keep` makes of it as its page
    /// arrives (so a page is not held past that), `named` giving back its id and number.
    pub async fn list_numbers_into<U>(
        &self,
        mut keep: impl FnMut(PhoneNumber) -> U,
        named: impl Fn(&U) -> (&str, &str),
    ) -> Result<Vec<U>, Error> {
        let (first, page) = self.page(1).await?;
        let mut previous = (1, page.len());
        let mut numbers: Vec<U> = page.into_iter().map(&mut keep).collect();
        let pages = first.total_pages;
        if first.total_results > MAX_NUMBERS || pages > MAX_NUMBERS.div_ceil(PAGE_SIZE) {
            return Err(incomplete(format!(
                "page 1 announces {} numbers on {pages} pages, more than vapiform reads ({MAX_NUMBERS} numbers)",
                first.total_results
            )));
        }
        let most = first.total_results.div_ceil(first.page_size.max(1)).max(1);
        if pages > most {
            return Err(incomplete(format!(
                "page 1 announces {pages} pages for {} numbers at {} a page",
                first.total_results, first.page_size
            )));
        }
        // Pages are asked for a few at a time, in order, so a list that stops adding up is
        // refused at the first page that shows it, whatever it announced.
        let mut rest = futures::stream::iter(2..=pages)
            .map(|number| self.page(number))
            .buffered(self.in_flight);
        while let Some((meta, data)) = rest.try_next().await? {
            if (meta.total_pages, meta.total_results) != (first.total_pages, first.total_results) {
                return Err(incomplete(format!(
                    "page {} counts {} numbers on {} pages, page 1 counted {} on {} (the list changed while it was read)",
                    meta.page_number,
                    meta.total_results,
                    meta.total_pages,
                    first.total_results,
                    first.total_pages
                )));
            }
            short(previous, first.page_size)?;
            previous = (meta.page_number, data.len());
            numbers.extend(data.into_iter().map(&mut keep));
        }
        listed_once(numbers.iter().map(named))?;
        if numbers.len() != first.total_results {
            return Err(incomplete(format!(
                "read {} numbers, but Telnyx counts {}",
                numbers.len(),
                first.total_results
            )));
        }
        tracing::debug!(numbers = numbers.len(), pages, "read the carrier's numbers");
        Ok(numbers)
    }

    /// Page `number` of the list, checked to be that page.
    async fn page(&self, number: usize) -> Result<(Meta, Vec<PhoneNumber>), Error> {
        let query = [
            ("page[number]", number.to_string()),
            ("page[size]", PAGE_SIZE.to_string()),
        ];
        let page: Page = self
            .transport
            .send(Method::GET, NUMBERS, &query, None)
            .await?;
        if page.meta.page_number != number {
            return Err(incomplete(format!(
                "asked for page {number}, got page {}",
                page.meta.page_number
            )));
        }
        if page.data.len() > page.meta.page_size {
            return Err(incomplete(format!(
                "page {number} holds {} numbers, more than its size {}",
                page.data.len(),
                page.meta.page_size
            )));
        }
        Ok((page.meta, decode_objects(NUMBERS, &page.data, parse)?))
    }
}

/// Refuses a page short of `size` that is not the last: numbers are missing from it.
fn short((page, read): (usize, usize), size: usize) -> Result<(), Error> {
    if read == size {
        return Ok(());
    }
    Err(incomplete(format!(
        "page {page} holds {read} numbers, not {size}, yet it is not the last page"
    )))
}

/// Refuses a list in which an id or a number (each given with the other) appears twice.
fn listed_once<'a>(numbers: impl Iterator<Item = (&'a str, &'a str)>) -> Result<(), Error> {
    let mut ids = HashMap::new();
    let mut phones = HashMap::new();
    for (id, number) in numbers {
        if let Some(first) = ids.insert(id, number) {
            return Err(incomplete(format!(
                "id {id} is listed twice ({first} and {number}; the list changed while it was read)"
            )));
        }
        if let Some(first) = phones.insert(number, id) {
            return Err(incomplete(format!(
                "number {number} is listed twice (ids {first} and {id})"
            )));
        }
    }
    Ok(())
}

fn incomplete(detail: String) -> Error {
    Error::Incomplete {
        path: NUMBERS.to_owned(),
        detail,
    }
}
