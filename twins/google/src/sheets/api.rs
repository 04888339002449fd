//! Sheets v4's wire format: `spreadsheets.create/get/batchUpdate` and the
//! `values` methods. Access is Drive's: a spreadsheet the caller cannot see is
//! 404, one it may only read refuses writes with 403.

use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value as Json};

use super::errors::{respond, snake, ApiError, Result};
use super::model::{Cell, Rect, Sheet, Spreadsheet, CELL_LIMIT};
use super::values::{self, DateRender, InputOption, Render};
use super::{engine, from_csv, requests};
use crate::api::{ok, Call};
use crate::drive::access::{self, Viewer};
use crate::drive::fields::Selection;
use crate::drive::files::{create_file, viewer, Opts};
use crate::drive::model::{Content, EditorContent, Role, SPREADSHEET};
use crate::model::GoogleState;

/// The spreadsheet a Drive file holds (text content becomes one on first use).
pub fn book_of(content: &Content) -> Spreadsheet {
    match content {
        Content::Editor(EditorContent::Sheet(book)) => (**book).clone(),
        Content::Editor(EditorContent::Text(text)) => from_csv(text),
        _ => Spreadsheet::new(),
    }
}

fn find(s: &GoogleState, viewer: &Viewer, id: &str) -> Result<(String, Spreadsheet, Role)> {
    let file = s.drive.files.get(id).ok_or_else(ApiError::not_found)?;
    if file.mime_type != SPREADSHEET || file.trashed && file.owner.as_deref() != Some(viewer.email.as_str()) {
        return Err(ApiError::not_found());
    }
    let role = access::role(s, file, viewer, false).ok_or_else(ApiError::not_found)?;
    Ok((file.name.clone(), book_of(&file.content), role))
}

/// Reads a spreadsheet the caller can see.
fn read_book(call: &Call) -> Result<(Viewer, String, Spreadsheet)> {
    engine::set_clock(call.now());
    let viewer = viewer(call)?;
    let id = call.param("spreadsheetId").to_string();
    let (title, book, _) = call.read(|s| find(s, &viewer, &id))??;
    Ok((viewer, title, book))
}

/// Changes a spreadsheet the caller may edit, all or nothing: `f` works on a copy
/// that is recalculated and stored only when it succeeds.
fn edit<R>(
    call: &Call,
    f: impl FnOnce(&mut Spreadsheet, &mut String) -> Result<R>,
) -> Result<(R, Spreadsheet, String)> {
    edit_within(call, |book, title| Ok((f(book, title)?, None)))
}

/// [`edit`] for a change that writes cells of one rectangle and nothing else (`f`
/// returns it, None when nothing was written): the engine is handed those cells
/// without comparing the sheets.
fn edit_within<R>(
    call: &Call,
    f: impl FnOnce(&mut Spreadsheet, &mut String) -> Result<(R, Option<Rect>)>,
) -> Result<(R, Spreadsheet, String)> {
    let viewer = viewer(call)?;
    let id = call.param("spreadsheetId").to_string();
    let now = call.now();
    engine::set_clock(now);
    let cache = engine_cache(call);
    // The spreadsheet is an owned copy: a refusal returns before `store`, so the
    // state is untouched and nothing is half-applied.
    call.write(|s, _| {
        Ok((|| {
            let (mut title, mut book, role) = find(s, &viewer, &id)?;
            if role < Role::Writer {
                return Err(ApiError::denied());
            }
            let base = book.clone();
            let (r, wrote) = f(&mut book, &mut title)?;
            if book.cells() > CELL_LIMIT {
                return Err(ApiError::invalid(format!(
                    "This action would increase the number of cells in the workbook above the limit of {CELL_LIMIT} cells."
                )));
            }
            let touched = wrote.map(|rect| engine::Touched { base: &base, rect });
            engine::recalc_cached(&mut book, &cache, &id, touched.as_ref());
            store(s, &id, &book, &title, &viewer.email, now);
            Ok((r, book, title))
        })())
    })?
}

/// The universe's evaluated engine workbooks (runtime, not state).
fn engine_cache(call: &Call) -> std::sync::Arc<engine::Cache> {
    call.ctx.universe.runtime(engine::Cache::default)
}

/// Writes the spreadsheet back into its Drive file (a new version of it).
pub fn store(s: &mut GoogleState, id: &str, book: &Spreadsheet, title: &str, who: &str, now: DateTime<Utc>) {
    s.drive.files.update(id, |file| {
        file.content = Content::Editor(EditorContent::Sheet(Box::new(book.clone())));
        file.name = title.to_string();
        file.version += 1;
        file.modified_time = now;
        file.last_modifying_user = Some(who.to_string());
    });
    s.drive.record_change(Some(id), None, false, now);
}

pub fn spreadsheet_url(id: &str) -> String {
    format!("https://docs.google.com/spreadsheets/d/{id}/edit")
}

fn grid_range_json(r: &Rect) -> Json {
    json!({"sheetId": r.sheet_id, "startRowIndex": r.start_row, "endRowIndex": r.end_row,
           "startColumnIndex": r.start_col, "endColumnIndex": r.end_col})
}

