//! `documents.batchUpdate` requests applied to a [`Document`] in order, each with
//! its reply. Refusals name the request (`Invalid requests[N].insertText: …`); the
//! caller keeps the stored document when one fails.

use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::model::{unit_len, Block, Bullet, Document, NamedRange, Para, Path, Placed, Table};
use crate::drive::fields::{Node, Selection};
use crate::sheets::errors::{snake, ApiError, Result};

type Refusal = String;

const OUTSIDE: &str = "The insertion index must be inside the bounds of an existing paragraph. You can still create new paragraphs by inserting newlines.";

pub fn apply(doc: &mut Document, req: &Json, index: usize) -> Result<Json> {
    let Some(obj) = req.as_object() else {
        return Err(ApiError::invalid(format!("Invalid requests[{index}]: a request object is required.")));
    };
    let mut kinds = obj.iter().filter(|(_, v)| !v.is_null());
    let (kind, body) = match (kinds.next(), kinds.next()) {
        (Some(k), None) => k,
        (None, _) => return Err(ApiError::invalid(format!("Invalid requests[{index}]: No request set."))),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(format!("Invalid requests[{index}]: Only one kind of request may be set.")))
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
        "insertText" => insert_text(doc, body).map(|_| json!({})),
        "deleteContentRange" => delete_range(doc, body).map(|_| json!({})),
        "replaceAllText" => replace_all(doc, body).map(|n| {
            if n == 0 {
                json!({"replaceAllText": {}})
            } else {
                json!({"replaceAllText": {"occurrencesChanged": n}})
            }
        }),
        "updateTextStyle" => update_text_style(doc, body).map(|_| json!({})),
        "updateParagraphStyle" => update_paragraph_style(doc, body).map(|_| json!({})),
        "createParagraphBullets" => bullets(doc, body, true).map(|_| json!({})),
        "deleteParagraphBullets" => bullets(doc, body, false).map(|_| json!({})),
        "insertTable" => insert_table(doc, body).map(|_| json!({})),
        "insertPageBreak" => insert_page_break(doc, body).map(|_| json!({})),
        "insertInlineImage" => insert_image(doc, body).map(|id| json!({"insertInlineImage": {"objectId": id}})),
        "insertTableRow" => table_op(doc, body, TableOp::InsertRow).map(|_| json!({})),
        "insertTableColumn" => table_op(doc, body, TableOp::InsertColumn).map(|_| json!({})),
        "deleteTableRow" => table_op(doc, body, TableOp::DeleteRow).map(|_| json!({})),
        "deleteTableColumn" => table_op(doc, body, TableOp::DeleteColumn).map(|_| json!({})),
        "createNamedRange" => create_named_range(doc, body).map(|id| json!({"createNamedRange": {"namedRangeId": id}})),
        "deleteNamedRange" => delete_named_range(doc, body).map(|_| json!({})),
        "updateDocumentStyle" => update_document_style(doc, body).map(|_| json!({})),
        "replaceNamedRangeContent" => replace_named_range_content(doc, body).map(|_| json!({})),
        "createHeader" => create_segment(doc, body, false).map(|id| json!({"createHeader": {"headerId": id}})),
        "createFooter" => create_segment(doc, body, true).map(|id| json!({"createFooter": {"footerId": id}})),
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
        "insertText" => &["text", "location", "endOfSegmentLocation"],
        "deleteContentRange" => &["range"],
        "replaceAllText" => &["replaceText", "containsText", "tabsCriteria"],
        "updateTextStyle" | "updateParagraphStyle" => &["range", "textStyle", "paragraphStyle", "fields"],
        "createParagraphBullets" => &["range", "bulletPreset"],
        "deleteParagraphBullets" => &["range"],
        "insertTable" => &["rows", "columns", "location", "endOfSegmentLocation"],
        "insertPageBreak" => &["location", "endOfSegmentLocation"],
        "insertInlineImage" => &["uri", "location", "endOfSegmentLocation", "objectSize"],
        "insertTableRow" => &["tableCellLocation", "insertBelow"],
        "insertTableColumn" => &["tableCellLocation", "insertRight"],
        "deleteTableRow" | "deleteTableColumn" => &["tableCellLocation"],
        "createNamedRange" => &["name", "range"],
        "deleteNamedRange" => &["namedRangeId", "name", "tabsCriteria"],
        "replaceNamedRangeContent" => &["text", "namedRangeId", "namedRangeName", "tabsCriteria"],
        "updateDocumentStyle" => &["documentStyle", "fields", "tabId"],
        "createHeader" | "createFooter" => &["type", "sectionBreakLocation"],
        _ => return None,
    })
}

