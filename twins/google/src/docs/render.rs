//! The `Document` resource as Docs renders it: the body's structural elements
//! with their UTF-16 indexes (the section break without a `startIndex`),
//! `documentStyle`, `namedStyles`, `lists`, `namedRanges` and `revisionId`.

use serde_json::{json, Map, Value as Json};

use super::model::{Block, Document, Para};

/// The opaque revision id of a revision of a document.
pub fn revision_id(doc_id: &str, revision: u64) -> String {
    let h = crate::drive::fnv(&format!("{doc_id}:{revision}"));
    format!("ALBJ{revision:x}_{h:016x}")
}

fn paragraph(p: &Para, start: u32) -> Json {
    let mut elements = Vec::new();
    let mut at = start;
    let last = p.runs().len();
    for (i, r) in p.runs().iter().enumerate() {
        let len = super::model::run_len(r);
        if let Some(id) = &r.object {
            elements.push(json!({"startIndex": at, "endIndex": at + len,
                                 "inlineObjectElement": {"inlineObjectId": id, "textStyle": r.style}}));
            at += len;
            continue;
        }
        if r.page_break {
            elements.push(json!({"startIndex": at, "endIndex": at + len, "pageBreak": {"textStyle": r.style}}));
            at += len;
            continue;
        }
        // The newline joins the last run when it has the same style.
        let joins = i + 1 == last && r.style == p.end_style;
        let (content, end) = if joins { (format!("{}\n", r.text), at + len + 1) } else { (r.text.clone(), at + len) };
        elements
            .push(json!({"startIndex": at, "endIndex": end, "textRun": {"content": content, "textStyle": r.style}}));
        at = end;
    }
    let newline_joined = p.runs().last().is_some_and(|r| !r.page_break && r.object.is_none() && r.style == p.end_style);
    if !newline_joined {
        elements.push(
            json!({"startIndex": at, "endIndex": at + 1, "textRun": {"content": "\n", "textStyle": p.end_style}}),
        );
        at += 1;
    }
    let mut style = Map::new();
    style.insert("namedStyleType".into(), json!("NORMAL_TEXT"));
    style.insert("direction".into(), json!("LEFT_TO_RIGHT"));
    for (k, v) in &p.style {
        style.insert(k.clone(), v.clone());
    }
    let mut para = json!({"elements": elements, "paragraphStyle": style});
    if let Some(b) = &p.bullet {
        let mut bullet = json!({"listId": b.list_id, "textStyle": {}});
        if b.nesting > 0 {
            bullet["nestingLevel"] = json!(b.nesting);
        }
        para["bullet"] = bullet;
    }
    let mut out = json!({"endIndex": at, "paragraph": para});
    if start > 0 {
        out["startIndex"] = json!(start);
    }
    out
}

pub fn body_content(doc: &Document) -> Vec<Json> {
    let mut content = vec![json!({"endIndex": 1, "sectionBreak": {"sectionStyle": {
        "columnSeparatorStyle": "NONE", "contentDirection": "LEFT_TO_RIGHT", "sectionType": "CONTINUOUS"}}})];
    let mut at = 1;
    for block in &doc.body {
        match &**block {
            Block::Para(p) => {
                content.push(paragraph(p, at));
                at += p.len();
            }
            Block::Table(t) => {
                let table_start = at;
                at += 1;
                let rows: Vec<Json> = t
                    .rows
                    .iter()
                    .map(|row| {
                        let row_start = at;
                        at += 1;
                        let cells: Vec<Json> = row
                            .iter()
                            .map(|cell| {
                                let cell_start = at;
                                at += 1;
                                let content: Vec<Json> = cell
                                    .iter()
                                    .map(|p| {
                                        let j = paragraph(p, at);
                                        at += p.len();
                                        j
                                    })
                                    .collect();
                                json!({"startIndex": cell_start, "endIndex": at, "content": content,
                                       "tableCellStyle": {"rowSpan": 1, "columnSpan": 1, "contentAlignment": "TOP"}})
                            })
                            .collect();
                        json!({"startIndex": row_start, "endIndex": at, "tableCells": cells,
                               "tableRowStyle": {"minRowHeight": {"unit": "PT"}}})
                    })
                    .collect();
                at += 1;
                content.push(json!({"startIndex": table_start, "endIndex": at, "table": {
                    "rows": t.rows.len(), "columns": t.columns, "tableRows": rows,
                    "tableStyle": {"tableColumnProperties": (0..t.columns).map(|_| json!({"widthType": "EVENLY_DISTRIBUTED"})).collect::<Vec<_>>()}}}));
            }
        }
    }
    content
}

