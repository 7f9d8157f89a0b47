//! terraform-like text: the summary line first, then each change with its marker.
//!
//! Every piece of text goes through [`Palette`], which escapes it (see [`super::escape`])
//! before styling it, so nothing from the account or the file reaches the terminal raw.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::diff::{Mark, field_lines};
use super::entries::{Entry, Section, entries};
use super::{
    baseline_note, cost_line, drift_warning, endpoint, escape, group_title, hears, marker, refusal,
    summary_line, totals_line,
};
use crate::apply::{Outcome, Report, Status};
use crate::plan::{Action, Cost, FieldChange, Origin, Plan, Untouched};

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

/// The plan as text, with what applying it costs.
pub(crate) fn plan(plan: &Plan, cost: Option<&Cost>, color: bool) -> String {
    let palette = Palette { color };
    let warning = Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold();
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
    if let Some(note) = baseline_note(&plan.baseline_problems) {
        let _ = writeln!(out, "{}", palette.paint(warning, &note));
    }
    if !plan.targets.is_empty() {
        let targets: Vec<String> = plan.targets.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "{}",
            palette.dim(&format!("Limited to --target {}", targets.join(", ")))
        );
    }
    for (section, items) in entries(plan) {
        if items.is_empty() {
            continue;
        }
        if section == Section::Drift {
            let count = items.iter().map(Entry::len).sum();
            let _ = writeln!(
                out,
                "\n{}",
                palette.paint(warning, &format!("⚠ {}", drift_warning(count)))
            );
        }
        for entry in &items {
            out.push('\n');
            entry_text(&mut out, entry, &palette);
        }
    }
    untouched(&mut out, &plan.untouched, &palette);
    if !plan.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            palette.dim(&format!("Plan digest: {}", plan.digest))
        );
    }
    if let Some(cost) = cost {
        let _ = writeln!(out, "{}", palette.dim(&cost_line(cost)));
    }
    out
}

/// The widest line of a group's addresses.
const ADDRESS_WIDTH: usize = 96;

fn entry_text(out: &mut String, entry: &Entry<'_>, palette: &Palette) {
    let change = entry.first();
    let (head, indent) = match entry {
        Entry::Change(_) => (
            format!("{} {}", marker(change.action()), change.address()),
            None,
        ),
        Entry::Group { group, members } => (
            format!(
                "{} {}",
                marker(change.action()),
                group_title(members.len(), group.template.as_deref())
            ),
            Some(entry.addresses()),
        ),
    };
    let mixed = if change.origin == Some(Origin::Mixed) {
        format!(" {}", palette.dim("(intent and drift)"))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} {}{mixed}",
        palette.action(change.action(), &head),
        palette.bold(change.action().as_str())
    );
    if let Some(addresses) = indent {
        let items: Vec<String> = addresses.into_iter().map(|(item, _)| item).collect();
        for line in wrap(&items, ADDRESS_WIDTH) {
            let _ = writeln!(out, "    {}", palette.plain(&line));
        }
    }
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
            "    {}",
            palette.plain(&format!(
                "caller hears: {} → {}",
                hears(&routing.from),
                hears(&routing.to)
            ))
        );
    }
    let _ = writeln!(out, "    {}", palette.dim(entry.reason()));
    // The routing line already tells the field each endpoint routes by.
    let told = |path: &str| {
        change.routing.as_ref().is_some_and(|routing| {
            [&routing.from, &routing.to]
                .iter()
                .any(|endpoint| endpoint.field() == Some(path))
        })
    };
    let mut fields = entry.fields();
    fields.retain(|(field, _)| !told(&field.path));
    if change.origin == Some(Origin::Mixed) {
        let (drift, asked): (Vec<_>, Vec<_>) = fields
            .into_iter()
            .partition(|(_, origin)| *origin == Some(Origin::Drift));
        fields_text(out, asked.into_iter().map(|(f, _)| f), palette);
        let _ = writeln!(
            out,
            "    {}",
            palette.dim("drift, planned from the baseline too:")
        );
        fields_text(out, drift.into_iter().map(|(f, _)| f), palette);
    } else {
        fields_text(out, fields.into_iter().map(|(f, _)| f), palette);
    }
}

/// Items joined by commas, in lines of at most `width` characters where they fit.
fn wrap(items: &[String], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if !line.is_empty() && line.chars().count() + 1 + piece.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn fields_text<'f>(
    out: &mut String,
    fields: impl Iterator<Item = &'f FieldChange>,
    palette: &Palette,
) {
    for field in fields {
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
    let sections = sections(untouched);
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

/// What the plan leaves as it is, as titled lists; an empty one is left out.
fn sections(untouched: &Untouched) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let mut section = |items: Vec<String>, one: &str, many: &str| {
        let title = match items.len() {
            0 => return,
            1 => format!("1 {one}"),
            n => format!("{n} {many}"),
        };
        sections.push((title, items));
    };
    // Numbers, each with where its calls go.
    let routed = |refs: &[crate::plan::NumberRef]| -> Vec<String> {
        refs.iter()
            .map(|n| format!("{} → {}", n.number, endpoint(&n.routed_to)))
            .collect()
    };
    section(
        routed(&untouched.left_alone),
        "number left alone (unassigned: leave)",
        "numbers left alone (unassigned: leave)",
    );
    section(
        routed(&untouched.kept_hooks),
        "number keeps call.ringing hooks someone else set (they act before its route)",
        "numbers keep call.ringing hooks someone else set (they act before their route)",
    );
    if let Some(carrier) = &untouched.carrier {
        section(
            routed(&carrier.orphans),
            "number in Vapi the carrier no longer owns (calls to it cannot arrive)",
            "numbers in Vapi the carrier no longer owns (calls to them cannot arrive)",
        );
        section(
            carrier.free.clone(),
            "number free at the carrier (active, not in Vapi, listed by no business)",
            "numbers free at the carrier (active, not in Vapi, listed by no business)",
        );
        section(
            carrier
                .inactive
                .iter()
                .map(|n| format!("{} ({})", n.number, n.status))
                .collect(),
            "carrier number not active",
            "carrier numbers not active",
        );
    }
    section(
        untouched.ignored.iter().map(ToString::to_string).collect(),
        "ignored number",
        "ignored numbers",
    );
    section(
        untouched
            .kept_assistants
            .iter()
            .map(|k| format!("{} ({}): {}", k.key, k.id, k.reason))
            .collect(),
        "labelled assistant kept",
        "labelled assistants kept",
    );
    section(
        untouched
            .unmanaged_assistants
            .iter()
            .map(|a| {
                a.name
                    .as_ref()
                    .map_or_else(|| a.id.to_string(), |name| format!("\"{name}\" ({})", a.id))
            })
            .collect(),
        "unmanaged assistant",
        "unmanaged assistants",
    );
    sections
}

/// One line for a finished change, as apply prints it when not on a terminal.
pub(crate) fn outcome_line(outcome: &Outcome, color: bool) -> String {
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
pub(crate) fn report(report: &Report, color: bool) -> String {
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
