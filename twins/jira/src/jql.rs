//! JQL: a winnow lexer and a recursive-descent parser for the subset people and
//! agents use, and its evaluation over the site's issues.
//!
//! `clause ((AND|OR) clause)* [ORDER BY field [ASC|DESC], …]` with `NOT`, parentheses,
//! `= != > >= < <= ~ !~ IN NOT IN IS [NOT] EMPTY|NULL`, lists, functions
//! (`currentUser()`, `now()`, `startOfDay(-1)`, `membersOf("x")`, `openSprints()`, …),
//! relative dates (`-7d`, `-2w`, `4h`) on the universe clock. Errors are Jira's
//! messages, naming the offending token.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use winnow::ascii::multispace0;
use winnow::combinator::{alt, delimited, preceded, repeat};
use winnow::prelude::*;
use winnow::token::{any, none_of, one_of, take_while};

use crate::adf;
use crate::model::{Issue, JiraState, SprintState, CAT_DONE, CAT_IN_PROGRESS, CAT_NEW, CAT_UNDEFINED};

pub const MAX_LEN: usize = 10_000;
pub const MAX_DEPTH: usize = 40;

// ---------------------------------------------------------------------------
// Lexing

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare word: field names, keywords, unquoted values.
    Word(String),
    /// A quoted string.
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Word(w) => w.clone(),
            Tok::Str(s) => s.clone(),
            Tok::Op(o) => (*o).to_string(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

fn quoted(input: &mut &str) -> ModalResult<String> {
    let q = one_of(['"', '\'']).parse_next(input)?;
    let chars: Vec<char> =
        repeat(0.., alt((preceded('\\', any), none_of(move |c: char| c == q || c == '\\')))).parse_next(input)?;
    let mut close = q;
    close.parse_next(input)?;
    Ok(chars.into_iter().collect())
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@' | ':' | '/' | '*' | '+' | '[' | ']' | '$' | '#')
}

fn word(input: &mut &str) -> ModalResult<String> {
    take_while(1.., word_char).map(str::to_string).parse_next(input)
}

fn operator(input: &mut &str) -> ModalResult<&'static str> {
    alt((
        "!=".value("!="),
        "!~".value("!~"),
        ">=".value(">="),
        "<=".value("<="),
        "=".value("="),
        ">".value(">"),
        "<".value("<"),
        "~".value("~"),
    ))
    .parse_next(input)
}

fn token(input: &mut &str) -> ModalResult<Tok> {
    alt((
        quoted.map(Tok::Str),
        operator.map(Tok::Op),
        '('.value(Tok::LParen),
        ')'.value(Tok::RParen),
        ','.value(Tok::Comma),
        word.map(Tok::Word),
    ))
    .parse_next(input)
}

