//! The SCIM-like expression language of Okta's `search` and `filter` parameters:
//! `profile.lastName eq "Page" and (status eq "ACTIVE" or status eq "STAGED")`,
//! `profile.email sw "a"`, `lastUpdated gt "2026-01-01T00:00:00.000Z"`, `id pr`.
//!
//! `search` compares string values case-insensitively and knows every operator;
//! `filter` is case-sensitive and each resource allows only some attributes and
//! operators there ([`Rules`]). Both are evaluated against the resource's JSON.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;
use winnow::ascii::{multispace0, multispace1, Caseless};
use winnow::combinator::{alt, cut_err, delimited, opt, peek, preceded, repeat, terminated};
use winnow::prelude::*;
use winnow::token::{any, none_of, take_while};

/// The longest expression accepted, and the deepest parenthesis nesting.
pub const MAX_LEN: usize = 4096;
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Sw,
    Co,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare { attr: String, op: Op, value: Literal },
    Present(String),
}

/// Which attributes and operators an expression may use.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// `None`: any attribute; otherwise only these.
    pub attributes: Option<&'a [&'a str]>,
    /// Attributes that also take `gt`/`ge`/`lt`/`le` when only `eq` is allowed otherwise.
    pub range_attributes: &'a [&'a str],
    /// Only `eq` (plus ranges on `range_attributes`), no `pr`/`sw`/`co`.
    pub eq_only: bool,
    /// `co` only on these attributes (`None`: anywhere).
    pub contains_attributes: Option<&'a [&'a str]>,
    /// Compare string values ignoring case (`search`) or exactly (`filter`).
    pub case_insensitive: bool,
}

impl Rules<'static> {
    /// `search`: everything, values compared ignoring case.
    pub const SEARCH: Rules<'static> = Rules {
        attributes: None,
        range_attributes: &[],
        eq_only: false,
        contains_attributes: None,
        case_insensitive: true,
    };
}

// ---------------------------------------------------------------------------
// Parsing

fn ws1_or_paren(input: &mut &str) -> ModalResult<()> {
    alt((multispace1.void(), peek("(").void(), peek(")").void(), peek('"').void())).parse_next(input)
}

fn keyword<'i>(kw: &'static str) -> impl Parser<&'i str, (), winnow::error::ErrMode<winnow::error::ContextError>> {
    terminated(Caseless(kw), ws1_or_paren).void()
}

fn attribute<'i>(input: &mut &'i str) -> ModalResult<&'i str> {
    (
        take_while(1, |c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' || c == ':'),
    )
        .take()
        .parse_next(input)
}

fn string_literal(input: &mut &str) -> ModalResult<String> {
    let chars: Vec<char> =
        preceded('"', cut_err(terminated(repeat(0.., alt((preceded('\\', any), none_of(['"', '\\'])))), '"')))
            .parse_next(input)?;
    Ok(chars.into_iter().collect())
}

fn number_literal(input: &mut &str) -> ModalResult<f64> {
    let text = (
        opt('-'),
        take_while(1.., |c: char| c.is_ascii_digit()),
        opt(('.', take_while(1.., |c: char| c.is_ascii_digit()))),
    )
        .take()
        .parse_next(input)?;
    text.parse::<f64>().map_err(|_| winnow::error::ErrMode::Backtrack(winnow::error::ContextError::new()))
}

fn literal(input: &mut &str) -> ModalResult<Literal> {
    alt((
        string_literal.map(Literal::Str),
        terminated(Caseless("true"), peek_end).value(Literal::Bool(true)),
        terminated(Caseless("false"), peek_end).value(Literal::Bool(false)),
        terminated(Caseless("null"), peek_end).value(Literal::Null),
        number_literal.map(Literal::Num),
    ))
    .parse_next(input)
}

/// The end of a bare word: whitespace, a parenthesis or the end of input.
fn peek_end(input: &mut &str) -> ModalResult<()> {
    alt((multispace1.void(), peek(")").void(), winnow::combinator::eof.void())).parse_next(input)
}

fn op(input: &mut &str) -> ModalResult<Op> {
    alt((
        keyword("eq").value(Op::Eq),
        keyword("sw").value(Op::Sw),
        keyword("co").value(Op::Co),
        keyword("gt").value(Op::Gt),
        keyword("ge").value(Op::Ge),
        keyword("lt").value(Op::Lt),
        keyword("le").value(Op::Le),
    ))
    .parse_next(input)
}

fn comparison(input: &mut &str) -> ModalResult<Expr> {
    let attr = terminated(attribute, multispace1).parse_next(input)?;
    let present: Option<()> = opt(terminated(Caseless("pr"), peek_end).void()).parse_next(input)?;
    if present.is_some() {
        return Ok(Expr::Present(attr.to_string()));
    }
    let op = op.parse_next(input)?;
    let value = preceded(multispace0, literal).parse_next(input)?;
    Ok(Expr::Compare { attr: attr.to_string(), op, value })
}

