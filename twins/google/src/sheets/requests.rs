//! `spreadsheets.batchUpdate` requests, each applied to the spreadsheet in order
//! with its reply. A refusal names the request (`Invalid requests[2].addSheet: …`);
//! the caller drops the whole copy then, so nothing is half-applied.

use serde_json::{json, Map, Value as Json};

use super::api::sheet_properties;
use super::errors::{snake, ApiError, Result};
use super::model::{Cell, Input, NamedRange, NumberFormat, Rect, Sheet, Spreadsheet, DEFAULT_COLS, DEFAULT_ROWS};
use super::values::{self, DateRender, Render};
use crate::drive::fields::{Node, Selection};

/// A refusal of one request, worded by the caller with its index and kind.
type Refusal = String;

pub fn apply(book: &mut Spreadsheet, title: &mut String, req: &Json, index: usize) -> Result<Json> {
    let Some(obj) = req.as_object() else {
        return Err(ApiError::invalid(format!("Invalid requests[{index}]: a request object is required.")));
    };
    let mut kinds = obj.iter().filter(|(_, v)| !v.is_null());
    let (kind, body) = match (kinds.next(), kinds.next()) {
        (Some(k), None) => k,
        (None, _) => return Err(ApiError::invalid(format!("Invalid requests[{index}]: No request set."))),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(format!(
                "Invalid requests[{index}]: Only one kind of request may be set per request."
            )))
        }
    };
    if let (Some(fields), Some(o)) = (request_fields(kind), body.as_object()) {
        if let Some(k) = o.keys().find(|k| !fields.contains(&k.as_str())) {
            return Err(ApiError::invalid(format!(
                "Invalid JSON payload received. Unknown name \"{k}\" at 'requests[{index}].{}': Cannot find field.",
                snake(kind)
            )));
        }
    }
    let out = match kind.as_str() {
        "addSheet" => add_sheet(book, &body["properties"], book.sheets.len())
            .map(|i| json!({"addSheet": {"properties": sheet_properties(&book.sheets[i], i)}})),
        "deleteSheet" => delete_sheet(book, body).map(|_| json!({})),
        "duplicateSheet" => duplicate_sheet(book, body)
            .map(|i| json!({"duplicateSheet": {"properties": sheet_properties(&book.sheets[i], i)}})),
        "updateSheetProperties" => update_sheet_properties(book, body).map(|_| json!({})),
        "updateSpreadsheetProperties" => update_spreadsheet_properties(book, title, body).map(|_| json!({})),
        "updateCells" => update_cells(book, body).map(|_| json!({})),
        "repeatCell" => repeat_cell(book, body).map(|_| json!({})),
        "appendCells" => append_cells(book, body).map(|_| json!({})),
        "appendDimension" => append_dimension(book, body).map(|_| json!({})),
        "insertDimension" => insert_dimension(book, body).map(|_| json!({})),
        "deleteDimension" => delete_dimension(book, body).map(|_| json!({})),
        "updateDimensionProperties" => update_dimension_properties(book, body).map(|_| json!({})),
        "autoResizeDimensions" => auto_resize(book, body).map(|_| json!({})),
        "mergeCells" => merge_cells(book, body).map(|_| json!({})),
        "unmergeCells" => unmerge_cells(book, body).map(|_| json!({})),
        "findReplace" => find_replace(book, body).map(|r| json!({"findReplace": r})),
        "addNamedRange" => add_named_range(book, body).map(|n| json!({"addNamedRange": {"namedRange": n}})),
        "deleteNamedRange" => delete_named_range(book, body).map(|_| json!({})),
        "sortRange" => sort_range(book, body).map(|_| json!({})),
        "updateBorders" => update_borders(book, body).map(|_| json!({})),
        "setBasicFilter" => set_basic_filter(book, body).map(|_| json!({})),
        "clearBasicFilter" => {
            let id = sheet_id_of(&body["sheetId"]);
            sheet_mut(book, id).map(|s| s.basic_filter = None).map(|_| json!({}))
        }
        "addProtectedRange" => {
            add_protected_range(book, body).map(|p| json!({"addProtectedRange": {"protectedRange": p}}))
        }
        "deleteProtectedRange" => delete_protected_range(book, body).map(|_| json!({})),
        "copyPaste" => copy_paste(book, body, false).map(|_| json!({})),
        "cutPaste" => copy_paste(book, body, true).map(|_| json!({})),
        "moveDimension" => move_dimension(book, body).map(|_| json!({})),
        "setDataValidation" => set_data_validation(book, body).map(|_| json!({})),
        "addConditionalFormatRule" => add_conditional(book, body).map(|_| json!({})),
        "deleteConditionalFormatRule" => {
            delete_conditional(book, body).map(|rule| json!({"deleteConditionalFormatRule": {"rule": rule}}))
        }
        other => {
            return Err(ApiError::invalid(format!(
                "Invalid JSON payload received. Unknown name \"{other}\" at 'requests[{index}]': Cannot find field."
            )))
        }
    };
    out.map_err(|m| ApiError::request(index, kind, m))
}

/// The members each request kind has.
fn request_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "addSheet" => &["properties"],
        "deleteSheet" => &["sheetId"],
        "duplicateSheet" => &["insertSheetIndex", "newSheetId", "newSheetName", "sourceSheetId"],
        "updateSheetProperties" => &["fields", "properties"],
        "updateSpreadsheetProperties" => &["fields", "properties"],
        "updateCells" => &["fields", "range", "rows", "start"],
        "repeatCell" => &["cell", "fields", "range"],
        "appendCells" => &["fields", "rows", "sheetId", "tableId"],
        "appendDimension" => &["dimension", "length", "sheetId"],
        "insertDimension" => &["inheritFromBefore", "range"],
        "deleteDimension" => &["range"],
        "updateDimensionProperties" => &["dataSourceSheetRange", "fields", "properties", "range"],
        "autoResizeDimensions" => &["dataSourceSheetDimensions", "dimensions"],
        "mergeCells" => &["mergeType", "range"],
        "unmergeCells" => &["range"],
        "findReplace" => &[
            "allSheets",
            "find",
            "includeFormulas",
            "matchCase",
            "matchEntireCell",
            "range",
            "replacement",
            "searchByRegex",
            "sheetId",
        ],
        "addNamedRange" => &["namedRange"],
        "deleteNamedRange" => &["namedRangeId"],
        "sortRange" => &["range", "sortSpecs"],
        "updateBorders" => &["bottom", "innerHorizontal", "innerVertical", "left", "range", "right", "top"],
        "copyPaste" => &["destination", "pasteOrientation", "pasteType", "source"],
        "cutPaste" => &["destination", "pasteType", "source"],
        "moveDimension" => &["destinationIndex", "source"],
        "setDataValidation" => &["filteredRowsIncluded", "range", "rule"],
        "addConditionalFormatRule" => &["index", "rule"],
        "deleteConditionalFormatRule" => &["index", "sheetId"],
        "setBasicFilter" => &["filter"],
        "clearBasicFilter" => &["sheetId"],
        "addProtectedRange" => &["protectedRange"],
        "deleteProtectedRange" => &["protectedRangeId"],
        _ => return None,
    })
}

fn u32_of(v: &Json, name: &str) -> std::result::Result<Option<u32>, Refusal> {
    match v {
        Json::Null => Ok(None),
        v => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .filter(|n| *n <= u32::MAX as u64)
            .map(|n| Some(n as u32))
            .ok_or_else(|| format!("Invalid value for {name}: {v}")),
    }
}

fn sheet_id_of(v: &Json) -> i64 {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap_or(0)
}

fn sheet_mut(book: &mut Spreadsheet, id: i64) -> std::result::Result<&mut Sheet, Refusal> {
    book.sheet_mut(id).ok_or_else(|| format!("No grid with id: {id}"))
}

