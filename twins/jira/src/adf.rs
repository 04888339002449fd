//! Rich text: stored once as an Atlassian Document (ADF), shown as ADF in v3 and
//! as wiki markup in v2, converted on write both ways. The conversion is lossy, as
//! Cloud's is: paragraphs, headings, bullet and numbered lists, code blocks, quotes,
//! rules, hard breaks, and the marks strong, em, code, strike and link survive.

use serde_json::{json, Value};

/// Is this a document Jira would accept (`{"type":"doc","version":1,"content":[…]}`)?
pub fn is_doc(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("doc") && v.get("content").is_some_and(Value::is_array)
}

fn text_node(text: &str, marks: Vec<Value>) -> Value {
    if marks.is_empty() {
        json!({"type": "text", "text": text})
    } else {
        json!({"type": "text", "text": text, "marks": marks})
    }
}

/// Inline wiki markup → ADF inline nodes: `*strong*`, `_em_`, `{{code}}`, `-strike-`,
/// `[text|url]`, bare `http(s)://` links.
fn inline(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let flush = |plain: &mut String, out: &mut Vec<Value>| {
        if !plain.is_empty() {
            out.push(text_node(plain, vec![]));
            plain.clear();
        }
    };
    while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        // {{code}}
        if let Some(inner) = rest.strip_prefix("{{") {
            if let Some(end) = inner.find("}}") {
                flush(&mut plain, &mut out);
                out.push(text_node(&inner[..end], vec![json!({"type": "code"})]));
                i += 2 + inner[..end].chars().count() + 2;
                continue;
            }
        }
        // [text|url] or [url]
        if chars[i] == '[' {
            if let Some(end) = rest.find(']') {
                let inner = &rest[1..end];
                let (label, href) = match inner.split_once('|') {
                    Some((l, h)) => (l, h),
                    None => (inner, inner),
                };
                if href.starts_with("http://") || href.starts_with("https://") || href.starts_with("mailto:") {
                    flush(&mut plain, &mut out);
                    out.push(text_node(label, vec![json!({"type": "link", "attrs": {"href": href}})]));
                    i += inner.chars().count() + 2;
                    continue;
                }
            }
        }
        // *strong*, _em_, -strike- around a word boundary
        let at_boundary = i == 0 || !chars[i - 1].is_alphanumeric();
        if at_boundary
            && matches!(chars[i], '*' | '_' | '-' | '+')
            && i + 1 < chars.len()
            && !chars[i + 1].is_whitespace()
        {
            let mark = chars[i];
            if let Some(len) = chars[i + 1..].iter().position(|c| *c == mark) {
                let after = i + 1 + len + 1;
                let closes = len > 0
                    && !chars[i + len].is_whitespace()
                    && (after >= chars.len() || !chars[after].is_alphanumeric());
                if closes {
                    let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                    let kind = match mark {
                        '*' => "strong",
                        '_' => "em",
                        '-' => "strike",
                        _ => "underline",
                    };
                    flush(&mut plain, &mut out);
                    out.push(text_node(&inner, vec![json!({"type": kind})]));
                    i = after;
                    continue;
                }
            }
        }
        plain.push(chars[i]);
        i += 1;
    }
    flush(&mut plain, &mut out);
    out
}

fn paragraph(lines: &[&str]) -> Value {
    let mut content = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if n > 0 {
            content.push(json!({"type": "hardBreak"}));
        }
        content.extend(inline(line));
    }
    json!({"type": "paragraph", "content": content})
}

