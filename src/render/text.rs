//! terraform-like text: the summary line first, then each change with its marker.
//!
//! Every piece of text goes through [`Palette`], which escapes it (see [`super::escape`])
//! before styling it, so nothing from the account or the file reaches the terminal raw.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::diff::{Mark, field_lines};
use super::{endpoint, escape, hears, marker, refusal, summary_line, totals_line};
use crate::apply::{Outcome, Report, Status};
use crate::plan::{Action, Change, Plan, Untouched};

/// How many objects of each untouched kind the text lists by name.
const LISTED: usize = 10;

/// Escapes text, then styles it (or not, when colour is off).
struct Palette {
    color: bool,
}

impl Palette {
    fn paint(&self, style: Style, text: &str) -> String {
        let text = escape::line(text);
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.into_owned()
        }
    }

    fn plain(&self, text: &str) -> String {
        self.paint(Style::new(), text)
    }

    fn action(&self, action: Action, text: &str) -> String {
        let color = match action {
            Action::Create | Action::Import | Action::Assign => AnsiColor::Green,
            Action::Adopt | Action::Update | Action::Reassign => AnsiColor::Yellow,
            Action::Unlink | Action::Delete => AnsiColor::Red,
        };
        self.paint(Style::new().fg_color(Some(color.into())), text)
    }

    fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }

    fn mark(&self, mark: Mark, text: &str) -> String {
        match mark {
            Mark::Add => self.paint(Style::new().fg_color(Some(AnsiColor::Green.into())), text),
            Mark::Remove => self.paint(Style::new().fg_color(Some(AnsiColor::Red.into())), text),
            Mark::Header => self.paint(Style::new().fg_color(Some(AnsiColor::Cyan.into())), text),
            Mark::Same => self.plain(text),
        }
    }
}

/// The plan as text.
pub fn plan(plan: &Plan, color: bool) -> String {
    let palette = Palette { color };
    let mut out = String::new();
    let _ = writeln!(out, "{}", palette.bold(&summary_line(&plan.summary)));
    if let Some(refusal) = refusal(&plan.safety) {
        let _ = writeln!(
            out,
            "{}",
            palette.paint(
                Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
                &refusal
            )
        );
    }
    if !plan.targets.is_empty() {
        let targets: Vec<String> = plan.targets.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "{}",
            palette.dim(&format!("Limited to --target {}", targets.join(", ")))
        );
    }
    for change in &plan.changes {
        out.push('\n');
        change_text(&mut out, change, &palette);
    }
    untouched(&mut out, &plan.untouched, &palette);
    if !plan.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            palette.dim(&format!("Plan digest: {}", plan.digest))
        );
    }
    out
}

fn change_text(out: &mut String, change: &Change, palette: &Palette) {
    let head = format!("{} {}", marker(change.action), change.address);
    let _ = writeln!(
        out,
        "{} {}",
        palette.action(change.action, &head),
        palette.bold(change.action.as_str())
    );
    if let Some(routing) = &change.routing {
        let _ = writeln!(
            out,
            "    {}",
            palette.plain(&format!(
                "{} → {}",
                endpoint(&routing.from),
                endpoint(&routing.to)
            ))
        );
        let _ = writeln!(
            out,
            "    caller hears: {} → {}",
            hears(&routing.from),
            hears(&routing.to)
        );
    }
    let _ = writeln!(out, "    {}", palette.dim(&change.reason));
    // The routing line already tells the field each endpoint routes by.
    let told = |path: &str| {
        change.routing.as_ref().is_some_and(|routing| {
            [&routing.from, &routing.to]
                .iter()
                .any(|endpoint| endpoint.field() == Some(path))
        })
    };
    for field in change.fields.iter().filter(|field| !told(&field.path)) {
        for line in field_lines(field) {
            let text = match line.mark {
                Mark::Header => format!("  {}:", line.text),
                Mark::Add => format!("+ {}", line.text),
                Mark::Remove => format!("- {}", line.text),
                Mark::Same => format!("  {}", line.text),
            };
            let indent = if line.mark == Mark::Header || !field_is_block(field) {
                "    "
            } else {
                "      "
            };
            let _ = writeln!(out, "{indent}{}", palette.mark(line.mark, &text));
        }
    }
}