/// The paragraph holding `index` (an index at a paragraph's newline included).
fn locate(doc: &Document, index: u32) -> std::result::Result<Placed, Refusal> {
    // One walk that stops at the paragraph, rather than measuring the whole document
    // twice (its end, then every paragraph) for each request of a batch.
    match doc.paragraph_at(index) {
        Some(p) => Ok(p),
        None => {
            let end = doc.end();
            if index >= end {
                return Err(format!("Index {index} must be less than the end index of the referenced segment, {end}."));
            }
            Err(OUTSIDE.to_string())
        }
    }
}

fn inside_pair(index: u32) -> Refusal {
    format!("The index {index} is inside a surrogate pair; indexes must not split a character.")
}

/// The unit position of a UTF-16 offset in a paragraph; refused inside a surrogate pair.
fn unit_at(units: &[(char, Map<String, Json>)], offset: u32, index: u32) -> std::result::Result<usize, Refusal> {
    let mut at = 0;
    for (i, (c, _)) in units.iter().enumerate() {
        if at == offset {
            return Ok(i);
        }
        at += unit_len(*c);
        if at > offset {
            return Err(inside_pair(index));
        }
    }
    Ok(units.len())
}

fn location(doc: &Document, body: &Json) -> std::result::Result<u32, Refusal> {
    match (&body["location"], &body["endOfSegmentLocation"]) {
        (Json::Object(_), Json::Object(_)) => {
            Err("Exactly one of location or endOfSegmentLocation must be set.".into())
        }
        (Json::Object(l), _) => {
            if l.get("segmentId").and_then(Json::as_str).is_some_and(|s| !s.is_empty()) {
                return Err("Headers, footers and footnotes are not supported by this twin.".into());
            }
            match l.get("index") {
                Some(v) => {
                    v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| "Invalid location.index.".to_string())
                }
                None => Ok(0),
            }
        }
        (_, Json::Object(_)) => Ok(doc.end() - 1),
        _ => Err("Exactly one of location or endOfSegmentLocation must be set.".into()),
    }
}

/// Characters Docs strips from inserted text.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| {
            let n = *c as u32;
            !(n <= 0x08 || (0x0c..=0x1f).contains(&n) && *c != '\n' || (0xe000..=0xf8ff).contains(&n))
        })
        .collect()
}

/// Inserts text (newlines split paragraphs) at `index`; returns the units inserted.
fn insert_at(doc: &mut Document, index: u32, text: &str, page_break: bool) -> std::result::Result<u32, Refusal> {
    insert_units(doc, index, text, if page_break { Some(('\u{c}', None)) } else { None })
}

/// Inserts text, led by a page break or an inline object when `lead` says so.
fn insert_units(
    doc: &mut Document,
    index: u32,
    text: &str,
    lead: Option<(char, Option<&str>)>,
) -> std::result::Result<u32, Refusal> {
    let placed = locate(doc, index)?;
    // Text within one paragraph, after a character of a text run: edited in place
    // (a paragraph taken apart char by char costs its length on every insert).
    if lead.is_none() && !text.is_empty() && !text.contains('\n') {
        let para = doc.para_mut(placed.path).ok_or(OUTSIDE)?;
        match para.insert_in_run(index - placed.start, text) {
            Some(Ok(added)) => {
                shift_ranges(doc, index, added as i64);
                return Ok(added);
            }
            Some(Err(())) => return Err(inside_pair(index)),
            None => {}
        }
    }
    insert_by_units(doc, placed, index, text, lead)
}

/// The general insert: the paragraph as units, the text spliced in, the result
/// split at newlines into paragraphs.
fn insert_by_units(
    doc: &mut Document,
    placed: Placed,
    index: u32,
    text: &str,
    lead: Option<(char, Option<&str>)>,
) -> std::result::Result<u32, Refusal> {
    let para = doc.para(placed.path).ok_or(OUTSIDE)?.clone();
    let mut units = para.units();
    let at = unit_at(&units, index - placed.start, index)?;
    // Inserted text takes the style of the character before it (or after, at the start).
    let mut style = if at > 0 {
        units[at - 1].1.clone()
    } else {
        units.first().map(|u| u.1.clone()).unwrap_or_else(|| para.end_style.clone())
    };
    style.remove(super::model::OBJECT_KEY);
    let mut new: Vec<(char, Map<String, Json>)> = text.chars().map(|c| (c, style.clone())).collect();
    if let Some((c, object)) = lead {
        let mut s = style.clone();
        if let Some(id) = object {
            s.insert(super::model::OBJECT_KEY.into(), json!(id));
        }
        new.insert(0, (c, s));
    }
    let added: u32 = new.iter().map(|(c, _)| unit_len(*c)).sum();
    let tail = units.split_off(at);
    units.extend(new);
    units.extend(tail);
    // Split at newlines: every piece but the last ends a paragraph of the same style.
    let mut pieces: Vec<Vec<(char, Map<String, Json>)>> = vec![Vec::new()];
    let mut newline_styles = Vec::new();
    for (c, s) in units {
        if c == '\n' {
            pieces.push(Vec::new());
            newline_styles.push(s);
        } else if let Some(last) = pieces.last_mut() {
            last.push((c, s));
        }
    }
    let mut paras: Vec<Para> = Vec::with_capacity(pieces.len());
    let count = pieces.len();
    for (i, piece) in pieces.into_iter().enumerate() {
        let mut p = Para::styled(para.end_style.clone(), para.style.clone(), para.bullet.clone());
        if i + 1 < count {
            p.end_style = newline_styles.get(i).cloned().unwrap_or_default();
        }
        p.set_units(piece);
        paras.push(p);
    }
    replace_para(doc, placed.path, paras)?;
    shift_ranges(doc, index, added as i64);
    Ok(added)
}

