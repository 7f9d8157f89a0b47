//! The simulated account: collections of Vapi objects indexed by id and by creation time, with
//! the read lag; the carrier's numbers as a plain list; and the state file.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::timestamp::{self, Instant};
use super::{Account, Error};

/// A JSON object as the API returns it.
pub(crate) type Object = Map<String, Value>;

/// One version of an object, with its timestamps parsed for filtering and ordering, and its
/// JSON text, written once (a list page of a thousand assistants is then copied, not
/// serialised again: the simulator answers at the speed of its latency, not of `serde_json`).
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) object: Object,
    pub(crate) text: Box<RawValue>,
    pub(crate) created: Instant,
    pub(crate) updated: Instant,
}

impl Version {
    /// Wraps an object whose `createdAt` and `updatedAt` are valid timestamps.
    fn from_object(object: Object) -> Result<Self, String> {
        let stamp = |field: &str| match object.get(field) {
            Some(Value::String(text)) => timestamp::parse(text)
                .ok_or_else(|| format!("{field} {text:?} is not an ISO 8601 timestamp")),
            Some(_) => Err(format!("{field} is not a string")),
            None => Err(format!("{field} is missing")),
        };
        let created = stamp("createdAt")?;
        let updated = stamp("updatedAt")?;
        let text = serde_json::value::to_raw_value(&object).map_err(|err| err.to_string())?;
        Ok(Self {
            object,
            text,
            created,
            updated,
        })
    }

    /// The object's id.
    pub(crate) fn id(&self) -> &str {
        self.object
            .get("id")
            .and_then(Value::as_str)
            .expect("stored objects have a string id")
    }
}

/// An object's history as far as readers can still see it.
#[derive(Debug)]
struct Entry {
    /// What writes see; `None` once deleted.
    current: Option<Version>,
    /// What reads see until `written + lag`; `None` if the object did not exist before.
    previous: Option<Version>,
    /// When the last write happened, if reads may still lag behind it.
    written: Option<std::time::Instant>,
}

impl Entry {
    fn visible(&self, now: std::time::Instant, lag: Duration) -> Option<&Version> {
        match self.written {
            Some(at) if now.saturating_duration_since(at) < lag => self.previous.as_ref(),
            _ => self.current.as_ref(),
        }
    }
}

/// Inclusive bounds on `createdAt` (nanoseconds); `None` is unbounded.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CreatedRange {
    pub(crate) from: Option<Instant>,
    pub(crate) to: Option<Instant>,
}

/// All objects of one kind.
#[derive(Debug, Default)]
pub(crate) struct Collection {
    entries: HashMap<String, Entry>,
    /// `(createdAt, id)` of every entry, including deleted ones readers may still see.
    order: BTreeSet<(Instant, String)>,
    /// Deleted entries kept for lagging readers, oldest first.
    tombstones: VecDeque<(std::time::Instant, String)>,
    lag: Duration,
}

impl Collection {
    fn load(objects: Vec<Object>, kind: &str, lag: Duration) -> Result<Self, String> {
        let mut collection = Self {
            lag,
            ..Self::default()
        };
        collection.entries.reserve(objects.len());
        for (index, object) in objects.into_iter().enumerate() {
            let Some(id) = object.get("id").and_then(Value::as_str).map(str::to_owned) else {
                return Err(format!("{kind}[{index}] has no string \"id\""));
            };
            let version = Version::from_object(object)
                .map_err(|why| format!("{kind}[{index}] ({id}): {why}"))?;
            if collection.entries.contains_key(&id) {
                return Err(format!("{kind}[{index}]: duplicate id {id}"));
            }
            collection.order.insert((version.created, id.clone()));
            collection.entries.insert(
                id,
                Entry {
                    current: Some(version),
                    previous: None,
                    written: None,
                },
            );
        }
        Ok(collection)
    }

    /// The version writes act on.
    pub(crate) fn current(&self, id: &str) -> Option<&Version> {
        self.entries.get(id)?.current.as_ref()
    }

    /// The version a read sees now, lag included.
    pub(crate) fn visible(&self, id: &str, now: std::time::Instant) -> Option<&Version> {
        self.entries.get(id)?.visible(now, self.lag)
    }

    /// Every current object, newest first.
    pub(crate) fn currents(&self) -> impl Iterator<Item = &Version> {
        self.order
            .iter()
            .rev()
            .filter_map(|(_, id)| self.entries.get(id)?.current.as_ref())
    }

    /// Every current object, newest first, as stored.
    fn objects(&self) -> Vec<&Object> {
        self.currents().map(|version| &version.object).collect()
    }

