//! Markdown for a pull-request comment: the summary, a table of changes, and each change's
//! detail in `<details>` with a `diff` block, always within a byte budget.
//!
//! To fit the budget the summary line always stays; details are dropped first (from the
//! last change back), then table rows (other rows before routing and delete rows), and a
//! final line says what was left out. Every untrusted string is escaped (see
//! [`super::escape`]).

use std::fmt::Write as _;

use super::diff::field_lines;
use super::escape::{self, fence};
use super::{endpoint, hears, marker, refusal, summary_line, totals_line};
use crate::apply::Report;
use crate::plan::{Action, Change, Plan};

/// GitHub's comment limit is 65536 bytes; stay well below it.
pub const DEFAULT_MAX_BYTES: usize = 60_000;

/// `--max-bytes` leaves no room for what every comment keeps.
#[derive(Debug, thiserror::Error)]
#[error(
    "--max-bytes {max_bytes} is too small for this plan: its summary and the note on what was left out need {minimum} bytes; use --max-bytes {minimum} or more"
)]
pub struct TooSmall {
    /// The budget asked for.
    pub max_bytes: usize,
    /// The least this plan's comment can be.
    pub minimum: usize,
}

/// The plan as markdown of at most `max_bytes` bytes, ending with a whole line. The summary
/// line and the plan digest are always kept; a budget too small for them (and, when something
/// must be left out, the note that says so) is refused.
pub fn plan(plan: &Plan, max_bytes: usize) -> Result<String, TooSmall> {
    let mut head = format!("### vapiform: {}\n", summary_line(&plan.summary));
    if !plan.is_empty() {
        let _ = writeln!(
            head,
            "\n<sub>plan digest <code>{}</code></sub>",
            escape::markdown(&plan.digest)
        );
    }
    if let Some(refusal) = refusal(&plan.safety) {
        let _ = writeln!(head, "\n> **{refusal}**");
    }
    let table_head = "\n| | Address | Action | Change | Reason |\n|---|---|---|---|---|\n";
    let rows: Vec<String> = plan.changes.iter().map(row).collect();
    let details: Vec<String> = plan.changes.iter().map(detail).collect();
    let all_shown = vec![true; rows.len()];
    let whole = assemble(&head, table_head, &rows, &details, &all_shown, rows.len());
    if whole.len() <= max_bytes {
        return Ok(whole);
    }
    if plan.changes.is_empty() {
        return Err(TooSmall {
            max_bytes,
            minimum: whole.len(),
        });
    }

    // Something is left out, and the closing note says what: keep room for its longest form.
    let changes = plan.changes.len();
    let note_room = |max_bytes: usize| note(changes, changes, changes, max_bytes).len();
    // The note names the budget, so the least budget is the one that leaves room for itself.
    let mut minimum = head.len() + 1;
    while minimum < head.len() + 1 + note_room(minimum) {
        minimum = head.len() + 1 + note_room(minimum);
    }
    if max_bytes < minimum {
        return Err(TooSmall { max_bytes, minimum });
    }
    let budget = max_bytes - note_room(max_bytes);
    let mut size = whole.len();
    let mut kept_details = details.len();
    while size > budget && kept_details > 0 {
        kept_details -= 1;
        size -= details[kept_details].len();
    }
    // Rows are dropped other changes first, routing and deletes last, each from the end.
    let mut drop_order: Vec<usize> = (0..rows.len())
        .rev()
        .filter(|i| !vital(&plan.changes[*i]))
        .collect();
    drop_order.extend((0..rows.len()).rev().filter(|i| vital(&plan.changes[*i])));
    let mut shown = all_shown;
    for i in drop_order {
        if size <= budget {
            break;
        }
        shown[i] = false;
        size -= rows[i].len();
    }
    let mut out = assemble(&head, table_head, &rows, &details, &shown, kept_details);
    let rows_left_out = shown.iter().filter(|s| !**s).count();
    let details_left_out = (0..details.len())
        .filter(|&i| !details[i].is_empty() && (i >= kept_details || !shown[i]))
        .count();
    out.push_str(&note(
        rows_left_out,
        plan.changes.len(),
        details_left_out,
        max_bytes,
    ));
    debug_assert!(out.len() <= max_bytes, "{} > {max_bytes}", out.len());
    Ok(out)
}

/// The head, the table of the shown rows, and the first `kept_details` details of shown rows.
fn assemble(
    head: &str,
    table_head: &str,
    rows: &[String],
    details: &[String],
    shown: &[bool],
    kept_details: usize,
) -> String {
    let mut out = head.to_owned();
    if rows.is_empty() {
        return out;
    }
    if shown.iter().any(|s| *s) {
        out.push_str(table_head);
        for (row, _) in rows.iter().zip(shown).filter(|(_, s)| **s) {
            out.push_str(row);
        }
    }
    out.push('\n');
    for (text, _) in details
        .iter()
        .zip(shown)
        .take(kept_details)
        .filter(|(_, s)| **s)
    {
        out.push_str(text);
    }
    out
}

/// The closing line: what was left out, and where the rest is.
fn note(rows_left_out: usize, changes: usize, details_left_out: usize, max_bytes: usize) -> String {
    format!(
        "\n_{rows_left_out} of {changes} changes left out of this comment, and the details of {details_left_out}, to fit {max_bytes} bytes. The full plan is in the JSON plan file (`vapiform plan --out`)._\n"
    )
}

/// Routing changes and deletes are what a reviewer must not miss.
fn vital(change: &Change) -> bool {
    change.action.is_routing() || change.action == Action::Delete
}

/// Untrusted text as inline code.
fn code(text: &str) -> String {
    format!("<code>{}</code>", escape::markdown(text))
}

fn row(change: &Change) -> String {
    let what = match &change.routing {
        Some(routing) => format!(
            "{}<br>caller hears: {}",
            escape::markdown(&format!(
                "{} → {}",
                endpoint(&routing.from),
                endpoint(&routing.to)
            )),
            escape::markdown(&format!(
                "{} → {}",
                hears(&routing.from),
                hears(&routing.to)
            ))
        ),
        None => change
            .fields
            .iter()
            .map(|f| code(&f.path))
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!(
        "| {} | {} | {} | {what} | {} |\n",
        marker(change.action),
        code(&change.address.to_string()),
        change.action.as_str(),
        escape::markdown(&change.reason)
    )
}

fn detail(change: &Change) -> String {
    if change.fields.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = change
        .fields
        .iter()
        .flat_map(field_lines)
        .map(|line| escape::line(&line.unified()).into_owned())
        .collect();
    let body = lines.join("\n");
    let fence = fence(&body);
    format!(
        "<details><summary>{} {}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n",
        code(&change.address.to_string()),
        change.action.as_str()
    )
}

/// The apply report as markdown: totals, then a table of outcomes.
pub fn report(report: &Report) -> String {
    let mut out = format!(
        "### vapiform: {}\n\n| Address | Action | Status | Detail |\n|---|---|---|---|\n",
        totals_line(&report.totals)
    );
    for outcome in &report.outcomes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            code(&outcome.address.to_string()),
            outcome.action.as_str(),
            outcome.status.as_str(),
            escape::markdown(outcome.detail.as_deref().unwrap_or(""))
        );
    }
    out
}
