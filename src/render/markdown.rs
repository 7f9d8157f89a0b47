//! Markdown for a pull-request comment: the summary, a table of changes, and each change's
//! detail in `<details>` with a `diff` block, always within a byte budget.
//!
//! A group of changes (one template edit made to many businesses) is one row and one diff,
//! headed by its count and template, its addresses listed compactly. With `--baseline`, drift
//! has a table of its own under a warning that every comment keeps.
//!
//! To fit the budget the summary line always stays; details are dropped first (from the
//! last entry back), then table rows (other rows before routing and delete rows), and a
//! final line says, as a sentence, how many changes or their details were left out. Every
//! untrusted string is escaped (see [`super::escape`]).

use std::fmt::Write as _;

use super::diff::field_lines;
use super::entries::{Entry, Section, entries};
use super::escape::{self, fence};
use super::{
    baseline_note, cost_line, drift_warning, endpoint, hears, marker, refusal, summary_line,
    thousands, totals_line,
};
use crate::apply::Report;
use crate::plan::{Action, Cost, FieldChange, Origin, Plan};

/// GitHub's comment limit is 65536 bytes; stay well below it.
pub(crate) const DEFAULT_MAX_BYTES: usize = 60_000;

/// `--max-bytes` leaves no room for what every comment keeps.
#[derive(Debug, thiserror::Error)]
#[error(
    "--max-bytes {max_bytes} is too small for this plan: its summary and the note on what was left out need {minimum} bytes; use --max-bytes {minimum} or more"
)]
pub(crate) struct TooSmall {
    /// The budget asked for.
    pub max_bytes: usize,
    /// The least this plan's comment can be.
    pub minimum: usize,
}

/// The plan as markdown, with what applying it costs, of at most `max_bytes` bytes, ending with a whole line. The summary
/// line and the plan digest are always kept; a budget too small for them (and, when something
/// must be left out, the note that says so) is refused.
pub(crate) fn plan(plan: &Plan, cost: Option<&Cost>, max_bytes: usize) -> Result<String, TooSmall> {
    let mut head = format!("### vapiform: {}\n", summary_line(&plan.summary));
    if !plan.is_empty() {
        let _ = writeln!(
            head,
            "\n<sub>plan digest <code>{}</code></sub>",
            escape::markdown(&plan.digest)
        );
    }
    if let Some(cost) = cost {
        let _ = writeln!(head, "\n{}", cost_line(cost));
    }
    if let Some(refusal) = refusal(&plan.safety) {
        let _ = writeln!(head, "\n> **{refusal}**");
    }
    if let Some(note) = baseline_note(&plan.baseline_problems) {
        let _ = writeln!(head, "\n> ⚠️ {}", escape::markdown(&note));
    }
    let mut items = Vec::new();
    for (section, entries) in entries(plan) {
        if section == Section::Drift && !entries.is_empty() {
            let count = entries.iter().map(Entry::len).sum();
            // The warning is part of what every comment keeps.
            let _ = writeln!(head, "\n> ⚠️ **{}**", drift_warning(count));
        }
        items.extend(entries.iter().map(|entry| Item {
            section,
            row: row(entry),
            detail: detail(entry),
            changes: entry.len(),
            vital: vital(entry),
        }));
    }
    let all_shown = vec![true; items.len()];
    let whole = assemble(&head, &items, &all_shown, items.len());
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
    let note_room = |max_bytes: usize| note(changes, changes, max_bytes).len();
    // With every row left out, each section leaves one blank line.
    let kept = head.len()
        + [Section::Asked, Section::Drift]
            .iter()
            .filter(|section| items.iter().any(|item| item.section == **section))
            .count();
    // The note names the budget, so the least budget is the one that leaves room for itself.
    let mut minimum = kept;
    while minimum < kept + note_room(minimum) {
        minimum = kept + note_room(minimum);
    }
    if max_bytes < minimum {
        return Err(TooSmall { max_bytes, minimum });
    }
    let budget = max_bytes - note_room(max_bytes);
    let mut size = whole.len();
    let mut kept_details = items.len();
    while size > budget && kept_details > 0 {
        kept_details -= 1;
        size -= items[kept_details].detail.len();
    }
    // Rows are dropped other changes first, routing and deletes last, each from the end.
    let mut drop_order: Vec<usize> = (0..items.len())
        .rev()
        .filter(|i| !items[*i].vital)
        .collect();
    drop_order.extend((0..items.len()).rev().filter(|i| items[*i].vital));
    let mut shown = all_shown;
    for i in drop_order {
        if size <= budget {
            break;
        }
        shown[i] = false;
        size -= items[i].row.len();
    }
    let mut out = assemble(&head, &items, &shown, kept_details);
    let rows_left_out = items
        .iter()
        .zip(&shown)
        .filter(|(_, shown)| !**shown)
        .map(|(item, _)| item.changes)
        .sum();
    let details_left_out = items
        .iter()
        .enumerate()
        .filter(|(i, item)| shown[*i] && *i >= kept_details && !item.detail.is_empty())
        .map(|(_, item)| item.changes)
        .sum();
    out.push_str(&note(rows_left_out, details_left_out, max_bytes));
    debug_assert!(out.len() <= max_bytes, "{} > {max_bytes}", out.len());
    Ok(out)
}

/// One entry of the view as markdown: its table row and its details.
struct Item {
    section: Section,
    row: String,
    /// Empty for a change without field changes.
    detail: String,
    /// How many changes it shows.
    changes: usize,
    /// Whether it routes a number or deletes, which a reviewer must not miss.
    vital: bool,
}