pub fn sheet_properties(sheet: &Sheet, index: usize) -> Json {
    let mut grid = json!({"rowCount": sheet.row_count, "columnCount": sheet.column_count});
    if sheet.frozen_rows > 0 {
        grid["frozenRowCount"] = json!(sheet.frozen_rows);
    }
    if sheet.frozen_columns > 0 {
        grid["frozenColumnCount"] = json!(sheet.frozen_columns);
    }
    let mut p =
        json!({"sheetId": sheet.id, "title": sheet.title, "index": index, "sheetType": "GRID", "gridProperties": grid});
    if sheet.hidden {
        p["hidden"] = json!(true);
    }
    if sheet.right_to_left {
        p["rightToLeft"] = json!(true);
    }
    if let Some(c) = &sheet.tab_color {
        p["tabColor"] = c.clone();
        p["tabColorStyle"] = json!({"rgbColor": c});
    }
    p
}

pub fn spreadsheet_properties(book: &Spreadsheet, title: &str) -> Json {
    let mut p = json!({
        "title": title,
        "locale": book.locale,
        "autoRecalc": book.auto_recalc,
        "timeZone": book.time_zone,
        "defaultFormat": {
            "backgroundColor": {"red": 1, "green": 1, "blue": 1},
            "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
            "verticalAlignment": "BOTTOM",
            "wrapStrategy": "OVERFLOW_CELL",
            "textFormat": {"foregroundColor": {}, "fontFamily": "arial,sans,sans-serif", "fontSize": 10,
                            "bold": false, "italic": false, "strikethrough": false, "underline": false},
        },
    });
    for (k, v) in &book.extra_properties {
        p[k] = v.clone();
    }
    p
}

/// One cell as grid data shows it (`CellData`).
pub fn cell_data(cell: &Cell) -> Json {
    let mut out = Map::new();
    if let Some(input) = &cell.input {
        out.insert("userEnteredValue".into(), values::input_extended(input));
        let value = cell.value();
        if let Some(e) = values::extended(&value) {
            out.insert("effectiveValue".into(), e);
        }
        out.insert("formattedValue".into(), json!(values::formatted(&value, cell.effective_format())));
    }
    let mut format = cell.format.clone().unwrap_or(Json::Null);
    if let Some(nf) = &cell.number_format {
        if !format.is_object() {
            format = json!({});
        }
        format["numberFormat"] = json!({"type": nf.kind, "pattern": nf.pattern});
    }
    let mut effective = format.clone();
    if let (None, Some(nf)) = (&cell.number_format, &cell.auto_format) {
        if !effective.is_object() {
            effective = json!({});
        }
        effective["numberFormat"] = json!({"type": nf.kind, "pattern": nf.pattern});
    }
    if format.is_object() {
        out.insert("userEnteredFormat".into(), format);
    }
    if effective.is_object() {
        out.insert("effectiveFormat".into(), effective);
    }
    if let Some(n) = &cell.note {
        out.insert("note".into(), json!(n));
    }
    if let Some(v) = &cell.validation {
        out.insert("dataValidation".into(), v.clone());
    }
    Json::Object(out)
}