fn term(input: &mut &str) -> ModalResult<Expr> {
    alt((delimited(('(', multispace0), or_expr, (multispace0, ')')), comparison)).parse_next(input)
}

fn and_expr(input: &mut &str) -> ModalResult<Expr> {
    let first = term.parse_next(input)?;
    let rest: Vec<Expr> = repeat(0.., preceded((multispace0, keyword("and"), multispace0), term)).parse_next(input)?;
    Ok(rest.into_iter().fold(first, |a, b| Expr::And(Box::new(a), Box::new(b))))
}

fn or_expr(input: &mut &str) -> ModalResult<Expr> {
    let first = and_expr.parse_next(input)?;
    let rest: Vec<Expr> =
        repeat(0.., preceded((multispace0, keyword("or"), multispace0), and_expr)).parse_next(input)?;
    Ok(rest.into_iter().fold(first, |a, b| Expr::Or(Box::new(a), Box::new(b))))
}

/// How deeply parentheses nest outside string literals.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses an expression; the error says what is wrong, for `errorCauses`.
pub fn parse(text: &str) -> Result<Expr, String> {
    if text.len() > MAX_LEN {
        return Err(format!("The expression is longer than {MAX_LEN} characters."));
    }
    if nesting(text) > MAX_DEPTH {
        return Err(format!("Parentheses nest deeper than {MAX_DEPTH} levels."));
    }
    delimited(multispace0, or_expr, multispace0)
        .parse(text)
        .map_err(|e| format!("Invalid expression at offset {}: '{}'", e.offset(), text))
}

/// Checks an expression against a resource's rules.
pub fn check(expr: &Expr, rules: &Rules<'_>) -> Result<(), String> {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => {
            check(a, rules)?;
            check(b, rules)
        }
        Expr::Present(attr) => {
            allowed_attribute(attr, rules)?;
            if rules.eq_only {
                return Err(format!("The operator 'pr' is not supported for '{attr}'."));
            }
            Ok(())
        }
        Expr::Compare { attr, op, .. } => {
            allowed_attribute(attr, rules)?;
            let range = matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le);
            let allowed = match op {
                Op::Eq => true,
                _ if rules.eq_only => range && rules.range_attributes.contains(&attr.as_str()),
                Op::Co => rules.contains_attributes.is_none_or(|a| a.contains(&attr.as_str())),
                _ => true,
            };
            if allowed {
                Ok(())
            } else {
                Err(format!("The operator '{}' is not supported for '{attr}'.", op_name(*op)))
            }
        }
    }
}

fn allowed_attribute(attr: &str, rules: &Rules<'_>) -> Result<(), String> {
    match rules.attributes {
        Some(list) if !list.contains(&attr) => Err(format!("The attribute '{attr}' is not supported here.")),
        _ => Ok(()),
    }
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Eq => "eq",
        Op::Sw => "sw",
        Op::Co => "co",
        Op::Gt => "gt",
        Op::Ge => "ge",
        Op::Lt => "lt",
        Op::Le => "le",
    }
}

/// Parses and checks in one go.
pub fn compile(text: &str, rules: &Rules<'_>) -> Result<Expr, String> {
    let expr = parse(text)?;
    check(&expr, rules)?;
    Ok(expr)
}

// ---------------------------------------------------------------------------
// Evaluation

/// What an expression is evaluated against: a JSON document, or a record that answers
/// a dotted path without being rendered whole (a users search over 10,000 people must
/// not build 10,000 documents).
pub trait Doc {
    fn values(&self, path: &str) -> Vec<Cow<'_, Value>>;
}

impl Doc for Value {
    fn values(&self, path: &str) -> Vec<Cow<'_, Value>> {
        resolve(self, path).into_iter().map(Cow::Borrowed).collect()
    }
}

/// The values at a dotted path; arrays along the way fan out.
pub fn resolve<'v>(doc: &'v Value, path: &str) -> Vec<&'v Value> {
    resolve_from(vec![doc], path)
}

/// [`resolve`] from values already found (the rest of a path below them).
pub fn resolve_from<'v>(start: Vec<&'v Value>, path: &str) -> Vec<&'v Value> {
    let mut current = start;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let mut next = Vec::new();
        for v in current {
            match v {
                Value::Object(map) => {
                    if let Some(child) = map.get(segment) {
                        next.push(child);
                    }
                }
                Value::Array(items) => {
                    for item in items {
                        if let Some(child) = item.get(segment) {
                            next.push(child);
                        }
                    }
                }
                _ => {}
            }
        }
        current = next;
    }
    current
        .into_iter()
        .flat_map(|v| if let Value::Array(items) = v { items.iter().collect() } else { vec![v] })
        .collect()
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

