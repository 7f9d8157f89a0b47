//! Views of a Plan and of an apply Report: text for terminals, markdown for pull-request
//! comments, JSON for pipelines. Renderers present; they decide nothing.

pub(crate) mod check;
mod diff;
pub(crate) mod document;
mod entries;
pub(crate) mod escape;
pub(crate) mod inventory;
mod markdown;
pub(crate) mod mask;
mod text;

pub(crate) use markdown::{DEFAULT_MAX_BYTES, plan as plan_markdown, report as report_markdown};
pub(crate) use text::{outcome_line, plan as plan_text, report as report_text};

use std::fmt::Write as _;

use crate::plan::{Endpoint, Origin};

/// Pretty JSON with a trailing newline.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .expect("plans, reports and schemas serialise: every map key is a string");
    text.push('\n');
    text
}

/// A routing endpoint as a reviewer reads it: business first, then the assistant, squad or
/// workflow.
pub(crate) fn endpoint(to: &Endpoint) -> String {
    match to {
        Endpoint::Nothing => "nothing (unrouted)".to_owned(),
        Endpoint::Say { then: None, .. } => "nothing (unrouted; a say hook answers)".to_owned(),
        Endpoint::Say {
            then: Some(then), ..
        } => format!("a say hook, then {}", endpoint(then)),
        Endpoint::Transfer {
            destination: Some(destination),
        } => format!("transfer to {destination} (a call.ringing hook)"),
        Endpoint::Transfer { destination: None } => "a call.ringing transfer hook".to_owned(),
        Endpoint::Webhook { url } => format!("the assistant-request webhook ({url})"),
        Endpoint::Fallback { destination } => format!("the fallback destination {destination}"),
        Endpoint::Screened {
            prefixes,
            action,
            otherwise,
        } => screened(prefixes, action, otherwise, endpoint),
        Endpoint::Squad { id, name, business } => {
            named("squad", id, name.as_ref(), business.as_ref())
        }
        Endpoint::Workflow { id } => format!("retired workflow {id}"),
        Endpoint::Assistant {
            id,
            address,
            name,
            business,
            ..
        } => {
            let reference = match (address, id) {
                (Some(address), Some(_)) => address.to_string(),
                (Some(address), None) => format!("{address}, new"),
                (None, Some(id)) => id.to_string(),
                (None, None) => "unknown".to_owned(),
            };
            match (business, name) {
                (Some(business), Some(name)) if business == name => {
                    format!("{business} ({reference})")
                }
                (Some(business), Some(name)) => {
                    format!("{business}: assistant \"{name}\" ({reference})")
                }
                (Some(business), None) => format!("{business}: assistant {reference}"),
                (None, Some(name)) => format!("assistant \"{name}\" ({reference})"),
                (None, None) => format!("assistant {reference}"),
            }
        }
    }
}

/// A hook for some callers, each side shown by `show`: `callers from +91, +86: ...; others:
/// ...`.
fn screened(
    prefixes: &[String],
    action: &Endpoint,
    otherwise: &Endpoint,
    show: fn(&Endpoint) -> String,
) -> String {
    let callers: Vec<String> = prefixes.iter().map(|p| format!("+{p}")).collect();
    format!(
        "callers from {}: {}; others: {}",
        callers.join(", "),
        show(action),
        show(otherwise)
    )
}

/// A squad or workflow: `Business: squad "Name" (id)`, with what is known.
fn named(kind: &str, id: &str, name: Option<&String>, business: Option<&String>) -> String {
    let target = match name {
        Some(name) => format!("{kind} \"{name}\" ({id})"),
        None => format!("{kind} {id}"),
    };
    match business {
        Some(business) => format!("{business}: {target}"),
        None => target,
    }
}

/// The longest greeting shown, in characters.
const GREETING_CHARS: usize = 60;

/// What a caller hears first at an endpoint, on one line: the assistant's first message or the
/// say hook's text (quoted, truncated), the squad or workflow, or that nobody answers.
pub(crate) fn hears(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::Nothing => "not answered".to_owned(),
        Endpoint::Say { text, then: None } => quoted(text),
        Endpoint::Say {
            text,
            then: Some(then),
        } => format!("{}, then {}", quoted(text), hears(then)),
        Endpoint::Transfer {
            destination: Some(destination),
        }
        | Endpoint::Fallback { destination } => format!("transferred to {destination}"),
        Endpoint::Transfer { destination: None } => "transferred".to_owned(),
        Endpoint::Webhook { .. } => "the assistant the webhook picks".to_owned(),
        Endpoint::Screened {
            prefixes,
            action,
            otherwise,
        } => screened(prefixes, action, otherwise, hears),
        Endpoint::Squad { id, name, .. } => match name {
            Some(name) => format!("squad \"{name}\""),
            None => format!("squad {id}"),
        },
        Endpoint::Workflow { id } => format!("retired workflow {id}"),
        Endpoint::Assistant { greeting: None, .. } => "(no first message)".to_owned(),
        Endpoint::Assistant {
            greeting: Some(greeting),
            ..
        } => quoted(greeting),
    }
}

/// Spoken text on one line, quoted, truncated to [`GREETING_CHARS`].
fn quoted(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > GREETING_CHARS {
        let cut: String = line.chars().take(GREETING_CHARS - 1).collect();
        format!("\"{}…\"", cut.trim_end())
    } else {
        format!("\"{line}\"")
    }
}