/// Replaces one paragraph by several in its container.
fn replace_para(doc: &mut Document, path: Path, paras: Vec<Para>) -> std::result::Result<(), Refusal> {
    match path {
        Path::Body(b) => {
            doc.body.splice(b..=b, paras.into_iter().map(|p| Arc::new(Block::Para(p))));
        }
        Path::Cell { .. } => {
            let (cell, i) = doc.container_mut(path).ok_or(OUTSIDE)?;
            cell.splice(i..=i, paras);
        }
    }
    Ok(())
}

fn shift_ranges(doc: &mut Document, at: u32, by: i64) {
    for r in &mut doc.named_ranges {
        let shift = |x: u32| -> u32 {
            if x < at {
                x
            } else {
                (x as i64 + by).max(at as i64) as u32
            }
        };
        r.start = if r.start < at { r.start } else { shift(r.start) };
        r.end = shift(r.end);
    }
    doc.named_ranges.retain(|r| r.end > r.start);
}

fn insert_text(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let index = location(doc, body)?;
    let text = clean(body["text"].as_str().unwrap_or(""));
    if text.is_empty() {
        return Ok(());
    }
    insert_at(doc, index, &text, false).map(|_| ())
}

fn points(v: &Json) -> std::result::Result<Option<f64>, Refusal> {
    match v {
        Json::Null => Ok(None),
        v => match (v["magnitude"].as_f64(), v["unit"].as_str()) {
            (Some(m), Some("PT") | None) if m > 0.0 => Ok(Some(m)),
            _ => Err("The object size must be a positive magnitude in PT.".into()),
        },
    }
}

fn insert_image(doc: &mut Document, body: &Json) -> std::result::Result<String, Refusal> {
    let uri = body["uri"].as_str().unwrap_or("");
    if uri.is_empty() || uri.len() > 2048 || !(uri.starts_with("https://") || uri.starts_with("http://")) {
        return Err("The image URI must be a public http(s) URL of at most 2 kB.".into());
    }
    let width = points(&body["objectSize"]["width"])?;
    let height = points(&body["objectSize"]["height"])?;
    let index = location(doc, body)?;
    let id = doc.fresh_id("kix.");
    insert_units(doc, index, "", Some((super::model::OBJECT_UNIT, Some(&id))))?;
    doc.inline_objects.push(super::model::InlineObject { id: id.clone(), uri: uri.to_string(), width, height });
    Ok(id)
}

fn insert_page_break(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let index = location(doc, body)?;
    if let Placed { path: Path::Cell { .. }, .. } = locate(doc, index)? {
        return Err("Page breaks cannot be inserted inside a table.".into());
    }
    insert_at(doc, index, "\n", true).map(|_| ())
}

fn range_of(doc: &Document, v: &Json) -> std::result::Result<(u32, u32), Refusal> {
    if v["segmentId"].as_str().is_some_and(|s| !s.is_empty()) {
        return Err("Headers, footers and footnotes are not supported by this twin.".into());
    }
    let start = u32::try_from(v["startIndex"].as_u64().unwrap_or(0)).map_err(|_| "Invalid startIndex.")?;
    let end = v["endIndex"].as_u64().ok_or("The range's endIndex is required.")?;
    let end = u32::try_from(end).map_err(|_| "Invalid endIndex.")?;
    if start >= end {
        return Err(format!("The range should not be empty: startIndex {start} must be less than endIndex {end}."));
    }
    let doc_end = doc.end();
    if end > doc_end {
        return Err(format!("Index {} must be less than the end index of the referenced segment, {doc_end}.", end - 1));
    }
    if start < 1 {
        return Err("The range must start at index 1 or later (index 0 is the section break).".into());
    }
    Ok((start, end))
}

