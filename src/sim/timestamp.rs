//! Vapi timestamps: ISO 8601 with milliseconds and `Z` on the way out; instants (nanoseconds
//! since the Unix epoch) for comparing.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// Nanoseconds since the Unix epoch.
pub(crate) type Instant = i128;

/// The current time truncated to the millisecond, as Vapi stores it.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    let millis = u32::from(now.millisecond());
    now.replace_nanosecond(millis * 1_000_000)
        .expect("a whole number of milliseconds is a valid nanosecond")
}

/// `2026-03-26T15:43:16.145Z`.
pub(crate) fn format(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .expect("a UTC time formats")
}

/// Parses an ISO 8601 instant: RFC 3339, a date-time without offset (taken as UTC), or a bare
/// date (midnight UTC).
pub(crate) fn parse(text: &str) -> Option<Instant> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at.unix_timestamp_nanos());
    }
    let local = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    if let Ok(at) = PrimitiveDateTime::parse(text, &local) {
        return Some(at.assume_utc().unix_timestamp_nanos());
    }
    if let Ok(date) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        return Some(
            PrimitiveDateTime::new(date, Time::MIDNIGHT)
                .assume_utc()
                .unix_timestamp_nanos(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        let at = OffsetDateTime::parse("2026-03-26T15:43:16.1459Z", &Rfc3339).unwrap();
        let at = at.replace_nanosecond(145_000_000).unwrap();
        assert_eq!(format(at), "2026-03-26T15:43:16.145Z");
    }

    #[test]
    fn parses_instants_not_strings() {
        let z = parse("2026-03-26T15:43:16.145Z").unwrap();
        let offset = parse("2026-03-26T16:43:16.145+01:00").unwrap();
        assert_eq!(z, offset);
        assert!(parse("2026-03-26T15:43:16Z").unwrap() < z);
        assert_eq!(
            parse("2026-03-26").unwrap(),
            parse("2026-03-26T00:00:00Z").unwrap()
        );
        assert_eq!(parse("2026-03-26T15:43:16.145").unwrap(), z);
        assert!(parse("yesterday").is_none());
        assert!(parse("2026-13-01T00:00:00Z").is_none());
    }

    #[test]
    fn now_is_whole_milliseconds() {
        assert_eq!(now().nanosecond() % 1_000_000, 0);
    }
}