/// `Plan: 1 to create, 2 to update.` or `No changes.`; with `--baseline`, the origins follow:
/// `Plan: 2 to update. 1 intent, 1 drift.`
pub(crate) fn summary_line(summary: &crate::plan::Summary) -> String {
    let parts: Vec<String> = crate::plan::Action::ALL
        .iter()
        .filter(|action| summary.count(**action) > 0)
        .map(|action| format!("{} to {}", summary.count(*action), action.as_str()))
        .collect();
    if parts.is_empty() {
        return "No changes.".to_owned();
    }
    let mut line = format!("Plan: {}.", parts.join(", "));
    if let Some(origins) = &summary.origin {
        let counts: Vec<String> = Origin::ALL
            .iter()
            .filter(|origin| origins.count(**origin) > 0)
            .map(|origin| format!("{} {}", origins.count(*origin), origin.as_str()))
            .collect();
        let _ = write!(line, " {}.", counts.join(", "));
    }
    line
}

/// `Applying costs 1,204 writes and about 52 reads (more while reads lag): about 25 s at
/// --rps 50.`
pub(crate) fn cost_line(cost: &crate::plan::Cost) -> String {
    let count =
        |n: usize, what: &str| format!("{} {what}{}", thousands(n), if n == 1 { "" } else { "s" });
    format!(
        "Applying costs {} and about {} (more while reads lag): about {} at --rps {}.",
        count(cost.writes, "write"),
        count(cost.reads, "read"),
        duration(cost.seconds),
        cost.rps
    )
}

/// Seconds as people say them: `0.8 s`, `25 s`, `4 min`, `1 h 20 min`.
fn duration(seconds: f64) -> String {
    if seconds < 10.0 {
        return format!("{seconds:.1} s");
    }
    if seconds < 100.0 {
        return format!("{seconds:.0} s");
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a positive duration in minutes, far below u64::MAX"
    )]
    let minutes = (seconds / 60.0).round() as u64;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A count with thousands separators: `60,000`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The warning over the drift section: what drift is, and what approving it does.
pub(crate) fn drift_warning(drift: usize) -> String {
    let (count, they) = if drift == 1 {
        ("1 change is".to_owned(), "it")
    } else {
        (format!("{drift} changes are"), "them")
    };
    format!(
        "Drift: {count} planned from the baseline too, so not what this change asks for: the account was changed outside vapiform, or the baseline was never applied. Applying this plan sets {they} back to the file."
    )
}

/// The note on a baseline that could not be planned in full, with each reason.
pub(crate) fn baseline_note(problems: &[String]) -> Option<String> {
    (!problems.is_empty()).then(|| {
        format!(
            "The baseline could not be planned in full, so the changes it could not plan are labelled intent: {}",
            problems.join("; ")
        )
    })
}

/// How a group is headed: `2000 assistants from template receptionist`.
pub(crate) fn group_title(count: usize, template: Option<&str>) -> String {
    match template {
        Some(template) => format!("{count} assistants from template {template}"),
        None => format!("{count} assistants"),
    }
}

/// The marker of an action: `+` adds, `~` changes, `↻` moves, `-` removes.
pub(crate) fn marker(action: crate::plan::Action) -> &'static str {
    use crate::plan::Action;
    match action {
        Action::Create | Action::Import | Action::Assign => "+",
        Action::Adopt | Action::Update => "~",
        Action::Reassign => "↻",
        Action::Unlink | Action::Delete => "-",
    }
}

/// The mass-change rule's verdict as one line, when the plan is a mass change.
pub(crate) fn refusal(safety: &crate::plan::Safety) -> Option<String> {
    let counts = format!(
        "{} changes to where today's calls go, more than the limit of {} (max(10, 25% of {} routed numbers))",
        safety.routing_changes, safety.limit, safety.routed_numbers
    );
    if safety.refuses() {
        Some(format!(
            "Refused by the mass-change rule: {counts}. Rerun with --allow-mass-change if this is intended."
        ))
    } else if safety.is_mass_change() {
        Some(format!(
            "Mass change allowed by --allow-mass-change: {counts}."
        ))
    } else {
        None
    }
}

/// `Apply: 3 applied, 1 failed.`
pub(crate) fn totals_line(totals: &crate::apply::Totals) -> String {
    let parts: Vec<String> = [
        (totals.applied, "applied"),
        (totals.already_applied, "already applied"),
        (totals.failed, "failed"),
        (totals.unverified, "unverified"),
        (totals.skipped, "skipped"),
        (totals.not_attempted, "not attempted"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    if parts.is_empty() {
        "Apply: nothing to do.".to_owned()
    } else {
        format!("Apply: {}.", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(0.8), "0.8 s");
        assert_eq!(duration(9.94), "9.9 s");
        assert_eq!(duration(25.0), "25 s");
        assert_eq!(duration(240.0), "4 min");
        assert_eq!(duration(3600.0), "1 h");
        assert_eq!(duration(4830.0), "1 h 21 min");
    }

    #[test]
    fn the_cost_line_counts_with_separators_and_names_the_rate() {
        let cost = crate::plan::Cost {
            writes: 1204,
            reads: 1,
            rps: 2.5,
            seconds: 482.0,
        };
        assert_eq!(
            cost_line(&cost),
            "Applying costs 1,204 writes and about 1 read (more while reads lag): about 8 min at --rps 2.5."
        );
    }
}
