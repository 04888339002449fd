//! `editor_views`: what each Docs and Sheets file shows, derived from its content
//! when the state is exported, so a scenario's checks can read a document's text
//! or a formula's computed value with one query whichever form the content is in
//! (the text a file was seeded or uploaded with, or the structure the Docs or
//! Sheets API made of it). Export only: an import ignores it.
//!
//! One record per document or spreadsheet, keyed by file id:
//! - documents: `text` (the plain text, as Drive exports it) and `paragraphs`
//!   (`text`, and `style`: the paragraph's named style, `NORMAL_TEXT` when unset);
//! - spreadsheets: `sheets`, each with `title`, `values` (rows of formatted values,
//!   as `values.get` answers them: trailing empty cells and rows left out) and
//!   `formulas` (A1 name → formula text).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::docs::{model::Block, Document};
use crate::drive::model::{Content, DriveState, EditorContent, File, DOCUMENT, SPREADSHEET};
use crate::sheets::model::{Input, Spreadsheet};
use crate::sheets::values::{self, DateRender, Render};

#[derive(Debug, Serialize)]
pub struct EditorView {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paragraphs: Option<Vec<ParagraphView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheets: Option<Vec<SheetView>>,
}

#[derive(Debug, Serialize)]
pub struct ParagraphView {
    pub style: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct SheetView {
    pub title: String,
    pub values: Vec<Vec<String>>,
    pub formulas: BTreeMap<String, String>,
}

/// The views of every document and spreadsheet of the domain.
pub fn editor_views(drive: &DriveState) -> BTreeMap<String, EditorView> {
    drive.files.values().filter_map(view_of).map(|v| (v.id.clone(), v)).collect()
}

fn view_of(file: &File) -> Option<EditorView> {
    let mut view = EditorView {
        id: file.id.clone(),
        name: file.name.clone(),
        mime_type: file.mime_type.clone(),
        text: None,
        paragraphs: None,
        sheets: None,
    };
    match (file.mime_type.as_str(), &file.content) {
        (DOCUMENT, Content::Editor(EditorContent::Doc(doc))) => document(&mut view, doc),
        (DOCUMENT, Content::Editor(EditorContent::Text(text))) => document(&mut view, &Document::from_text(text)),
        (SPREADSHEET, Content::Editor(EditorContent::Sheet(book))) => view.sheets = Some(spreadsheet(book)),
        (SPREADSHEET, Content::Editor(EditorContent::Text(text))) => {
            view.sheets = Some(spreadsheet(&crate::sheets::from_csv(text)))
        }
        (DOCUMENT | SPREADSHEET, _) => {}
        _ => return None,
    }
    Some(view)
}

fn document(view: &mut EditorView, doc: &Document) {
    let mut paragraphs = Vec::new();
    let mut push = |p: &crate::docs::model::Para| {
        let style = p.style.get("namedStyleType").and_then(|v| v.as_str()).unwrap_or("NORMAL_TEXT");
        paragraphs.push(ParagraphView { style: style.to_string(), text: p.text() });
    };
    for block in &doc.body {
        match &**block {
            Block::Para(p) => push(p),
            Block::Table(t) => t.rows.iter().flatten().flatten().for_each(&mut push),
        }
    }
    view.text = Some(doc.plain_text());
    view.paragraphs = Some(paragraphs);
}

fn spreadsheet(book: &Spreadsheet) -> Vec<SheetView> {
    book.sheets
        .iter()
        .map(|sheet| {
            let mut rows: Vec<Vec<String>> = Vec::new();
            let mut formulas = BTreeMap::new();
            for (r, row) in sheet.rows.iter() {
                let mut line = Vec::new();
                for (c, cell) in row.iter() {
                    if let Some(Input::Formula(f)) = &cell.input {
                        formulas.insert(crate::sheets::a1::cell_name(*r, *c), f.clone());
                    }
                    let shown = values::render(cell, Render::Formatted, DateRender::SerialNumber)
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    if !shown.is_empty() {
                        line.resize(*c as usize, String::new());
                        line.push(shown);
                    }
                }
                if !line.is_empty() {
                    rows.resize(*r as usize, Vec::new());
                    rows.push(line);
                }
            }
            SheetView { title: sheet.title.clone(), values: rows, formulas }
        })
        .collect()
}