fn delete_range(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let (start, end) = range_of(doc, &body["range"])?;
    if end == doc.end() {
        return Err("The range cannot include the newline character at the end of the segment.".into());
    }
    let paras = doc.paragraphs();
    let first = paras
        .iter()
        .find(|p| p.start <= start && start < p.end)
        .copied()
        .ok_or("Invalid deletion range: it starts outside a paragraph.")?;
    let last = paras
        .iter()
        .find(|p| p.start < end && end <= p.end)
        .copied()
        .ok_or("Invalid deletion range: it ends outside a paragraph.")?;
    let same_container = match (first.path, last.path) {
        (Path::Body(_), Path::Body(_)) => true,
        (Path::Cell { block: a, row: r1, col: c1, .. }, Path::Cell { block: b, row: r2, col: c2, .. }) => {
            (a, r1, c1) == (b, r2, c2)
        }
        _ => false,
    };
    if !same_container {
        return Err("Invalid deletion range. Cannot delete part of a table, or across table cells.".into());
    }
    if let (Path::Cell { .. }, true) =
        (last.path, end == last.end && Some(&last) == paras.iter().rfind(|p| same_cell(p.path, last.path)))
    {
        return Err("The range cannot include the newline character at the end of the segment.".into());
    }
    let head = doc.para(first.path).ok_or(OUTSIDE)?.clone();
    let tail = doc.para(last.path).ok_or(OUTSIDE)?.clone();
    let hu = head.units();
    let tu = tail.units();
    let cut = unit_at(&hu, start - first.start, start)?;
    // `end` may be the last paragraph's end (its newline deleted, joining the next).
    let (tail_units, tail_para) = if end == last.end {
        let next = paras
            .iter()
            .find(|p| p.start == last.end)
            .copied()
            .ok_or("The range cannot include the newline character at the end of the segment.")?;
        if !same_cell(next.path, last.path) {
            return Err("Invalid deletion range. Cannot delete the newline before a table.".into());
        }
        let np = doc.para(next.path).ok_or(OUTSIDE)?.clone();
        (np.units(), np)
    } else {
        let from = unit_at(&tu, end - last.start, end)?;
        (tu[from..].to_vec(), tail)
    };
    let mut merged = hu[..cut].to_vec();
    merged.extend(tail_units);
    let mut p = Para::styled(tail_para.end_style.clone(), head.style.clone(), head.bullet.clone());
    p.set_units(merged);
    let last_path = if end == last.end {
        paras.iter().find(|p| p.start == last.end).map(|p| p.path).unwrap_or(last.path)
    } else {
        last.path
    };
    match (first.path, last_path) {
        (Path::Body(a), Path::Body(b)) => {
            doc.body.splice(a..=b, std::iter::once(Arc::new(Block::Para(p))));
        }
        (Path::Cell { para: a, .. }, Path::Cell { para: b, .. }) => {
            let (cell, _) = doc.container_mut(first.path).ok_or(OUTSIDE)?;
            cell.splice(a..=b, std::iter::once(p));
        }
        _ => return Err("Invalid deletion range.".into()),
    }
    shift_ranges(doc, start, -((end - start) as i64));
    Ok(())
}

fn same_cell(a: Path, b: Path) -> bool {
    match (a, b) {
        (Path::Body(_), Path::Body(_)) => true,
        (Path::Cell { block: x, row: r1, col: c1, .. }, Path::Cell { block: y, row: r2, col: c2, .. }) => {
            (x, r1, c1) == (y, r2, c2)
        }
        _ => false,
    }
}

fn replace_all(doc: &mut Document, body: &Json) -> std::result::Result<u32, Refusal> {
    let find = body["containsText"]["text"].as_str().unwrap_or("");
    if find.is_empty() {
        return Err("containsText.text must not be empty.".into());
    }
    if body["containsText"]["searchByRegex"].as_bool().unwrap_or(false) {
        return Err("searchByRegex is not supported by this twin.".into());
    }
    let match_case = body["containsText"]["matchCase"].as_bool().unwrap_or(false);
    let with = clean(body["replaceText"].as_str().unwrap_or(""));
    let needle: Vec<char> = find.chars().collect();
    let eq = |a: char, b: char| if match_case { a == b } else { a.to_lowercase().eq(b.to_lowercase()) };
    let mut total = 0;
    for placed in doc.paragraphs() {
        let Some(para) = doc.para(placed.path) else { continue };
        let units = para.units();
        let mut out = Vec::with_capacity(units.len());
        let mut i = 0;
        let mut n = 0;
        while i < units.len() {
            if i + needle.len() <= units.len() && needle.iter().enumerate().all(|(k, c)| eq(units[i + k].0, *c)) {
                let style = units[i].1.clone();
                out.extend(with.chars().filter(|c| *c != '\n').map(|c| (c, style.clone())));
                i += needle.len();
                n += 1;
            } else {
                out.push(units[i].clone());
                i += 1;
            }
        }
        if n > 0 {
            total += n;
            if let Some(p) = doc.para_mut(placed.path) {
                p.set_units(out);
            }
        }
    }
    Ok(total)
}