/// Tokens with their 1-based character positions.
pub fn lex(text: &str) -> Result<Vec<(Tok, usize)>, String> {
    let mut input = text;
    let mut out = Vec::new();
    let total = text.chars().count();
    loop {
        let _ = multispace0::<_, winnow::error::ContextError>.parse_next(&mut input);
        if input.is_empty() {
            return Ok(out);
        }
        let pos = total - input.chars().count() + 1;
        let before = input;
        match delimited(multispace0, token, multispace0).parse_next(&mut input) {
            Ok(t) => out.push((t, pos)),
            Err(_) => {
                let c = before.chars().next().unwrap_or(' ');
                if matches!(c, '"' | '\'') {
                    return Err(format!(
                        "Error in the JQL Query: Missing closing quote {c} for the string starting at (line 1, character {pos})."
                    ));
                }
                return Err(format!(
                    "Error in the JQL Query: The character '{c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u{:04x}' instead. (line 1, character {pos})",
                    c as u32
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The tree

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Like,
    NotLike,
    In,
    NotIn,
    Is,
    IsNot,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Value(String),
    Empty,
    Func(String, Vec<String>),
    List(Vec<Operand>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    And(Vec<Clause>),
    Or(Vec<Clause>),
    Not(Box<Clause>),
    Cmp {
        field: String,
        op: Op,
        value: Operand,
    },
    /// `field WAS [NOT] [IN] value` or `field CHANGED`, with predicates
    /// (`FROM`, `TO`, `BY`, `AFTER`, `BEFORE`, lower case).
    History {
        field: String,
        changed: bool,
        not: bool,
        value: Option<Operand>,
        preds: Vec<(String, Operand)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub field: String,
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub clause: Option<Clause>,
    pub order: Vec<OrderKey>,
}

// ---------------------------------------------------------------------------
// Parsing

struct JqlParser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    depth: usize,
}

const OPERATORS: &str =
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";

impl JqlParser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(t, _)| t)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).map(|(t, _)| t.clone());
        self.at += 1;
        t
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(0, |(_, p)| *p)
    }

    fn expecting(&self, what: &str, extra: &str) -> String {
        match self.peek() {
            Some(t) => format!(
                "Error in the JQL Query: Expecting {what} but got '{}'.{extra} (line 1, character {})",
                t.text(),
                self.pos()
            ),
            None => format!("Error in the JQL Query: Expecting {what} before the end of the query.{extra}"),
        }
    }

    fn query(&mut self) -> Result<Query, String> {
        let mut q = Query::default();
        if self.peek().is_some() && !self.at_order_by() {
            q.clause = Some(self.or()?);
        }
        if self.at_order_by() {
            self.at += 2;
            loop {
                let field = match self.next() {
                    Some(Tok::Word(w)) => w,
                    Some(Tok::Str(s)) => s,
                    _ => {
                        self.at -= 1;
                        return Err(self.expecting("a field name", ""));
                    }
                };
                let mut desc = false;
                if self.peek().is_some_and(|t| t.is_kw("desc")) {
                    desc = true;
                    self.at += 1;
                } else if self.peek().is_some_and(|t| t.is_kw("asc")) {
                    self.at += 1;
                }
                q.order.push(OrderKey { field, desc });
                if self.peek() == Some(&Tok::Comma) {
                    self.at += 1;
                    continue;
                }
                break;
            }
        }
        if self.peek().is_some() {
            return Err(self.expecting("either 'OR' or 'AND'", ""));
        }
        Ok(q)
    }

    fn at_order_by(&self) -> bool {
        self.peek().is_some_and(|t| t.is_kw("order")) && self.toks.get(self.at + 1).is_some_and(|(t, _)| t.is_kw("by"))
    }

    fn or(&mut self) -> Result<Clause, String> {
        let mut parts = vec![self.and()?];
        while self.peek().is_some_and(|t| t.is_kw("or")) || self.peek() == Some(&Tok::Word("||".into())) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Clause::Or(parts) })
    }

    fn and(&mut self) -> Result<Clause, String> {
        let mut parts = vec![self.not()?];
        while self.peek().is_some_and(|t| t.is_kw("and")) {
            self.at += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Clause::And(parts) })
    }

    fn not(&mut self) -> Result<Clause, String> {
        if self.peek().is_some_and(|t| t.is_kw("not")) {
            self.at += 1;
            return Ok(Clause::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Clause, String> {
        if self.peek() == Some(&Tok::LParen) {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err("Error in the JQL Query: The query is nested too deeply.".into());
            }
            self.at += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.expecting("')'", ""));
            }
            self.at += 1;
            self.depth -= 1;
            return Ok(inner);
        }
        let field = match self.peek() {
            Some(Tok::Word(w)) if !is_reserved(w) => w.clone(),
            Some(Tok::Str(s)) => s.clone(),
            _ => return Err(self.expecting("a field name", "")),
        };
        self.at += 1;
        if self.peek().is_some_and(|t| t.is_kw("was") || t.is_kw("changed")) {
            return self.history(field);
        }
        let op = self.op()?;
        let value = match op {
            Op::Is | Op::IsNot => {
                if self.peek().is_some_and(|t| t.is_kw("empty") || t.is_kw("null")) {
                    self.at += 1;
                    Operand::Empty
                } else {
                    return Err(self.expecting("EMPTY or NULL", ""));
                }
            }
            Op::In | Op::NotIn => self.list_or_func()?,
            _ => self.operand()?,
        };
        Ok(Clause::Cmp { field, op, value })
    }

    /// `WAS [NOT] [IN] value` / `CHANGED`, then predicates.
    fn history(&mut self, field: String) -> Result<Clause, String> {
        let changed = self.peek().is_some_and(|t| t.is_kw("changed"));
        self.at += 1;
        let mut not = false;
        let mut value = None;
        if !changed {
            if self.peek().is_some_and(|t| t.is_kw("not")) {
                not = true;
                self.at += 1;
            }
            value = Some(if self.peek().is_some_and(|t| t.is_kw("in")) {
                self.at += 1;
                self.list_or_func()?
            } else {
                self.operand()?
            });
        }
        let mut preds = Vec::new();
        while let Some(Tok::Word(w)) = self.peek() {
            let name = w.to_ascii_lowercase();
            let allowed: &[&str] =
                if changed { &["from", "to", "by", "after", "before"] } else { &["by", "after", "before"] };
            if !allowed.contains(&name.as_str()) {
                break;
            }
            self.at += 1;
            preds.push((name, self.operand()?));
        }
        Ok(Clause::History { field, changed, not, value, preds })
    }

    fn op(&mut self) -> Result<Op, String> {
        let op = match self.peek() {
            Some(Tok::Op(o)) => match *o {
                "=" => Op::Eq,
                "!=" => Op::Ne,
                ">" => Op::Gt,
                ">=" => Op::Ge,
                "<" => Op::Lt,
                "<=" => Op::Le,
                "~" => Op::Like,
                _ => Op::NotLike,
            },
            Some(t) if t.is_kw("in") => Op::In,
            Some(t) if t.is_kw("is") => {
                self.at += 1;
                if self.peek().is_some_and(|t| t.is_kw("not")) {
                    self.at += 1;
                    return Ok(Op::IsNot);
                }
                return Ok(Op::Is);
            }
            Some(t) if t.is_kw("not") => {
                if self.toks.get(self.at + 1).is_some_and(|(t, _)| t.is_kw("in")) {
                    self.at += 2;
                    return Ok(Op::NotIn);
                }
                return Err(self.expecting("operator", &format!(" {OPERATORS}")));
            }
            _ => return Err(self.expecting("operator", &format!(" {OPERATORS}"))),
        };
        self.at += 1;
        Ok(op)
    }

    fn list_or_func(&mut self) -> Result<Operand, String> {
        if self.peek() != Some(&Tok::LParen) {
            if let Some(Tok::Word(_)) = self.peek() {
                if self.toks.get(self.at + 1).is_some_and(|(t, _)| *t == Tok::LParen) {
                    return self.operand();
                }
            }
            return Err(self.expecting("'('", ""));
        }
        self.at += 1;
        let mut items = Vec::new();
        loop {
            items.push(self.operand()?);
            match self.peek() {
                Some(Tok::Comma) => self.at += 1,
                Some(Tok::RParen) => {
                    self.at += 1;
                    break;
                }
                _ => return Err(self.expecting("')'", "")),
            }
        }
        Ok(Operand::List(items))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        match self.peek().cloned() {
            Some(Tok::Str(s)) => {
                self.at += 1;
                Ok(Operand::Value(s))
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("empty") || w.eq_ignore_ascii_case("null") => {
                self.at += 1;
                Ok(Operand::Empty)
            }
            Some(Tok::Word(w)) if !is_reserved(&w) => {
                self.at += 1;
                if self.peek() == Some(&Tok::LParen) {
                    self.at += 1;
                    let mut args = Vec::new();
                    if self.peek() == Some(&Tok::RParen) {
                        self.at += 1;
                    } else {
                        loop {
                            match self.next() {
                                Some(Tok::Word(a)) | Some(Tok::Str(a)) => args.push(a),
                                _ => {
                                    self.at -= 1;
                                    return Err(self.expecting("a function argument", ""));
                                }
                            }
                            match self.next() {
                                Some(Tok::Comma) => continue,
                                Some(Tok::RParen) => break,
                                _ => {
                                    self.at -= 1;
                                    return Err(self.expecting("')'", ""));
                                }
                            }
                        }
                    }
                    return Ok(Operand::Func(w, args));
                }
                Ok(Operand::Value(w))
            }
            _ => Err(self.expecting("either a value, list or function", "")),
        }
    }
}