    /// The versions readers see, created within `range`, newest first or oldest first.
    pub(crate) fn visible_in(
        &self,
        range: CreatedRange,
        now: std::time::Instant,
        newest_first: bool,
    ) -> Box<dyn Iterator<Item = &Version> + '_> {
        let low = match range.from {
            Some(from) => Bound::Included((from, String::new())),
            None => Bound::Unbounded,
        };
        let high = match range.to {
            Some(to) => Bound::Excluded((to.saturating_add(1), String::new())),
            None => Bound::Unbounded,
        };
        if matches!((range.from, range.to), (Some(from), Some(to)) if from > to) {
            return Box::new(std::iter::empty());
        }
        let keys = self.order.range((low, high));
        let lookup =
            move |(_, id): &(Instant, String)| self.entries.get(id)?.visible(now, self.lag);
        if newest_first {
            Box::new(keys.rev().filter_map(lookup))
        } else {
            Box::new(keys.filter_map(lookup))
        }
    }

    /// Adds a new object; lagging readers do not see it yet.
    pub(crate) fn insert(&mut self, version: Version, now: std::time::Instant) {
        self.forget_old_tombstones(now);
        let id = version.id().to_owned();
        self.order.insert((version.created, id.clone()));
        let written = (!self.lag.is_zero()).then_some(now);
        self.entries.insert(
            id,
            Entry {
                current: Some(version),
                previous: None,
                written,
            },
        );
    }

    /// Replaces an existing object; lagging readers keep seeing the version it replaces.
    pub(crate) fn replace(&mut self, version: Version, now: std::time::Instant) {
        self.forget_old_tombstones(now);
        let lag = self.lag;
        let entry = self
            .entries
            .get_mut(version.id())
            .expect("replace is only called for existing objects");
        let before = entry.current.replace(version);
        if !lag.is_zero() {
            entry.previous = before;
            entry.written = Some(now);
        }
    }

    /// Deletes an object and returns it; lagging readers keep seeing it for a while.
    pub(crate) fn remove(&mut self, id: &str, now: std::time::Instant) -> Option<Version> {
        self.forget_old_tombstones(now);
        let entry = self.entries.get_mut(id)?;
        let removed = entry.current.take()?;
        if self.lag.is_zero() {
            self.entries.remove(id);
            self.order.remove(&(removed.created, id.to_owned()));
        } else {
            entry.previous = Some(removed.clone());
            entry.written = Some(now);
            self.tombstones.push_back((now, id.to_owned()));
        }
        Some(removed)
    }

    fn forget_old_tombstones(&mut self, now: std::time::Instant) {
        while let Some((at, _)) = self.tombstones.front() {
            if now.saturating_duration_since(*at) < self.lag {
                break;
            }
            let (_, id) = self.tombstones.pop_front().expect("front exists");
            if let Some(entry) = self.entries.remove(&id) {
                let created = entry.previous.map_or(0, |version| version.created);
                self.order.remove(&(created, id));
            }
        }
    }
}

/// The account plus everything needed to change it: id generation and persistence.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) phone_numbers: Collection,
    pub(crate) assistants: Collection,
    pub(crate) squads: Collection,
    /// Telnyx numbers, read-only, in the state file's order.
    pub(crate) telnyx_numbers: Vec<Object>,
    path: Option<PathBuf>,
    rng: SmallRng,
}

impl Store {
    /// Loads the account from `account` if given, else from the state file (missing = empty),
    /// and creates the state file if it does not exist yet.
    pub(crate) fn open(
        path: Option<PathBuf>,
        account: Option<Account>,
        seed: u64,
        lag: Duration,
    ) -> Result<Self, Error> {
        let (account, origin) = match (account, &path) {
            (Some(account), _) => (account, "seeded account".to_owned()),
            (None, Some(path)) => (read(path)?, format!("state file {}", path.display())),
            (None, None) => (Account::default(), "empty account".to_owned()),
        };
        let invalid = |message| Error::InvalidAccount {
            origin: origin.clone(),
            message,
        };
        let store = Self {
            phone_numbers: Collection::load(account.phone_numbers, "phoneNumbers", lag)
                .map_err(invalid)?,
            assistants: Collection::load(account.assistants, "assistants", lag).map_err(invalid)?,
            squads: Collection::load(account.squads, "squads", lag).map_err(invalid)?,
            telnyx_numbers: super::telnyx::load(account.telnyx_numbers).map_err(invalid)?,
            path,
            // Ids and numbers use their own stream so they do not shift the fault sequence.
            rng: SmallRng::seed_from_u64(seed ^ 0x05ee_d1d5_u64),
        };
        if let Some(path) = &store.path
            && !path.exists()
        {
            store.persist()?;
        }
        Ok(store)
    }