fn grid_data(sheet: &Sheet, rect: &Rect) -> Json {
    let end_row = sheet.rows.range(rect.start_row..rect.end_row.max(rect.start_row)).next_back().map(|(r, _)| r + 1);
    let row_data: Vec<Json> = match end_row {
        Some(end) => (rect.start_row..end)
            .map(|r| {
                let row = sheet.rows.get(&r);
                let last = row.and_then(|row| {
                    row.range(rect.start_col..rect.end_col.max(rect.start_col)).next_back().map(|(c, _)| *c + 1)
                });
                match (row, last) {
                    (Some(row), Some(last)) => {
                        let cells: Vec<Json> = (rect.start_col..last)
                            .map(|c| row.get(&c).map(|cell| cell_data(cell)).unwrap_or_else(|| json!({})))
                            .collect();
                        json!({"values": cells})
                    }
                    _ => json!({}),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let mut d = json!({
        "rowMetadata": (rect.start_row..rect.end_row).map(|r| json!({"pixelSize": sheet.row_sizes.get(&r).copied().unwrap_or(21)})).collect::<Vec<_>>(),
        "columnMetadata": (rect.start_col..rect.end_col).map(|c| json!({"pixelSize": sheet.col_sizes.get(&c).copied().unwrap_or(100)})).collect::<Vec<_>>(),
    });
    if rect.start_row > 0 {
        d["startRow"] = json!(rect.start_row);
    }
    if rect.start_col > 0 {
        d["startColumn"] = json!(rect.start_col);
    }
    if !row_data.is_empty() {
        d["rowData"] = json!(row_data);
    }
    d
}

/// The `Spreadsheet` resource; `grid` adds each sheet's cells within `ranges`
/// (every sheet whole when `ranges` is empty).
pub fn spreadsheet_json(id: &str, title: &str, book: &Spreadsheet, grid: bool, ranges: &[Rect]) -> Json {
    let sheets: Vec<Json> = book
        .sheets
        .iter()
        .enumerate()
        .filter(|(_, sh)| ranges.is_empty() || ranges.iter().any(|r| r.sheet_id == sh.id))
        .map(|(i, sh)| {
            let mut out = json!({"properties": sheet_properties(sh, i)});
            if grid {
                let rects: Vec<Rect> = if ranges.is_empty() {
                    vec![sh.whole()]
                } else {
                    ranges.iter().filter(|r| r.sheet_id == sh.id).copied().collect()
                };
                out["data"] = json!(rects.iter().map(|r| grid_data(sh, r)).collect::<Vec<_>>());
            }
            if !sh.merges.is_empty() {
                out["merges"] = json!(sh.merges.iter().map(grid_range_json).collect::<Vec<_>>());
            }
            if let Some(f) = &sh.basic_filter {
                out["basicFilter"] = f.clone();
            }
            if !sh.protected.is_empty() {
                out["protectedRanges"] = json!(sh.protected);
            }
            if !sh.conditional.is_empty() {
                out["conditionalFormats"] = json!(sh.conditional);
            }
            out
        })
        .collect();
    let mut out = json!({
        "spreadsheetId": id,
        "properties": spreadsheet_properties(book, title),
        "sheets": sheets,
        "spreadsheetUrl": spreadsheet_url(id),
    });
    if !book.named_ranges.is_empty() {
        out["namedRanges"] = json!(book
            .named_ranges
            .iter()
            .map(|n| json!({"namedRangeId": n.id, "name": n.name, "range": grid_range_json(&n.range)}))
            .collect::<Vec<_>>());
    }
    out
}

/// Sheets and Docs refuse members their request schema lacks.
pub fn known(body: &Json, names: &[&str]) -> Result<()> {
    if let Some(o) = body.as_object() {
        if let Some(k) = o.keys().find(|k| !names.contains(&k.as_str())) {
            return Err(ApiError::invalid(format!(
                "Invalid JSON payload received. Unknown name \"{k}\": Cannot find field."
            )));
        }
    }
    Ok(())
}

fn selection(call: &Call) -> Result<Option<Selection>> {
    match call.q("fields").map(str::trim) {
        Some(f) if !f.is_empty() => Selection::parse(f)
            .map(Some)
            .map_err(|bad| ApiError::invalid(format!("Request contains an invalid argument. (fields: {bad})"))),
        _ => Ok(None),
    }
}

fn reply(call: &Call, body: Json) -> Result<Response> {
    Ok(ok(&match selection(call)? {
        Some(sel) => sel.apply(body),
        None => body,
    }))
}

fn flag(call: &Call, name: &str) -> Result<bool> {
    call.flag(name).map_err(|_| {
        ApiError::invalid(format!("Invalid value at '{name}' (TYPE_BOOL), \"{}\"", call.q(name).unwrap_or("")))
    })
}

// --- spreadsheets ------------------------------------------------------------

pub fn create(call: &Call) -> crate::errors::Result<Response> {
    respond(create_inner(call))
}

fn create_inner(call: &Call) -> Result<Response> {
    engine::set_clock(call.now());
    let viewer = viewer(call)?;
    let body = call.json()?;
    known(
        &body,
        &[
            "spreadsheetId",
            "properties",
            "sheets",
            "namedRanges",
            "spreadsheetUrl",
            "developerMetadata",
            "dataSources",
            "dataSourceSchedules",
        ],
    )?;
    let title = body["properties"]["title"].as_str().unwrap_or("Untitled spreadsheet").to_string();
    let mut book = Spreadsheet::new();
    if let Some(l) = body["properties"]["locale"].as_str() {
        book.locale = l.to_string();
    }
    if let Some(t) = body["properties"]["timeZone"].as_str() {
        book.time_zone = t.to_string();
    }
    if let Some(sheets) = body["sheets"].as_array().filter(|a| !a.is_empty()) {
        book.sheets.clear();
        for (i, spec) in sheets.iter().enumerate() {
            requests::add_sheet(&mut book, &spec["properties"], i).map_err(|m| ApiError::invalid(m.to_string()))?;
            let sheet_id = book.sheets.last().map_or(0, |s| s.id);
            for data in spec["data"].as_array().into_iter().flatten() {
                let start_row = data["startRow"].as_u64().unwrap_or(0) as u32;
                let start_col = data["startColumn"].as_u64().unwrap_or(0) as u32;
                requests::write_rows(&mut book, sheet_id, start_row, start_col, &data["rowData"], "*", true)
                    .map_err(|m| ApiError::invalid(m.to_string()))?;
            }
        }
    }
    if book.cells() > CELL_LIMIT {
        return Err(ApiError::invalid(format!(
            "This action would increase the number of cells in the workbook above the limit of {CELL_LIMIT} cells."
        )));
    }
    engine::recalc(&mut book);
    let now = call.now();
    let id = call.write(|s, ids| {
        let meta = json!({"name": title, "mimeType": SPREADSHEET});
        let id = create_file(s, ids, &viewer, &meta, None, Opts { all_drives: true, keep_forever: false, now })?;
        store(s, &id, &book, &title, &viewer.email, now);
        s.drive.files.update(&id, |f| f.version = 1);
        Ok(id)
    })?;
    reply(call, spreadsheet_json(&id, &title, &book, false, &[]))
}

pub fn get(call: &Call) -> crate::errors::Result<Response> {
    respond(get_inner(call))
}

fn get_inner(call: &Call) -> Result<Response> {
    let (_, title, book) = read_book(call)?;
    let grid = flag(call, "includeGridData")?;
    let ranges = call
        .q_all("ranges")
        .into_iter()
        .map(|r| book.resolve(r).map_err(|_| ApiError::bad_range(r)))
        .collect::<Result<Vec<_>>>()?;
    let id = call.param("spreadsheetId");
    // A `fields` naming grid data asks for it too.
    let wants_grid =
        grid || call.q("fields").is_some_and(|f| f.contains("data") && !f.contains("data)") || f.contains("data("));
    reply(call, spreadsheet_json(id, &title, &book, wants_grid, &ranges))
}

/// `spreadsheets.getByDataFilter`: `get` with ranges named by A1 text or grid ranges.
pub fn get_by_data_filter(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let (_, title, book) = read_book(call)?;
        let body = call.json()?;
        known(&body, &["dataFilters", "includeGridData", "excludeTablesInBandedRanges"])?;
        let grid = body["includeGridData"].as_bool().unwrap_or(false);
        let mut ranges = Vec::new();
        for (i, f) in body["dataFilters"].as_array().into_iter().flatten().enumerate() {
            if let Some(a1) = f["a1Range"].as_str() {
                ranges.push(book.resolve(a1).map_err(|_| ApiError::bad_range(a1))?);
            } else if f["gridRange"].is_object() {
                ranges.push(
                    requests::grid_range(&book, &f["gridRange"])
                        .map_err(|m| ApiError::invalid(format!("Invalid dataFilters[{i}]: {m}")))?,
                );
            } else {
                return Err(ApiError::invalid(format!(
                    "Invalid dataFilters[{i}]: developer metadata filters are not supported by this twin."
                )));
            }
        }
        reply(call, spreadsheet_json(call.param("spreadsheetId"), &title, &book, grid, &ranges))
    })())
}

pub fn batch_update(call: &Call) -> crate::errors::Result<Response> {
    respond(batch_update_inner(call))
}

fn batch_update_inner(call: &Call) -> Result<Response> {
    let body = call.json()?;
    known(&body, &["requests", "includeSpreadsheetInResponse", "responseRanges", "responseIncludeGridData"])?;
    let reqs = match &body["requests"] {
        Json::Array(a) => a.clone(),
        Json::Null => Vec::new(),
        _ => return Err(ApiError::invalid("Invalid JSON payload received. Invalid value at 'requests'.")),
    };
    let include = body["includeSpreadsheetInResponse"].as_bool().unwrap_or(false);
    let grid = body["responseIncludeGridData"].as_bool().unwrap_or(false);
    let response_ranges: Vec<String> = body["responseRanges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let cache = engine_cache(call);
    let id = call.param("spreadsheetId").to_string();
    let (replies, book, title) = edit(call, |book, title| {
        let mut replies = Vec::with_capacity(reqs.len());
        for (i, req) in reqs.iter().enumerate() {
            replies.push(requests::apply(book, title, req, i)?);
            // Formulas see earlier requests' results (findReplace, sortRange read values).
            engine::recalc_cached(book, &cache, &id, None);
        }
        Ok(replies)
    })?;
    let id = call.param("spreadsheetId");
    let mut out = json!({"spreadsheetId": id, "replies": replies});
    if include {
        let ranges = response_ranges
            .iter()
            .map(|r| book.resolve(r).map_err(|_| ApiError::bad_range(r)))
            .collect::<Result<Vec<_>>>()?;
        out["updatedSpreadsheet"] = spreadsheet_json(id, &title, &book, grid, &ranges);
    }
    Ok(ok(&out))
}

// --- values ------------------------------------------------------------------

fn render_option(call: &Call, name: &str) -> Result<Render> {
    match call.q(name) {
        None | Some("") | Some("FORMATTED_VALUE") => Ok(Render::Formatted),
        Some("UNFORMATTED_VALUE") => Ok(Render::Unformatted),
        Some("FORMULA") => Ok(Render::Formula),
        Some(other) => Err(invalid_enum(name, "ValueRenderOption", other)),
    }
}

fn date_option(call: &Call, name: &str) -> Result<DateRender> {
    match call.q(name) {
        None | Some("") | Some("SERIAL_NUMBER") => Ok(DateRender::SerialNumber),
        Some("FORMATTED_STRING") => Ok(DateRender::FormattedString),
        Some(other) => Err(invalid_enum(name, "DateTimeRenderOption", other)),
    }
}

fn invalid_enum(name: &str, kind: &str, value: &str) -> ApiError {
    ApiError::invalid(format!(
        "Invalid value at '{}' (type.googleapis.com/google.apps.sheets.v4.{kind}), \"{value}\"",
        snake(name)
    ))
}

fn input_option(value: Option<&str>, name: &str) -> Result<InputOption> {
    match value {
        Some("RAW") => Ok(InputOption::Raw),
        Some("USER_ENTERED") => Ok(InputOption::UserEntered),
        None | Some("") | Some("INPUT_VALUE_OPTION_UNSPECIFIED") => {
            Err(ApiError::invalid(format!("'{name}' is required but not specified")))
        }
        Some(other) => Err(invalid_enum(name, "ValueInputOption", other)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Major {
    Rows,
    Columns,
}

fn major(value: Option<&str>, name: &str) -> Result<Major> {
    match value {
        None | Some("") | Some("ROWS") | Some("DIMENSION_UNSPECIFIED") => Ok(Major::Rows),
        Some("COLUMNS") => Ok(Major::Columns),
        Some(other) => Err(invalid_enum(name, "Dimension", other)),
    }
}

/// The rectangle a read names, refused past the grid.
fn read_rect(book: &Spreadsheet, range: &str) -> Result<Rect> {
    let rect = book.resolve(range).map_err(|_| ApiError::bad_range(range))?;
    let sheet = book.sheet(rect.sheet_id).ok_or_else(|| ApiError::bad_range(range))?;
    if rect.end_row > sheet.row_count || rect.end_col > sheet.column_count {
        return Err(ApiError::invalid(format!(
            "Range ('{}'!{}) exceeds grid limits. Max rows: {}, max columns: {}",
            sheet.title,
            book.a1_of(&rect).rsplit_once('!').map_or("", |(_, c)| c),
            sheet.row_count,
            sheet.column_count
        )));
    }
    Ok(rect)
}

/// A `ValueRange`: trailing empty rows and cells dropped, `values` absent when
/// nothing is left. Borrowed from the spreadsheet, and serialized straight out.
#[derive(serde::Serialize)]
struct ValueRange<'a> {
    range: String,
    #[serde(rename = "majorDimension")]
    major_dimension: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    values: Vec<Vec<values::Shown<'a>>>,
}

fn value_range_of<'a>(
    book: &'a Spreadsheet,
    rect: &Rect,
    render: Render,
    dates: DateRender,
    dim: Major,
) -> ValueRange<'a> {
    let major_dimension = if dim == Major::Rows { "ROWS" } else { "COLUMNS" };
    let mut out = ValueRange { range: book.a1_of(rect), major_dimension, values: Vec::new() };
    let Some(sheet) = book.sheet(rect.sheet_id) else { return out };
    let (outer, inner) = match dim {
        Major::Rows => (rect.start_row, rect.start_col),
        Major::Columns => (rect.start_col, rect.start_row),
    };
    // Only positions holding a cell matter; walk the stored cells of the rectangle
    // (row by row, which is the order of a ROWS answer).
    let shown = sheet.cells_in(rect).filter_map(|(r, c, cell)| values::shown(cell, render, dates).map(|v| (r, c, v)));
    let place = |grid: &mut Vec<Vec<values::Shown<'a>>>, (o, i): (u32, u32), v| {
        let (o, i) = ((o - outer) as usize, (i - inner) as usize);
        if grid.len() <= o {
            grid.resize(o + 1, Vec::new());
        }
        let line = &mut grid[o];
        if line.len() < i {
            line.resize(i, values::Shown::BLANK);
        }
        line.push(v);
    };
    if dim == Major::Rows {
        shown.for_each(|(r, c, v)| place(&mut out.values, (r, c), v));
    } else {
        let mut cells: Vec<_> = shown.collect();
        cells.sort_by_key(|(r, c, _)| (*c, *r));
        cells.into_iter().for_each(|(r, c, v)| place(&mut out.values, (c, r), v));
    }
    out
}

fn value_range(book: &Spreadsheet, rect: &Rect, render: Render, dates: DateRender, dim: Major) -> Json {
    serde_json::to_value(value_range_of(book, rect, render, dates, dim)).unwrap_or(Json::Null)
}

pub fn values_get(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let (_, _, book) = read_book(call)?;
        let render = render_option(call, "valueRenderOption")?;
        let dates = date_option(call, "dateTimeRenderOption")?;
        let dim = major(call.q("majorDimension"), "majorDimension")?;
        let rect = read_rect(&book, call.param("range"))?;
        match selection(call)? {
            Some(sel) => Ok(ok(&sel.apply(value_range(&book, &rect, render, dates, dim)))),
            None => Ok(crate::api::ok_serialized(&value_range_of(&book, &rect, render, dates, dim))),
        }
    })())
}