/// A `GridRange`: absent bounds are the grid's edges.
pub fn grid_range(book: &Spreadsheet, v: &Json) -> std::result::Result<Rect, Refusal> {
    let id = sheet_id_of(&v["sheetId"]);
    let sheet = book.sheet(id).ok_or_else(|| format!("No grid with id: {id}"))?;
    let start_row = u32_of(&v["startRowIndex"], "startRowIndex")?.unwrap_or(0);
    let end_row = u32_of(&v["endRowIndex"], "endRowIndex")?.unwrap_or(sheet.row_count);
    let start_col = u32_of(&v["startColumnIndex"], "startColumnIndex")?.unwrap_or(0);
    let end_col = u32_of(&v["endColumnIndex"], "endColumnIndex")?.unwrap_or(sheet.column_count);
    if start_row > end_row || start_col > end_col {
        return Err("The start index must be less than or equal to the end index.".into());
    }
    if end_row > sheet.row_count || end_col > sheet.column_count {
        return Err(format!(
            "Range ('{}'!{}) exceeds grid limits. Max rows: {}, max columns: {}",
            sheet.title,
            book.a1_of(&Rect { sheet_id: id, start_row, end_row, start_col, end_col })
                .rsplit_once('!')
                .map_or("", |(_, c)| c),
            sheet.row_count,
            sheet.column_count
        ));
    }
    Ok(Rect { sheet_id: id, start_row, end_row, start_col, end_col })
}

/// `addSheet` (and each sheet of `spreadsheets.create`): returns the new index.
pub fn add_sheet(book: &mut Spreadsheet, p: &Json, default_index: usize) -> std::result::Result<usize, Refusal> {
    let id = match &p["sheetId"] {
        Json::Null => book.new_sheet_id(),
        v => {
            let id = v.as_i64().ok_or("Invalid sheetId")?;
            if id < 0 {
                return Err(format!("Invalid sheetId: {id}"));
            }
            if book.sheet(id).is_some() {
                return Err(format!("A sheet with the id {id} already exists. Please enter another id."));
            }
            id
        }
    };
    let title = match p["title"].as_str() {
        Some(t) if !t.trim().is_empty() => t.to_string(),
        Some(_) => return Err("The sheet name cannot be empty.".into()),
        None => {
            let mut n = book.sheets.len() + 1;
            while book.sheet_by_title(&format!("Sheet{n}")).is_some() {
                n += 1;
            }
            format!("Sheet{n}")
        }
    };
    if book.sheets.iter().any(|s| s.title.to_lowercase() == title.to_lowercase()) {
        return Err(format!("A sheet with the name \"{title}\" already exists. Please enter another name."));
    }
    let grid = &p["gridProperties"];
    let rows = u32_of(&grid["rowCount"], "rowCount")?.unwrap_or(DEFAULT_ROWS);
    let cols = u32_of(&grid["columnCount"], "columnCount")?.unwrap_or(DEFAULT_COLS);
    if rows == 0 || cols == 0 {
        return Err("Grid sheets must have at least one row and one column.".into());
    }
    let mut sheet = Sheet::new(id, &title, rows, cols);
    sheet.frozen_rows = u32_of(&grid["frozenRowCount"], "frozenRowCount")?.unwrap_or(0);
    sheet.frozen_columns = u32_of(&grid["frozenColumnCount"], "frozenColumnCount")?.unwrap_or(0);
    sheet.hidden = p["hidden"].as_bool().unwrap_or(false);
    sheet.right_to_left = p["rightToLeft"].as_bool().unwrap_or(false);
    if p["tabColor"].is_object() {
        sheet.tab_color = Some(p["tabColor"].clone());
    }
    let index = u32_of(&p["index"], "index")?.map_or(default_index, |i| i as usize).min(book.sheets.len());
    book.sheets.insert(index, sheet);
    Ok(index)
}

fn delete_sheet(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let id = sheet_id_of(&body["sheetId"]);
    let pos = book.sheets.iter().position(|s| s.id == id).ok_or_else(|| format!("No grid with id: {id}"))?;
    if book.sheets.iter().filter(|s| !s.hidden && s.id != id).count() == 0 {
        return Err("You can't remove all the visible sheets in a document.".into());
    }
    book.sheets.remove(pos);
    book.named_ranges.retain(|n| n.range.sheet_id != id);
    Ok(())
}

fn duplicate_sheet(book: &mut Spreadsheet, body: &Json) -> std::result::Result<usize, Refusal> {
    let src = sheet_id_of(&body["sourceSheetId"]);
    let mut copy = book.sheet(src).cloned().ok_or_else(|| format!("No grid with id: {src}"))?;
    copy.id = match body["newSheetId"].as_i64() {
        Some(id) if book.sheet(id).is_some() => {
            return Err(format!("A sheet with the id {id} already exists. Please enter another id."))
        }
        Some(id) => id,
        None => book.new_sheet_id(),
    };
    copy.title = match body["newSheetName"].as_str() {
        Some(n) => {
            if book.sheet_by_title(n).is_some() {
                return Err(format!("A sheet with the name \"{n}\" already exists. Please enter another name."));
            }
            n.to_string()
        }
        None => {
            let mut n = 1;
            loop {
                let name = format!("Copy of {}{}", copy.title, if n == 1 { String::new() } else { format!(" {n}") });
                if book.sheet_by_title(&name).is_none() {
                    break name;
                }
                n += 1;
            }
        }
    };
    let index = u32_of(&body["insertSheetIndex"], "insertSheetIndex")?
        .map_or(book.sheets.len(), |i| i as usize)
        .min(book.sheets.len());
    book.sheets.insert(index, copy);
    Ok(index)
}

/// A `fields` mask in Sheets' dotted or parenthesised form.
fn mask(fields: &Json) -> std::result::Result<Selection, Refusal> {
    let text = fields.as_str().unwrap_or("").trim();
    if text.is_empty() {
        return Err("At least one field must be specified in 'fields'.".into());
    }
    Selection::parse(&text.replace('.', "/")).map_err(|bad| format!("Invalid field mask: {bad}"))
}

fn selected<'a>(sel: &'a Selection, name: &str) -> Option<&'a Node> {
    sel.0.get(name).or_else(|| sel.0.get("*"))
}