    /// A new random (seeded) v4 uuid that no stored object has. The sequence repeats for
    /// the same seed, so an account saved by one run and reopened by the next (`--sandbox`)
    /// would otherwise be handed ids it already holds.
    pub(crate) fn new_id(&mut self) -> String {
        loop {
            let id = uuid::Builder::from_random_bytes(self.rng.random())
                .into_uuid()
                .to_string();
            let taken = [&self.phone_numbers, &self.assistants, &self.squads]
                .iter()
                .any(|collection| collection.entries.contains_key(&id));
            if !taken {
                return id;
            }
        }
    }

    /// A US number for a `vapi` provider number, in the given or a random area code.
    pub(crate) fn new_number(&mut self, area_code: Option<&str>) -> String {
        loop {
            let area = area_code.map_or_else(
                || self.rng.random_range(200..1000).to_string(),
                str::to_owned,
            );
            let line: u32 = self.rng.random_range(2_000_000..10_000_000);
            let number = format!("+1{area}{line}");
            if self.number_taken(&number, None).is_none() {
                return number;
            }
        }
    }

    /// The id of another phone number (not `except`) with this number, comparing digits only.
    pub(crate) fn number_taken(&self, number: &str, except: Option<&str>) -> Option<String> {
        let digits = |text: &str| {
            text.chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        };
        let wanted = digits(number);
        let wanted = if wanted.is_empty() {
            number.to_owned()
        } else {
            wanted
        };
        self.phone_numbers.currents().find_map(|version| {
            let id = version.id();
            if Some(id) == except {
                return None;
            }
            let theirs = version.object.get("number")?.as_str()?;
            let theirs_digits = digits(theirs);
            let theirs = if theirs_digits.is_empty() {
                theirs.to_owned()
            } else {
                theirs_digits
            };
            (theirs == wanted).then(|| id.to_owned())
        })
    }

    /// Writes the state file, if there is one, atomically.
    pub(crate) fn persist(&self) -> Result<(), Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let account = AccountRef {
            phone_numbers: self.phone_numbers.objects(),
            assistants: self.assistants.objects(),
            squads: self.squads.objects(),
            telnyx_numbers: self.telnyx_numbers.iter().collect(),
        };
        crate::atomic::write(path, |out| {
            serde_json::to_writer(&mut *out, &account)?;
            out.write_all(b"\n")
        })
        .map_err(|source| Error::WriteState {
            path: path.clone(),
            source,
        })
    }

    /// Wraps a freshly built object for storing.
    pub(crate) fn version(object: Object) -> Version {
        Version::from_object(object).expect("the simulator writes valid timestamps")
    }
}

/// The state-file format, borrowing the stored objects.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountRef<'a> {
    phone_numbers: Vec<&'a Object>,
    assistants: Vec<&'a Object>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    squads: Vec<&'a Object>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    telnyx_numbers: Vec<&'a Object>,
}