pub fn values_batch_get(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let (_, _, book) = read_book(call)?;
        let render = render_option(call, "valueRenderOption")?;
        let dates = date_option(call, "dateTimeRenderOption")?;
        let dim = major(call.q("majorDimension"), "majorDimension")?;
        let ranges = call
            .q_all("ranges")
            .into_iter()
            .map(|r| read_rect(&book, r).map(|rect| value_range(&book, &rect, render, dates, dim)))
            .collect::<Result<Vec<_>>>()?;
        reply(call, json!({"spreadsheetId": call.param("spreadsheetId"), "valueRanges": ranges}))
    })())
}

/// `values.batchGetByDataFilter`: value ranges named by A1 text or grid ranges.
pub fn values_batch_get_by_data_filter(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let (_, _, book) = read_book(call)?;
        let body = call.json()?;
        known(&body, &["dataFilters", "majorDimension", "valueRenderOption", "dateTimeRenderOption"])?;
        let render = match body["valueRenderOption"].as_str() {
            None | Some("FORMATTED_VALUE") => Render::Formatted,
            Some("UNFORMATTED_VALUE") => Render::Unformatted,
            Some("FORMULA") => Render::Formula,
            Some(other) => return Err(invalid_enum("valueRenderOption", "ValueRenderOption", other)),
        };
        let dates = match body["dateTimeRenderOption"].as_str() {
            None | Some("SERIAL_NUMBER") => DateRender::SerialNumber,
            Some("FORMATTED_STRING") => DateRender::FormattedString,
            Some(other) => return Err(invalid_enum("dateTimeRenderOption", "DateTimeRenderOption", other)),
        };
        let dim = major(body["majorDimension"].as_str(), "majorDimension")?;
        let mut out = Vec::new();
        for (i, f) in body["dataFilters"].as_array().into_iter().flatten().enumerate() {
            let rect = if let Some(a1) = f["a1Range"].as_str() {
                read_rect(&book, a1)?
            } else if f["gridRange"].is_object() {
                requests::grid_range(&book, &f["gridRange"])
                    .map_err(|m| ApiError::invalid(format!("Invalid dataFilters[{i}]: {m}")))?
            } else {
                return Err(ApiError::invalid(format!(
                    "Invalid dataFilters[{i}]: developer metadata filters are not supported by this twin."
                )));
            };
            out.push(json!({"valueRange": value_range(&book, &rect, render, dates, dim), "dataFilters": [f]}));
        }
        reply(call, json!({"spreadsheetId": call.param("spreadsheetId"), "valueRanges": out}))
    })())
}