fn is_reserved(w: &str) -> bool {
    ["and", "or", "not", "in", "is", "was", "changed", "order", "by", "empty", "null"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

pub fn parse(text: &str) -> Result<Query, String> {
    if text.chars().count() > MAX_LEN {
        return Err("Error in the JQL Query: The query is too long.".into());
    }
    let toks = lex(text)?;
    JqlParser { toks, at: 0, depth: 0 }.query()
}

// ---------------------------------------------------------------------------
// Fields

/// The canonical names of the fields JQL knows, with their aliases.
pub fn canonical_field(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "project" => "project",
        "key" | "issuekey" | "issue" | "id" => "key",
        "issuetype" | "type" => "issuetype",
        "status" => "status",
        "statuscategory" => "statusCategory",
        "resolution" => "resolution",
        "priority" => "priority",
        "assignee" => "assignee",
        "reporter" => "reporter",
        "creator" => "creator",
        "labels" | "label" => "labels",
        "component" | "components" => "component",
        "summary" => "summary",
        "description" => "description",
        "environment" => "environment",
        "comment" => "comment",
        "text" => "text",
        "created" | "createddate" => "created",
        "updated" | "updateddate" => "updated",
        "resolved" | "resolutiondate" => "resolved",
        "due" | "duedate" => "duedate",
        "statuscategorychangeddate" => "statusCategoryChangedDate",
        "sprint" | "cf[10020]" => "sprint",
        "parent" | "\"epic link\"" | "epic link" => "parent",
        "story point estimate" | "story points" | "cf[10016]" => "storyPoints",
        "watcher" | "watchers" => "watcher",
        "rank" | "cf[10019]" => "rank",
        _ => return None,
    })
}

/// What a query is evaluated against.
pub struct Env<'a> {
    pub state: &'a JiraState,
    pub current_user: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// An operand resolved to comparable values, once per query.
#[derive(Debug, Clone)]
enum Val {
    Text(String),
    Empty,
    Time(DateTime<Utc>),
    Num(f64),
    /// A set a function stands for (sprint ids, accountIds of a group).
    Set(Vec<String>),
}

pub struct Compiled {
    clause: Option<CClause>,
    pub order: Vec<OrderKey>,
}

enum CClause {
    And(Vec<CClause>),
    Or(Vec<CClause>),
    Not(Box<CClause>),
    Cmp { field: &'static str, op: Op, values: Vec<Val> },
    History { field: &'static str, changed: bool, not: bool, values: Vec<Val>, preds: Vec<(String, Vec<Val>)> },
}

fn value_error(field: &str, value: &str) -> String {
    format!("The value '{value}' does not exist for the field '{field}'.")
}

/// A relative date (`-7d`, `2w`, `-4h`, `30m`, `-1d 2h` is not supported), else None.
fn relative(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let t = text.trim();
    let (sign, body) = match t.strip_prefix('-') {
        Some(b) => (-1, b),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let split = body.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = body.split_at(split);
    let n: i64 = n.parse().ok()?;
    let d = match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        _ => return None,
    };
    Some(if sign < 0 { now - d } else { now + d })
}

fn absolute(text: &str) -> Option<DateTime<Utc>> {
    for f in ["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(text, f) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(text, f) {
            return d.and_hms_opt(0, 0, 0).map(|x| Utc.from_utc_datetime(&x));
        }
    }
    None
}

/// `startOfDay(-1)`-style offsets: `-1`, `+2d`, `-1w`, `1M`.
fn offset(arg: Option<&String>, default_unit: char) -> Result<(i64, char), String> {
    let Some(a) = arg else { return Ok((0, default_unit)) };
    let a = a.trim();
    let (num, unit) = match a.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (&a[..a.len() - 1], c),
        _ => (a, default_unit),
    };
    let n = num.trim_start_matches('+').parse::<i64>().map_err(|_| format!("Invalid offset '{a}'."))?;
    Ok((n, unit))
}

