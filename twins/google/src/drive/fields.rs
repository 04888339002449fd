//! The `fields` partial-response selector: `files(id,name,parents),nextPageToken`,
//! `a/b`, nested parentheses, `*` at any level, whitespace tolerated. A selection
//! is checked against the response's schema (an unknown name is 400 "Invalid field
//! selection"); applying it keeps only what was asked for, so a `nextPageToken`
//! nobody asked for is dropped, as Drive drops it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::drive::schema::{self, Schemas};
use crate::errors::GoogleError;

/// The longest selector accepted and the deepest nesting.
pub const MAX_LEN: usize = 8192;
pub const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// The whole value.
    All,
    /// Only these members.
    Sub(Selection),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection(pub BTreeMap<String, Node>);

impl Selection {
    /// Parses a selector; `Err` carries the offending part for the error message.
    pub fn parse(text: &str) -> Result<Selection, String> {
        if text.len() > MAX_LEN {
            return Err(text.chars().take(40).collect());
        }
        let chars: Vec<char> = text.chars().collect();
        let mut pos = 0;
        let sel = parse_list(&chars, &mut pos, 0).map_err(|_| text.to_string())?;
        skip_ws(&chars, &mut pos);
        if pos != chars.len() {
            return Err(text.to_string());
        }
        Ok(sel)
    }

    /// The selection's first unknown name against v3's `schema_name`, if any.
    pub fn check(&self, schema_name: &str) -> Result<(), String> {
        self.check_in(&schema::V3, schema_name)
    }

    /// The selection's first unknown name against `schema_name` of `schemas`, if any.
    pub fn check_in(&self, schemas: &Schemas, schema_name: &str) -> Result<(), String> {
        let Some(fields) = schemas.get(schema_name) else { return Ok(()) };
        for (name, node) in &self.0 {
            if name == "*" {
                continue;
            }
            let Some((_, ty)) = fields.iter().find(|(n, _)| n == name) else { return Err(name.clone()) };
            if let Node::Sub(sub) = node {
                match schemas.referent(ty) {
                    Some(child) => sub.check_in(schemas, child).map_err(|e| format!("{name}({e})"))?,
                    None if matches!(*ty, "any" | "map" | "[any]") => {}
                    None => return Err(format!("{name}/{}", sub.0.keys().next().cloned().unwrap_or_default())),
                }
            }
        }
        Ok(())
    }

    /// Is `name` selected at this level?
    pub fn wants(&self, name: &str) -> bool {
        self.0.contains_key("*") || self.0.contains_key(name)
    }

    /// Keeps only the selected members of `value` (arrays element by element).
    pub fn apply(&self, value: Value) -> Value {
        match value {
            Value::Object(map) => {
                if self.0.contains_key("*") && self.0.len() == 1 {
                    return Value::Object(map);
                }
                let mut out = Map::new();
                for (k, v) in map {
                    match self.0.get(&k) {
                        Some(Node::All) => {
                            out.insert(k, v);
                        }
                        Some(Node::Sub(sub)) => {
                            out.insert(k, sub.apply(v));
                        }
                        None if self.0.contains_key("*") => {
                            out.insert(k, v);
                        }
                        None => {}
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.apply(v)).collect()),
            other => other,
        }
    }

    /// The sub-selection for a member (`files` of a list), `All` as `*`.
    pub fn child(&self, name: &str) -> Option<Selection> {
        match self.0.get(name) {
            Some(Node::Sub(s)) => Some(s.clone()),
            Some(Node::All) => Some(Selection::star()),
            None if self.0.contains_key("*") => Some(Selection::star()),
            None => None,
        }
    }

    pub fn star() -> Selection {
        let mut m = BTreeMap::new();
        m.insert("*".to_string(), Node::All);
        Selection(m)
    }

    fn merge(&mut self, name: String, node: Node) {
        match (self.0.get_mut(&name), node) {
            (None, node) => {
                self.0.insert(name, node);
            }
            (Some(existing), Node::All) => *existing = Node::All,
            (Some(Node::All), Node::Sub(_)) => {}
            (Some(Node::Sub(a)), Node::Sub(b)) => {
                for (k, v) in b.0 {
                    a.merge(k, v);
                }
            }
        }
    }
}

fn skip_ws(chars: &[char], pos: &mut usize) {
    while *pos < chars.len() && chars[*pos].is_whitespace() {
        *pos += 1;
    }
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '*' | '$' | '.' | '-' | '@')
}

