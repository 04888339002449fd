//! Google Docs v1 on the twin. A document is a Drive file
//! (`application/vnd.google-apps.document`) whose content is a [`Document`]: Drive
//! owns the file, Docs its structure. `model` holds the blocks, `edit` applies
//! batchUpdate's requests, `render` draws the resource as Docs returns it, `api`
//! speaks the wire format.

pub mod api;
pub mod edit;
pub mod model;
pub mod render;

pub use model::Document;

/// HTML of a document, as Drive exports it (paragraphs and tables, text escaped).
pub fn to_html(doc: &Document) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let para = |p: &model::Para| {
        let tag = match p.style.get("namedStyleType").and_then(|v| v.as_str()) {
            Some("TITLE") | Some("HEADING_1") => "h1",
            Some("HEADING_2") => "h2",
            Some("HEADING_3") => "h3",
            _ => "p",
        };
        let inner: String = p
            .runs()
            .iter()
            .map(|r| {
                let t = esc(&r.text);
                match r.style.get("bold").and_then(|b| b.as_bool()) {
                    Some(true) => format!("<b>{t}</b>"),
                    _ => t,
                }
            })
            .collect();
        match &p.bullet {
            Some(_) => format!("<ul><li>{inner}</li></ul>"),
            None => format!("<{tag}>{inner}</{tag}>"),
        }
    };
    let mut body = String::new();
    for block in &doc.body {
        match &**block {
            model::Block::Para(p) => body.push_str(&para(p)),
            model::Block::Table(t) => {
                body.push_str("<table>");
                for row in &t.rows {
                    body.push_str("<tr>");
                    for cell in row {
                        body.push_str("<td>");
                        for p in cell {
                            body.push_str(&para(p));
                        }
                        body.push_str("</td>");
                    }
                    body.push_str("</tr>");
                }
                body.push_str("</table>");
            }
        }
    }
    format!("<html><head><meta content=\"text/html; charset=UTF-8\" http-equiv=\"content-type\"></head><body>{body}</body></html>")
}