fn shift(t: DateTime<Utc>, n: i64, unit: char) -> DateTime<Utc> {
    match unit {
        'w' => t + Duration::weeks(n),
        'M' => {
            let months = t.month0() as i64 + n;
            let year = t.year() as i64 + months.div_euclid(12);
            let month = months.rem_euclid(12) as u32 + 1;
            NaiveDate::from_ymd_opt(year as i32, month, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(t, |d| Utc.from_utc_datetime(&d))
        }
        'y' => t + Duration::days(365 * n),
        'h' => t + Duration::hours(n),
        'm' => t + Duration::minutes(n),
        _ => t + Duration::days(n),
    }
}

fn day_start(t: DateTime<Utc>) -> DateTime<Utc> {
    t.date_naive().and_hms_opt(0, 0, 0).map_or(t, |d| Utc.from_utc_datetime(&d))
}

fn date_function(name: &str, args: &[String], now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    let lower = name.to_ascii_lowercase();
    let today = day_start(now);
    let week = today - Duration::days(today.weekday().num_days_from_sunday() as i64);
    let month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(today, |d| Utc.from_utc_datetime(&d));
    let year = NaiveDate::from_ymd_opt(now.year(), 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(today, |d| Utc.from_utc_datetime(&d));
    let (base, unit, end) = match lower.as_str() {
        "now" => return Ok(Some(now)),
        "startofday" => (today, 'd', None),
        "endofday" => (today, 'd', Some(Duration::days(1))),
        "startofweek" => (week, 'w', None),
        "endofweek" => (week, 'w', Some(Duration::weeks(1))),
        "startofmonth" => (month, 'M', None),
        "endofmonth" => (month, 'M', Some(Duration::zero())),
        "startofyear" => (year, 'y', None),
        "endofyear" => (year, 'y', Some(Duration::days(365))),
        _ => return Ok(None),
    };
    let (n, unit) = offset(args.first(), unit)?;
    let mut t = shift(base, n, unit);
    if let Some(len) = end {
        t = if lower == "endofmonth" { shift(t, 1, 'M') } else { t + len } - Duration::milliseconds(1);
    }
    Ok(Some(t))
}

fn is_date_field(f: &str) -> bool {
    matches!(f, "created" | "updated" | "resolved" | "duedate" | "statusCategoryChangedDate")
}

impl Env<'_> {
    fn resolve(&self, field: &'static str, operand: &Operand, out: &mut Vec<Val>) -> Result<(), String> {
        match operand {
            Operand::Empty => out.push(Val::Empty),
            Operand::List(items) => {
                for i in items {
                    self.resolve(field, i, out)?;
                }
            }
            Operand::Func(name, args) => {
                let lower = name.to_ascii_lowercase();
                if let Some(t) = date_function(name, args, self.now)? {
                    if !is_date_field(field) {
                        return Err(format!("The field '{field}' does not support the function '{name}'."));
                    }
                    out.push(Val::Time(t));
                    return Ok(());
                }
                match lower.as_str() {
                    "currentuser" => match self.current_user {
                        Some(u) => out.push(Val::Text(u.to_string())),
                        None => out.push(Val::Set(vec![])),
                    },
                    "membersof" => {
                        let group = args.first().cloned().unwrap_or_default();
                        if !self.state.groups.values().any(|g| g.name.eq_ignore_ascii_case(&group)) {
                            return Err(format!(
                                "Function 'membersOf' can not generate a list of usernames for group '{group}'; the group does not exist."
                            ));
                        }
                        let members = self
                            .state
                            .users
                            .values()
                            .filter(|u| u.groups.iter().any(|g| g.eq_ignore_ascii_case(&group)))
                            .map(|u| u.account_id.clone())
                            .collect();
                        out.push(Val::Set(members));
                    }
                    "opensprints" | "closedsprints" | "futuresprints" => {
                        let want = match lower.as_str() {
                            "opensprints" => SprintState::Active,
                            "closedsprints" => SprintState::Closed,
                            _ => SprintState::Future,
                        };
                        let ids =
                            self.state.sprints.values().filter(|s| s.state == want).map(|s| s.id.to_string()).collect();
                        out.push(Val::Set(ids));
                    }
                    _ => return Err(format!("Unable to find JQL function '{name}({})'.", args.join(", "))),
                }
            }
            Operand::Value(v) => out.push(self.literal(field, v)?),
        }
        Ok(())
    }

    /// A literal value, checked against the site's catalogue and turned into the
    /// form the field compares by (ids for named things, times for dates).
    fn literal(&self, field: &'static str, v: &str) -> Result<Val, String> {
        let s = self.state;
        let text = |x: &str| Ok(Val::Text(x.to_string()));
        match field {
            "project" => match s.project_by_name(v) {
                Some(p) => text(&p.id),
                None => Err(value_error("project", v)),
            },
            "issuetype" => match s.issue_type_by_name(v) {
                Some(t) => text(&t.id),
                None => Err(value_error("issuetype", v)),
            },
            "status" => match s.status_by_name(v) {
                Some(x) => text(&x.id),
                None => Err(value_error("status", v)),
            },
            "statusCategory" => {
                let cat = match v.to_ascii_lowercase().as_str() {
                    "to do" | "new" | "2" => CAT_NEW,
                    "in progress" | "indeterminate" | "4" => CAT_IN_PROGRESS,
                    "done" | "complete" | "3" => CAT_DONE,
                    "no category" | "undefined" | "1" => CAT_UNDEFINED,
                    _ => return Err(value_error("statusCategory", v)),
                };
                Ok(Val::Num(f64::from(cat)))
            }
            "resolution" => {
                if v.eq_ignore_ascii_case("unresolved") {
                    return Ok(Val::Empty);
                }
                match s.resolution_by_name(v) {
                    Some(x) => text(&x.id),
                    None => Err(value_error("resolution", v)),
                }
            }
            "priority" => match s.priority_by_name(v) {
                Some(x) => text(&x.id),
                None => Err(value_error("priority", v)),
            },
            "assignee" | "reporter" | "creator" | "watcher" => match s.find_user(v) {
                Some(u) => text(&u.account_id),
                None => Err(format!("The value '{v}' does not exist for the field '{field}'.")),
            },
            "key" | "parent" => match s.issue(v) {
                Some(i) => text(&i.id),
                None => {
                    let shaped = v.split_once('-').is_some_and(|(p, n)| !p.is_empty() && n.parse::<u64>().is_ok());
                    if shaped || v.parse::<u64>().is_ok() {
                        // A well-formed key of an issue that does not exist (or was deleted).
                        match v.split_once('-').and_then(|(p, _)| s.project(p)) {
                            Some(_) => Ok(Val::Text(String::new())),
                            None if v.parse::<u64>().is_ok() => Ok(Val::Text(String::new())),
                            None => Err(format!("An issue with key '{v}' does not exist for field '{field}'.")),
                        }
                    } else {
                        Err(format!("The issue key '{v}' for field '{field}' is invalid."))
                    }
                }
            },
            "sprint" => {
                if let Ok(n) = v.parse::<u64>() {
                    return match s.sprint(n) {
                        Some(_) => text(&n.to_string()),
                        None => Err(value_error("sprint", v)),
                    };
                }
                match s.sprints.values().find(|x| x.name.eq_ignore_ascii_case(v)) {
                    Some(x) => text(&x.id.to_string()),
                    None => Err(value_error("sprint", v)),
                }
            }
            "storyPoints" => {
                v.parse::<f64>().map(Val::Num).map_err(|_| format!("The value '{v}' is not a valid number for '{field}'."))
            }
            f if is_date_field(f) => match relative(v, self.now).or_else(|| absolute(v)) {
                Some(t) => Ok(Val::Time(t)),
                None => Err(format!(
                    "Date value '{v}' for field '{f}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
                )),
            },
            _ => text(v),
        }
    }

    fn compile_clause(&self, c: &Clause) -> Result<CClause, String> {
        Ok(match c {
            Clause::And(p) => CClause::And(p.iter().map(|x| self.compile_clause(x)).collect::<Result<_, _>>()?),
            Clause::Or(p) => CClause::Or(p.iter().map(|x| self.compile_clause(x)).collect::<Result<_, _>>()?),
            Clause::Not(x) => CClause::Not(Box::new(self.compile_clause(x)?)),
            Clause::Cmp { field, op, value } => {
                let f = canonical_field(field).ok_or_else(|| {
                    format!("Field '{field}' does not exist or you do not have permission to view it.")
                })?;
                let text_field = matches!(f, "summary" | "description" | "environment" | "comment" | "text");
                if text_field && !matches!(op, Op::Like | Op::NotLike | Op::Is | Op::IsNot) {
                    return Err(format!("The operator '{}' is not supported by the '{field}' field.", op_text(*op)));
                }
                if matches!(op, Op::Like | Op::NotLike) && !text_field && f != "labels" {
                    return Err(format!("The operator '{}' is not supported by the '{field}' field.", op_text(*op)));
                }
                let mut values = Vec::new();
                if text_field {
                    match value {
                        Operand::Value(v) => values.push(Val::Text(v.clone())),
                        Operand::Empty => values.push(Val::Empty),
                        _ => {
                            return Err(format!(
                                "The operator '{}' is not supported by the '{field}' field.",
                                op_text(*op)
                            ))
                        }
                    }
                } else {
                    self.resolve(f, value, &mut values)?;
                }
                CClause::Cmp { field: f, op: *op, values }
            }
            Clause::History { field, changed, not, value, preds } => {
                let f = canonical_field(field).ok_or_else(|| {
                    format!("Field '{field}' does not exist or you do not have permission to view it.")
                })?;
                if !matches!(f, "status" | "assignee" | "reporter" | "priority" | "resolution" | "issuetype") {
                    let op = if *changed { "changed" } else { "was" };
                    return Err(format!("History searches do not support the '{field}' field (operator '{op}')."));
                }
                let mut values = Vec::new();
                if let Some(v) = value {
                    self.resolve(f, v, &mut values)?;
                }
                let mut compiled = Vec::new();
                for (name, operand) in preds {
                    let mut vals = Vec::new();
                    let target = match name.as_str() {
                        "by" => "assignee",
                        "after" | "before" => "updated",
                        _ => f,
                    };
                    self.resolve(target, operand, &mut vals)?;
                    compiled.push((name.clone(), vals));
                }
                CClause::History { field: f, changed: *changed, not: *not, values, preds: compiled }
            }
        })
    }

    pub fn compile(&self, q: &Query) -> Result<Compiled, String> {
        for k in &q.order {
            if canonical_field(&k.field).is_none() {
                return Err(format!("Field '{}' does not exist or you do not have permission to view it.", k.field));
            }
        }
        Ok(Compiled { clause: q.clause.as_ref().map(|c| self.compile_clause(c)).transpose()?, order: q.order.clone() })
    }
}

pub fn op_text(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Like => "~",
        Op::NotLike => "!~",
        Op::In => "in",
        Op::NotIn => "not in",
        Op::Is => "is",
        Op::IsNot => "is not",
    }
}

