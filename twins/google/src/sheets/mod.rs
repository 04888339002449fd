//! Google Sheets v4 on the twin. A spreadsheet is a Drive file
//! (`application/vnd.google-apps.spreadsheet`) whose content is a [`Spreadsheet`]:
//! Drive owns the file (name, owner, parents, sharing) and Sheets its cells.
//! `a1` parses ranges, `model` holds the grid, `values` reads and renders cell
//! values, `engine` evaluates formulas (ironcalc), `requests` applies batchUpdate's
//! requests, `api` speaks the wire format.

pub mod a1;
pub mod api;
pub mod discovery;
pub mod engine;
pub mod errors;
pub mod model;
pub mod requests;
pub mod values;

use model::{Cell, Spreadsheet};
use values::{DateRender, InputOption, Render};

/// A spreadsheet built from CSV text (what Drive holds for a spreadsheet uploaded
/// or seeded as text): each field read as USER_ENTERED.
pub fn from_csv(text: &str) -> Spreadsheet {
    let mut book = Spreadsheet::new();
    let rows = parse_csv(text);
    let height = rows.len() as u32;
    let width = rows.iter().map(Vec::len).max().unwrap_or(0) as u32;
    if let Some(sheet) = book.sheets.first_mut() {
        sheet.row_count = sheet.row_count.max(height);
        sheet.column_count = sheet.column_count.max(width);
        for (r, row) in rows.iter().enumerate() {
            for (c, field) in row.iter().enumerate() {
                if let Some((input, number_format)) =
                    values::parse_input(&serde_json::Value::String(field.clone()), InputOption::UserEntered)
                {
                    sheet.put(r as u32, c as u32, Cell { input: Some(input), number_format, ..Cell::default() });
                }
            }
        }
    }
    engine::recalc(&mut book);
    book
}

/// Does CSV text hold a formula (a field starting with `=`)?
pub fn has_formula(text: &str) -> bool {
    parse_csv(text).iter().flatten().any(|f| f.starts_with('=') && f.len() > 1)
}

/// RFC 4180 fields (quotes doubled inside quoted fields).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            (false, c) => field.push(c),
        }
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn csv_field(s: &str, sep: char) -> String {
    if s.contains([sep, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The first sheet's formatted values as CSV (or TSV), as Drive exports a spreadsheet.
pub fn export_delimited(book: &Spreadsheet, sep: char) -> String {
    let Some(sheet) = book.sheets.first() else { return String::new() };
    let Some((last_row, last_col)) = sheet.extent() else { return String::new() };
    let mut out = String::new();
    for r in 0..=last_row {
        let line: Vec<String> = (0..=last_col)
            .map(|c| {
                let text = sheet
                    .cell(r, c)
                    .and_then(|cell| values::render(cell, Render::Formatted, DateRender::SerialNumber))
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                csv_field(&text, sep)
            })
            .collect();
        out.push_str(&line.join(&sep.to_string()));
        if r < last_row {
            out.push_str("\r\n");
        }
    }
    out
}

/// Every formatted value of every sheet, for Drive's `fullText contains`.
pub fn full_text(book: &Spreadsheet) -> String {
    let mut out = String::new();
    for sheet in &book.sheets {
        for row in sheet.rows.values() {
            for cell in row.values() {
                if let Some(v) = values::render(cell, Render::Formatted, DateRender::SerialNumber) {
                    if let Some(t) = v.as_str() {
                        out.push_str(t);
                        out.push(' ');
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_through_json() {
        let book = from_csv("a,=1/0\n2,=A2*3\n");
        let content = crate::drive::model::Content::Editor(crate::drive::model::EditorContent::Sheet(Box::new(book)));
        let json = serde_json::to_value(&content).unwrap();
        let back: crate::drive::model::Content = serde_json::from_value(json).unwrap();
        assert_eq!(back, content);
        let doc = crate::docs::Document::from_text("x😀\n");
        let content =
            crate::drive::model::Content::Editor(crate::drive::model::EditorContent::Doc(std::sync::Arc::new(doc)));
        let back: crate::drive::model::Content =
            serde_json::from_value(serde_json::to_value(&content).unwrap()).unwrap();
        assert_eq!(back, content);
    }

    #[test]
    fn csv_round_trip_with_formulas() {
        let book = from_csv("Name,Amount\n\"Smith, J\",10\nLee,32\nTotal,=SUM(B2:B3)\n");
        assert_eq!(export_delimited(&book, ','), "Name,Amount\r\n\"Smith, J\",10\r\nLee,32\r\nTotal,42");
        assert!(full_text(&book).contains("Smith, J"));
    }
}