fn update_sheet_properties(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let p = &body["properties"];
    let sel = mask(&body["fields"])?;
    let id = sheet_id_of(&p["sheetId"]);
    let taken = |book: &Spreadsheet, t: &str| {
        book.sheets.iter().any(|s| s.id != id && s.title.to_lowercase() == t.to_lowercase())
    };
    if selected(&sel, "title").is_some() {
        let t = p["title"].as_str().unwrap_or("");
        if t.trim().is_empty() {
            return Err("The sheet name cannot be empty.".into());
        }
        if taken(book, t) {
            return Err(format!("A sheet with the name \"{t}\" already exists. Please enter another name."));
        }
    }
    let pos = book.sheets.iter().position(|s| s.id == id).ok_or_else(|| format!("No grid with id: {id}"))?;
    let sheet = &mut book.sheets[pos];
    if selected(&sel, "title").is_some() {
        sheet.title = p["title"].as_str().unwrap_or("").to_string();
    }
    if selected(&sel, "hidden").is_some() {
        sheet.hidden = p["hidden"].as_bool().unwrap_or(false);
    }
    if selected(&sel, "rightToLeft").is_some() {
        sheet.right_to_left = p["rightToLeft"].as_bool().unwrap_or(false);
    }
    if selected(&sel, "tabColor").is_some() || selected(&sel, "tabColorStyle").is_some() {
        let c = if p["tabColor"].is_object() { p["tabColor"].clone() } else { p["tabColorStyle"]["rgbColor"].clone() };
        sheet.tab_color = c.is_object().then_some(c);
    }
    if let Some(node) = selected(&sel, "gridProperties") {
        let g = &p["gridProperties"];
        let wants = |name: &str| match node {
            Node::All => true,
            Node::Sub(s) => selected(s, name).is_some(),
        };
        if wants("rowCount") {
            sheet.row_count = u32_of(&g["rowCount"], "rowCount")?.unwrap_or(sheet.row_count).max(1);
        }
        if wants("columnCount") {
            sheet.column_count = u32_of(&g["columnCount"], "columnCount")?.unwrap_or(sheet.column_count).max(1);
        }
        if wants("frozenRowCount") {
            sheet.frozen_rows = u32_of(&g["frozenRowCount"], "frozenRowCount")?.unwrap_or(0);
        }
        if wants("frozenColumnCount") {
            sheet.frozen_columns = u32_of(&g["frozenColumnCount"], "frozenColumnCount")?.unwrap_or(0);
        }
        if sheet.frozen_rows >= sheet.row_count || sheet.frozen_columns >= sheet.column_count {
            return Err("You can't freeze all visible rows or columns on the sheet.".into());
        }
    }
    if selected(&sel, "index").is_some() {
        let to = u32_of(&p["index"], "index")?.unwrap_or(0) as usize;
        let moved = book.sheets.remove(pos);
        let to = to.min(book.sheets.len());
        book.sheets.insert(to, moved);
    }
    Ok(())
}

fn update_spreadsheet_properties(
    book: &mut Spreadsheet,
    title: &mut String,
    body: &Json,
) -> std::result::Result<(), Refusal> {
    let p = &body["properties"];
    let sel = mask(&body["fields"])?;
    for (name, _) in sel.0.iter() {
        match name.as_str() {
            "title" | "*" if p["title"].is_string() => *title = p["title"].as_str().unwrap_or("").to_string(),
            "title" => return Err("The spreadsheet title cannot be empty.".into()),
            "locale" => book.locale = p["locale"].as_str().unwrap_or("en_US").to_string(),
            "timeZone" => book.time_zone = p["timeZone"].as_str().unwrap_or("Etc/GMT").to_string(),
            "autoRecalc" => book.auto_recalc = p["autoRecalc"].as_str().unwrap_or("ON_CHANGE").to_string(),
            "*" => {}
            other => {
                if p[other].is_null() {
                    book.extra_properties.remove(other);
                } else {
                    book.extra_properties.insert(other.to_string(), p[other].clone());
                }
            }
        }
    }
    Ok(())
}

/// Copies the masked members of `src` into `dst` (absent ones are removed).
fn merge_masked(dst: &mut Map<String, Json>, src: &Json, sel: &Selection) {
    let keys: Vec<String> = if sel.0.contains_key("*") {
        let mut k: Vec<String> = src.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        k.extend(dst.keys().cloned());
        k
    } else {
        sel.0.keys().cloned().collect()
    };
    for key in keys {
        let node = selected(sel, &key).cloned().unwrap_or(Node::All);
        match (node, &src[&key]) {
            (_, Json::Null) => {
                dst.remove(&key);
            }
            (Node::Sub(sub), v @ Json::Object(_)) => {
                let mut inner = dst.get(&key).and_then(|d| d.as_object().cloned()).unwrap_or_default();
                merge_masked(&mut inner, v, &sub);
                if inner.is_empty() {
                    dst.remove(&key);
                } else {
                    dst.insert(key, Json::Object(inner));
                }
            }
            (_, v) => {
                dst.insert(key, v.clone());
            }
        }
    }
}

/// Applies one `CellData` to a cell under a mask.
fn set_cell(cell: &mut Cell, data: &Json, sel: &Selection) -> std::result::Result<(), Refusal> {
    if selected(sel, "userEnteredValue").is_some() {
        let v = &data["userEnteredValue"];
        let long = ["stringValue", "formulaValue"]
            .iter()
            .any(|k| v[*k].as_str().is_some_and(|s| s.chars().count() > super::model::CELL_TEXT_LIMIT));
        if long {
            return Err(format!(
                "Your input contains more than the maximum of {} characters in a single cell.",
                super::model::CELL_TEXT_LIMIT
            ));
        }
        cell.result = None;
        cell.input = if let Some(n) = v.get("numberValue") {
            Some(Input::Number(n.as_f64().ok_or("Invalid numberValue")?))
        } else if let Some(s) = v.get("stringValue") {
            Some(Input::Text(s.as_str().unwrap_or("").to_string()))
        } else if let Some(b) = v.get("boolValue") {
            Some(Input::Bool(b.as_bool().unwrap_or(false)))
        } else if let Some(f) = v.get("formulaValue") {
            let f = f.as_str().unwrap_or("");
            if !f.starts_with('=') {
                return Err(format!("Invalid formulaValue: formulas must begin with '=' (got {f:?})."));
            }
            Some(Input::Formula(f.to_string()))
        } else {
            None
        };
    }
    if let Some(node) = selected(sel, "userEnteredFormat") {
        let fsel = match node {
            Node::All => Selection::star(),
            Node::Sub(s) => s.clone(),
        };
        let src = &data["userEnteredFormat"];
        if selected(&fsel, "numberFormat").is_some() {
            cell.number_format = match &src["numberFormat"] {
                Json::Object(nf) => Some(NumberFormat {
                    kind: nf.get("type").and_then(Json::as_str).unwrap_or("NUMBER").to_string(),
                    pattern: nf.get("pattern").and_then(Json::as_str).unwrap_or("").to_string(),
                }),
                _ => None,
            };
        }
        let mut rest = fsel.clone();
        rest.0.remove("numberFormat");
        let mut format = cell.format.as_ref().and_then(|f| f.as_object().cloned()).unwrap_or_default();
        let mut src_rest = src.clone();
        if let Some(o) = src_rest.as_object_mut() {
            o.remove("numberFormat");
        }
        if !rest.0.is_empty() {
            merge_masked(&mut format, &src_rest, &rest);
        }
        cell.format = (!format.is_empty()).then_some(Json::Object(format));
    }
    if selected(sel, "note").is_some() {
        cell.note = data["note"].as_str().filter(|n| !n.is_empty()).map(str::to_string);
    }
    Ok(())
}

/// Writes `RowData` from (row, col) under a mask; grows the sheet when `grow`.
pub fn write_rows(
    book: &mut Spreadsheet,
    sheet_id: i64,
    row: u32,
    col: u32,
    rows: &Json,
    fields: &str,
    grow: bool,
) -> std::result::Result<(), Refusal> {
    let sel = mask(&json!(fields))?;
    let sheet = sheet_mut(book, sheet_id)?;
    for (i, rd) in rows.as_array().into_iter().flatten().enumerate() {
        for (j, data) in rd["values"].as_array().into_iter().flatten().enumerate() {
            let (r, c) = (row.saturating_add(i as u32), col.saturating_add(j as u32));
            if r >= sheet.row_count || c >= sheet.column_count {
                if !grow {
                    return Err(format!(
                        "Attempting to write row: {r}, beyond the last requested row of: {}",
                        sheet.row_count.saturating_sub(1)
                    ));
                }
                sheet.row_count = sheet.row_count.max(r + 1);
                sheet.column_count = sheet.column_count.max(c + 1);
            }
            let mut cell = sheet.cell(r, c).cloned().unwrap_or_default();
            set_cell(&mut cell, data, &sel)?;
            sheet.put(r, c, cell);
        }
    }
    Ok(())
}