fn parse_list(chars: &[char], pos: &mut usize, depth: usize) -> Result<Selection, ()> {
    if depth > MAX_DEPTH {
        return Err(());
    }
    let mut sel = Selection::default();
    loop {
        skip_ws(chars, pos);
        let (name, node) = parse_item(chars, pos, depth)?;
        sel.merge(name, node);
        skip_ws(chars, pos);
        if *pos < chars.len() && chars[*pos] == ',' {
            *pos += 1;
            continue;
        }
        return Ok(sel);
    }
}

fn parse_item(chars: &[char], pos: &mut usize, depth: usize) -> Result<(String, Node), ()> {
    let mut path = Vec::new();
    loop {
        skip_ws(chars, pos);
        let start = *pos;
        while *pos < chars.len() && is_name(chars[*pos]) {
            *pos += 1;
        }
        if start == *pos {
            return Err(());
        }
        path.push(chars[start..*pos].iter().collect::<String>());
        skip_ws(chars, pos);
        if *pos < chars.len() && chars[*pos] == '/' {
            *pos += 1;
            continue;
        }
        break;
    }
    let mut node = Node::All;
    if *pos < chars.len() && chars[*pos] == '(' {
        *pos += 1;
        let sub = parse_list(chars, pos, depth + 1)?;
        skip_ws(chars, pos);
        if *pos >= chars.len() || chars[*pos] != ')' {
            return Err(());
        }
        *pos += 1;
        node = Node::Sub(sub);
    }
    // `a/b/c(d)` nests from the right; `a.b` (FieldMask style) too.
    let mut parts: Vec<String> = path.iter().flat_map(|p| p.split('.').map(str::to_string)).collect();
    if parts.iter().any(String::is_empty) {
        return Err(());
    }
    let first = parts.remove(0);
    for name in parts.into_iter().rev() {
        let mut m = BTreeMap::new();
        m.insert(name, node);
        node = Node::Sub(Selection(m));
    }
    Ok((first, node))
}

/// Parses and checks `fields` against the response schema: the 400 Drive answers otherwise.
pub fn selection(text: &str, schema_name: &str) -> Result<Selection, GoogleError> {
    selection_in(&schema::V3, text, schema_name)
}

/// [`selection`] against another version's schemas.
pub fn selection_in(schemas: &Schemas, text: &str, schema_name: &str) -> Result<Selection, GoogleError> {
    let sel = Selection::parse(text).map_err(|bad| GoogleError::invalid_fields(&bad))?;
    sel.check_in(schemas, schema_name).map_err(|bad| GoogleError::invalid_fields(&bad))?;
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_selections_and_wildcards() {
        let sel = Selection::parse("nextPageToken, files(id, name, owners(emailAddress)),kind").unwrap();
        let v = json!({"kind": "drive#fileList", "incompleteSearch": false, "nextPageToken": "t",
            "files": [{"id": "1", "name": "a", "mimeType": "x", "owners": [{"emailAddress": "e", "me": true}]}]});
        assert_eq!(
            sel.apply(v.clone()),
            json!({"kind": "drive#fileList", "nextPageToken": "t",
                "files": [{"id": "1", "name": "a", "owners": [{"emailAddress": "e"}]}]})
        );
        let no_token = Selection::parse("files(id)").unwrap().apply(v.clone());
        assert!(no_token.get("nextPageToken").is_none());
        assert_eq!(Selection::parse("*").unwrap().apply(v.clone()), v);
        let star_in = Selection::parse("files(*)").unwrap().apply(v.clone());
        assert_eq!(star_in["files"][0]["mimeType"], "x");
        let slash = Selection::parse("files/id").unwrap().apply(v);
        assert_eq!(slash, json!({"files": [{"id": "1"}]}));
    }

    #[test]
    fn checked_against_the_schema() {
        assert!(selection("files(id,name,parents),nextPageToken", "FileList").is_ok());
        assert!(selection("files(id,capabilities(canEdit))", "FileList").is_ok());
        assert!(selection("user(displayName),storageQuota", "About").is_ok());
        let err = selection("files(id,bogus)", "FileList").unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(err.reason(), "invalidParameter");
        assert!(selection("etag", "File").is_err(), "v3 has no etag");
        assert!(selection("id/name", "File").is_err(), "a string has no members");
        for bad in ["files(id", "files(id))", "", ",", "a,,b", "files()", "a..b"] {
            assert!(Selection::parse(bad).is_err(), "{bad:?}");
        }
        let deep = "a(".repeat(40) + "b" + &")".repeat(40);
        assert!(Selection::parse(&deep).is_err());
    }
}