fn mask(fields: &Json) -> std::result::Result<Selection, Refusal> {
    let text = fields.as_str().unwrap_or("").trim();
    if text.is_empty() {
        return Err("At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)".into());
    }
    Selection::parse(&text.replace('.', "/")).map_err(|bad| format!("Invalid field mask: {bad}"))
}

/// Copies masked members of `src` into `dst`; masked members `src` lacks are unset.
fn merge(dst: &mut Map<String, Json>, src: &Json, sel: &Selection) {
    let keys: Vec<String> = if sel.0.contains_key("*") {
        let mut k: Vec<String> = src.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        k.extend(dst.keys().cloned());
        k
    } else {
        sel.0.keys().cloned().collect()
    };
    for key in keys {
        let node = sel.0.get(&key).or_else(|| sel.0.get("*")).cloned().unwrap_or(Node::All);
        match (node, &src[&key]) {
            (_, Json::Null) => {
                dst.remove(&key);
            }
            (Node::Sub(sub), v @ Json::Object(_)) => {
                let mut inner = dst.get(&key).and_then(|d| d.as_object().cloned()).unwrap_or_default();
                merge(&mut inner, v, &sub);
                dst.insert(key, Json::Object(inner));
            }
            (_, v) => {
                dst.insert(key, v.clone());
            }
        }
    }
}

fn update_text_style(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let (start, end) = range_of(doc, &body["range"])?;
    let sel = mask(&body["fields"])?;
    let style = &body["textStyle"];
    for placed in doc.paragraphs() {
        if placed.end <= start || placed.start >= end {
            continue;
        }
        let Some(para) = doc.para(placed.path) else { continue };
        let mut units = para.units();
        let mut at = placed.start;
        for (c, s) in units.iter_mut() {
            if at >= start && at < end {
                merge(s, style, &sel);
            }
            at += unit_len(*c);
        }
        let covers_newline = placed.end > start && placed.end - 1 < end;
        if let Some(p) = doc.para_mut(placed.path) {
            p.set_units(units);
            if covers_newline {
                let mut s = p.end_style.clone();
                merge(&mut s, style, &sel);
                p.end_style = s;
            }
        }
    }
    Ok(())
}

const NAMED_STYLES: &[&str] =
    &["NORMAL_TEXT", "TITLE", "SUBTITLE", "HEADING_1", "HEADING_2", "HEADING_3", "HEADING_4", "HEADING_5", "HEADING_6"];

fn update_paragraph_style(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let (start, end) = range_of(doc, &body["range"])?;
    let sel = mask(&body["fields"])?;
    let style = &body["paragraphStyle"];
    if let Some(n) = style["namedStyleType"].as_str() {
        if !NAMED_STYLES.contains(&n) {
            return Err(format!("Invalid value for namedStyleType: {n}"));
        }
    }
    for placed in doc.paragraphs() {
        if placed.end <= start || placed.start >= end {
            continue;
        }
        if let Some(p) = doc.para_mut(placed.path) {
            merge(&mut p.style, style, &sel);
        }
    }
    Ok(())
}

fn bullets(doc: &mut Document, body: &Json, create: bool) -> std::result::Result<(), Refusal> {
    let (start, end) = range_of(doc, &body["range"])?;
    let list = if create {
        let preset = body["bulletPreset"].as_str().unwrap_or("BULLET_DISC_CIRCLE_SQUARE").to_string();
        let id = doc.fresh_id("kix.");
        doc.lists.push((id.clone(), preset));
        Some(id)
    } else {
        None
    };
    for placed in doc.paragraphs() {
        if placed.end <= start || placed.start >= end {
            continue;
        }
        if let Some(p) = doc.para_mut(placed.path) {
            p.bullet = list.as_ref().map(|id| Bullet { list_id: id.clone(), nesting: 0 });
        }
    }
    Ok(())
}