fn update_cells(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let fields = body["fields"].as_str().unwrap_or("").to_string();
    mask(&body["fields"])?;
    if body["start"].is_object() {
        let s = &body["start"];
        let id = sheet_id_of(&s["sheetId"]);
        let r = u32_of(&s["rowIndex"], "rowIndex")?.unwrap_or(0);
        let c = u32_of(&s["columnIndex"], "columnIndex")?.unwrap_or(0);
        write_rows(book, id, r, c, &body["rows"], &fields, false)
    } else if body["range"].is_object() {
        let rect = grid_range(book, &body["range"])?;
        // Cells of the range the rows leave out are cleared of the masked fields.
        let sel = mask(&body["fields"])?;
        let sheet = sheet_mut(book, rect.sheet_id)?;
        let rows = body["rows"].as_array().cloned().unwrap_or_default();
        for r in rect.start_row..rect.end_row {
            let rd = rows.get((r - rect.start_row) as usize);
            let present: Vec<(u32, u32)> =
                sheet.cells_in(&Rect { start_row: r, end_row: r + 1, ..rect }).map(|(r, c, _)| (r, c)).collect();
            let given = rd.and_then(|rd| rd["values"].as_array()).map_or(0, Vec::len) as u32;
            for c in rect.start_col..rect.end_col.min(rect.start_col + given) {
                let data = &rd.map(|rd| rd["values"][(c - rect.start_col) as usize].clone()).unwrap_or(Json::Null);
                let mut cell = sheet.cell(r, c).cloned().unwrap_or_default();
                set_cell(&mut cell, data, &sel)?;
                sheet.put(r, c, cell);
            }
            for (r, c) in present {
                if c >= rect.start_col + given {
                    let mut cell = sheet.cell(r, c).cloned().unwrap_or_default();
                    set_cell(&mut cell, &json!({}), &sel)?;
                    sheet.put(r, c, cell);
                }
            }
        }
        Ok(())
    } else {
        Err("Must specify at least one of start or range.".into())
    }
}

fn repeat_cell(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let rect = grid_range(book, &body["range"])?;
    let sel = mask(&body["fields"])?;
    if rect.rows() as u64 * rect.cols() as u64 > 2_000_000 {
        return Err("The range is too large to repeat a cell over.".into());
    }
    // A formula is written at the range's first cell and moves relatively to the others.
    let formula = body["cell"]["userEnteredValue"]["formulaValue"].as_str().map(str::to_string);
    let index = book.sheets.iter().position(|s| s.id == rect.sheet_id).unwrap_or(0);
    let mut shifter = formula.as_ref().map(|_| super::engine::Shifter::new(book));
    let sheet = sheet_mut(book, rect.sheet_id)?;
    for r in rect.start_row..rect.end_row {
        for c in rect.start_col..rect.end_col {
            let mut cell = sheet.cell(r, c).cloned().unwrap_or_default();
            match (&formula, shifter.as_mut()) {
                (Some(f), Some(sh)) => {
                    let mut data = body["cell"].clone();
                    data["userEnteredValue"]["formulaValue"] =
                        json!(sh.shift(f, (index, rect.start_row, rect.start_col), (index, r, c)));
                    set_cell(&mut cell, &data, &sel)?;
                }
                _ => set_cell(&mut cell, &body["cell"], &sel)?,
            }
            sheet.put(r, c, cell);
        }
    }
    Ok(())
}

fn append_cells(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let id = sheet_id_of(&body["sheetId"]);
    let sheet = book.sheet(id).ok_or_else(|| format!("No grid with id: {id}"))?;
    let row = sheet.extent().map_or(0, |(r, _)| r + 1);
    let fields = body["fields"].as_str().unwrap_or("").to_string();
    write_rows(book, id, row, 0, &body["rows"], &fields, true)
}

fn dimension(v: &Json) -> std::result::Result<bool, Refusal> {
    match v.as_str() {
        Some("ROWS") => Ok(true),
        Some("COLUMNS") => Ok(false),
        other => Err(format!("Invalid dimension: {}", other.unwrap_or("unspecified"))),
    }
}

fn append_dimension(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let rows = dimension(&body["dimension"])?;
    let length = u32_of(&body["length"], "length")?.unwrap_or(0);
    if length == 0 {
        return Err("length must be greater than zero.".into());
    }
    let sheet = sheet_mut(book, sheet_id_of(&body["sheetId"]))?;
    if rows {
        sheet.row_count = sheet.row_count.saturating_add(length);
    } else {
        sheet.column_count = sheet.column_count.saturating_add(length);
    }
    Ok(())
}

/// Inserts (or deletes) rows or columns: cells move, and so do the references of
/// formulas (through the engine), merges and named ranges.
fn shift(book: &mut Spreadsheet, sheet_id: i64, rows: bool, insert: bool, start: u32, count: u32) {
    let Some(index) = book.sheets.iter().position(|s| s.id == sheet_id) else { return };
    let rewritten =
        super::engine::formulas_after(book, super::engine::Shift { sheet: index, rows, insert, start, count });
    let Some(sheet) = book.sheet_mut(sheet_id) else { return };
    match (rows, insert) {
        (true, true) => shift_rows_down(sheet, start, count),
        (true, false) => {
            sheet.rows = sheet
                .rows
                .iter()
                .filter(|(r, _)| !(start..start + count).contains(*r))
                .map(|(r, row)| (if *r >= start + count { r - count } else { *r }, row.clone()))
                .collect();
            sheet.row_count -= count;
        }
        (false, true) => {
            sheet.rows = sheet
                .rows
                .iter()
                .map(|(r, row)| {
                    let row: super::model::Row =
                        row.iter().map(|(c, cell)| (if *c >= start { c + count } else { *c }, cell.clone())).collect();
                    (*r, row)
                })
                .collect();
            sheet.column_count = sheet.column_count.saturating_add(count);
        }
        (false, false) => {
            let end = start + count;
            sheet.rows = sheet
                .rows
                .iter()
                .map(|(r, row)| {
                    let row: super::model::Row = row
                        .iter()
                        .filter(|(c, _)| !(start..end).contains(*c))
                        .map(|(c, cell)| (if *c >= end { c - count } else { *c }, cell.clone()))
                        .collect();
                    (*r, row)
                })
                .filter(|(_, row)| !row.is_empty())
                .collect();
            sheet.column_count -= count;
        }
    }
    let map = |x: u32| -> u32 {
        if insert {
            if x >= start {
                x + count
            } else {
                x
            }
        } else if x <= start {
            x
        } else if x >= start + count {
            x - count
        } else {
            start
        }
    };
    let moved = |rect: &Rect| -> Option<Rect> {
        if rect.sheet_id != sheet_id {
            return Some(*rect);
        }
        let mut r = *rect;
        if rows {
            // An insertion at a range's first row lands above it.
            r.start_row = if insert && rect.start_row == start { rect.start_row + count } else { map(rect.start_row) };
            r.end_row = map(rect.end_row);
        } else {
            r.start_col = if insert && rect.start_col == start { rect.start_col + count } else { map(rect.start_col) };
            r.end_col = map(rect.end_col);
        }
        (r.rows() > 0 && r.cols() > 0).then_some(r)
    };
    sheet.merges = sheet.merges.iter().filter_map(moved).collect();
    book.named_ranges = book
        .named_ranges
        .iter()
        .filter_map(|n| moved(&n.range).map(|range| NamedRange { range, ..n.clone() }))
        .collect();
    for (i, r, c, f) in rewritten {
        if let Some(sheet) = book.sheets.get_mut(i) {
            sheet.update(r, c, |cell| {
                if matches!(cell.input, Some(Input::Formula(_))) {
                    cell.input = Some(Input::Formula(f));
                }
            });
        }
    }
}

