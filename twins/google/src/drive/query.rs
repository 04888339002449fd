//! Drive's search language (`files.list` `q`): terms such as `name contains 'plan'`,
//! `'FOLDER' in parents`, `modifiedTime > '2026-01-01T00:00:00'`, `trashed = false`,
//! `properties has { key='k' and value='v' }`, combined with `and`, `or`, `not` and
//! parentheses. Parsed with winnow into [`Query`], checked term by term (an unknown
//! field or an operator a field does not take is Drive's 400 "Invalid Value" on
//! `q`), then evaluated per file by the caller with a [`Facts`] implementation.

use chrono::{DateTime, NaiveDateTime, Utc};
use winnow::ascii::{multispace0, Caseless};
use winnow::combinator::{alt, delimited, opt, preceded, repeat, separated, terminated};
use winnow::error::{ContextError, ErrMode};
use winnow::prelude::*;
use winnow::token::{any, none_of, take_while};

/// The longest query accepted and the deepest parenthesis nesting.
pub const MAX_LEN: usize = 8192;
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Compare(String, Cmp, Lit),
    In(String, String),
    Has(String, String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeField {
    Modified,
    Created,
    ViewedByMe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolField {
    Trashed,
    Starred,
    SharedWithMe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Parents,
    Owners,
    Writers,
    Readers,
}

/// One checked term.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// `name =`, `!=`, `contains` (contains: case-insensitive prefix of a word).
    Name(Cmp, String),
    /// `fullText contains`: every word (or the quoted phrase) in name, description or text.
    FullText(String),
    MimeType(Cmp, String),
    Time(TimeField, Cmp, DateTime<Utc>),
    Bool(BoolField, bool),
    In(String, Collection),
    Property {
        app: bool,
        key: String,
        value: String,
    },
    Visibility(bool, String),
    ShortcutTarget(bool, String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Not(Box<Query>),
    Term(Term),
}

/// Which version's field names a query uses: v2 says `title`, `modifiedDate`,
/// `createdDate` and `lastViewedByMeDate` where v3 says `name`, `modifiedTime`,
/// `createdTime` and `viewedByMeTime`; each refuses the other's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    V3,
    V2,
}

/// (v2 name, v3 name) of the fields the versions name differently.
const V2_FIELDS: &[(&str, &str)] = &[
    ("title", "name"),
    ("modifiedDate", "modifiedTime"),
    ("createdDate", "createdTime"),
    ("lastViewedByMeDate", "viewedByMeTime"),
];

impl Dialect {
    /// The v3 name of a field as this dialect spells it; None when the dialect has no such field.
    fn canonical(self, field: &str) -> Option<&str> {
        match self {
            Dialect::V3 if V2_FIELDS.iter().any(|(v2, _)| *v2 == field) => None,
            Dialect::V3 => Some(field),
            Dialect::V2 => match V2_FIELDS.iter().find(|(v2, v3)| *v2 == field || *v3 == field) {
                Some((v2, v3)) if *v2 == field => Some(v3),
                Some(_) => None,
                None => Some(field),
            },
        }
    }
}

/// A query Drive would refuse (400 Invalid Value on `q`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Invalid Value")]
pub struct InvalidQuery;

/// What a term needs to know about a file; the Drive handlers implement it.
pub trait Facts {
    fn name(&self) -> &str;
    fn mime_type(&self) -> &str;
    fn full_text(&self) -> String;
    fn time(&self, field: TimeField) -> DateTime<Utc>;
    fn flag(&self, field: BoolField) -> bool;
    /// `value` (an id, an email or `me`) is in the collection.
    fn in_collection(&self, value: &str, collection: Collection) -> bool;
    fn property(&self, app: bool, key: &str) -> Option<&str>;
    fn visibility(&self) -> &str;
    fn shortcut_target(&self) -> Option<&str>;
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, InvalidQuery> {
        Query::parse_in(text, Dialect::V3)
    }

    /// Parses a query written with `dialect`'s field names.
    pub fn parse_in(text: &str, dialect: Dialect) -> Result<Query, InvalidQuery> {
        if text.len() > MAX_LEN || paren_depth(text) > MAX_DEPTH {
            return Err(InvalidQuery);
        }
        let mut input = text;
        let raw = delimited(multispace0, or_expr, multispace0).parse_next(&mut input).map_err(|_| InvalidQuery)?;
        if !input.is_empty() {
            return Err(InvalidQuery);
        }
        raw.canonical(dialect).and_then(RawQuery::check).map_err(|_| InvalidQuery)
    }

    pub fn has_full_text(&self) -> bool {
        match self {
            Query::And(a, b) | Query::Or(a, b) => a.has_full_text() || b.has_full_text(),
            Query::Not(a) => a.has_full_text(),
            Query::Term(t) => matches!(t, Term::FullText(_)),
        }
    }

    /// Does the query say anything about `trashed`?
    pub fn mentions_trashed(&self) -> bool {
        match self {
            Query::And(a, b) | Query::Or(a, b) => a.mentions_trashed() || b.mentions_trashed(),
            Query::Not(a) => a.mentions_trashed(),
            Query::Term(t) => matches!(t, Term::Bool(BoolField::Trashed, _)),
        }
    }

    /// A folder every match must be in (`'F' in parents` at the top level of the
    /// query or under `and`): `files.list` then looks only at that folder's children.
    pub fn required_parent(&self) -> Option<&str> {
        match self {
            Query::And(a, b) => a.required_parent().or_else(|| b.required_parent()),
            Query::Term(Term::In(value, Collection::Parents)) => Some(value),
            _ => None,
        }
    }

    /// A word every match's name holds a word starting with (from `name contains 'x'`
    /// at the top level or under `and`): the lowercase run of letters and digits the
    /// text starts with. `files.list` then looks only at files with such a word.
    pub fn required_name_word(&self) -> Option<String> {
        match self {
            Query::And(a, b) => a.required_name_word().or_else(|| b.required_name_word()),
            Query::Term(Term::Name(Cmp::Contains, v)) => {
                let word: String = v.to_lowercase().chars().take_while(|c| c.is_alphanumeric()).collect();
                (!word.is_empty()).then_some(word)
            }
            _ => None,
        }
    }

    pub fn eval(&self, f: &dyn Facts) -> bool {
        match self {
            Query::And(a, b) => a.eval(f) && b.eval(f),
            Query::Or(a, b) => a.eval(f) || b.eval(f),
            Query::Not(a) => !a.eval(f),
            Query::Term(t) => t.eval(f),
        }
    }
}

/// The nesting depth of parentheses outside quoted strings.
fn paren_depth(text: &str) -> usize {
    let (mut depth, mut max, mut quoted, mut escaped) = (0usize, 0usize, None, false);
    for c in text.chars() {
        match (quoted, escaped, c) {
            (Some(_), true, _) => escaped = false,
            (Some(_), false, '\\') => escaped = true,
            (Some(q), false, c) if c == q => quoted = None,
            (None, _, '\'' | '"') => quoted = Some(c),
            (None, _, '(') => {
                depth += 1;
                max = max.max(depth);
            }
            (None, _, ')') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn contains_word_prefix(haystack: &str, needle: &str) -> bool {
    let hay = haystack.to_lowercase();
    let needle = needle.to_lowercase();
    if needle.is_empty() {
        return true;
    }
    let mut prev_alnum = false;
    for (i, c) in hay.char_indices() {
        if !prev_alnum && hay[i..].starts_with(&needle) {
            return true;
        }
        prev_alnum = c.is_alphanumeric();
    }
    false
}

fn words_in(text: &str, value: &str) -> bool {
    let text = text.to_lowercase();
    let value = value.trim();
    if let Some(phrase) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return text.contains(&phrase.to_lowercase());
    }
    let tokens: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    value
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .all(|w| tokens.iter().any(|t| t.starts_with(w)))
}

fn compare_str(cmp: Cmp, have: &str, want: &str) -> bool {
    match cmp {
        Cmp::Eq => have == want,
        Cmp::Ne => have != want,
        _ => false,
    }
}

impl Term {
    fn eval(&self, f: &dyn Facts) -> bool {
        match self {
            Term::Name(Cmp::Contains, v) => contains_word_prefix(f.name(), v),
            Term::Name(cmp, v) => compare_str(*cmp, f.name(), v),
            Term::FullText(v) => words_in(&f.full_text(), v),
            Term::MimeType(Cmp::Contains, v) => f.mime_type().contains(v.as_str()),
            Term::MimeType(cmp, v) => compare_str(*cmp, f.mime_type(), v),
            Term::Time(field, cmp, t) => {
                let have = f.time(*field);
                match cmp {
                    Cmp::Eq => have == *t,
                    Cmp::Ne => have != *t,
                    Cmp::Lt => have < *t,
                    Cmp::Le => have <= *t,
                    Cmp::Gt => have > *t,
                    Cmp::Ge => have >= *t,
                    Cmp::Contains => false,
                }
            }
            Term::Bool(field, want) => f.flag(*field) == *want,
            Term::In(v, c) => f.in_collection(v, *c),
            Term::Property { app, key, value } => f.property(*app, key) == Some(value.as_str()),
            Term::Visibility(eq, v) => (f.visibility() == v) == *eq,
            Term::ShortcutTarget(eq, v) => (f.shortcut_target() == Some(v.as_str())) == *eq,
        }
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

impl Raw {
    fn term(self) -> Result<Term, ()> {
        use Cmp::*;
        Ok(match self {
            Raw::Compare(field, cmp, lit) => match (field.as_str(), cmp, lit) {
                ("name", Eq | Ne | Contains, Lit::Str(v)) => Term::Name(cmp, v),
                ("fullText", Contains, Lit::Str(v)) => Term::FullText(v),
                ("mimeType", Eq | Ne | Contains, Lit::Str(v)) => Term::MimeType(cmp, v),
                ("modifiedTime" | "createdTime" | "viewedByMeTime", Eq | Ne | Lt | Le | Gt | Ge, Lit::Str(v)) => {
                    let field = match field.as_str() {
                        "modifiedTime" => TimeField::Modified,
                        "createdTime" => TimeField::Created,
                        _ => TimeField::ViewedByMe,
                    };
                    Term::Time(field, cmp, parse_time(&v).ok_or(())?)
                }
                ("trashed" | "starred" | "sharedWithMe", Eq | Ne, Lit::Bool(b)) => {
                    let field = match field.as_str() {
                        "trashed" => BoolField::Trashed,
                        "starred" => BoolField::Starred,
                        _ => BoolField::SharedWithMe,
                    };
                    Term::Bool(field, if cmp == Eq { b } else { !b })
                }
                ("visibility", Eq | Ne, Lit::Str(v)) => Term::Visibility(cmp == Eq, v),
                ("shortcutDetails.targetId", Eq | Ne, Lit::Str(v)) => Term::ShortcutTarget(cmp == Eq, v),
                _ => return Err(()),
            },
            Raw::In(value, field) => {
                let c = match field.as_str() {
                    "parents" => Collection::Parents,
                    "owners" => Collection::Owners,
                    "writers" => Collection::Writers,
                    "readers" => Collection::Readers,
                    _ => return Err(()),
                };
                Term::In(value, c)
            }
            Raw::Has(field, key, value) => match field.as_str() {
                "properties" => Term::Property { app: false, key, value },
                "appProperties" => Term::Property { app: true, key, value },
                _ => return Err(()),
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum RawQuery {
    And(Vec<RawQuery>),
    Or(Vec<RawQuery>),
    Not(usize, Box<RawQuery>),
    Term(Raw),
}

impl RawQuery {
    /// The query with the dialect's field names replaced by v3's.
    fn canonical(self, dialect: Dialect) -> Result<RawQuery, ()> {
        let all = |items: Vec<RawQuery>| items.into_iter().map(|q| q.canonical(dialect)).collect::<Result<Vec<_>, _>>();
        Ok(match self {
            RawQuery::Term(Raw::Compare(field, cmp, lit)) => {
                RawQuery::Term(Raw::Compare(dialect.canonical(&field).ok_or(())?.to_string(), cmp, lit))
            }
            RawQuery::Term(raw) => RawQuery::Term(raw),
            RawQuery::Not(n, inner) => RawQuery::Not(n, Box::new(inner.canonical(dialect)?)),
            RawQuery::And(items) => RawQuery::And(all(items)?),
            RawQuery::Or(items) => RawQuery::Or(all(items)?),
        })
    }

    fn check(self) -> Result<Query, ()> {
        Ok(match self {
            RawQuery::Term(raw) => Query::Term(raw.term()?),
            RawQuery::Not(n, inner) => {
                let inner = inner.check()?;
                if n % 2 == 1 {
                    Query::Not(Box::new(inner))
                } else {
                    inner
                }
            }
            RawQuery::And(items) | RawQuery::Or(items) if items.len() == 1 => {
                items.into_iter().next().ok_or(())?.check()?
            }
            RawQuery::And(items) => fold(items, Query::And)?,
            RawQuery::Or(items) => fold(items, Query::Or)?,
        })
    }
}

fn fold(items: Vec<RawQuery>, join: fn(Box<Query>, Box<Query>) -> Query) -> Result<Query, ()> {
    let mut iter = items.into_iter();
    let mut acc = iter.next().ok_or(())?.check()?;
    for item in iter {
        acc = join(Box::new(acc), Box::new(item.check()?));
    }
    Ok(acc)
}

// ---------------------------------------------------------------------------
// Grammar

fn ident<'a>(input: &mut &'a str) -> ModalResult<&'a str> {
    take_while(1.., |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_').parse_next(input)
}

/// A keyword, any case, not followed by an identifier character.
fn kw<'a>(word: &'static str) -> impl Parser<&'a str, &'a str, ErrMode<ContextError>> {
    move |input: &mut &'a str| -> ModalResult<&'a str> {
        let matched: &'a str = Caseless(word).parse_next(input)?;
        if input.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ErrMode::Backtrack(ContextError::new()));
        }
        Ok(matched)
    }
}

/// A string literal in single quotes, or in double quotes as gspread writes them.
fn string(input: &mut &str) -> ModalResult<String> {
    alt((quoted_by('\''), quoted_by('"'))).parse_next(input)
}

fn quoted_by<'a>(q: char) -> impl Parser<&'a str, String, ErrMode<ContextError>> {
    delimited(
        q,
        repeat(0.., alt((preceded('\\', any), none_of([q, '\\'])))).fold(String::new, |mut s, c| {
            s.push(c);
            s
        }),
        q,
    )
}

fn op(input: &mut &str) -> ModalResult<Cmp> {
    alt((
        "!=".value(Cmp::Ne),
        "<=".value(Cmp::Le),
        ">=".value(Cmp::Ge),
        "=".value(Cmp::Eq),
        "<".value(Cmp::Lt),
        ">".value(Cmp::Gt),
        kw("contains").value(Cmp::Contains),
    ))
    .parse_next(input)
}

fn literal(input: &mut &str) -> ModalResult<Lit> {
    alt((string.map(Lit::Str), kw("true").value(Lit::Bool(true)), kw("false").value(Lit::Bool(false))))
        .parse_next(input)
}

fn ws(input: &mut &str) -> ModalResult<()> {
    multispace0.void().parse_next(input)
}

fn term(input: &mut &str) -> ModalResult<Raw> {
    alt((
        (string, ws, kw("in"), ws, ident).map(|(v, _, _, _, f)| Raw::In(v, f.to_string())),
        has_term,
        (ident, ws, op, ws, literal).map(|(f, _, op, _, v)| Raw::Compare(f.to_string(), op, v)),
    ))
    .parse_next(input)
}

fn has_term(input: &mut &str) -> ModalResult<Raw> {
    let field = terminated(ident, ws).parse_next(input)?;
    (kw("has"), ws, '{', ws, kw("key"), ws, '=', ws).void().parse_next(input)?;
    let key = string.parse_next(input)?;
    (ws, kw("and"), ws, kw("value"), ws, '=', ws).void().parse_next(input)?;
    let value = string.parse_next(input)?;
    (ws, '}').void().parse_next(input)?;
    Ok(Raw::Has(field.to_string(), key, value))
}

fn unary(input: &mut &str) -> ModalResult<RawQuery> {
    let nots: usize = repeat(0.., terminated(kw("not"), ws)).parse_next(input)?;
    let inner = alt((delimited(('(', ws), or_expr, (ws, ')')), term.map(RawQuery::Term))).parse_next(input)?;
    Ok(if nots > 0 { RawQuery::Not(nots, Box::new(inner)) } else { inner })
}

fn and_expr(input: &mut &str) -> ModalResult<RawQuery> {
    separated(1.., unary, (ws, kw("and"), ws)).map(RawQuery::And).parse_next(input)
}

fn or_expr(input: &mut &str) -> ModalResult<RawQuery> {
    let items: Vec<RawQuery> = separated(1.., and_expr, (ws, kw("or"), ws)).parse_next(input)?;
    let _ = opt(ws).parse_next(input)?;
    Ok(RawQuery::Or(items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    struct F {
        name: &'static str,
        mime: &'static str,
        text: &'static str,
        modified: DateTime<Utc>,
        trashed: bool,
        parents: Vec<&'static str>,
        owners: Vec<&'static str>,
    }

    impl Facts for F {
        fn name(&self) -> &str {
            self.name
        }
        fn mime_type(&self) -> &str {
            self.mime
        }
        fn full_text(&self) -> String {
            format!("{} {}", self.name, self.text)
        }
        fn time(&self, _: TimeField) -> DateTime<Utc> {
            self.modified
        }
        fn flag(&self, f: BoolField) -> bool {
            f == BoolField::Trashed && self.trashed
        }
        fn in_collection(&self, v: &str, c: Collection) -> bool {
            match c {
                Collection::Parents => self.parents.contains(&v),
                _ => self.owners.contains(&v),
            }
        }
        fn property(&self, app: bool, key: &str) -> Option<&str> {
            (!app && key == "team").then_some("eng")
        }
        fn visibility(&self) -> &str {
            "limited"
        }
        fn shortcut_target(&self) -> Option<&str> {
            None
        }
    }

    fn file() -> F {
        F {
            name: "Quarterly Report 2026.txt",
            mime: "text/plain",
            text: "revenue grew in the north region",
            modified: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
            trashed: false,
            parents: vec!["FOLDER1"],
            owners: vec!["ann@acme.test"],
        }
    }

    fn matches(q: &str) -> bool {
        Query::parse(q).unwrap_or_else(|_| panic!("{q} should parse")).eval(&file())
    }

    #[test]
    fn terms() {
        assert!(matches("name = 'Quarterly Report 2026.txt'"));
        assert!(matches("name contains 'quart'"));
        assert!(matches("name contains 'Report'"), "a word's prefix");
        assert!(!matches("name contains 'port'"), "not the middle of a word");
        assert!(matches("name != 'x'"));
        assert!(matches("mimeType = 'text/plain' and mimeType contains 'text'"));
        assert!(matches("fullText contains 'revenue north'"));
        assert!(matches("fullText contains '\"grew in the\"'"));
        assert!(!matches("fullText contains 'south'"));
        assert!(matches("modifiedTime > '2026-01-01T00:00:00'"));
        assert!(matches("modifiedTime <= '2026-03-01T12:00:00Z'"));
        assert!(!matches("modifiedTime < '2026-03-01T12:00:00+00:00'"));
        assert!(matches("trashed = false"));
        assert!(matches("trashed != true"));
        assert!(matches("'FOLDER1' in parents"));
        assert!(matches("'ann@acme.test' in owners"));
        assert!(matches("properties has { key='team' and value='eng' }"));
        assert!(!matches("appProperties has { key='team' and value='eng' }"));
    }

    #[test]
    fn v2_names() {
        let v2 = |q: &str| Query::parse_in(q, Dialect::V2).map(|q| q.eval(&file()));
        assert_eq!(v2("title = 'Quarterly Report 2026.txt' and trashed = false"), Ok(true));
        assert_eq!(v2("title contains 'quart' and modifiedDate > '2026-01-01T00:00:00'"), Ok(true));
        assert_eq!(v2("not (createdDate < '2020-01-01' or title = 'x')"), Ok(true));
        assert_eq!(v2("'FOLDER1' in parents"), Ok(true));
        assert!(v2("name = 'x'").is_err(), "v2 has no name");
        assert!(v2("modifiedTime > '2026-01-01'").is_err());
        assert!(Query::parse("title = 'x'").is_err(), "v3 has no title");
    }

    #[test]
    fn boolean_structure() {
        assert!(matches("not name = 'x'"));
        assert!(matches("NOT NOT trashed = false"));
        assert!(matches("(name = 'x' or name contains 'quarterly') and trashed = false"));
        assert!(!matches("name = 'x' or name = 'y' and trashed = false"));
        assert!(matches("name = 'x' or name contains 'q' and trashed = false"), "and binds tighter");
        assert!(matches("name contains 'it\\'s' or trashed=false"));
    }

    #[test]
    fn invalid_queries() {
        for q in [
            "",
            "name",
            "name = ",
            "name = 'x",
            "bogus = 'x'",
            "trashed = 'yes'",
            "name > 'a'",
            "modifiedTime > 'yesterday'",
            "'x' in nowhere",
            "(name = 'x'",
            "name = 'x')",
            "name = 'x' and",
            "fullText = 'x'",
        ] {
            assert!(Query::parse(q).is_err(), "{q:?} should be refused");
        }
        let deep = "(".repeat(40) + "trashed = true" + &")".repeat(40);
        assert!(Query::parse(&deep).is_err());
        let nots = "not ".repeat(2000) + "trashed = true";
        assert!(Query::parse(&nots).is_ok(), "long chains of not do not recurse");
    }
}