fn insert_table(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let rows = body["rows"].as_u64().unwrap_or(0);
    let cols = body["columns"].as_u64().unwrap_or(0);
    if !(1..=1000).contains(&rows) || !(1..=20).contains(&cols) {
        return Err("A table must have between 1 and 1000 rows and between 1 and 20 columns.".into());
    }
    let index = location(doc, body)?;
    let placed = locate(doc, index)?;
    let Path::Body(_) = placed.path else { return Err("Tables cannot be inserted inside a table.".into()) };
    // A newline first: the table goes between the two halves of the paragraph.
    insert_at(doc, index, "\n", false)?;
    let after = doc.paragraphs().into_iter().find(|p| p.start == index + 1).ok_or(OUTSIDE)?;
    let Path::Body(b) = after.path else { return Err(OUTSIDE.into()) };
    let table = Table::new(rows as u32, cols as u32);
    let len = table.len();
    doc.body.insert(b, Arc::new(Block::Table(table)));
    shift_ranges(doc, index + 1, len as i64);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TableOp {
    InsertRow,
    InsertColumn,
    DeleteRow,
    DeleteColumn,
}

/// Rows and columns of the table starting at `tableCellLocation.tableStartLocation.index`.
fn table_op(doc: &mut Document, body: &Json, op: TableOp) -> std::result::Result<(), Refusal> {
    let loc = &body["tableCellLocation"];
    let start = loc["tableStartLocation"]["index"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or("tableCellLocation.tableStartLocation.index is required.")?;
    let row = loc["rowIndex"].as_u64().unwrap_or(0) as usize;
    let col = loc["columnIndex"].as_u64().unwrap_or(0) as usize;
    let mut at = 1;
    let mut found = None;
    for (b, block) in doc.body.iter().enumerate() {
        if at == start && matches!(**block, Block::Table(_)) {
            found = Some(b);
            break;
        }
        at += block.len();
    }
    let b = found.ok_or_else(|| format!("Invalid table start location: no table starts at index {start}."))?;
    let before = doc.body[b].len();
    let Block::Table(t) = Arc::make_mut(&mut doc.body[b]) else { return Err("No table there.".into()) };
    if row >= t.rows.len() || col >= t.columns as usize {
        return Err(format!("The table has no cell at row {row}, column {col}."));
    }
    match op {
        TableOp::InsertRow => {
            let below = body["insertBelow"].as_bool().unwrap_or(false);
            let cells = (0..t.columns).map(|_| vec![Para::new()]).collect();
            t.rows.insert(if below { row + 1 } else { row }, cells);
        }
        TableOp::InsertColumn => {
            let right = body["insertRight"].as_bool().unwrap_or(false);
            if t.columns >= 20 {
                return Err("A table may have at most 20 columns.".into());
            }
            for r in &mut t.rows {
                r.insert(if right { col + 1 } else { col }, vec![Para::new()]);
            }
            t.columns += 1;
        }
        TableOp::DeleteRow => {
            if t.rows.len() == 1 {
                return Err("Deleting the last row of a table is not allowed; delete the table instead.".into());
            }
            t.rows.remove(row);
        }
        TableOp::DeleteColumn => {
            if t.columns == 1 {
                return Err("Deleting the last column of a table is not allowed; delete the table instead.".into());
            }
            for r in &mut t.rows {
                r.remove(col);
            }
            t.columns -= 1;
        }
    }
    let after = doc.body[b].len();
    shift_ranges(doc, start + 1, after as i64 - before as i64);
    Ok(())
}

fn create_named_range(doc: &mut Document, body: &Json) -> std::result::Result<String, Refusal> {
    let name = body["name"].as_str().unwrap_or("");
    let len = name.encode_utf16().count();
    if !(1..=256).contains(&len) {
        return Err("The name must be between 1 and 256 characters long.".into());
    }
    let (start, end) = range_of(doc, &body["range"])?;
    let id = doc.fresh_id("kix.");
    doc.named_ranges.push(NamedRange { id: id.clone(), name: name.to_string(), start, end });
    Ok(id)
}

fn delete_named_range(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let before = doc.named_ranges.len();
    match (body["namedRangeId"].as_str(), body["name"].as_str()) {
        (Some(id), None) => doc.named_ranges.retain(|r| r.id != id),
        (None, Some(name)) => doc.named_ranges.retain(|r| r.name != name),
        _ => return Err("Exactly one of namedRangeId or name must be set.".into()),
    }
    if doc.named_ranges.len() == before {
        return Err("The named range was not found.".into());
    }
    Ok(())
}

/// Replaces the text of every range of a named range (by id or name) with `text`;
/// the named range then covers the new text.
fn replace_named_range_content(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let text = clean(body["text"].as_str().unwrap_or(""));
    let targets: Vec<NamedRange> = match (body["namedRangeId"].as_str(), body["namedRangeName"].as_str()) {
        (Some(id), None) => doc.named_ranges.iter().filter(|r| r.id == id).cloned().collect(),
        (None, Some(name)) => doc.named_ranges.iter().filter(|r| r.name == name).cloned().collect(),
        _ => return Err("Exactly one of namedRangeId or namedRangeName must be set.".into()),
    };
    if targets.is_empty() {
        return Err("The named range was not found.".into());
    }
    let mut targets = targets;
    targets.sort_by_key(|r| std::cmp::Reverse(r.start));
    for r in targets {
        delete_range(doc, &json!({"range": {"startIndex": r.start, "endIndex": r.end}}))?;
        let added = if text.is_empty() { 0 } else { insert_at(doc, r.start, &text, false)? };
        doc.named_ranges.retain(|n| n.id != r.id);
        if added > 0 {
            doc.named_ranges.push(NamedRange { end: r.start + added, ..r });
        }
    }
    Ok(())
}

/// `createHeader` / `createFooter`: one default segment of each kind.
fn create_segment(doc: &mut Document, body: &Json, footer: bool) -> std::result::Result<String, Refusal> {
    let kind = body["type"].as_str().unwrap_or("");
    if kind != "DEFAULT" {
        return Err(format!("Invalid type: {kind:?}; only DEFAULT is supported."));
    }
    if doc.segments.iter().any(|(_, f)| *f == footer) {
        return Err(format!("A default {} already exists.", if footer { "footer" } else { "header" }));
    }
    let id = doc.fresh_id("kix.");
    doc.segments.push((id.clone(), footer));
    let key = if footer { "defaultFooterId" } else { "defaultHeaderId" };
    doc.document_style.insert(key.into(), json!(id));
    Ok(id)
}

fn update_document_style(doc: &mut Document, body: &Json) -> std::result::Result<(), Refusal> {
    let sel = mask(&body["fields"])?;
    let mut style = doc.document_style.clone();
    merge(&mut style, &body["documentStyle"], &sel);
    doc.document_style = style;
    Ok(())
}

/// An empty paragraph run list helper for tests.
#[cfg(test)]
fn text_of(doc: &Document) -> String {
    doc.plain_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(doc: &mut Document, req: Json) -> Result<Json> {
        apply(doc, &req, 0)
    }

    /// The in-place insert gives what the unit-by-unit one gives, at every index
    /// of a paragraph of styled runs, an emoji, a page break and an inline image.
    #[test]
    fn in_place_insert_agrees_with_the_unit_edit() {
        let mut doc = Document::new();
        for req in [
            json!({"insertText": {"location": {"index": 1}, "text": "plain bold 😀 tail"}}),
            json!({"updateTextStyle": {"range": {"startIndex": 7, "endIndex": 11}, "textStyle": {"bold": true}, "fields": "bold"}}),
            json!({"insertPageBreak": {"location": {"index": 14}}}),
            json!({"insertInlineImage": {"location": {"index": 3}, "uri": "https://example.com/a.png"}}),
        ] {
            run(&mut doc, req).unwrap();
        }
        let end = doc.end();
        let mut fast_paths = 0;
        for index in 1..end {
            let (mut fast, mut slow) = (doc.clone(), doc.clone());
            let placed = locate(&slow, index).unwrap();
            let by_units = insert_by_units(&mut slow, placed, index, "ab", None);
            let placed = locate(&fast, index).unwrap();
            let in_place = fast.para_mut(placed.path).unwrap().insert_in_run(index - placed.start, "ab");
            match in_place {
                Some(Ok(added)) => {
                    fast_paths += 1;
                    assert_eq!(Ok(added), by_units, "index {index}");
                    assert_eq!(fast.para(placed.path), slow.para(placed.path), "index {index}");
                    assert_eq!(fast.para(placed.path).map(Para::len), slow.para(placed.path).map(Para::len));
                }
                Some(Err(())) => assert!(by_units.unwrap_err().contains("surrogate pair"), "index {index}"),
                None => {}
            }
        }
        assert!(fast_paths > 10, "{fast_paths} in-place inserts of {end}");
    }

    #[test]
    fn insert_split_delete_and_indexes() {
        let mut doc = Document::new();
        run(&mut doc, json!({"insertText": {"location": {"index": 1}, "text": "Hello 😀 world\nSecond"}})).unwrap();
        assert_eq!(text_of(&doc), "Hello 😀 world\nSecond\n");
        assert_eq!(doc.end(), 1 + 15 + 7);
        let e = run(&mut doc, json!({"insertText": {"location": {"index": 8}, "text": "x"}})).unwrap_err();
        assert!(e.message.contains("surrogate pair"), "{}", e.message);
        let e = run(&mut doc, json!({"insertText": {"location": {"index": 40}, "text": "x"}})).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid requests[0].insertText: Index 40 must be less than the end index of the referenced segment, 23."
        );
        let e = run(&mut doc, json!({"insertText": {"location": {"index": 0}, "text": "x"}})).unwrap_err();
        assert!(e.message.contains("inside the bounds of an existing paragraph"));
        // Delete across the paragraph boundary: "world\nSeco" (10..20) goes.
        run(&mut doc, json!({"deleteContentRange": {"range": {"startIndex": 10, "endIndex": 20}}})).unwrap();
        assert_eq!(text_of(&doc), "Hello 😀 nd\n");
        let end = doc.end();
        let e =
            run(&mut doc, json!({"deleteContentRange": {"range": {"startIndex": 1, "endIndex": end}}})).unwrap_err();
        assert!(e.message.contains("newline character at the end of the segment"));
        run(&mut doc, json!({"insertText": {"endOfSegmentLocation": {}, "text": "!"}})).unwrap();
        assert_eq!(text_of(&doc), "Hello 😀 nd!\n");
    }

    #[test]
    fn replace_styles_tables_and_ranges() {
        let mut doc = Document::from_text("cat and Cat\ndog\n");
        let r =
            run(&mut doc, json!({"replaceAllText": {"containsText": {"text": "cat"}, "replaceText": "fox"}})).unwrap();
        assert_eq!(r, json!({"replaceAllText": {"occurrencesChanged": 2}}));
        let r = run(
            &mut doc,
            json!({"replaceAllText": {"containsText": {"text": "zebra", "matchCase": true}, "replaceText": "x"}}),
        )
        .unwrap();
        assert_eq!(r, json!({"replaceAllText": {}}));
        run(&mut doc, json!({"updateTextStyle": {"range": {"startIndex": 1, "endIndex": 4}, "textStyle": {"bold": true}, "fields": "bold"}})).unwrap();
        if let Block::Para(p) = &*doc.body[0] {
            assert_eq!(p.runs()[0].text, "fox");
            assert_eq!(p.runs()[0].style["bold"], true);
            assert_eq!(p.runs()[1].text, " and fox");
        }
        run(&mut doc, json!({"insertTable": {"rows": 2, "columns": 2, "location": {"index": 13}}})).unwrap();
        let ps = doc.paragraphs();
        // "fox and fox\n" 1-13, "\n" 13-14, table 14…, "dog\n".
        assert_eq!((ps[1].start, ps[1].end), (13, 14));
        assert_eq!(ps[2].start, 17);
        run(&mut doc, json!({"insertText": {"location": {"index": 17}, "text": "A1"}})).unwrap();
        assert_eq!(doc.plain_text(), "fox and fox\n\nA1\n\n\n\ndog\n");
        let e = run(&mut doc, json!({"insertText": {"location": {"index": 14}, "text": "x"}})).unwrap_err();
        assert!(e.message.contains("inside the bounds of an existing paragraph"));
        let id =
            run(&mut doc, json!({"createNamedRange": {"name": "dogs", "range": {"startIndex": 29, "endIndex": 32}}}))
                .unwrap();
        assert!(id["createNamedRange"]["namedRangeId"].as_str().unwrap().starts_with("kix."));
    }

    #[test]
    fn table_rows_and_columns() {
        let mut doc = Document::from_text("a\n");
        run(&mut doc, json!({"insertTable": {"rows": 2, "columns": 2, "location": {"index": 1}}})).unwrap();
        // "\n" 1-2, table at 2.
        run(&mut doc, json!({"insertTableRow": {"tableCellLocation": {"tableStartLocation": {"index": 2}, "rowIndex": 1}, "insertBelow": true}})).unwrap();
        run(
            &mut doc,
            json!({"deleteTableColumn": {"tableCellLocation": {"tableStartLocation": {"index": 2}, "columnIndex": 1}}}),
        )
        .unwrap();
        let Block::Table(t) = &*doc.body[1] else { panic!("no table") };
        assert_eq!((t.rows.len(), t.columns), (3, 1));
        let e = run(&mut doc, json!({"deleteTableRow": {"tableCellLocation": {"tableStartLocation": {"index": 1}}}}))
            .unwrap_err();
        assert!(e.message.contains("no table starts at index 1"), "{}", e.message);
    }

    #[test]
    fn named_range_content_and_segments() {
        let mut doc = Document::from_text("Owner: TBD today\n");
        let r =
            run(&mut doc, json!({"createNamedRange": {"name": "owner", "range": {"startIndex": 8, "endIndex": 11}}}))
                .unwrap();
        let id = r["createNamedRange"]["namedRangeId"].as_str().unwrap().to_string();
        run(&mut doc, json!({"replaceNamedRangeContent": {"namedRangeId": id, "text": "Dave Diaz"}})).unwrap();
        assert_eq!(doc.plain_text(), "Owner: Dave Diaz today\n");
        assert_eq!((doc.named_ranges[0].start, doc.named_ranges[0].end), (8, 17));
        let h = run(&mut doc, json!({"createHeader": {"type": "DEFAULT"}})).unwrap();
        assert!(h["createHeader"]["headerId"].is_string());
        let e = run(&mut doc, json!({"createHeader": {"type": "DEFAULT"}})).unwrap_err();
        assert!(e.message.contains("already exists"));
    }
}