fn fold(s: &str, ci: bool) -> Cow<'_, str> {
    if ci {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Text order, ignoring case when `ci`; ASCII text (nearly all) is compared without
/// lowercasing copies, which cost a users search a tenth of its time.
fn cmp_text(a: &str, b: &str, ci: bool) -> Ordering {
    if !ci {
        return a.cmp(b);
    }
    if a.is_ascii() && b.is_ascii() {
        return a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

/// The key under which an index files a text value: two texts `eq` matches (in either
/// case mode) have the same key, unless both are times (see [`indexable_eq`]).
pub fn index_key(text: &str) -> String {
    text.to_lowercase()
}

/// An `eq` on a text that is not a time, which every match of `expr` must satisfy (the
/// expression itself, or one side of an `and`): an index of that attribute's values can
/// then give the only records worth evaluating.
pub fn indexable_eq(expr: &Expr) -> Option<(&str, &str)> {
    match expr {
        Expr::Compare { attr, op: Op::Eq, value: Literal::Str(text) } if parse_time(text).is_none() => {
            Some((attr.as_str(), text.as_str()))
        }
        Expr::And(a, b) => indexable_eq(a).or_else(|| indexable_eq(b)),
        _ => None,
    }
}

fn compare(actual: &Value, literal: &Literal, ci: bool) -> Option<Ordering> {
    match (actual, literal) {
        (Value::String(a), Literal::Str(b)) => match (parse_time(a), parse_time(b)) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => Some(cmp_text(a, b, ci)),
        },
        (Value::Number(a), Literal::Num(b)) => a.as_f64().and_then(|a| a.partial_cmp(b)),
        (Value::Number(a), Literal::Str(b)) => {
            a.as_f64().zip(b.parse::<f64>().ok()).and_then(|(a, b)| a.partial_cmp(&b))
        }
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Literal::Str(b)) => Some(a.to_string().cmp(&b.to_ascii_lowercase())),
        _ => None,
    }
}

fn compare_one(actual: &Value, op: Op, literal: &Literal, ci: bool) -> bool {
    match op {
        Op::Eq => match literal {
            Literal::Null => actual.is_null(),
            _ => compare(actual, literal, ci) == Some(Ordering::Equal),
        },
        Op::Sw | Op::Co => match (actual, literal) {
            (Value::String(a), Literal::Str(b)) => {
                let (a, b) = (fold(a, ci), fold(b, ci));
                if op == Op::Sw {
                    a.starts_with(&*b)
                } else {
                    a.contains(&*b)
                }
            }
            _ => false,
        },
        Op::Gt => compare(actual, literal, ci) == Some(Ordering::Greater),
        Op::Ge => matches!(compare(actual, literal, ci), Some(Ordering::Greater | Ordering::Equal)),
        Op::Lt => compare(actual, literal, ci) == Some(Ordering::Less),
        Op::Le => matches!(compare(actual, literal, ci), Some(Ordering::Less | Ordering::Equal)),
    }
}

/// Does `doc` satisfy `expr`?
pub fn matches<D: Doc + ?Sized>(expr: &Expr, doc: &D, case_insensitive: bool) -> bool {
    match expr {
        Expr::And(a, b) => matches(a, doc, case_insensitive) && matches(b, doc, case_insensitive),
        Expr::Or(a, b) => matches(a, doc, case_insensitive) || matches(b, doc, case_insensitive),
        Expr::Present(attr) => doc.values(attr).iter().any(|v| match v.as_ref() {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            _ => true,
        }),
        Expr::Compare { attr, op, value } => {
            let found = doc.values(attr);
            if found.is_empty() {
                return *op == Op::Eq && *value == Literal::Null;
            }
            found.iter().any(|v| compare_one(v, *op, value, case_insensitive))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmp(attr: &str, op: Op, v: &str) -> Expr {
        Expr::Compare { attr: attr.into(), op, value: Literal::Str(v.into()) }
    }

    #[test]
    fn parses_comparisons_and_precedence() {
        assert_eq!(parse(r#"status eq "ACTIVE""#).unwrap(), cmp("status", Op::Eq, "ACTIVE"));
        // and binds tighter than or
        let e = parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap();
        assert_eq!(
            e,
            Expr::Or(
                Box::new(cmp("a", Op::Eq, "1")),
                Box::new(Expr::And(Box::new(cmp("b", Op::Eq, "2")), Box::new(cmp("c", Op::Eq, "3"))))
            )
        );
        // parentheses override it; keywords are case-insensitive
        let e = parse(r#"(a EQ "1" OR b eq "2") AND c Sw "3""#).unwrap();
        assert!(matches!(e, Expr::And(_, _)), "{e:?}");
        assert_eq!(parse("profile.mobilePhone pr").unwrap(), Expr::Present("profile.mobilePhone".into()));
        assert_eq!(parse(r#"profile.nick eq "say \"hi\"""#).unwrap(), cmp("profile.nick", Op::Eq, "say \"hi\""));
        assert_eq!(
            parse("profile.age gt 30").unwrap(),
            Expr::Compare { attr: "profile.age".into(), op: Op::Gt, value: Literal::Num(30.0) }
        );
        assert_eq!(
            parse("profile.vip eq true").unwrap(),
            Expr::Compare { attr: "profile.vip".into(), op: Op::Eq, value: Literal::Bool(true) }
        );
        assert!(parse(r#"  ((status eq "A"))  "#).is_ok());
    }

    #[test]
    fn rejects_malformed_expressions() {
        for bad in [
            "",
            "status",
            r#"status ne "ACTIVE""#,
            r#"status eq ACTIVE"#,
            r#"status eq "ACTIVE"#,
            r#"(status eq "A""#,
            r#"status eq "A" and"#,
            r#"status eq "A" xor b eq "c""#,
            r#"eq "A""#,
            r#"status eq "A")"#,
        ] {
            assert!(parse(bad).is_err(), "should refuse {bad:?}");
        }
        let deep = format!("{}a eq \"1\"{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(parse(&deep).is_err());
        let long = format!("a eq \"{}\"", "x".repeat(MAX_LEN));
        assert!(parse(&long).is_err());
    }

    #[test]
    fn evaluates_like_okta_search() {
        let user = json!({
            "id": "00uA", "status": "ACTIVE", "created": "2026-01-02T00:00:00.000Z",
            "profile": {"firstName": "Ann", "lastName": "Page", "email": "ann@acme.test", "mobilePhone": null,
                        "tags": ["red", "blue"], "age": 41}
        });
        let ok = |text: &str| matches(&parse(text).unwrap(), &user, true);
        assert!(ok(r#"profile.lastName eq "page""#), "search ignores case");
        assert!(ok(r#"profile.email sw "ANN@""#));
        assert!(ok(r#"profile.email co "acme""#));
        assert!(!ok(r#"profile.email co "zzz""#));
        assert!(ok(r#"created gt "2026-01-01T00:00:00.000Z""#));
        assert!(ok(r#"created lt "2026-01-02T00:00:01Z""#));
        assert!(!ok(r#"created gt "2026-01-02T00:00:00.000Z""#));
        assert!(ok(r#"created ge "2026-01-02T00:00:00.000Z""#));
        assert!(ok(r#"status lt "STAGED" or status gt "STAGED""#), "the documented ne workaround");
        assert!(ok("profile.firstName pr"));
        assert!(!ok("profile.mobilePhone pr"));
        assert!(!ok("profile.nothing pr"));
        assert!(ok(r#"profile.tags eq "blue""#), "arrays match any element");
        assert!(ok("profile.age ge 41 and profile.age lt 42"));
        assert!(ok(r#"(status eq "STAGED" or status eq "ACTIVE") and profile.firstName eq "ann""#));
        assert!(!ok(r#"status eq "STAGED" or (status eq "ACTIVE" and profile.firstName eq "Bob")"#));
        // filter is case-sensitive
        assert!(!matches(&parse(r#"status eq "active""#).unwrap(), &user, false));
        assert!(matches(&parse(r#"status eq "ACTIVE""#).unwrap(), &user, false));
    }

    #[test]
    fn rules_restrict_attributes_and_operators() {
        let rules = Rules {
            attributes: Some(&["status", "lastUpdated", "profile.login"]),
            range_attributes: &["lastUpdated"],
            eq_only: true,
            contains_attributes: None,
            case_insensitive: false,
        };
        assert!(compile(r#"status eq "ACTIVE" and lastUpdated gt "2026-01-01T00:00:00.000Z""#, &rules).is_ok());
        assert!(compile(r#"status gt "ACTIVE""#, &rules).is_err());
        assert!(compile(r#"profile.login sw "a""#, &rules).is_err());
        assert!(compile(r#"profile.city eq "Paris""#, &rules).is_err());
        assert!(compile("status pr", &rules).is_err());
        let search = Rules { contains_attributes: Some(&["profile.email"]), ..Rules::SEARCH };
        assert!(compile(r#"profile.email co "x""#, &search).is_ok());
        assert!(compile(r#"profile.city co "x""#, &search).is_err());
    }
}
