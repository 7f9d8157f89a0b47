//! The number inventory (`vapiform numbers`) as a table for a terminal.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr as _;

use super::{endpoint, escape};
use crate::plan::inventory::Row;

/// The rows as an aligned table with a header, then a count; untrusted text escaped.
pub(crate) fn text(rows: &[Row]) -> String {
    let header = [
        "NUMBER",
        "STATE",
        "CARRIER",
        "VAPI",
        "CALLS GO TO",
        "BUSINESS",
    ];
    let table: Vec<[String; 6]> = rows
        .iter()
        .map(|row| {
            [
                row.number.clone(),
                row.state.as_str().to_owned(),
                row.carrier
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |c| format!("{} {}", c.status, c.id)),
                row.vapi
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |v| format!("{} {}", v.provider, v.id)),
                if row.vapi.is_some() {
                    endpoint(&row.routed_to)
                } else {
                    "-".to_owned()
                },
                row.business.clone().unwrap_or_else(|| "-".to_owned()),
            ]
            .map(|cell| escape::line(&cell).into_owned())
        })
        .collect();
    // Columns line up by the cells a terminal gives each character (a CJK character takes
    // two), not by characters.
    let mut widths = header.map(str::len);
    for cells in &table {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            text.push_str(cell);
            if i + 1 < cells.len() {
                let pad = width - cell.width() + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&header);
    for cells in &table {
        line(&cells.each_ref().map(String::as_str));
    }
    let _ = writeln!(
        out,
        "{} number{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    out
}
