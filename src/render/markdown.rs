//! Markdown for a pull-request comment: the summary, a table of changes, and each change's
//! detail in `<details>` with a `diff` block, always within a byte budget.
//!
//! To fit the budget the summary line always stays; details are dropped first (from the
//! last change back), then table rows (other rows before routing and delete rows), and a
//! final line says what was left out.

use std::fmt::Write as _;

use super::diff::field_lines;
use super::{endpoint, hears, marker, refusal, summary_line, totals_line};
use crate::apply::Report;
use crate::plan::{Action, Change, Plan};

/// GitHub's comment limit is 65536 bytes; stay well below it.
pub const DEFAULT_MAX_BYTES: usize = 60_000;

/// The largest the closing "left out" line can be.
const FOOTER_RESERVE: usize = 240;

/// The plan as markdown of at most `max_bytes` bytes (the summary line is always kept).
pub fn plan(plan: &Plan, max_bytes: usize) -> String {
    let mut head = format!(
        "### vapiform: {}\n\n<sub>plan digest <code>{}</code></sub>\n",
        summary_line(&plan.summary),
        escape(&plan.digest)
    );
    if let Some(refusal) = refusal(&plan.safety) {
        let _ = writeln!(head, "\n> **{refusal}**");
    }
    if plan.changes.is_empty() {
        return head;
    }
    let table_head = "\n| | Address | Action | Change | Reason |\n|---|---|---|---|---|\n";
    let rows: Vec<String> = plan.changes.iter().map(row).collect();
    let details: Vec<String> = plan.changes.iter().map(detail).collect();

    let budget = max_bytes.saturating_sub(FOOTER_RESERVE);
    let mut size = head.len()
        + table_head.len()
        + rows.iter().map(String::len).sum::<usize>()
        + 1
        + details.iter().map(String::len).sum::<usize>();
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
    let mut shown = vec![true; rows.len()];
    for i in drop_order {
        if size <= budget {
            break;
        }
        shown[i] = false;
        size -= rows[i].len();
    }

    let mut out = head;
    let shown_rows: Vec<&String> = rows
        .iter()
        .zip(&shown)
        .filter(|(_, s)| **s)
        .map(|(r, _)| r)
        .collect();
    if !shown_rows.is_empty() {
        out.push_str(table_head);
        for r in shown_rows {
            out.push_str(r);
        }
    }
    out.push('\n');
    for (i, text) in details.iter().enumerate().take(kept_details) {
        if shown[i] {
            out.push_str(text);
        }
    }
    let rows_left_out = shown.iter().filter(|s| !**s).count();
    let details_left_out = details.len() - kept_details;
    if details_left_out > 0 {
        let _ = writeln!(
            out,
            "\n_{rows_left_out} of {} changes left out of this comment, and the details of {details_left_out}, to fit {max_bytes} bytes. The full plan is in the JSON plan file (`vapiform plan --out`)._",
            plan.changes.len()
        );
    }
    if out.len() > max_bytes {
        // Only the summary is guaranteed; cut at a character boundary.
        let mut end = max_bytes;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out
}

/// Routing changes and deletes are what a reviewer must not miss.
fn vital(change: &Change) -> bool {
    change.action.is_routing() || change.action == Action::Delete
}

fn row(change: &Change) -> String {
    let what = match &change.routing {
        Some(routing) => format!(
            "{}<br>caller hears: {}",
            cell(&format!(
                "{} → {}",
                endpoint(&routing.from),
                endpoint(&routing.to)
            )),
            cell(&format!(
                "{} → {}",
                hears(&routing.from),
                hears(&routing.to)
            ))
        ),
        None => cell(
            &change
                .fields
                .iter()
                .map(|f| format!("`{}`", f.path))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    };
    format!(
        "| {} | `{}` | {} | {what} | {} |\n",
        marker(change.action),
        change.address,
        change.action.as_str(),
        cell(&change.reason)
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
        .map(|line| line.unified())
        .collect();
    let body = lines.join("\n");
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    format!(
        "<details><summary><code>{}</code> {}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n",
        escape(&change.address.to_string()),
        change.action.as_str()
    )
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    escape(text).replace('|', "\\|").replace('\n', " ")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
            "| `{}` | {} | {} | {} |",
            outcome.address,
            outcome.action.as_str(),
            outcome.status.as_str(),
            cell(outcome.detail.as_deref().unwrap_or(""))
        );
    }
    out
}