fn named_styles() -> Json {
    let style = |name: &str, size: f64, bold: bool| {
        json!({"namedStyleType": name,
               "textStyle": {"bold": bold, "italic": false, "underline": false, "strikethrough": false, "smallCaps": false,
                              "fontSize": {"magnitude": size, "unit": "PT"},
                              "weightedFontFamily": {"fontFamily": "Arial", "weight": 400}},
               "paragraphStyle": {"namedStyleType": name, "alignment": "START", "lineSpacing": 115, "direction": "LEFT_TO_RIGHT"}})
    };
    json!({"styles": [
        style("NORMAL_TEXT", 11.0, false), style("HEADING_1", 20.0, false), style("HEADING_2", 16.0, false),
        style("HEADING_3", 14.0, false), style("HEADING_4", 12.0, false), style("HEADING_5", 11.0, false),
        style("HEADING_6", 11.0, false), style("TITLE", 26.0, false), style("SUBTITLE", 15.0, false),
    ]})
}

fn document_style(doc: &Document) -> Json {
    let mut s = json!({
        "background": {"color": {}},
        "pageNumberStart": 1,
        "marginTop": {"magnitude": 72, "unit": "PT"},
        "marginBottom": {"magnitude": 72, "unit": "PT"},
        "marginRight": {"magnitude": 72, "unit": "PT"},
        "marginLeft": {"magnitude": 72, "unit": "PT"},
        "pageSize": {"height": {"magnitude": 792, "unit": "PT"}, "width": {"magnitude": 612, "unit": "PT"}},
        "marginHeader": {"magnitude": 36, "unit": "PT"},
        "marginFooter": {"magnitude": 36, "unit": "PT"},
        "useCustomHeaderFooterMargins": true,
        "documentFormat": {"documentMode": "PAGES"},
    });
    for (k, v) in &doc.document_style {
        s[k] = v.clone();
    }
    s
}