/// Whether a field shows as a block of lines under its path.
fn field_is_block(field: &crate::plan::FieldChange) -> bool {
    [&field.before, &field.after]
        .iter()
        .any(|v| matches!(v, Some(serde_json::Value::String(s)) if s.contains('\n')))
}

fn untouched(out: &mut String, untouched: &Untouched, palette: &Palette) {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    if !untouched.left_alone.is_empty() {
        sections.push((
            plural(
                untouched.left_alone.len(),
                "number left alone (unassigned: leave)",
                "numbers left alone (unassigned: leave)",
            ),
            untouched
                .left_alone
                .iter()
                .map(|n| format!("{} → {}", n.number, endpoint(&n.routed_to)))
                .collect(),
        ));
    }
    if !untouched.ignored.is_empty() {
        sections.push((
            plural(untouched.ignored.len(), "ignored number", "ignored numbers"),
            untouched.ignored.clone(),
        ));
    }
    if !untouched.kept_assistants.is_empty() {
        sections.push((
            plural(
                untouched.kept_assistants.len(),
                "labelled assistant kept",
                "labelled assistants kept",
            ),
            untouched
                .kept_assistants
                .iter()
                .map(|k| format!("{} ({}): {}", k.key, k.id, k.reason))
                .collect(),
        ));
    }
    if !untouched.unmanaged_assistants.is_empty() {
        sections.push((
            plural(
                untouched.unmanaged_assistants.len(),
                "unmanaged assistant",
                "unmanaged assistants",
            ),
            untouched
                .unmanaged_assistants
                .iter()
                .map(|a| {
                    a.name
                        .as_ref()
                        .map_or_else(|| a.id.clone(), |name| format!("\"{name}\" ({})", a.id))
                })
                .collect(),
        ));
    }
    if sections.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", palette.bold("Not changed:"));
    for (title, items) in sections {
        let _ = writeln!(out, "  {}", palette.plain(&title));
        for item in items.iter().take(LISTED) {
            let _ = writeln!(out, "    {}", palette.dim(item));
        }
        if items.len() > LISTED {
            let _ = writeln!(
                out,
                "    {}",
                palette.dim(&format!(
                    "… and {} more (see the JSON plan)",
                    items.len() - LISTED
                ))
            );
        }
    }
}

/// One line for a finished change, as apply prints it when not on a terminal.
pub fn outcome_line(outcome: &Outcome, color: bool) -> String {
    let palette = Palette { color };
    let (symbol, color) = match outcome.status {
        Status::Applied => ("✓", AnsiColor::Green),
        Status::AlreadyApplied => ("=", AnsiColor::Green),
        Status::Failed => ("✗", AnsiColor::Red),
        Status::Unverified => ("?", AnsiColor::Yellow),
        Status::Skipped | Status::NotAttempted => ("-", AnsiColor::BrightBlack),
    };
    let status = palette.paint(
        Style::new().fg_color(Some(color.into())),
        &format!("{symbol} {}", outcome.status.as_str()),
    );
    let mut rest = format!("{} {}", outcome.address, outcome.action.as_str());
    if let Some(detail) = &outcome.detail {
        let _ = write!(rest, ": {detail}");
    }
    format!("{status} {}", palette.plain(&rest))
}

/// The apply report as text: one line per change, then the totals.
pub fn report(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for outcome in &report.outcomes {
        let _ = writeln!(out, "{}", outcome_line(outcome, color));
    }
    let _ = writeln!(
        out,
        "{}",
        Palette { color }.bold(&totals_line(&report.totals))
    );
    out
}