/// How many items of a group's addresses a comment lists, so that a group of businesses whose
/// keys do not count up still leaves room for its diff.
const LISTED_ADDRESSES: usize = 100;

/// The table head of a section.
const TABLE_HEAD: &str = "\n| | Address | Action | Change | Reason |\n|---|---|---|---|---|\n";

/// The head, then each section: its heading, a table of its shown rows, and the details of
/// its shown rows among the first `kept_details` items.
fn assemble(head: &str, items: &[Item], shown: &[bool], kept_details: usize) -> String {
    let mut out = head.to_owned();
    for section in [Section::Asked, Section::Drift] {
        let indices: Vec<usize> = (0..items.len())
            .filter(|i| items[*i].section == section)
            .collect();
        if indices.is_empty() {
            continue;
        }
        if indices.iter().any(|i| shown[*i]) {
            if section == Section::Drift {
                out.push_str("\n#### Drift\n");
            }
            out.push_str(TABLE_HEAD);
            for i in indices.iter().filter(|i| shown[**i]) {
                out.push_str(&items[*i].row);
            }
        }
        out.push('\n');
        for i in indices.iter().filter(|i| **i < kept_details && shown[**i]) {
            out.push_str(&items[*i].detail);
        }
    }
    out
}

/// The closing line: what was left out, and where the rest is.
fn note(rows_left_out: usize, details_left_out: usize, max_bytes: usize) -> String {
    let changes = |n: usize| {
        if n == 1 {
            "1 change".to_owned()
        } else {
            format!("{} changes", thousands(n))
        }
    };
    let left_out = match (rows_left_out, details_left_out) {
        (0, details) => format!("The details of {} are left out", changes(details)),
        (rows, 0) => format!(
            "{} {} left out of this comment",
            changes(rows),
            if rows == 1 { "is" } else { "are" }
        ),
        (rows, details) => format!(
            "{} {} left out of this comment, and the details of {} more,",
            changes(rows),
            if rows == 1 { "is" } else { "are" },
            thousands(details)
        ),
    };
    format!(
        "\n_{left_out} to fit {} bytes. The full plan is in the JSON plan file (`vapiform plan --out`)._\n",
        thousands(max_bytes)
    )
}

/// Routing changes and deletes are what a reviewer must not miss.
fn vital(entry: &Entry<'_>) -> bool {
    entry.action().is_routing() || entry.action() == Action::Delete
}

/// Untrusted text as inline code.
fn code(text: &str) -> String {
    format!("<code>{}</code>", escape::markdown(text))
}

/// How an entry is named: its address, or a group's count and template.
fn title(entry: &Entry<'_>) -> String {
    match entry {
        Entry::Change(change) => code(&change.address().to_string()),
        Entry::Group { group, members } => match &group.template {
            Some(template) => format!(
                "{} assistants from template {}",
                members.len(),
                code(template)
            ),
            None => format!("{} assistants", members.len()),
        },
    }
}

fn row(entry: &Entry<'_>) -> String {
    let change = entry.first();
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
        None => entry
            .fields()
            .iter()
            .map(|(f, _)| code(&f.path))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mixed = if change.origin == Some(Origin::Mixed) {
        " (intent and drift)"
    } else {
        ""
    };
    format!(
        "| {} | {} | {}{mixed} | {what} | {} |\n",
        marker(change.action()),
        title(entry),
        change.action().as_str(),
        escape::markdown(entry.reason())
    )
}

fn detail(entry: &Entry<'_>) -> String {
    let fields = entry.fields();
    if fields.is_empty() {
        return String::new();
    }
    // A mixed change shows its intent fields, then its drift fields under a marker line.
    let mut ordered: Vec<Option<&FieldChange>> = Vec::new();
    if entry.first().origin == Some(Origin::Mixed) {
        let drift = |origin: &Option<Origin>| *origin == Some(Origin::Drift);
        ordered.extend(
            fields
                .iter()
                .filter(|(_, o)| !drift(o))
                .map(|(f, _)| Some(*f)),
        );
        ordered.push(None);
        ordered.extend(
            fields
                .iter()
                .filter(|(_, o)| drift(o))
                .map(|(f, _)| Some(*f)),
        );
    } else {
        ordered.extend(fields.iter().map(|(f, _)| Some(*f)));
    }
    let lines: Vec<String> = ordered
        .into_iter()
        .flat_map(|field| match field {
            Some(field) => field_lines(field)
                .iter()
                .map(|line| escape::line(&line.unified()).into_owned())
                .collect(),
            None => vec!["@@ drift, planned from the baseline too @@".to_owned()],
        })
        .collect();
    let body = lines.join("\n");
    let fence = fence(&body);
    let addresses = match entry {
        Entry::Change(_) => String::new(),
        Entry::Group { .. } => {
            let items = entry.addresses();
            let mut list: Vec<String> = items
                .iter()
                .take(LISTED_ADDRESSES)
                .map(|(item, _)| code(item))
                .collect();
            let more: usize = items.iter().skip(LISTED_ADDRESSES).map(|(_, n)| n).sum();
            if more > 0 {
                list.push(format!(
                    "and {} more (the JSON plan file lists every change)",
                    thousands(more)
                ));
            }
            format!("{}\n\n", list.join(", "))
        }
    };
    format!(
        "<details><summary>{} {}</summary>\n\n{addresses}{fence}diff\n{body}\n{fence}\n\n</details>\n",
        title(entry),
        entry.action().as_str()
    )
}

/// The apply report as markdown: totals, then a table of outcomes.
pub(crate) fn report(report: &Report) -> String {
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
