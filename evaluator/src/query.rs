//! JMESPath queries (<https://jmespath.org/specification.html>) over the control
//! plane's JSON: state, diffs and diff entries.
//!
//! A query may name a scenario binding as `{{name}}`; before it is compiled the
//! placeholder becomes a JMESPath JSON literal of the binding's value, so
//! `[?channel == {{general}}]` compares with the id the binding found.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The longest query text a scenario may hold.
pub const MAX_QUERY_LEN: usize = 4096;

/// A JMESPath query as written in a scenario, checked for syntax when loaded.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Query {
    text: String,
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Query({:?})", self.text)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<Query> for String {
    fn from(q: Query) -> String {
        q.text
    }
}

impl TryFrom<String> for Query {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("a query must not be empty".into());
        }
        if text.len() > MAX_QUERY_LEN {
            return Err(format!("a query may be at most {MAX_QUERY_LEN} characters"));
        }
        // Placeholders stand for JSON literals; `null` keeps the syntax check honest.
        let probe = substitute(&text, &|_| Some(Value::Null))?;
        jmespath::compile(&probe)
            .map_err(|e| format!("invalid JMESPath query {text:?}: {}", one_line(&e.to_string())))?;
        Ok(Self { text })
    }
}

impl Query {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The binding names the query refers to.
    pub fn placeholders(&self) -> Vec<String> {
        placeholders(&self.text)
    }

    /// Evaluates the query over `data`, with `bindings` filled in.
    pub fn eval(&self, data: &Value, bindings: &BTreeMap<String, Value>) -> Result<Value, String> {
        let text = substitute(&self.text, &|name| bindings.get(name).cloned())?;
        let expr =
            jmespath::compile(&text).map_err(|e| format!("query {}: {}", self.text, one_line(&e.to_string())))?;
        let result = expr.search(data).map_err(|e| format!("query {}: {}", self.text, one_line(&e.to_string())))?;
        serde_json::to_value(&*result).map_err(|e| format!("query {}: result is not JSON: {e}", self.text))
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `{{name}}` placeholders in order of appearance.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push(after[..end].trim().to_string());
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    out
}

/// Replaces each `{{name}}` by the JMESPath literal of its value.
fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<Value>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| "a '{{' placeholder is not closed with '}}'".to_string())?;
        let name = after[..end].trim();
        if !valid_binding_name(name) {
            return Err(format!("'{{{{{name}}}}}' is not a binding name (letters, digits and _)"));
        }
        let value = lookup(name).ok_or_else(|| format!("no binding named '{name}'"))?;
        out.push_str(&literal(&value));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A JMESPath JSON literal: the JSON text between backticks, backticks escaped.
pub fn literal(value: &Value) -> String {
    format!("`{}`", value.to_string().replace('`', "\\`"))
}

pub fn valid_binding_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// JMESPath truthiness: false, null, "", [], {} are false; everything else (0 too) is true.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Number(_) => true,
    }
}

/// Equality where numbers compare by value (1 == 1.0), as JMESPath does.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Query {
        Query::try_from(s.to_string()).unwrap()
    }

    #[test]
    fn compiles_and_evaluates() {
        let state = json!({"slack": {"channels": {"C1": {"id": "C1", "name": "general"}, "C2": {"id": "C2", "name": "random"}}}});
        let got = q("slack.channels.* | [?name=='general'] | [0].id").eval(&state, &BTreeMap::new()).unwrap();
        assert_eq!(got, json!("C1"));
        assert_eq!(q("length(slack.channels.*)").eval(&state, &BTreeMap::new()).unwrap(), json!(2));
    }

    #[test]
    fn rejects_bad_syntax_and_empty() {
        let err = Query::try_from("slack.[".to_string()).unwrap_err();
        assert!(err.contains("invalid JMESPath"), "{err}");
        assert!(Query::try_from("  ".to_string()).is_err());
        assert!(Query::try_from("a".repeat(MAX_QUERY_LEN + 1)).is_err());
    }

    #[test]
    fn bindings_become_literals() {
        let state = json!({"m": [{"c": "C`1", "t": "x"}, {"c": "C2", "t": "y"}]});
        let query = q("m[?c == {{chan}}].t");
        assert_eq!(query.placeholders(), vec!["chan".to_string()]);
        let mut b = BTreeMap::new();
        b.insert("chan".to_string(), json!("C`1"));
        assert_eq!(query.eval(&state, &b).unwrap(), json!(["x"]));
        let err = query.eval(&state, &BTreeMap::new()).unwrap_err();
        assert!(err.contains("no binding named 'chan'"), "{err}");
        assert!(Query::try_from("m[?c == {{bad name}}]".to_string()).is_err());
        assert!(Query::try_from("m[?c == {{open".to_string()).is_err());
    }

    #[test]
    fn truthiness_follows_jmespath() {
        for v in [json!(null), json!(false), json!(""), json!([]), json!({})] {
            assert!(!truthy(&v), "{v}");
        }
        for v in [json!(0), json!(true), json!("a"), json!([0]), json!({"a": 1})] {
            assert!(truthy(&v), "{v}");
        }
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!("1"), &json!(1)));
    }
}