/// Wiki markup (or plain text) → an ADF document.
pub fn from_wiki(text: &str) -> Value {
    let mut blocks: Vec<Value> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, blocks: &mut Vec<Value>| {
        if !para.is_empty() {
            blocks.push(paragraph(para));
            para.clear();
        }
    };
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            flush(&mut para, &mut blocks);
            i += 1;
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("{code").or_else(|| trimmed.strip_prefix("{noformat")) {
            flush(&mut para, &mut blocks);
            let language = rest.strip_prefix(':').and_then(|r| r.split('}').next()).filter(|l| !l.is_empty());
            let mut body = Vec::new();
            i += 1;
            while i < lines.len()
                && !lines[i].trim_start().starts_with("{code}")
                && !lines[i].trim_start().starts_with("{noformat}")
            {
                body.push(lines[i]);
                i += 1;
            }
            i += 1;
            let mut node = json!({"type": "codeBlock", "content": [{"type": "text", "text": body.join("\n")}]});
            if body.is_empty() {
                node["content"] = json!([]);
            }
            if let Some(l) = language {
                node["attrs"] = json!({"language": l});
            }
            blocks.push(node);
            continue;
        }
        let heading = (1..=6).find(|n| trimmed.starts_with(&format!("h{n}. ")));
        if let Some(level) = heading {
            flush(&mut para, &mut blocks);
            blocks.push(json!({"type": "heading", "attrs": {"level": level}, "content": inline(&trimmed[4..])}));
            i += 1;
            continue;
        }
        if trimmed == "----" {
            flush(&mut para, &mut blocks);
            blocks.push(json!({"type": "rule"}));
            i += 1;
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("bq. ") {
            flush(&mut para, &mut blocks);
            blocks.push(json!({"type": "blockquote", "content": [paragraph(&[rest])]}));
            i += 1;
            continue;
        }
        let bullet = trimmed.starts_with("* ") || trimmed.starts_with("- ");
        let ordered = trimmed.starts_with("# ");
        if bullet || ordered {
            flush(&mut para, &mut blocks);
            let mut items = Vec::new();
            while i < lines.len() {
                let t = lines[i].trim_start();
                let same = if ordered { t.starts_with("# ") } else { t.starts_with("* ") || t.starts_with("- ") };
                if !same {
                    break;
                }
                items.push(json!({"type": "listItem", "content": [paragraph(&[&t[2..]])]}));
                i += 1;
            }
            let kind = if ordered { "orderedList" } else { "bulletList" };
            blocks.push(json!({"type": kind, "content": items}));
            continue;
        }
        para.push(line);
        i += 1;
    }
    flush(&mut para, &mut blocks);
    json!({"type": "doc", "version": 1, "content": blocks})
}

fn inline_to_wiki(nodes: &[Value], out: &mut String) {
    for n in nodes {
        match n.get("type").and_then(Value::as_str).unwrap_or("") {
            "text" => {
                let text = n.get("text").and_then(Value::as_str).unwrap_or("");
                let mut s = text.to_string();
                let marks = n.get("marks").and_then(Value::as_array).cloned().unwrap_or_default();
                for m in &marks {
                    s = match m.get("type").and_then(Value::as_str).unwrap_or("") {
                        "strong" => format!("*{s}*"),
                        "em" => format!("_{s}_"),
                        "code" => format!("{{{{{s}}}}}"),
                        "strike" => format!("-{s}-"),
                        "underline" => format!("+{s}+"),
                        "link" => {
                            let href = m.pointer("/attrs/href").and_then(Value::as_str).unwrap_or("");
                            if href == s {
                                format!("[{s}]")
                            } else {
                                format!("[{s}|{href}]")
                            }
                        }
                        _ => s,
                    };
                }
                out.push_str(&s);
            }
            "hardBreak" => out.push('\n'),
            "mention" => {
                let name = n.pointer("/attrs/text").and_then(Value::as_str).unwrap_or("");
                let id = n.pointer("/attrs/id").and_then(Value::as_str).unwrap_or("");
                if id.is_empty() {
                    out.push_str(name);
                } else {
                    out.push_str(&format!("[~accountid:{id}]"));
                }
            }
            "emoji" => out.push_str(n.pointer("/attrs/shortName").and_then(Value::as_str).unwrap_or("")),
            "inlineCard" => out.push_str(n.pointer("/attrs/url").and_then(Value::as_str).unwrap_or("")),
            _ => {
                if let Some(c) = n.get("content").and_then(Value::as_array) {
                    inline_to_wiki(c, out);
                }
            }
        }
    }
}