/// Shifts a sheet's rows at and below `at` down by `n` (values.append INSERT_ROWS too).
pub fn insert_rows(book: &mut Spreadsheet, sheet_id: i64, at: u32, n: u32) {
    shift(book, sheet_id, true, true, at, n);
}

fn shift_rows_down(sheet: &mut Sheet, at: u32, n: u32) {
    let (before, rest) = sheet.rows.clone().split(&at);
    let mut rows = before;
    if let Some(r) = sheet.rows.get(&at) {
        rows.insert(at + n, r.clone());
    }
    for (r, row) in rest {
        rows.insert(r + n, row);
    }
    sheet.rows = rows;
    sheet.row_count = sheet.row_count.saturating_add(n);
}

fn dimension_range(book: &Spreadsheet, v: &Json) -> std::result::Result<(i64, bool, u32, u32), Refusal> {
    let id = sheet_id_of(&v["sheetId"]);
    let sheet = book.sheet(id).ok_or_else(|| format!("No grid with id: {id}"))?;
    let rows = dimension(&v["dimension"])?;
    let limit = if rows { sheet.row_count } else { sheet.column_count };
    let start = u32_of(&v["startIndex"], "startIndex")?.unwrap_or(0);
    let end = u32_of(&v["endIndex"], "endIndex")?.unwrap_or(limit);
    if start >= end {
        return Err("The start index must be less than the end index.".into());
    }
    Ok((id, rows, start, end))
}

fn insert_dimension(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let (id, rows, start, end) = dimension_range(book, &body["range"])?;
    let n = end - start;
    let sheet = sheet_mut(book, id)?;
    let across = if rows { sheet.column_count } else { sheet.row_count } as u64;
    if book.cells() + n as u64 * across > super::model::CELL_LIMIT {
        return Err(format!(
            "This action would increase the number of cells in the workbook above the limit of {} cells.",
            super::model::CELL_LIMIT
        ));
    }
    let sheet = sheet_mut(book, id)?;
    let limit = if rows { sheet.row_count } else { sheet.column_count };
    if start > limit {
        return Err(format!(
            "Cannot insert at index {start}: the sheet has only {limit} {}.",
            if rows { "rows" } else { "columns" }
        ));
    }
    shift(book, id, rows, true, start, n);
    Ok(())
}

fn delete_dimension(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let (id, rows, start, end) = dimension_range(book, &body["range"])?;
    let n = end - start;
    let sheet = sheet_mut(book, id)?;
    let limit = if rows { sheet.row_count } else { sheet.column_count };
    if end > limit {
        return Err(format!(
            "Cannot delete past the end of the sheet ({limit} {}).",
            if rows { "rows" } else { "columns" }
        ));
    }
    if n >= limit {
        return Err(format!("You can't delete all the {} on the sheet.", if rows { "rows" } else { "columns" }));
    }
    shift(book, id, rows, false, start, n);
    Ok(())
}

fn update_dimension_properties(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let (id, rows, start, end) = dimension_range(book, &body["range"])?;
    let sel = mask(&body["fields"])?;
    let size = u32_of(&body["properties"]["pixelSize"], "pixelSize")?;
    let sheet = sheet_mut(book, id)?;
    if selected(&sel, "pixelSize").is_some() {
        let sizes = if rows { &mut sheet.row_sizes } else { &mut sheet.col_sizes };
        for i in start..end {
            match size {
                Some(s) => sizes.insert(i, s),
                None => sizes.remove(&i),
            };
        }
    }
    Ok(())
}

fn auto_resize(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let (id, rows, start, end) = dimension_range(book, &body["dimensions"])?;
    let sheet = sheet_mut(book, id)?;
    for i in start..end {
        if rows {
            sheet.row_sizes.insert(i, 21);
        } else {
            // Wide enough for the longest formatted value, at about 7 pixels a character.
            let longest = sheet
                .rows
                .values()
                .filter_map(|row| row.get(&i))
                .filter_map(|c| values::render(c, Render::Formatted, DateRender::SerialNumber))
                .map(|v| v.as_str().map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0);
            sheet.col_sizes.insert(i, (longest as u32 * 7 + 10).max(30));
        }
    }
    Ok(())
}

fn merge_cells(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let rect = grid_range(book, &body["range"])?;
    let kind = body["mergeType"].as_str().unwrap_or("MERGE_ALL");
    let sheet = sheet_mut(book, rect.sheet_id)?;
    if sheet.merges.iter().any(|m| m.intersects(&rect)) {
        return Err("You can't merge cells that are already partially merged.".into());
    }
    let pieces: Vec<Rect> = match kind {
        "MERGE_ALL" => vec![rect],
        "MERGE_ROWS" => (rect.start_row..rect.end_row).map(|r| Rect { start_row: r, end_row: r + 1, ..rect }).collect(),
        "MERGE_COLUMNS" => {
            (rect.start_col..rect.end_col).map(|c| Rect { start_col: c, end_col: c + 1, ..rect }).collect()
        }
        other => return Err(format!("Invalid mergeType: {other}")),
    };
    for p in pieces {
        if p.rows() * p.cols() > 1 {
            sheet.merges.push(p);
        }
    }
    Ok(())
}

fn unmerge_cells(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let rect = grid_range(book, &body["range"])?;
    let sheet = sheet_mut(book, rect.sheet_id)?;
    sheet.merges.retain(|m| !m.intersects(&rect));
    Ok(())
}

fn find_replace(book: &mut Spreadsheet, body: &Json) -> std::result::Result<Json, Refusal> {
    let find = body["find"].as_str().unwrap_or("");
    if find.is_empty() {
        return Err("find must not be empty.".into());
    }
    if body["searchByRegex"].as_bool().unwrap_or(false) {
        return Err("searchByRegex is not supported by this twin.".into());
    }
    let replacement = body["replacement"].as_str().unwrap_or("");
    let match_case = body["matchCase"].as_bool().unwrap_or(false);
    let entire = body["matchEntireCell"].as_bool().unwrap_or(false);
    let formulas = body["includeFormulas"].as_bool().unwrap_or(false);
    let scope: Vec<Rect> = if body["range"].is_object() {
        vec![grid_range(book, &body["range"])?]
    } else if !body["sheetId"].is_null() {
        let id = sheet_id_of(&body["sheetId"]);
        vec![book.sheet(id).ok_or_else(|| format!("No grid with id: {id}"))?.whole()]
    } else if body["allSheets"].as_bool().unwrap_or(false) {
        book.sheets.iter().map(Sheet::whole).collect()
    } else {
        return Err("Must specify a range, a sheetId or allSheets.".into());
    };
    let (mut values_changed, mut formulas_changed, mut occurrences) = (0u32, 0u32, 0u32);
    let mut rows = std::collections::BTreeSet::new();
    let mut sheets = std::collections::BTreeSet::new();
    let needle = if match_case { find.to_string() } else { find.to_lowercase() };
    for rect in scope {
        let Some(sheet) = book.sheet_mut(rect.sheet_id) else { continue };
        let targets: Vec<(u32, u32, Cell)> = sheet.cells_in(&rect).map(|(r, c, cell)| (r, c, cell.clone())).collect();
        for (r, c, mut cell) in targets {
            let (text, is_formula) = match &cell.input {
                Some(Input::Formula(f)) if formulas => (f.clone(), true),
                Some(Input::Formula(_)) | None => continue,
                Some(_) => match values::render(&cell, Render::Formatted, DateRender::SerialNumber) {
                    Some(Json::String(s)) => (s, false),
                    _ => continue,
                },
            };
            let hay = if match_case { text.clone() } else { text.to_lowercase() };
            let count = if entire { u32::from(hay == needle) } else { hay.matches(&needle).count() as u32 };
            if count == 0 {
                continue;
            }
            let replaced =
                if entire { replacement.to_string() } else { replace_all(&text, find, replacement, match_case) };
            if is_formula {
                cell.input = Some(Input::Formula(replaced));
                formulas_changed += 1;
            } else {
                let (input, nf) = values::parse_user_entered(&replaced);
                cell.input = Some(input);
                if nf.is_some() {
                    cell.number_format = nf;
                }
                values_changed += 1;
            }
            cell.result = None;
            occurrences += count;
            rows.insert((rect.sheet_id, r));
            sheets.insert(rect.sheet_id);
            sheet.put(r, c, cell);
        }
    }
    let mut out = Map::new();
    for (k, v) in [
        ("valuesChanged", values_changed),
        ("formulasChanged", formulas_changed),
        ("rowsChanged", rows.len() as u32),
        ("sheetsChanged", sheets.len() as u32),
        ("occurrencesChanged", occurrences),
    ] {
        if v > 0 {
            out.insert(k.into(), json!(v));
        }
    }
    Ok(Json::Object(out))
}