/// Grows a sheet so `rows × cols` fit (writes past the grid extend it, as Sheets does).
fn grow(sheet: &mut Sheet, rows: u32, cols: u32) {
    sheet.row_count = sheet.row_count.max(rows);
    sheet.column_count = sheet.column_count.max(cols);
}

/// Writes a `values` array at a rectangle; returns the rectangle written.
fn write_values(
    book: &mut Spreadsheet,
    rect: &Rect,
    bounded: bool,
    data: &Json,
    option: InputOption,
    dim: Major,
) -> Result<Option<Rect>> {
    let rows = match data {
        Json::Array(a) => a,
        Json::Null => return Ok(None),
        _ => {
            return Err(ApiError::invalid(
                "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue)",
            ))
        }
    };
    let range_text = book.a1_of(rect);
    let mut cells: Vec<(u32, u32, &Json)> = Vec::new();
    let (mut max_o, mut max_i) = (0u32, 0u32);
    for (o, line) in rows.iter().enumerate() {
        let line = match line {
            Json::Array(l) => l,
            _ => return Err(ApiError::invalid(format!("Invalid values[{o}]: list expected"))),
        };
        max_o = max_o.max(o as u32 + 1);
        max_i = max_i.max(line.len() as u32);
        for (i, v) in line.iter().enumerate() {
            let (r, c) = match dim {
                Major::Rows => (rect.start_row + o as u32, rect.start_col + i as u32),
                Major::Columns => (rect.start_row + i as u32, rect.start_col + o as u32),
            };
            if bounded && c >= rect.end_col {
                return Err(ApiError::invalid(format!(
                    "Requested writing within range [{range_text}], but tried writing to column [{}]",
                    super::a1::col_name(c)
                )));
            }
            if bounded && r >= rect.end_row {
                return Err(ApiError::invalid(format!(
                    "Requested writing within range [{range_text}], but tried writing to row [{}]",
                    r + 1
                )));
            }
            if v.as_str().is_some_and(|s| s.chars().count() > super::model::CELL_TEXT_LIMIT) {
                return Err(ApiError::invalid(format!(
                    "Your input contains more than the maximum of {} characters in a single cell.",
                    super::model::CELL_TEXT_LIMIT
                )));
            }
            cells.push((r, c, v));
        }
    }
    if max_o == 0 || max_i == 0 {
        return Ok(None);
    }
    let (height, width) = if dim == Major::Rows { (max_o, max_i) } else { (max_i, max_o) };
    let written = Rect {
        sheet_id: rect.sheet_id,
        start_row: rect.start_row,
        end_row: rect.start_row + height,
        start_col: rect.start_col,
        end_col: rect.start_col + width,
    };
    let sheet = book.sheet_mut(rect.sheet_id).ok_or_else(|| ApiError::bad_range(&range_text))?;
    grow(sheet, written.end_row, written.end_col);
    for (r, c, v) in cells {
        if v.is_null() {
            continue;
        }
        let parsed = values::parse_input(v, option);
        sheet.update(r, c, |cell| {
            cell.result = None;
            match parsed {
                Some((input, nf)) => {
                    cell.input = Some(input);
                    if nf.is_some() {
                        cell.number_format = nf;
                    }
                }
                None => cell.input = None,
            }
        });
    }
    Ok(Some(written))
}