fn read(path: &Path) -> Result<Account, Error> {
    let text = match crate::bounded::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Account::default());
        }
        Err(source) => {
            return Err(Error::ReadState {
                path: path.to_owned(),
                source,
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(Account::default());
    }
    serde_json::from_str(&text).map_err(|error| Error::ParseState {
        path: path.to_owned(),
        line: error.line(),
        column: error.column(),
        message: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(id: &str, created: &str, name: &str) -> Object {
        match json!({"id": id, "name": name, "createdAt": created, "updatedAt": created}) {
            Value::Object(object) => object,
            _ => unreachable!(),
        }
    }

    fn names<'a>(versions: impl Iterator<Item = &'a Version>) -> Vec<&'a str> {
        versions
            .map(|v| v.object["name"].as_str().unwrap())
            .collect()
    }

    fn collection(lag: Duration) -> Collection {
        Collection::load(
            vec![
                object("b", "2026-01-02T00:00:00.000Z", "b"),
                object("a", "2026-01-01T00:00:00.000Z", "a"),
                object("c", "2026-01-02T00:00:00.000Z", "c"),
            ],
            "assistants",
            lag,
        )
        .unwrap()
    }

    #[test]
    fn scans_newest_first_with_ties_by_id_and_inclusive_bounds() {
        let now = std::time::Instant::now();
        let all = collection(Duration::ZERO);
        let everything = CreatedRange::default();
        assert_eq!(
            names(all.visible_in(everything, now, true)),
            ["c", "b", "a"]
        );
        assert_eq!(
            names(all.visible_in(everything, now, false)),
            ["a", "b", "c"]
        );
        let jan2 = timestamp::parse("2026-01-02T00:00:00Z").unwrap();
        let only_jan2 = CreatedRange {
            from: Some(jan2),
            to: Some(jan2),
        };
        assert_eq!(names(all.visible_in(only_jan2, now, true)), ["c", "b"]);
        let before_jan2 = CreatedRange {
            from: None,
            to: Some(jan2 - 1),
        };
        assert_eq!(names(all.visible_in(before_jan2, now, true)), ["a"]);
        let empty = CreatedRange {
            from: Some(jan2 + 1),
            to: Some(jan2),
        };
        assert_eq!(all.visible_in(empty, now, true).count(), 0);
    }

    #[test]
    fn lagging_readers_see_the_previous_version_until_the_lag_passes() {
        let lag = Duration::from_secs(10);
        let start = std::time::Instant::now();
        let later = start + lag;
        let mut all = collection(lag);

        all.insert(
            Store::version(object("d", "2026-01-03T00:00:00.000Z", "d")),
            start,
        );
        assert!(all.visible("d", start).is_none());
        assert!(all.current("d").is_some(), "writes see the new object");
        assert_eq!(
            names(all.visible_in(CreatedRange::default(), start, true)),
            ["c", "b", "a"]
        );
        assert_eq!(all.visible("d", later).unwrap().object["name"], "d");

        all.replace(
            Store::version(object("a", "2026-01-01T00:00:00.000Z", "a2")),
            start,
        );
        assert_eq!(all.visible("a", start).unwrap().object["name"], "a");
        assert_eq!(all.visible("a", later).unwrap().object["name"], "a2");

        let removed = all.remove("b", start).unwrap();
        assert_eq!(removed.object["name"], "b");
        assert!(all.current("b").is_none());
        assert_eq!(all.visible("b", start).unwrap().object["name"], "b");
        assert!(all.visible("b", later).is_none());
        assert!(
            all.remove("b", start).is_none(),
            "deleting twice finds nothing"
        );

        // A later write forgets the expired tombstone entirely.
        all.insert(
            Store::version(object("e", "2026-01-04T00:00:00.000Z", "e")),
            later,
        );
        assert!(!all.entries.contains_key("b"));
        assert_eq!(
            names(all.visible_in(CreatedRange::default(), later, true)),
            ["d", "c", "a2"]
        );
    }

    #[test]
    fn without_lag_writes_are_visible_at_once() {
        let now = std::time::Instant::now();
        let mut all = collection(Duration::ZERO);
        all.replace(
            Store::version(object("a", "2026-01-01T00:00:00.000Z", "a2")),
            now,
        );
        assert_eq!(all.visible("a", now).unwrap().object["name"], "a2");
        all.remove("c", now).unwrap();
        assert!(all.visible("c", now).is_none());
        assert_eq!(names(all.currents()), ["b", "a2"]);
    }

    #[test]
    fn unusable_objects_are_named_when_loading() {
        let load = |objects| Collection::load(objects, "assistants", Duration::ZERO).unwrap_err();
        let mut no_id = object("x", "2026-01-01T00:00:00Z", "x");
        no_id.remove("id");
        assert_eq!(load(vec![no_id]), "assistants[0] has no string \"id\"");
        assert_eq!(
            load(vec![
                object("x", "2026-01-01T00:00:00Z", "x"),
                object("x", "2026-01-01T00:00:00Z", "y"),
            ]),
            "assistants[1]: duplicate id x"
        );
        assert_eq!(
            load(vec![object("x", "soon", "x")]),
            "assistants[0] (x): createdAt \"soon\" is not an ISO 8601 timestamp"
        );
    }

    #[test]
    fn new_ids_never_repeat_a_stored_id() {
        let mut first = Store::open(None, Some(Account::default()), 0, Duration::ZERO).unwrap();
        let taken = first.new_id();
        let account = Account {
            assistants: vec![object(&taken, "2026-01-01T00:00:00.000Z", "a")],
            ..Account::default()
        };
        let mut second = Store::open(None, Some(account), 0, Duration::ZERO).unwrap();
        assert_ne!(second.new_id(), taken, "same seed, but the id is taken");
    }

    #[test]
    fn large_accounts_load_quickly() {
        let objects = |prefix: &str| {
            (0..20_000)
                .map(|i| object(&format!("{prefix}{i}"), "2026-01-01T00:00:00.123Z", "n"))
                .collect::<Vec<_>>()
        };
        let account = Account {
            phone_numbers: objects("p"),
            assistants: objects("a"),
            ..Account::default()
        };
        let started = std::time::Instant::now();
        let store = Store::open(None, Some(account), 0, Duration::ZERO).unwrap();
        let took = started.elapsed();
        assert_eq!(store.assistants.currents().count(), 20_000);
        // Generous even for an unoptimised build on a busy machine.
        assert!(took < Duration::from_secs(5), "loading took {took:?}");
    }
}
