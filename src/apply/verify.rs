//! Read-after-write verification: poll the object until it holds what was written, with
//! backoff, for a bounded time (Vapi may be eventually consistent).

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::plan::compare::{self, Segment};
use crate::plan::sensitive::{self, Side};
use crate::vapi::Error;

/// What reading back concluded.
pub(crate) enum Verdict {
    /// The object holds every written field.
    Verified,
    /// After the bounded wait it still differs; the detail names the field and both values.
    Differs(String),
}

/// Polls `read` until the object holds `expected` (compared like the planner does), or until
/// `timeout` has passed. `written` is the body as written in the plan, for masking.
pub(crate) async fn until_equal<F, Fut>(
    expected: &Map<String, Value>,
    written: &Map<String, Value>,
    timeout: Duration,
    read: F,
) -> Verdict
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Map<String, Value>, Error>>,
{
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(50);
    loop {
        let detail = match read().await {
            Ok(live) => match compare::differences(expected, &live).first() {
                None => return Verdict::Verified,
                Some(path) => describe(path, expected, written, &live),
            },
            Err(error) if error.is_not_found() => "not found when read back".to_owned(),
            Err(error) => format!("could not read it back: {error}"),
        };
        if Instant::now() + delay > deadline {
            return Verdict::Differs(detail);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// Polls `read` until the object is gone (404), or until `timeout` has passed.
pub(crate) async fn until_gone<F, Fut, T>(timeout: Duration, read: F) -> Verdict
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(50);
    loop {
        let detail = match read().await {
            Err(error) if error.is_not_found() => return Verdict::Verified,
            Err(error) => format!("could not read it back: {error}"),
            Ok(_) => "still exists when read back".to_owned(),
        };
        if Instant::now() + delay > deadline {
            return Verdict::Differs(detail);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// `path: expected X, read back Y`, sensitive values masked.
fn describe(
    path: &[Segment],
    expected: &Map<String, Value>,
    written: &Map<String, Value>,
    live: &Map<String, Value>,
) -> String {
    let expected = Value::Object(expected.clone());
    let written = Value::Object(written.clone());
    let live = Value::Object(live.clone());
    let want = compare::value_at(&expected, path).unwrap_or(&Value::Null);
    let shown_want = compare::value_at(&written, path).unwrap_or(want);
    let want = sensitive::show(&mut path.to_vec(), shown_want, Side::Desired, false);
    let have = compare::value_at(&live, path).map_or_else(
        || "(missing)".to_owned(),
        |have| {
            sensitive::show(&mut path.to_vec(), have, Side::Live(Some(shown_want)), true)
                .to_string()
        },
    );
    format!(
        "{}: expected {want}, read back {have}",
        compare::display(path)
    )
}