fn update_response(book: &Spreadsheet, id: &str, written: Option<Rect>, fallback: &Rect) -> Json {
    match written {
        Some(w) => json!({
            "spreadsheetId": id,
            "updatedRange": book.a1_of(&w),
            "updatedRows": w.rows(),
            "updatedColumns": w.cols(),
            "updatedCells": w.rows() * w.cols(),
        }),
        None => json!({"spreadsheetId": id, "updatedRange": book.a1_of(fallback)}),
    }
}

fn is_bounded(range: &str) -> bool {
    // A single cell is where the data starts; a larger range bounds it.
    match super::a1::parse(range) {
        Ok(a) => match a.cells {
            Some((x, y)) => x != y,
            None => true,
        },
        Err(_) => true,
    }
}

fn values_in_response(
    call: &Call,
    body: &Json,
    book: &Spreadsheet,
    written: Option<Rect>,
    out: &mut Json,
) -> Result<()> {
    let include = body["includeValuesInResponse"].as_bool().unwrap_or(false) || flag(call, "includeValuesInResponse")?;
    if include {
        if let Some(w) = written {
            let render = render_option(call, "responseValueRenderOption")?;
            let dates = date_option(call, "responseDateTimeRenderOption")?;
            out["updatedData"] = value_range(book, &w, render, dates, Major::Rows);
        }
    }
    Ok(())
}

pub fn values_update(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let option = input_option(call.q("valueInputOption"), "valueInputOption")?;
        let body = call.json()?;
        known(&body, &["range", "majorDimension", "values"])?;
        let range = call.param("range").to_string();
        // The body may name the range too; it must be the same range (spelled as it likes).
        let body_range = body["range"].as_str().map(str::to_string);
        let dim = major(body["majorDimension"].as_str(), "majorDimension")?;
        let ((written, rect), book, _) = edit_within(call, |book, _| {
            let rect = book.resolve(&range).map_err(|_| ApiError::bad_range(&range))?;
            if let Some(r) = &body_range {
                if book.resolve(r).ok() != Some(rect) {
                    return Err(ApiError::invalid(format!(
                        "Requested range [{r}] does not match the range in the URL [{range}]"
                    )));
                }
            }
            let written = write_values(book, &rect, is_bounded(&range), &body["values"], option, dim)?;
            Ok(((written, rect), written))
        })?;
        let mut out = update_response(&book, call.param("spreadsheetId"), written, &rect);
        values_in_response(call, &body, &book, written, &mut out)?;
        Ok(ok(&out))
    })())
}