fn replace_all(text: &str, find: &str, with: &str, match_case: bool) -> String {
    if match_case {
        return text.replace(find, with);
    }
    let lower = text.to_lowercase();
    let needle = find.to_lowercase();
    if lower.len() != text.len() {
        return text.replace(find, with);
    }
    let mut out = String::new();
    let mut last = 0;
    for (i, _) in lower.match_indices(&needle) {
        out.push_str(&text[last..i]);
        out.push_str(with);
        last = i + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

/// Borders become part of each edge cell's `userEnteredFormat.borders`.
fn update_borders(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let rect = grid_range(book, &body["range"])?;
    let sheet = sheet_mut(book, rect.sheet_id)?;
    if rect.rows() as u64 * rect.cols() as u64 > 2_000_000 {
        return Err("The range is too large.".into());
    }
    for r in rect.start_row..rect.end_row {
        for c in rect.start_col..rect.end_col {
            let mut sides = Map::new();
            let edges = [
                ("top", r == rect.start_row, "top"),
                ("bottom", r + 1 == rect.end_row, "bottom"),
                ("left", c == rect.start_col, "left"),
                ("right", c + 1 == rect.end_col, "right"),
            ];
            for (side, edge, key) in edges {
                let inner = if matches!(side, "top" | "bottom") { "innerHorizontal" } else { "innerVertical" };
                let v = if edge { &body[key] } else { &body[inner] };
                if v.is_object() {
                    sides.insert(side.to_string(), v.clone());
                }
            }
            if sides.is_empty() {
                continue;
            }
            sheet.update(r, c, |cell| {
                let mut format = cell.format.as_ref().and_then(|f| f.as_object().cloned()).unwrap_or_default();
                let mut borders = format.get("borders").and_then(|b| b.as_object().cloned()).unwrap_or_default();
                borders.extend(sides);
                format.insert("borders".into(), Json::Object(borders));
                cell.format = Some(Json::Object(format));
            });
        }
    }
    Ok(())
}

/// `copyPaste` (and `cutPaste`, which clears the source): the source tiled over
/// the destination; formulas keep their text (relative references are not moved).
fn copy_paste(book: &mut Spreadsheet, body: &Json, cut: bool) -> std::result::Result<(), Refusal> {
    let src = grid_range(book, &body["source"])?;
    let (dest_sheet, dest_row, dest_col, dest_rows, dest_cols) = if cut {
        let d = &body["destination"];
        let id = sheet_id_of(&d["sheetId"]);
        book.sheet(id).ok_or_else(|| format!("No grid with id: {id}"))?;
        let r = u32_of(&d["rowIndex"], "rowIndex")?.unwrap_or(0);
        let c = u32_of(&d["columnIndex"], "columnIndex")?.unwrap_or(0);
        (id, r, c, src.rows(), src.cols())
    } else {
        let d = grid_range(book, &body["destination"])?;
        (d.sheet_id, d.start_row, d.start_col, d.rows().max(src.rows()), d.cols().max(src.cols()))
    };
    let paste = body["pasteType"].as_str().unwrap_or("PASTE_NORMAL");
    if !matches!(paste, "PASTE_NORMAL" | "PASTE_VALUES" | "PASTE_FORMAT" | "PASTE_NO_BORDERS" | "PASTE_FORMULA") {
        return Err(format!("Invalid pasteType: {paste}"));
    }
    let source = book.sheet(src.sheet_id).ok_or_else(|| format!("No grid with id: {}", src.sheet_id))?;
    let (h, w) = (src.rows().max(1), src.cols().max(1));
    let src_index = book.sheets.iter().position(|s| s.id == src.sheet_id).unwrap_or(0);
    let dest_index = book.sheets.iter().position(|s| s.id == dest_sheet).unwrap_or(0);
    // A copy moves relative references; a cut keeps formulas as they were.
    let mut shifter = (!cut).then(|| super::engine::Shifter::new(book));
    let mut cells = Vec::new();
    for i in 0..dest_rows {
        for j in 0..dest_cols {
            let (sr, sc) = (src.start_row + i % h, src.start_col + j % w);
            let mut from = source.cell(sr, sc).cloned().unwrap_or_default();
            if let (Some(Input::Formula(f)), Some(sh)) = (&from.input, shifter.as_mut()) {
                from.input =
                    Some(Input::Formula(sh.shift(f, (src_index, sr, sc), (dest_index, dest_row + i, dest_col + j))));
            }
            cells.push((dest_row + i, dest_col + j, from));
        }
    }
    if cut {
        let s = sheet_mut(book, src.sheet_id)?;
        let doomed: Vec<(u32, u32)> = s.cells_in(&src).map(|(r, c, _)| (r, c)).collect();
        for (r, c) in doomed {
            s.put(r, c, Cell::default());
        }
    }
    let dest = sheet_mut(book, dest_sheet)?;
    if dest_row + dest_rows > dest.row_count || dest_col + dest_cols > dest.column_count {
        return Err("The paste would go past the edge of the sheet.".into());
    }
    for (r, c, from) in cells {
        let mut cell = dest.cell(r, c).cloned().unwrap_or_default();
        match paste {
            "PASTE_VALUES" => {
                cell.input = match from.value() {
                    super::model::CellValue::Number(n) => Some(Input::Number(n)),
                    super::model::CellValue::Text(t) | super::model::CellValue::Error(t) => Some(Input::Text(t)),
                    super::model::CellValue::Bool(b) => Some(Input::Bool(b)),
                    super::model::CellValue::Empty => None,
                };
                cell.result = None;
            }
            "PASTE_FORMAT" => {
                cell.format = from.format;
                cell.number_format = from.number_format;
            }
            "PASTE_FORMULA" => {
                cell.input = from.input;
                cell.result = None;
            }
            _ => cell = Cell { result: None, ..from },
        }
        dest.put(r, c, cell);
    }
    Ok(())
}

/// `moveDimension`: rows or columns [start, end) moved to before `destinationIndex`.
fn move_dimension(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let (id, rows, start, end) = dimension_range(book, &body["source"])?;
    let to = u32_of(&body["destinationIndex"], "destinationIndex")?.ok_or("destinationIndex is required.")?;
    let sheet = sheet_mut(book, id)?;
    let limit = if rows { sheet.row_count } else { sheet.column_count };
    if end > limit || to > limit {
        return Err(format!("The move goes past the end of the sheet ({limit})."));
    }
    if (start..=end).contains(&to) {
        return Ok(());
    }
    let n = end - start;
    // Where index x lands.
    let place = |x: u32| -> u32 {
        if (start..end).contains(&x) {
            if to > end {
                to - n + (x - start)
            } else {
                to + (x - start)
            }
        } else if to > end && x >= end && x < to {
            x - n
        } else if to < start && x >= to && x < start {
            x + n
        } else {
            x
        }
    };
    if rows {
        sheet.rows = sheet.rows.iter().map(|(r, row)| (place(*r), row.clone())).collect();
    } else {
        sheet.rows = sheet
            .rows
            .iter()
            .map(|(r, row)| {
                let row: super::model::Row = row.iter().map(|(c, cell)| (place(*c), cell.clone())).collect();
                (*r, row)
            })
            .collect();
    }
    Ok(())
}

fn set_data_validation(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let rect = grid_range(book, &body["range"])?;
    let rule = match &body["rule"] {
        Json::Null => None,
        r @ Json::Object(o) if o.get("condition").is_some_and(Json::is_object) => Some(r.clone()),
        _ => return Err("A data validation rule needs a condition.".into()),
    };
    if rect.rows() as u64 * rect.cols() as u64 > 2_000_000 {
        return Err("The range is too large.".into());
    }
    let sheet = sheet_mut(book, rect.sheet_id)?;
    for r in rect.start_row..rect.end_row {
        for c in rect.start_col..rect.end_col {
            let rule = rule.clone();
            sheet.update(r, c, |cell| cell.validation = rule);
        }
    }
    Ok(())
}

fn add_conditional(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let rule = &body["rule"];
    let ranges = rule["ranges"].as_array().filter(|r| !r.is_empty()).ok_or("The rule must name at least one range.")?;
    let rects = ranges.iter().map(|r| grid_range(book, r)).collect::<std::result::Result<Vec<_>, _>>()?;
    if rule["booleanRule"].is_null() == rule["gradientRule"].is_null() {
        return Err("A conditional format rule needs exactly one of booleanRule or gradientRule.".into());
    }
    let sheet_id = rects[0].sheet_id;
    if rects.iter().any(|r| r.sheet_id != sheet_id) {
        return Err("All ranges of a conditional format rule must be on one sheet.".into());
    }
    let mut kept = rule.clone();
    kept["ranges"] = json!(rects.iter().map(grid_json).collect::<Vec<_>>());
    let sheet = sheet_mut(book, sheet_id)?;
    let index = u32_of(&body["index"], "index")?.map_or(0, |i| i as usize).min(sheet.conditional.len());
    sheet.conditional.insert(index, kept);
    Ok(())
}

fn delete_conditional(book: &mut Spreadsheet, body: &Json) -> std::result::Result<Json, Refusal> {
    let sheet = sheet_mut(book, sheet_id_of(&body["sheetId"]))?;
    let index = u32_of(&body["index"], "index")?.unwrap_or(0) as usize;
    if index >= sheet.conditional.len() {
        return Err(format!("No conditional format on sheet {} at index {index}.", sheet.id));
    }
    Ok(sheet.conditional.remove(index))
}

fn grid_json(r: &Rect) -> Json {
    json!({"sheetId": r.sheet_id, "startRowIndex": r.start_row, "endRowIndex": r.end_row,
           "startColumnIndex": r.start_col, "endColumnIndex": r.end_col})
}

fn set_basic_filter(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let filter = &body["filter"];
    let rect = grid_range(book, &filter["range"])?;
    let mut kept = filter.as_object().cloned().unwrap_or_default();
    kept.insert("range".into(), grid_json(&rect));
    sheet_mut(book, rect.sheet_id)?.basic_filter = Some(Json::Object(kept));
    Ok(())
}

fn add_protected_range(book: &mut Spreadsheet, body: &Json) -> std::result::Result<Json, Refusal> {
    let p = &body["protectedRange"];
    let rect = grid_range(book, &p["range"])?;
    let id = match p["protectedRangeId"].as_i64() {
        Some(id) => id,
        None => book.new_sheet_id(),
    };
    if book.sheets.iter().any(|s| s.protected.iter().any(|q| q["protectedRangeId"].as_i64() == Some(id))) {
        return Err(format!("A protected range with id {id} already exists."));
    }
    let mut out = p.as_object().cloned().unwrap_or_default();
    out.insert("protectedRangeId".into(), json!(id));
    out.insert("range".into(), grid_json(&rect));
    out.remove("requestingUserCanEdit");
    out.insert("requestingUserCanEdit".into(), json!(true));
    let out = Json::Object(out);
    sheet_mut(book, rect.sheet_id)?.protected.push(out.clone());
    Ok(out)
}

fn delete_protected_range(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let id = body["protectedRangeId"].as_i64().ok_or("protectedRangeId is required.")?;
    let mut found = false;
    for s in &mut book.sheets {
        let before = s.protected.len();
        s.protected.retain(|q| q["protectedRangeId"].as_i64() != Some(id));
        found |= s.protected.len() != before;
    }
    if !found {
        return Err(format!("No protected range with id: {id}"));
    }
    Ok(())
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && name.len() <= 250
        && super::a1::cells(name).is_none()
        && !name.eq_ignore_ascii_case("true")
        && !name.eq_ignore_ascii_case("false")
}

fn add_named_range(book: &mut Spreadsheet, body: &Json) -> std::result::Result<Json, Refusal> {
    let nr = &body["namedRange"];
    let name = nr["name"].as_str().unwrap_or("");
    if !valid_name(name) {
        return Err(format!("The name \"{name}\" is not valid. Named ranges must start with a letter or underscore and contain only letters, numbers, periods and underscores."));
    }
    if book.named_ranges.iter().any(|n| n.name.eq_ignore_ascii_case(name)) {
        return Err(format!("Named range with name \"{name}\" already exists."));
    }
    let range = grid_range(book, &nr["range"])?;
    let id = match nr["namedRangeId"].as_str() {
        Some(id) if book.named_ranges.iter().any(|n| n.id == id) => {
            return Err(format!("Named range with id \"{id}\" already exists."))
        }
        Some(id) => id.to_string(),
        None => format!("{:x}", book.new_sheet_id() as u64 * 2_654_435_761 % 0xffff_ffff_ffff),
    };
    book.named_ranges.push(NamedRange { id: id.clone(), name: name.to_string(), range });
    Ok(json!({"namedRangeId": id, "name": name, "range": {
        "sheetId": range.sheet_id, "startRowIndex": range.start_row, "endRowIndex": range.end_row,
        "startColumnIndex": range.start_col, "endColumnIndex": range.end_col}}))
}

fn delete_named_range(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let id = body["namedRangeId"].as_str().unwrap_or("");
    let before = book.named_ranges.len();
    book.named_ranges.retain(|n| n.id != id);
    if book.named_ranges.len() == before {
        return Err(format!("No named range with id: {id}"));
    }
    Ok(())
}

/// Orders values as Sheets sorts: numbers, then text, then booleans; blanks last.
fn sort_key(cell: Option<&Cell>) -> (u8, f64, String) {
    match cell.map(Cell::value) {
        Some(super::model::CellValue::Number(n)) => (0, n, String::new()),
        Some(super::model::CellValue::Text(t)) => (1, 0.0, t.to_lowercase()),
        Some(super::model::CellValue::Bool(b)) => (2, f64::from(u8::from(b)), String::new()),
        Some(super::model::CellValue::Error(e)) => (3, 0.0, e),
        Some(super::model::CellValue::Empty) | None => (4, 0.0, String::new()),
    }
}

fn sort_range(book: &mut Spreadsheet, body: &Json) -> std::result::Result<(), Refusal> {
    let rect = grid_range(book, &body["range"])?;
    let mut specs = Vec::new();
    for spec in body["sortSpecs"].as_array().into_iter().flatten() {
        let dim = u32_of(&spec["dimensionIndex"], "dimensionIndex")?.unwrap_or(0);
        if dim < rect.start_col || dim >= rect.end_col {
            return Err(format!("Invalid sortSpec: dimensionIndex {dim} is outside the range."));
        }
        let desc = match spec["sortOrder"].as_str() {
            None | Some("ASCENDING") | Some("SORT_ORDER_UNSPECIFIED") => false,
            Some("DESCENDING") => true,
            Some(other) => return Err(format!("Invalid sortOrder: {other}")),
        };
        specs.push((dim, desc));
    }
    if specs.is_empty() {
        specs.push((rect.start_col, false));
    }
    let index = book.sheets.iter().position(|s| s.id == rect.sheet_id).unwrap_or(0);
    let mut shifter = super::engine::Shifter::new(book);
    let sheet = sheet_mut(book, rect.sheet_id)?;
    let end_row = sheet.rows.range(rect.start_row..rect.end_row).next_back().map_or(rect.start_row, |(r, _)| r + 1);
    let mut lines: Vec<(u32, Vec<Option<Cell>>)> = (rect.start_row..end_row)
        .map(|r| (r, (rect.start_col..rect.end_col).map(|c| sheet.cell(r, c).cloned()).collect()))
        .collect();
    lines.sort_by(|(_, a), (_, b)| {
        for (dim, desc) in &specs {
            let i = (dim - rect.start_col) as usize;
            let (ka, kb) = (sort_key(a[i].as_ref()), sort_key(b[i].as_ref()));
            let blank = (ka.0 == 4, kb.0 == 4);
            let ord = match blank {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => {
                    let o = ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(ka.2.cmp(&kb.2));
                    if *desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
    // Rows move whole: their formulas' relative references move with them.
    for (i, (from_row, line)) in lines.into_iter().enumerate() {
        let to_row = rect.start_row + i as u32;
        for (j, cell) in line.into_iter().enumerate() {
            let col = rect.start_col + j as u32;
            let mut cell = cell.unwrap_or_default();
            if let Some(Input::Formula(f)) = &cell.input {
                cell.input = Some(Input::Formula(shifter.shift(f, (index, from_row, col), (index, to_row, col))));
            }
            sheet.put(to_row, col, cell);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(book: &mut Spreadsheet, req: Json) -> Result<Json> {
        let mut title = "T".to_string();
        apply(book, &mut title, &req, 0)
    }

    #[test]
    fn add_and_delete_sheets_with_errors() {
        let mut book = Spreadsheet::new();
        let r =
            run(&mut book, json!({"addSheet": {"properties": {"title": "Data", "gridProperties": {"rowCount": 5}}}}))
                .unwrap();
        assert_eq!(r["addSheet"]["properties"]["title"], "Data");
        assert_eq!(r["addSheet"]["properties"]["gridProperties"]["rowCount"], 5);
        let e = run(&mut book, json!({"addSheet": {"properties": {"title": "data"}}})).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid requests[0].addSheet: A sheet with the name \"data\" already exists. Please enter another name."
        );
        let e = run(&mut book, json!({"deleteSheet": {"sheetId": 999}})).unwrap_err();
        assert_eq!(e.message, "Invalid requests[0].deleteSheet: No grid with id: 999");
        run(&mut book, json!({"deleteSheet": {"sheetId": 0}})).unwrap();
        let last = book.sheets[0].id;
        let e = run(&mut book, json!({"deleteSheet": {"sheetId": last}})).unwrap_err();
        assert!(e.message.contains("can't remove all the visible sheets"));
        let e = run(&mut book, json!({"frobnicate": {}})).unwrap_err();
        assert!(e.message.contains("Unknown name \"frobnicate\""));
    }

    #[test]
    fn dimensions_shift_cells_and_sort_orders_rows() {
        let mut book = Spreadsheet::new();
        for (r, v) in [3.0, 1.0, 2.0].iter().enumerate() {
            book.sheets[0].put(r as u32, 0, Cell { input: Some(Input::Number(*v)), ..Cell::default() });
        }
        run(&mut book, json!({"sortRange": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3}, "sortSpecs": [{"dimensionIndex": 0}]}})).unwrap();
        let col: Vec<_> = (0..3).map(|r| book.sheets[0].cell(r, 0).map(Cell::value)).collect();
        assert_eq!(
            col,
            vec![
                Some(super::super::model::CellValue::Number(1.0)),
                Some(super::super::model::CellValue::Number(2.0)),
                Some(super::super::model::CellValue::Number(3.0))
            ]
        );
        run(
            &mut book,
            json!({"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}}}),
        )
        .unwrap();
        assert_eq!(book.sheets[0].row_count, 1002);
        assert!(book.sheets[0].cell(1, 0).is_none());
        assert!(book.sheets[0].cell(3, 0).is_some());
        run(
            &mut book,
            json!({"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 1}}}),
        )
        .unwrap();
        assert_eq!(book.sheets[0].row_count, 1001);
        assert!(book.sheets[0].cell(2, 0).is_some());
    }

    #[test]
    fn copy_cut_and_move() {
        let mut book = Spreadsheet::new();
        for (r, v) in [1.0, 2.0, 3.0].iter().enumerate() {
            book.sheets[0].put(r as u32, 0, Cell { input: Some(Input::Number(*v)), ..Cell::default() });
        }
        let range = |r0: u32, r1: u32, c0: u32, c1: u32| json!({"sheetId": 0, "startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0, "endColumnIndex": c1});
        run(&mut book, json!({"copyPaste": {"source": range(0, 1, 0, 1), "destination": range(0, 2, 2, 4)}})).unwrap();
        assert_eq!(book.sheets[0].cells_in(&book.sheets[0].whole()).filter(|(_, c, _)| *c >= 2).count(), 4);
        run(&mut book, json!({"cutPaste": {"source": range(0, 3, 0, 1), "destination": {"sheetId": 0, "rowIndex": 5, "columnIndex": 1}}})).unwrap();
        assert!(book.sheets[0].cell(0, 0).is_none());
        assert_eq!(book.sheets[0].cell(7, 1).map(Cell::value), Some(super::super::model::CellValue::Number(3.0)));
        run(&mut book, json!({"moveDimension": {"source": {"sheetId": 0, "dimension": "ROWS", "startIndex": 7, "endIndex": 8}, "destinationIndex": 5}})).unwrap();
        assert_eq!(book.sheets[0].cell(5, 1).map(Cell::value), Some(super::super::model::CellValue::Number(3.0)));
        assert_eq!(book.sheets[0].cell(6, 1).map(Cell::value), Some(super::super::model::CellValue::Number(1.0)));
        run(&mut book, json!({"updateBorders": {"range": range(0, 2, 0, 2), "top": {"style": "SOLID"}, "innerHorizontal": {"style": "DASHED"}}})).unwrap();
        let f = book.sheets[0].cell(1, 0).and_then(|c| c.format.clone()).unwrap();
        assert_eq!(f["borders"]["top"]["style"], "DASHED");
    }

    #[test]
    fn repeat_cell_merges_masked_format() {
        let mut book = Spreadsheet::new();
        run(&mut book, json!({"repeatCell": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 2},
            "cell": {"userEnteredFormat": {"textFormat": {"bold": true}, "numberFormat": {"type": "PERCENT", "pattern": "0.0%"}}},
            "fields": "userEnteredFormat(textFormat,numberFormat)"}})).unwrap();
        let cell = book.sheets[0].cell(0, 1).unwrap();
        assert_eq!(cell.format.as_ref().unwrap()["textFormat"]["bold"], true);
        assert_eq!(cell.number_format.as_ref().unwrap().pattern, "0.0%");
        let r = run(&mut book, json!({"findReplace": {"find": "x", "replacement": "y", "allSheets": true}})).unwrap();
        assert_eq!(r, json!({"findReplace": {}}));
    }
}
