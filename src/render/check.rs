//! The test call's report: one line per number (text), a table (markdown, for a pull request
//! or a job summary), or the JSON document. What was heard is untrusted text, escaped and cut
//! to [`HEARD_CHARS`] characters.

use std::fmt::Write as _;

use super::escape;
use crate::check::{Report, Status};

/// The most of an answer a line quotes.
const HEARD_CHARS: usize = 160;

/// The version of the JSON document `check --format json` prints.
pub(crate) const FORMAT_VERSION: u32 = 1;

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Fail => "✗",
        Status::Uncheckable => "-",
        Status::Error => "!",
        Status::NotAttempted => "·",
    }
}

fn heard(reply: &str) -> String {
    let cut: String = reply.chars().take(HEARD_CHARS).collect();
    if cut.len() < reply.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// The summary line: how many numbers ended how, and what the conversations cost.
fn summary(report: &Report) -> String {
    let counts: Vec<String> = [
        (Status::Pass, "pass"),
        (Status::Fail, "fail"),
        (Status::Uncheckable, "not checkable by chat"),
        (Status::Error, "error"),
        (Status::NotAttempted, "not attempted"),
    ]
    .into_iter()
    .filter_map(|(status, word)| {
        let n = report.count(status);
        (n > 0).then(|| format!("{n} {word}"))
    })
    .collect();
    let conversations = report.outcomes.iter().filter(|o| o.cost.is_some()).count();
    format!(
        "Check: {}; {conversations} conversation{}, ${:.3}.",
        if counts.is_empty() {
            "no numbers".to_owned()
        } else {
            counts.join(", ")
        },
        if conversations == 1 { "" } else { "s" },
        report.cost
    )
}

/// One line per number, and what was heard under it.
pub(crate) fn text(report: &Report) -> String {
    let mut out = summary(report);
    out.push_str("\n\n");
    for o in &report.outcomes {
        let business = o.business.as_deref().unwrap_or("(unassigned)");
        let reason = match o.status {
            Status::Uncheckable => format!("not checkable by chat: {}", o.reason),
            Status::Error => format!("error: {}", o.reason),
            Status::NotAttempted => format!("not attempted: {}", o.reason),
            Status::Pass | Status::Fail => o.reason.clone(),
        };
        let _ = writeln!(
            out,
            "{} {}  {}  {}",
            mark(o.status),
            escape::line(&o.number),
            escape::line(business),
            escape::line(&reason)
        );
        if let Some(reply) = &o.reply {
            let _ = writeln!(
                out,
                "    heard: {}",
                escape::line(&format!("{:?}", heard(reply)))
            );
        }
    }
    out
}

/// A table for a pull-request comment or a job summary.
pub(crate) fn markdown(report: &Report) -> String {
    let mut out = format!("### vapiform: {}\n\n", summary(report));
    if report.outcomes.is_empty() {
        return out;
    }
    out.push_str("| | Number | Business | Result | Heard |\n|---|---|---|---|---|\n");
    for o in &report.outcomes {
        let _ = writeln!(
            out,
            "| {} | <code>{}</code> | {} | {}: {} | {} |",
            mark(o.status),
            escape::markdown(&o.number),
            escape::markdown(o.business.as_deref().unwrap_or("(unassigned)")),
            o.status.as_str(),
            escape::markdown(&o.reason),
            o.reply
                .as_deref()
                .map_or_else(String::new, |reply| escape::markdown(&heard(reply)))
        );
    }
    out
}

/// The JSON document.
pub(crate) fn json(report: &Report) -> String {
    let totals: serde_json::Map<String, serde_json::Value> = [
        Status::Pass,
        Status::Fail,
        Status::Uncheckable,
        Status::Error,
        Status::NotAttempted,
    ]
    .into_iter()
    .map(|status| (status.as_str().to_owned(), report.count(status).into()))
    .collect();
    super::document::document(
        super::document::Kind::Check,
        &serde_json::json!({
            "format_version": FORMAT_VERSION,
            "outcomes": report.outcomes,
            "totals": totals,
            "cost": report.cost,
        }),
    )
}