pub fn values_batch_update(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let body = call.json()?;
        known(
            &body,
            &[
                "valueInputOption",
                "data",
                "includeValuesInResponse",
                "responseValueRenderOption",
                "responseDateTimeRenderOption",
            ],
        )?;
        let option = input_option(body["valueInputOption"].as_str(), "valueInputOption")?;
        let data = body["data"].as_array().cloned().unwrap_or_default();
        let (written, book, _) = edit(call, |book, _| {
            let mut out = Vec::new();
            for vr in &data {
                let range = vr["range"].as_str().unwrap_or("");
                let rect = book.resolve(range).map_err(|_| ApiError::bad_range(range))?;
                let dim = major(vr["majorDimension"].as_str(), "data.majorDimension")?;
                out.push((write_values(book, &rect, is_bounded(range), &vr["values"], option, dim)?, rect));
            }
            Ok(out)
        })?;
        let id = call.param("spreadsheetId");
        let mut responses = Vec::new();
        let (mut rows, mut cols, mut cells) = (0u32, 0u32, 0u32);
        let mut sheets = std::collections::BTreeSet::new();
        for (w, rect) in &written {
            let mut r = update_response(&book, id, *w, rect);
            values_in_response(call, &body, &book, *w, &mut r)?;
            if let Some(w) = w {
                rows += w.rows();
                cols += w.cols();
                cells += w.rows() * w.cols();
                sheets.insert(w.sheet_id);
            }
            responses.push(r);
        }
        let mut out = json!({"spreadsheetId": id, "responses": responses});
        if cells > 0 {
            out["totalUpdatedRows"] = json!(rows);
            out["totalUpdatedColumns"] = json!(cols);
            out["totalUpdatedCells"] = json!(cells);
            out["totalUpdatedSheets"] = json!(sheets.len());
        }
        Ok(ok(&out))
    })())
}

/// The table `values.append` finds: the first run of non-empty rows in the range's
/// columns at or after its first row. Returns (first row, end row, first column).
fn find_table(sheet: &Sheet, rect: &Rect) -> Option<(u32, u32, u32)> {
    let has = |r: u32| -> Option<u32> {
        sheet.rows.get(&r).and_then(|row| {
            row.range(rect.start_col..rect.end_col.max(rect.start_col + 1))
                .find(|(_, c)| c.input.is_some())
                .map(|(c, _)| *c)
        })
    };
    let first = sheet
        .rows
        .range(rect.start_row..rect.end_row.max(rect.start_row + 1))
        .find(|(r, _)| has(**r).is_some())
        .map(|(r, _)| *r)?;
    let mut end = first;
    let mut left = u32::MAX;
    while let Some(c) = has(end) {
        left = left.min(c);
        end += 1;
    }
    Some((first, end, left))
}

pub fn values_append(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let option = input_option(call.q("valueInputOption"), "valueInputOption")?;
        let insert = match call.q("insertDataOption") {
            None | Some("") | Some("OVERWRITE") => false,
            Some("INSERT_ROWS") => true,
            Some(other) => return Err(invalid_enum("insertDataOption", "InsertDataOption", other)),
        };
        let body = call.json()?;
        known(&body, &["range", "majorDimension", "values"])?;
        let range = call.param("range").to_string();
        let dim = major(body["majorDimension"].as_str(), "majorDimension")?;
        let ((written, table), book, _) = edit(call, |book, _| {
            let rect = book.resolve(&range).map_err(|_| ApiError::bad_range(&range))?;
            let sheet = book.sheet(rect.sheet_id).ok_or_else(|| ApiError::bad_range(&range))?;
            let table = find_table(sheet, &rect);
            let (row, col) = match table {
                Some((_, end, left)) => (end, left.min(rect.start_col.max(left))),
                None => (rect.start_row, rect.start_col),
            };
            let height = match (&body["values"], dim) {
                (Json::Array(a), Major::Rows) => a.len() as u32,
                (Json::Array(a), Major::Columns) => {
                    a.iter().filter_map(|l| l.as_array().map(Vec::len)).max().unwrap_or(0) as u32
                }
                _ => 0,
            };
            if insert && height > 0 {
                requests::insert_rows(book, rect.sheet_id, row, height);
            }
            let at =
                Rect { sheet_id: rect.sheet_id, start_row: row, end_row: row + 1, start_col: col, end_col: col + 1 };
            let written = write_values(book, &at, false, &body["values"], option, dim)?;
            let table = table.map(|(first, end, left)| Rect {
                sheet_id: rect.sheet_id,
                start_row: first,
                end_row: end,
                start_col: left,
                end_col: book
                    .sheet(rect.sheet_id)
                    .map(|s| {
                        (first..end)
                            .filter_map(|r| s.rows.get(&r).and_then(|row| row.keys().next_back().copied()))
                            .max()
                            .unwrap_or(left)
                            + 1
                    })
                    .unwrap_or(left + 1),
            });
            Ok((written, table))
        })?;
        let id = call.param("spreadsheetId");
        let fallback =
            book.resolve(&range).unwrap_or(Rect { sheet_id: 0, start_row: 0, end_row: 1, start_col: 0, end_col: 1 });
        let mut updates = update_response(&book, id, written, &fallback);
        values_in_response(call, &body, &book, written, &mut updates)?;
        let mut out = json!({"spreadsheetId": id, "updates": updates});
        if let Some(t) = table {
            out["tableRange"] = json!(book.a1_of(&t));
        }
        Ok(ok(&out))
    })())
}