/// The whole resource; with `tabs`, the content moves into the first tab.
pub fn document_json(id: &str, title: &str, doc: &Document, tabs: bool) -> Json {
    let mut body_part = json!({
        "body": {"content": body_content(doc)},
        "documentStyle": document_style(doc),
        "namedStyles": named_styles(),
    });
    if !doc.lists.is_empty() {
        let lists: Map<String, Json> = doc
            .lists
            .iter()
            .map(|(id, preset)| {
                let glyph = if preset.starts_with("NUMBERED") { json!({"glyphType": "DECIMAL", "glyphFormat": "%0."}) } else { json!({"glyphSymbol": "●", "glyphFormat": "%0"}) };
                let mut level = json!({"bulletAlignment": "START", "startNumber": 1, "indentFirstLine": {"magnitude": 18, "unit": "PT"},
                                       "indentStart": {"magnitude": 36, "unit": "PT"}, "textStyle": {"underline": false}});
                for (k, v) in glyph.as_object().into_iter().flatten() {
                    level[k] = v.clone();
                }
                (id.clone(), json!({"listProperties": {"nestingLevels": [level]}}))
            })
            .collect();
        body_part["lists"] = Json::Object(lists);
    }
    // Objects whose element was deleted are gone, as in Docs.
    let mut live = std::collections::BTreeSet::new();
    for placed in doc.paragraphs() {
        if let Some(p) = doc.para(placed.path) {
            live.extend(p.runs().iter().filter_map(|r| r.object.clone()));
        }
    }
    if doc.inline_objects.iter().any(|o| live.contains(&o.id)) {
        let objects: Map<String, Json> = doc
            .inline_objects
            .iter()
            .filter(|o| live.contains(&o.id))
            .map(|o| {
                let mut embedded = json!({"imageProperties": {"contentUri": o.uri, "sourceUri": o.uri},
                                          "embeddedObjectBorder": {"propertyState": "NOT_RENDERED"}});
                if let (Some(w), Some(h)) = (o.width, o.height) {
                    embedded["size"] =
                        json!({"width": {"magnitude": w, "unit": "PT"}, "height": {"magnitude": h, "unit": "PT"}});
                }
                (o.id.clone(), json!({"objectId": o.id, "inlineObjectProperties": {"embeddedObject": embedded}}))
            })
            .collect();
        body_part["inlineObjects"] = Json::Object(objects);
    }
    for (id, footer) in &doc.segments {
        let (key, id_key) = if *footer { ("footers", "footerId") } else { ("headers", "headerId") };
        let para = json!({"startIndex": 0, "endIndex": 1, "paragraph": {
            "elements": [{"startIndex": 0, "endIndex": 1, "textRun": {"content": "\n", "textStyle": {}}}],
            "paragraphStyle": {"namedStyleType": "NORMAL_TEXT", "direction": "LEFT_TO_RIGHT"}}});
        // proto3 leaves zeros out, as for the section break.
        let mut para = para;
        if let Some(o) = para.as_object_mut() {
            o.remove("startIndex");
        }
        if let Some(e) = para["paragraph"]["elements"][0].as_object_mut() {
            e.remove("startIndex");
        }
        body_part[key][id] = json!({id_key: id, "content": [para]});
    }
    if !doc.named_ranges.is_empty() {
        let mut by_name: Map<String, Json> = Map::new();
        for r in &doc.named_ranges {
            let entry = by_name.entry(r.name.clone()).or_insert_with(|| json!({"name": r.name, "namedRanges": []}));
            if let Some(list) = entry["namedRanges"].as_array_mut() {
                list.push(json!({"namedRangeId": r.id, "name": r.name, "ranges": [{"startIndex": r.start, "endIndex": r.end}]}));
            }
        }
        body_part["namedRanges"] = Json::Object(by_name);
    }
    let mut out = json!({
        "documentId": id,
        "title": title,
        "revisionId": revision_id(id, doc.revision),
        "suggestionsViewMode": "SUGGESTIONS_INLINE",
    });
    if tabs {
        out["tabs"] =
            json!([{"tabProperties": {"tabId": "t.0", "title": "Tab 1", "index": 0}, "documentTab": body_part}]);
    } else if let Some(o) = body_part.as_object() {
        for (k, v) in o {
            out[k] = v.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_document_renders_as_docs_does() {
        let doc = Document::new();
        let c = body_content(&doc);
        assert_eq!(c[0]["endIndex"], 1);
        assert!(c[0].get("startIndex").is_none());
        assert_eq!(c[1]["startIndex"], 1);
        assert_eq!(c[1]["endIndex"], 2);
        assert_eq!(c[1]["paragraph"]["elements"][0]["textRun"]["content"], "\n");
        assert_eq!(c[1]["paragraph"]["paragraphStyle"]["namedStyleType"], "NORMAL_TEXT");
        let doc = Document::from_text("a😀b\n");
        let c = body_content(&doc);
        assert_eq!(c[1]["endIndex"], 6);
        assert_eq!(c[1]["paragraph"]["elements"][0]["textRun"]["content"], "a😀b\n");
    }
}
