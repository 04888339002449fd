//! A subset of the Okta Expression Language, enough for group rules:
//! `user.department == "Engineering" AND String.stringContains(user.email, "@acme")`,
//! `isMemberOfAnyGroup("00g…")`, `!(user.title == "Intern") || user.city != null`.

use serde_json::Value;
use winnow::ascii::{multispace0, Caseless};
use winnow::combinator::{alt, cut_err, delimited, opt, preceded, repeat, separated, terminated};
use winnow::prelude::*;
use winnow::token::{any, none_of, take_while};

use crate::model::{OktaState, User};

pub const MAX_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum El {
    Str(String),
    Bool(bool),
    Null,
    /// `user.<attribute>`
    Attr(String),
    Call(String, Vec<El>),
    Not(Box<El>),
    And(Box<El>, Box<El>),
    Or(Box<El>, Box<El>),
    Eq(Box<El>, Box<El>),
    Ne(Box<El>, Box<El>),
}

/// The functions the twin evaluates, with their arity (`None`: one or more).
const FUNCTIONS: [(&str, Option<usize>); 10] = [
    ("String.stringContains", Some(2)),
    ("String.startsWith", Some(2)),
    ("String.endsWith", Some(2)),
    ("String.toLowerCase", Some(1)),
    ("String.toUpperCase", Some(1)),
    ("isMemberOfGroup", Some(1)),
    ("isMemberOfAnyGroup", None),
    ("isMemberOfGroupName", Some(1)),
    ("isMemberOfGroupNameStartsWith", Some(1)),
    ("isMemberOfGroupNameContains", Some(1)),
];

fn ws<'i, O>(
    p: impl Parser<&'i str, O, winnow::error::ErrMode<winnow::error::ContextError>>,
) -> impl Parser<&'i str, O, winnow::error::ErrMode<winnow::error::ContextError>> {
    delimited(multispace0, p, multispace0)
}

fn string(input: &mut &str) -> ModalResult<El> {
    let chars: Vec<char> =
        preceded('"', cut_err(terminated(repeat(0.., alt((preceded('\\', any), none_of(['"', '\\'])))), '"')))
            .parse_next(input)?;
    Ok(El::Str(chars.into_iter().collect()))
}

fn dotted<'i>(input: &mut &'i str) -> ModalResult<&'i str> {
    (
        take_while(1, |c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.'),
    )
        .take()
        .parse_next(input)
}

fn word_or_call(input: &mut &str) -> ModalResult<El> {
    let name = dotted.parse_next(input)?;
    let args: Option<Vec<El>> = opt(delimited(ws('('), separated(0.., expr, ws(',')), ws(')'))).parse_next(input)?;
    if let Some(args) = args {
        return Ok(El::Call(name.to_string(), args));
    }
    match name {
        "true" => Ok(El::Bool(true)),
        "false" => Ok(El::Bool(false)),
        "null" => Ok(El::Null),
        n => match n.strip_prefix("user.") {
            Some(attr) if !attr.is_empty() && !attr.contains('.') => Ok(El::Attr(attr.to_string())),
            _ => Err(winnow::error::ErrMode::Backtrack(winnow::error::ContextError::new())),
        },
    }
}

fn primary(input: &mut &str) -> ModalResult<El> {
    ws(alt((delimited('(', expr, ws(')')), string, word_or_call))).parse_next(input)
}

fn unary(input: &mut &str) -> ModalResult<El> {
    let negated: Option<()> =
        opt(ws(alt(("!".void(), terminated(Caseless("NOT"), winnow::ascii::multispace1).void())))).parse_next(input)?;
    match negated {
        Some(()) => Ok(El::Not(Box::new(unary.parse_next(input)?))),
        None => primary.parse_next(input),
    }
}

fn comparison(input: &mut &str) -> ModalResult<El> {
    let left = unary.parse_next(input)?;
    let op: Option<&str> = opt(ws(alt(("==", "!=")))).parse_next(input)?;
    match op {
        None => Ok(left),
        Some(op) => {
            let right = unary.parse_next(input)?;
            Ok(if op == "==" {
                El::Eq(Box::new(left), Box::new(right))
            } else {
                El::Ne(Box::new(left), Box::new(right))
            })
        }
    }
}

fn and(input: &mut &str) -> ModalResult<El> {
    let first = comparison.parse_next(input)?;
    let rest: Vec<El> = repeat(0.., preceded(ws(alt(("&&", Caseless("AND")))), comparison)).parse_next(input)?;
    Ok(rest.into_iter().fold(first, |a, b| El::And(Box::new(a), Box::new(b))))
}

fn expr(input: &mut &str) -> ModalResult<El> {
    let first = and.parse_next(input)?;
    let rest: Vec<El> = repeat(0.., preceded(ws(alt(("||", Caseless("OR")))), and)).parse_next(input)?;
    Ok(rest.into_iter().fold(first, |a, b| El::Or(Box::new(a), Box::new(b))))
}