fn clear_rect(book: &mut Spreadsheet, rect: &Rect) {
    if let Some(sheet) = book.sheet_mut(rect.sheet_id) {
        let targets: Vec<(u32, u32)> = sheet.cells_in(rect).map(|(r, c, _)| (r, c)).collect();
        for (r, c) in targets {
            sheet.update(r, c, |cell| {
                cell.input = None;
                cell.result = None;
            });
        }
    }
}

pub fn values_clear(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let range = call.param("range").to_string();
        let (rect, book, _) = edit(call, |book, _| {
            let rect = book.resolve(&range).map_err(|_| ApiError::bad_range(&range))?;
            clear_rect(book, &rect);
            Ok(rect)
        })?;
        Ok(ok(&json!({"spreadsheetId": call.param("spreadsheetId"), "clearedRange": book.a1_of(&rect)})))
    })())
}

pub fn values_batch_clear(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let body = call.json()?;
        known(&body, &["ranges"])?;
        let ranges: Vec<String> =
            body["ranges"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect();
        let (rects, book, _) = edit(call, |book, _| {
            let mut out = Vec::new();
            for range in &ranges {
                let rect = book.resolve(range).map_err(|_| ApiError::bad_range(range))?;
                clear_rect(book, &rect);
                out.push(rect);
            }
            Ok(out)
        })?;
        let cleared: Vec<String> = rects.iter().map(|r| book.a1_of(r)).collect();
        Ok(ok(&json!({"spreadsheetId": call.param("spreadsheetId"), "clearedRanges": cleared})))
    })())
}

/// `sheets.copyTo`: a copy of one sheet into another spreadsheet the caller may edit.
pub fn copy_to(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let body = call.json()?;
        known(&body, &["destinationSpreadsheetId"])?;
        let dest = body["destinationSpreadsheetId"].as_str().unwrap_or("").to_string();
        let sheet_id: i64 = call.param("sheetId").parse().map_err(|_| ApiError::invalid("Invalid sheetId"))?;
        let (_, _, src) = read_book(call)?;
        let sheet = src.sheet(sheet_id).cloned().ok_or_else(ApiError::not_found)?;
        let viewer = viewer(call)?;
        let now = call.now();
        let out = call.write(|s, _| {
            let r = (|| {
                let (title, mut book, role) = find(s, &viewer, &dest)?;
                if role < Role::Writer {
                    return Err(ApiError::denied());
                }
                let mut copy = sheet.clone();
                copy.id = book.new_sheet_id();
                let base = format!("Copy of {}", sheet.title);
                let mut name = base.clone();
                let mut n = 2;
                while book.sheet_by_title(&name).is_some() {
                    name = format!("{base} {n}");
                    n += 1;
                }
                copy.title = name;
                book.sheets.push(copy);
                engine::recalc(&mut book);
                let index = book.sheets.len() - 1;
                let props = sheet_properties(&book.sheets[index], index);
                store(s, &dest, &book, &title, &viewer.email, now);
                Ok(props)
            })();
            Ok(r)
        })??;
        Ok(ok(&out))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_ranges_trim_and_transpose() {
        let mut book = Spreadsheet::new();
        let rect = book.resolve("A1:C4").unwrap();
        let data = json!([["a", "", 1], [], ["x"]]);
        write_values(&mut book, &rect, true, &data, InputOption::UserEntered, Major::Rows).unwrap();
        let vr = value_range(&book, &rect, Render::Unformatted, DateRender::SerialNumber, Major::Rows);
        assert_eq!(vr["values"], json!([["a", "", 1], [], ["x"]]));
        assert_eq!(vr["range"], "Sheet1!A1:C4");
        let vc = value_range(&book, &rect, Render::Formatted, DateRender::SerialNumber, Major::Columns);
        assert_eq!(vc["values"], json!([["a", "", "x"], [], ["1"]]));
        let empty = value_range(
            &book,
            &book.resolve("E5:F6").unwrap(),
            Render::Formatted,
            DateRender::SerialNumber,
            Major::Rows,
        );
        assert!(empty.get("values").is_none());
        let small = book.resolve("A1:B2").unwrap();
        let err =
            write_values(&mut book, &small, true, &json!([[1, 2, 3]]), InputOption::Raw, Major::Rows).unwrap_err();
        assert_eq!(err.message, "Requested writing within range [Sheet1!A1:B2], but tried writing to column [C]");
    }

    #[test]
    fn tables_are_found_below_headers() {
        let mut book = Spreadsheet::new();
        let rect = book.resolve("A1").unwrap();
        write_values(&mut book, &rect, false, &json!([["h1", "h2"], [1, 2]]), InputOption::Raw, Major::Rows).unwrap();
        let sheet = &book.sheets[0];
        assert_eq!(find_table(sheet, &sheet.whole()), Some((0, 2, 0)));
    }
}