fn block_to_wiki(node: &Value, prefix: &str, out: &mut Vec<String>) {
    let content = node.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    match node.get("type").and_then(Value::as_str).unwrap_or("") {
        "paragraph" => {
            let mut s = String::new();
            inline_to_wiki(content, &mut s);
            out.push(format!("{prefix}{s}"));
        }
        "heading" => {
            let level = node.pointer("/attrs/level").and_then(Value::as_u64).unwrap_or(1).clamp(1, 6);
            let mut s = String::new();
            inline_to_wiki(content, &mut s);
            out.push(format!("h{level}. {s}"));
        }
        "bulletList" | "orderedList" => {
            let marker = if node["type"] == "orderedList" { "# " } else { "* " };
            let mut lines = Vec::new();
            for item in content {
                let mut inner = Vec::new();
                for b in item.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]) {
                    block_to_wiki(b, "", &mut inner);
                }
                lines.push(format!("{marker}{}", inner.join(" ")));
            }
            out.push(lines.join("\n"));
        }
        "codeBlock" => {
            let mut s = String::new();
            inline_to_wiki(content, &mut s);
            let open = match node.pointer("/attrs/language").and_then(Value::as_str) {
                Some(l) if !l.is_empty() => format!("{{code:{l}}}"),
                _ => "{code}".to_string(),
            };
            out.push(format!("{open}\n{s}\n{{code}}"));
        }
        "blockquote" => {
            let mut inner = Vec::new();
            for b in content {
                block_to_wiki(b, "", &mut inner);
            }
            out.push(format!("bq. {}", inner.join(" ")));
        }
        "rule" => out.push("----".into()),
        _ => {
            // Panels, tables, media and anything else: their text, block by block.
            let mut s = String::new();
            inline_to_wiki(content, &mut s);
            let is_inline_only = content.iter().all(|c| {
                matches!(c.get("type").and_then(Value::as_str), Some("text" | "hardBreak" | "mention" | "emoji"))
            });
            if is_inline_only {
                if !s.is_empty() {
                    out.push(s);
                }
            } else {
                for b in content {
                    block_to_wiki(b, prefix, out);
                }
            }
        }
    }
}

/// An ADF document → wiki markup.
pub fn to_wiki(doc: &Value) -> String {
    let mut out = Vec::new();
    for b in doc.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]) {
        block_to_wiki(b, "", &mut out);
    }
    out.join("\n\n")
}

/// The document's text without markup, for `~` searches.
pub fn plain_text(doc: &Value) -> String {
    fn walk(v: &Value, out: &mut String) {
        if let Some(t) = v.get("text").and_then(Value::as_str) {
            out.push_str(t);
            out.push(' ');
        }
        if let Some(c) = v.get("content").and_then(Value::as_array) {
            for n in c {
                walk(n, out);
            }
        }
    }
    let mut s = String::new();
    walk(doc, &mut s);
    s
}

/// Minimal HTML, for `renderedFields` and `renderedBody`.
pub fn to_html(doc: &Value) -> String {
    to_wiki(doc)
        .split("\n\n")
        .map(|p| {
            let escaped = p.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\n', "<br/>\n");
            format!("<p>{escaped}</p>")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiki_round_trips_through_adf() {
        for text in [
            "Just one line",
            "First paragraph\n\nSecond *bold* and _em_ text",
            "h2. Title\n\n* one\n* two\n\n# first\n# second",
            "{code:rust}\nfn main() {}\n{code}",
            "See [the docs|https://example.test/docs] and {{code}}",
            "line one\nline two",
        ] {
            let doc = from_wiki(text);
            assert!(is_doc(&doc), "{doc}");
            assert_eq!(to_wiki(&doc), text, "{doc}");
        }
    }

    #[test]
    fn adf_marks_and_structure() {
        let doc = from_wiki("Hello *world*");
        assert_eq!(doc["content"][0]["type"], "paragraph");
        assert_eq!(doc["content"][0]["content"][1]["marks"][0]["type"], "strong");
        assert_eq!(plain_text(&doc).split_whitespace().collect::<Vec<_>>(), vec!["Hello", "world"]);
        assert!(!is_doc(&json!("text")));
        assert!(!is_doc(&json!({"type": "paragraph"})));
        // Hyphenated words and lone asterisks stay text.
        assert_eq!(to_wiki(&from_wiki("a well-known 2 * 3 - 1 value")), "a well-known 2 * 3 - 1 value");
    }
}