fn check(e: &El) -> Result<(), String> {
    match e {
        El::Call(name, args) => {
            let (_, arity) = FUNCTIONS
                .iter()
                .find(|(f, _)| f == name)
                .ok_or_else(|| format!("The function '{name}' is not supported."))?;
            match arity {
                Some(n) if args.len() != *n => return Err(format!("'{name}' takes {n} argument(s).")),
                None if args.is_empty() => return Err(format!("'{name}' takes at least one argument.")),
                _ => {}
            }
            args.iter().try_for_each(check)
        }
        El::Not(a) => check(a),
        El::And(a, b) | El::Or(a, b) | El::Eq(a, b) | El::Ne(a, b) => {
            check(a)?;
            check(b)
        }
        _ => Ok(()),
    }
}

/// Parses and checks an expression; the error is for `errorCauses`.
pub fn parse(text: &str) -> Result<El, String> {
    if text.len() > MAX_LEN {
        return Err(format!("The expression is longer than {MAX_LEN} characters."));
    }
    let depth = text.chars().fold((0usize, 0usize), |(d, m), c| match c {
        '(' => (d + 1, m.max(d + 1)),
        ')' => (d.saturating_sub(1), m),
        _ => (d, m),
    });
    if depth.1 > 32 {
        return Err("The expression nests too deeply.".into());
    }
    let e = ws(expr).parse(text).map_err(|_| format!("Invalid expression: '{text}'"))?;
    check(&e)?;
    Ok(e)
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Bool(bool),
    Num(f64),
    Null,
}

fn of_json(v: Option<&Value>) -> Val {
    match v {
        Some(Value::String(s)) => Val::Str(s.clone()),
        Some(Value::Bool(b)) => Val::Bool(*b),
        Some(Value::Number(n)) => n.as_f64().map_or(Val::Null, Val::Num),
        _ => Val::Null,
    }
}

fn truthy(v: &Val) -> bool {
    matches!(v, Val::Bool(true))
}

fn text(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        Val::Bool(b) => b.to_string(),
        Val::Num(n) => n.to_string(),
        Val::Null => String::new(),
    }
}

fn eval_inner(e: &El, user: &User, s: &OktaState) -> Val {
    let group_names = || {
        s.user_group_ids(&user.id)
            .iter()
            .filter_map(|g| s.groups.get(g))
            .map(|g| g.name().to_string())
            .collect::<Vec<_>>()
    };
    match e {
        El::Str(x) => Val::Str(x.clone()),
        El::Bool(b) => Val::Bool(*b),
        El::Null => Val::Null,
        El::Attr(a) => of_json(user.profile.get(a)),
        El::Not(a) => Val::Bool(!truthy(&eval_inner(a, user, s))),
        El::And(a, b) => Val::Bool(truthy(&eval_inner(a, user, s)) && truthy(&eval_inner(b, user, s))),
        El::Or(a, b) => Val::Bool(truthy(&eval_inner(a, user, s)) || truthy(&eval_inner(b, user, s))),
        El::Eq(a, b) => Val::Bool(eval_inner(a, user, s) == eval_inner(b, user, s)),
        El::Ne(a, b) => Val::Bool(eval_inner(a, user, s) != eval_inner(b, user, s)),
        El::Call(name, args) => {
            let v: Vec<Val> = args.iter().map(|a| eval_inner(a, user, s)).collect();
            let arg = |i: usize| v.get(i).map(text).unwrap_or_default();
            match name.as_str() {
                "String.stringContains" => Val::Bool(arg(0).contains(&arg(1))),
                "String.startsWith" => Val::Bool(arg(0).starts_with(&arg(1))),
                "String.endsWith" => Val::Bool(arg(0).ends_with(&arg(1))),
                "String.toLowerCase" => Val::Str(arg(0).to_lowercase()),
                "String.toUpperCase" => Val::Str(arg(0).to_uppercase()),
                "isMemberOfGroup" | "isMemberOfAnyGroup" => {
                    let mine = s.user_group_ids(&user.id);
                    Val::Bool(v.iter().map(text).any(|g| mine.contains(&g)))
                }
                "isMemberOfGroupName" => Val::Bool(group_names().contains(&arg(0))),
                "isMemberOfGroupNameStartsWith" => Val::Bool(group_names().iter().any(|n| n.starts_with(&arg(0)))),
                "isMemberOfGroupNameContains" => Val::Bool(group_names().iter().any(|n| n.contains(&arg(0)))),
                _ => Val::Null,
            }
        }
    }
}

/// Does the expression hold for `user`?
pub fn holds(e: &El, user: &User, s: &OktaState) -> bool {
    truthy(&eval_inner(e, user, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(
            parse(r#"user.department == "Engineering""#).unwrap(),
            El::Eq(Box::new(El::Attr("department".into())), Box::new(El::Str("Engineering".into())))
        );
        assert!(parse(r#"user.department=="Sales" AND String.stringContains(user.email, "@acme")"#).is_ok());
        assert!(parse(r#"isMemberOfAnyGroup("00g1", "00g2") || !(user.title == "Intern")"#).is_ok());
        assert!(parse(r#"NOT user.city == null"#).is_ok());
        for bad in [
            "",
            "user.department ==",
            r#"Foo.bar("x")"#,
            r#"String.startsWith("x")"#,
            "user.",
            "department == 1",
            r#"("x""#,
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