/// What an issue holds for a field.
/// Borrowed from the issue where it can be: a search evaluates this for every issue
/// of the site, and copying each value was most of its cost.
enum Have<'a> {
    One(Option<&'a str>),
    Many(Cow<'a, [String]>),
    Time(Option<DateTime<Utc>>),
    Num(Option<f64>),
    Text(Cow<'a, str>),
}

fn have<'a>(env: &Env<'_>, issue: &'a Issue, field: &str) -> Have<'a> {
    let s = env.state;
    match field {
        "project" => Have::One(Some(&issue.project_id)),
        "key" => Have::One(Some(&issue.id)),
        "issuetype" => Have::One(Some(&issue.issue_type)),
        "status" => Have::One(Some(&issue.status)),
        "statusCategory" => Have::Num(s.status(&issue.status).map(|x| f64::from(x.category))),
        "resolution" => Have::One(issue.resolution.as_deref()),
        "priority" => Have::One(issue.priority.as_deref()),
        "assignee" => Have::One(issue.assignee.as_deref()),
        "reporter" => Have::One(issue.reporter.as_deref()),
        "creator" => Have::One(Some(&issue.creator)),
        "watcher" => Have::Many(Cow::Borrowed(&issue.watchers)),
        "labels" => Have::Many(Cow::Borrowed(&issue.labels)),
        "component" => Have::Many(Cow::Borrowed(&issue.components)),
        "sprint" => Have::Many(Cow::Owned(issue.sprints.iter().map(u64::to_string).collect())),
        "parent" => Have::One(issue.parent.as_deref()),
        "created" => Have::Time(Some(issue.created)),
        "updated" => Have::Time(Some(issue.updated)),
        "resolved" => Have::Time(issue.resolution_date),
        "statusCategoryChangedDate" => Have::Time(Some(issue.status_changed)),
        "duedate" => Have::Time(issue.duedate.as_deref().and_then(absolute)),
        "storyPoints" => Have::Num(issue.custom.get(crate::model::STORY_POINTS_FIELD).and_then(|v| v.as_f64())),
        "summary" => Have::Text(Cow::Borrowed(&issue.summary)),
        "description" => Have::Text(Cow::Owned(issue.description.as_ref().map(adf::plain_text).unwrap_or_default())),
        "environment" => Have::Text(Cow::Owned(issue.environment.as_ref().map(adf::plain_text).unwrap_or_default())),
        "comment" => Have::Text(Cow::Owned(
            issue
                .comments
                .iter()
                .filter_map(|c| s.comments.get(c))
                .map(|c| adf::plain_text(&c.body))
                .collect::<Vec<_>>()
                .join(" "),
        )),
        "text" => {
            let mut t = issue.summary.clone();
            for part in [&issue.description, &issue.environment].into_iter().flatten() {
                t.push(' ');
                t.push_str(&adf::plain_text(part));
            }
            for c in issue.comments.iter().filter_map(|c| s.comments.get(c)) {
                t.push(' ');
                t.push_str(&adf::plain_text(&c.body));
            }
            Have::Text(Cow::Owned(t))
        }
        _ => Have::One(None),
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// `~`: every term of the query appears as a word (`term*` as a prefix); a quoted
/// phrase inside the value must appear in order.
fn text_matches(have: &str, query: &str) -> bool {
    let hay = words(have);
    let q = query.trim();
    if q.starts_with('"') && q.ends_with('"') && q.len() >= 2 {
        let phrase = words(&q[1..q.len() - 1]);
        return phrase.is_empty() || hay.windows(phrase.len()).any(|w| w == phrase.as_slice());
    }
    let terms: Vec<&str> = q.split_whitespace().collect();
    !terms.is_empty()
        && terms.iter().all(|t| {
            let prefix = t.ends_with('*');
            let tw = words(t.trim_end_matches('*'));
            tw.iter().all(|w| hay.iter().any(|h| if prefix { h.starts_with(w.as_str()) } else { h == w }))
        })
}

fn eq_val(have: &Have, v: &Val) -> bool {
    match (have, v) {
        (Have::One(h), Val::Text(t)) => *h == Some(t.as_str()),
        (Have::One(h), Val::Empty) => h.is_none(),
        (Have::One(h), Val::Set(set)) => h.is_some_and(|x| set.iter().any(|s| s == x)),
        (Have::Many(h), Val::Text(t)) => h.iter().any(|x| x.eq_ignore_ascii_case(t)),
        (Have::Many(h), Val::Empty) => h.is_empty(),
        (Have::Many(h), Val::Set(set)) => h.iter().any(|x| set.contains(x)),
        (Have::Num(h), Val::Num(n)) => h.is_some_and(|x| (x - n).abs() < f64::EPSILON),
        (Have::Num(h), Val::Empty) => h.is_none(),
        (Have::Time(h), Val::Time(t)) => {
            h.is_some_and(|x| x == *t || (x >= *t && x < *t + Duration::days(1) && t.time() == chrono::NaiveTime::MIN))
        }
        (Have::Time(h), Val::Empty) => h.is_none(),
        (Have::Text(h), Val::Empty) => h.trim().is_empty(),
        _ => false,
    }
}

fn cmp_val(env: &Env<'_>, have: &Have, v: &Val, field: &str) -> Option<std::cmp::Ordering> {
    match (have, v) {
        (Have::Time(Some(h)), Val::Time(t)) => Some(h.cmp(t)),
        (Have::Num(Some(h)), Val::Num(n)) => h.partial_cmp(n),
        (Have::One(Some(h)), Val::Text(t)) if field == "priority" => {
            // Higher priority compares greater: Highest > High.
            let (a, b) = (env.state.priority_rank(Some(h)), env.state.priority_rank(Some(t)));
            Some(b.cmp(&a))
        }
        (Have::One(Some(h)), Val::Text(t)) if field == "key" => {
            let a = env.state.issues.get(h)?;
            let b = env.state.issues.get(t)?;
            (a.project_id == b.project_id).then(|| a.number().cmp(&b.number()))
        }
        _ => None,
    }
}

/// `WAS`: the field held one of `values` at some time (now, or on either side of a
/// recorded change) within the predicates; `CHANGED`: a recorded change of the field
/// matches the predicates.
fn history_matches(
    env: &Env<'_>,
    issue: &Issue,
    field: &str,
    changed: bool,
    values: &[Val],
    preds: &[(String, Vec<Val>)],
) -> bool {
    let s = env.state;
    let is = |id: Option<&str>, vals: &[Val]| {
        vals.iter().any(|v| match v {
            Val::Text(t) => id == Some(t.as_str()),
            Val::Set(set) => id.is_some_and(|i| set.iter().any(|x| x == i)),
            Val::Empty => id.is_none(),
            _ => false,
        })
    };
    let time_ok = |t: DateTime<Utc>| {
        preds.iter().all(|(name, vals)| match (name.as_str(), vals.first()) {
            ("after", Some(Val::Time(a))) => t >= *a,
            ("before", Some(Val::Time(b))) => t <= *b,
            _ => true,
        })
    };
    let mut changes = Vec::new();
    for h in s.histories.of_issue(&issue.id) {
        for it in h.items.iter().filter(|it| it.field_id == field) {
            changes.push((h, it));
        }
    }
    if changed {
        return changes.iter().any(|(h, it)| {
            preds.iter().all(|(name, vals)| match name.as_str() {
                "from" => is(it.from.as_deref(), vals),
                "to" => is(it.to.as_deref(), vals),
                "by" => is(Some(h.author.as_str()), vals),
                _ => true,
            }) && time_ok(h.created)
        });
    }
    let by_ok = |author: &str| preds.iter().filter(|(n, _)| n == "by").all(|(_, vals)| is(Some(author), vals));
    let has_by = preds.iter().any(|(n, _)| n == "by");
    let current = match field {
        "status" => Some(issue.status.clone()),
        "assignee" => issue.assignee.clone(),
        "reporter" => issue.reporter.clone(),
        "priority" => issue.priority.clone(),
        "resolution" => issue.resolution.clone(),
        "issuetype" => Some(issue.issue_type.clone()),
        _ => None,
    };
    // The value it was created with holds from creation to the first change.
    let initial = changes.first().map_or(current.clone(), |(_, it)| it.from.clone());
    if !has_by && is(initial.as_deref(), values) && time_ok(issue.created) {
        return true;
    }
    if !has_by && is(current.as_deref(), values) && time_ok(env.now) {
        return true;
    }
    changes.iter().any(|(h, it)| is(it.to.as_deref(), values) && by_ok(&h.author) && time_ok(h.created))
}

fn eval(env: &Env<'_>, c: &CClause, issue: &Issue) -> bool {
    match c {
        CClause::And(p) => p.iter().all(|x| eval(env, x, issue)),
        CClause::Or(p) => p.iter().any(|x| eval(env, x, issue)),
        CClause::Not(x) => !eval(env, x, issue),
        CClause::History { field, changed, not, values, preds } => {
            let hit = history_matches(env, issue, field, *changed, values, preds);
            if *not {
                !hit
            } else {
                hit
            }
        }
        CClause::Cmp { field, op, values } => {
            let h = have(env, issue, field);
            let any_eq = || values.iter().any(|v| eq_val(&h, v));
            match op {
                Op::Eq | Op::In | Op::Is => any_eq(),
                Op::Ne | Op::NotIn | Op::IsNot => {
                    // `!=` never matches an empty value, as in Jira.
                    let empty = values.iter().any(|v| matches!(v, Val::Empty));
                    let has_value = !matches!(&h, Have::One(None) | Have::Time(None) | Have::Num(None))
                        && !matches!(&h, Have::Many(m) if m.is_empty());
                    !any_eq() && (empty || has_value)
                }
                Op::Like | Op::NotLike => {
                    let hit = values.iter().any(|v| match (&h, v) {
                        (Have::Text(t), Val::Text(q)) => text_matches(t, q),
                        (Have::Many(m), Val::Text(q)) => m.iter().any(|x| text_matches(x, q)),
                        _ => false,
                    });
                    if *op == Op::Like {
                        hit
                    } else {
                        !hit
                    }
                }
                Op::Gt | Op::Ge | Op::Lt | Op::Le => values.iter().any(|v| {
                    cmp_val(env, &h, v, field).is_some_and(|o| match op {
                        Op::Gt => o.is_gt(),
                        Op::Ge => o.is_ge(),
                        Op::Lt => o.is_lt(),
                        _ => o.is_le(),
                    })
                }),
            }
        }
    }
}

impl Compiled {
    pub fn is_bounded(&self) -> bool {
        self.clause.is_some()
    }

    /// The projects the query confines itself to (`project = X` or `project IN (…)`,
    /// alone or as a term of a top-level AND), so a search can read only their issues.
    pub fn projects(&self) -> Option<Vec<String>> {
        fn pinned(c: &CClause) -> Option<Vec<String>> {
            match c {
                CClause::Cmp { field: "project", op: Op::Eq | Op::In, values } => values
                    .iter()
                    .map(|v| match v {
                        Val::Text(id) => Some(id.clone()),
                        _ => None,
                    })
                    .collect(),
                CClause::And(parts) => parts.iter().find_map(pinned),
                _ => None,
            }
        }
        self.clause.as_ref().and_then(pinned)
    }

    /// Whether the order is `updated` alone, and which way (`Some(true)` newest first),
    /// the order the issue index keeps.
    pub fn by_updated(&self) -> Option<bool> {
        match self.order.as_slice() {
            [k] if canonical_field(&k.field) == Some("updated") => Some(k.desc),
            _ => None,
        }
    }

    pub fn matches(&self, env: &Env<'_>, issue: &Issue) -> bool {
        self.clause.as_ref().is_none_or(|c| eval(env, c, issue))
    }

    /// Sorts issues by the ORDER BY keys (then by id, newest first, for stability).
    pub fn sort(&self, env: &Env<'_>, issues: &mut [&Issue]) {
        issues.sort_by(self.comparator(env));
    }

    /// The order of the ORDER BY keys, ties broken by id: a total order, so a partial
    /// sort and a full one agree on every page.
    pub fn comparator<'e>(&self, env: &'e Env<'_>) -> impl Fn(&&Issue, &&Issue) -> std::cmp::Ordering + 'e {
        use std::cmp::Ordering;
        let s = env.state;
        let keys: Vec<(&'static str, bool)> =
            self.order.iter().filter_map(|k| canonical_field(&k.field).map(|f| (f, k.desc))).collect();
        let key_of = |i: &Issue| (s.projects.get(&i.project_id).map(|p| p.key.clone()).unwrap_or_default(), i.number());
        move |a: &&Issue, b: &&Issue| {
            for (f, desc) in &keys {
                let o = match *f {
                    "key" => key_of(a).cmp(&key_of(b)),
                    "created" => a.created.cmp(&b.created),
                    "updated" => a.updated.cmp(&b.updated),
                    "resolved" => a.resolution_date.cmp(&b.resolution_date),
                    "duedate" => a.duedate.cmp(&b.duedate),
                    "priority" => s.priority_rank(b.priority.as_deref()).cmp(&s.priority_rank(a.priority.as_deref())),
                    "status" => {
                        let name = |i: &Issue| s.status(&i.status).map(|x| x.name.clone()).unwrap_or_default();
                        name(a).cmp(&name(b))
                    }
                    "summary" => a.summary.to_lowercase().cmp(&b.summary.to_lowercase()),
                    "assignee" | "reporter" => {
                        let name = |i: &Issue| {
                            let who = if *f == "assignee" { &i.assignee } else { &i.reporter };
                            who.as_deref().and_then(|u| s.user(u)).map(|u| u.display_name.to_lowercase())
                        };
                        match (name(a), name(b)) {
                            (None, None) => Ordering::Equal,
                            (None, Some(_)) => Ordering::Greater,
                            (Some(_), None) => Ordering::Less,
                            (Some(x), Some(y)) => x.cmp(&y),
                        }
                    }
                    "project" => key_of(a).0.cmp(&key_of(b).0),
                    "issuetype" => a.issue_type.cmp(&b.issue_type),
                    "rank" => a.id_num().cmp(&b.id_num()),
                    _ => Ordering::Equal,
                };
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            if keys.is_empty() {
                // No ORDER BY: newest key first.
                return b.id_num().cmp(&a.id_num());
            }
            a.id_num().cmp(&b.id_num())
        }
    }
}

/// The JQL of a query again (for `jql/parse`'s structure), as given.
pub fn optional_jql(text: Option<&str>) -> &str {
    text.unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(field: &str, op: Op, v: &str) -> Clause {
        Clause::Cmp { field: field.into(), op, value: Operand::Value(v.into()) }
    }

    #[test]
    fn parses_the_common_shapes() {
        let q = parse("project = ENG AND status != Done ORDER BY updated DESC").unwrap();
        assert_eq!(q.clause, Some(Clause::And(vec![cmp("project", Op::Eq, "ENG"), cmp("status", Op::Ne, "Done")])));
        assert_eq!(q.order, vec![OrderKey { field: "updated".into(), desc: true }]);

        let q = parse("assignee = currentUser() AND (priority IN (High, \"Highest\") OR labels is EMPTY)").unwrap();
        let Some(Clause::And(parts)) = q.clause else { panic!() };
        assert_eq!(
            parts[0],
            Clause::Cmp { field: "assignee".into(), op: Op::Eq, value: Operand::Func("currentUser".into(), vec![]) }
        );
        let Clause::Or(or) = &parts[1] else { panic!("{:?}", parts[1]) };
        assert_eq!(
            or[0],
            Clause::Cmp {
                field: "priority".into(),
                op: Op::In,
                value: Operand::List(vec![Operand::Value("High".into()), Operand::Value("Highest".into())])
            }
        );
        assert_eq!(or[1], Clause::Cmp { field: "labels".into(), op: Op::Is, value: Operand::Empty });

        let q = parse("created >= -7d and not status in (Done) order by priority desc, key asc").unwrap();
        assert_eq!(q.order.len(), 2);
        assert!(matches!(q.clause, Some(Clause::And(ref p)) if matches!(p[1], Clause::Not(_))));
        let q = parse("summary ~ 'it''s'").err();
        assert!(q.is_some());
        let q = parse("summary ~ \"disk full\" AND resolution IS NOT EMPTY AND key not in (ENG-1, ENG-2)").unwrap();
        assert!(q.clause.is_some());
        let q = parse("ORDER BY created DESC").unwrap();
        assert!(q.clause.is_none());
        let q = parse("updated > startOfDay(-1) AND \"Story point estimate\" >= 3").unwrap();
        assert!(q.clause.is_some());
    }

    #[test]
    fn history_clauses() {
        let q = parse("status WAS \"In Progress\" AND assignee CHANGED FROM EMPTY BY currentUser() AFTER -7d").unwrap();
        let Some(Clause::And(parts)) = q.clause else { panic!() };
        assert_eq!(
            parts[0],
            Clause::History {
                field: "status".into(),
                changed: false,
                not: false,
                value: Some(Operand::Value("In Progress".into())),
                preds: vec![]
            }
        );
        let Clause::History { changed, preds, .. } = &parts[1] else { panic!() };
        assert!(changed);
        assert_eq!(preds.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), vec!["from", "by", "after"]);
        let q = parse("status WAS NOT IN (Done, \"To Do\")").unwrap();
        assert!(matches!(q.clause, Some(Clause::History { not: true, value: Some(Operand::List(_)), .. })));
    }

    #[test]
    fn errors_name_the_offending_token() {
        let e = parse("project == ENG").unwrap_err();
        assert!(e.contains("Expecting either a value, list or function but got '='"), "{e}");
        let e = parse("project ENG").unwrap_err();
        assert!(e.starts_with("Error in the JQL Query: Expecting operator but got 'ENG'."), "{e}");
        assert!(e.contains("(line 1, character 9)"), "{e}");
        let e = parse("(project = ENG").unwrap_err();
        assert_eq!(e, "Error in the JQL Query: Expecting ')' before the end of the query.");
        let e = parse("project = ENG status = Done").unwrap_err();
        assert!(e.contains("Expecting either 'OR' or 'AND' but got 'status'"), "{e}");
        let e = parse("project = ENG AND").unwrap_err();
        assert!(e.contains("Expecting a field name before the end of the query"), "{e}");
        let e = parse("summary ~ %").unwrap_err();
        assert!(e.contains("The character '%' is a reserved JQL character"), "{e}");
        let e = parse("summary ~ \"open").unwrap_err();
        assert!(e.contains("Missing closing quote"), "{e}");
    }

    #[test]
    fn relative_and_absolute_dates() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        assert_eq!(relative("-7d", now), Some(now - Duration::days(7)));
        assert_eq!(relative("2w", now), Some(now + Duration::weeks(2)));
        assert_eq!(relative("-4h", now), Some(now - Duration::hours(4)));
        assert_eq!(relative("soon", now), None);
        assert_eq!(absolute("2026-01-31"), Some(Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).unwrap()));
        assert_eq!(absolute("2026/01/31 10:00"), Some(Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap()));
        let sod = date_function("startOfDay", &["-1".into()], now).unwrap().unwrap();
        assert_eq!(sod, Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap());
        let som = date_function("startOfMonth", &[], now).unwrap().unwrap();
        assert_eq!(som, Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
        let eom = date_function("endOfMonth", &[], now).unwrap().unwrap();
        assert_eq!(eom, Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap() - Duration::milliseconds(1));
    }

    #[test]
    fn text_search_is_word_based() {
        assert!(text_matches("Checkout fails on Safari", "safari"));
        assert!(text_matches("Checkout fails on Safari", "check*"));
        assert!(!text_matches("Checkout fails on Safari", "check"));
        assert!(text_matches("Checkout fails on Safari", "\"fails on\""));
        assert!(!text_matches("Checkout fails on Safari", "\"on fails\""));
    }
}
