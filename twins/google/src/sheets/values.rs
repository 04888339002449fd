//! Values in and out: what `valueInputOption` makes of a JSON value (RAW keeps
//! strings as text; USER_ENTERED reads numbers, percentages, currency, dates and
//! times as the en_US locale writes them, booleans and formulas), and how
//! `valueRenderOption` shows a cell (FORMATTED_VALUE, UNFORMATTED_VALUE, FORMULA).

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use std::borrow::Cow;

use serde::{Serialize, Serializer};
use serde_json::{json, Value as Json};

use super::model::{Cell, CellValue, Input, NumberFormat};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOption {
    Raw,
    UserEntered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    Formatted,
    Unformatted,
    Formula,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRender {
    SerialNumber,
    FormattedString,
}

/// What a JSON value becomes: an input (None clears) and the number format the
/// text implied (USER_ENTERED `10%`, `$5`, `2024-01-15`).
pub fn parse_input(value: &Json, option: InputOption) -> Option<(Input, Option<NumberFormat>)> {
    match value {
        Json::Null => None,
        Json::Bool(b) => Some((Input::Bool(*b), None)),
        Json::Number(n) => Some((Input::Number(n.as_f64().unwrap_or(0.0)), None)),
        Json::String(s) if s.is_empty() => None,
        Json::String(s) => Some(match option {
            InputOption::Raw => (Input::Text(s.clone()), None),
            InputOption::UserEntered => parse_user_entered(s),
        }),
        other => Some((Input::Text(other.to_string()), None)),
    }
}

fn fmt(kind: &str, pattern: &str) -> Option<NumberFormat> {
    Some(NumberFormat { kind: kind.into(), pattern: pattern.into() })
}

/// Text typed into a cell, as Sheets in en_US reads it.
pub fn parse_user_entered(text: &str) -> (Input, Option<NumberFormat>) {
    if let Some(rest) = text.strip_prefix('\'') {
        return (Input::Text(rest.to_string()), None);
    }
    if text.starts_with('=') && text.len() > 1 {
        return (Input::Formula(text.to_string()), None);
    }
    let t = text.trim();
    if t.eq_ignore_ascii_case("true") {
        return (Input::Bool(true), None);
    }
    if t.eq_ignore_ascii_case("false") {
        return (Input::Bool(false), None);
    }
    if let Some((n, format)) = parse_number(t) {
        return (Input::Number(n), format);
    }
    if let Some((n, format)) = parse_date_time(t) {
        return (Input::Number(n), format);
    }
    (Input::Text(text.to_string()), None)
}

/// `1234`, `-1,234.5`, `1e3`, `12.5%`, `$1,234.50`, `-$5`, `(5)`.
fn parse_number(t: &str) -> Option<(f64, Option<NumberFormat>)> {
    let (negative, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (currency, t) = match t.strip_prefix('$') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let (percent, t) = match t.strip_suffix('%') {
        Some(r) => (true, r.trim_end()),
        None => (false, t),
    };
    if t.is_empty() || currency && percent {
        return None;
    }
    let grouped = t.contains(',');
    if grouped {
        // Groups of three after the first.
        let int = t.split('.').next().unwrap_or("");
        let mut parts = int.split(',');
        let first = parts.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 || parts.any(|p| p.len() != 3) {
            return None;
        }
    }
    let plain: String = t.chars().filter(|c| *c != ',').collect();
    if !plain.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        || !plain.starts_with(|c: char| c.is_ascii_digit() || c == '.')
    {
        return None;
    }
    let mut n: f64 = plain.parse().ok()?;
    if !n.is_finite() {
        return None;
    }
    if negative {
        n = -n;
    }
    let decimals = plain.split_once('.').map_or(0, |(_, d)| d.len());
    let format = if percent {
        n /= 100.0;
        fmt("PERCENT", if decimals > 0 { "0.00%" } else { "0%" })
    } else if currency {
        fmt("CURRENCY", if decimals > 0 { "\"$\"#,##0.00" } else { "\"$\"#,##0" })
    } else if grouped {
        fmt("NUMBER", if decimals > 0 { "#,##0.00" } else { "#,##0" })
    } else if plain.contains(['e', 'E']) {
        fmt("SCIENTIFIC", "0.00E+00")
    } else {
        None
    };
    Some((n, format))
}

/// The serial number of a date (days since 1899-12-30, as Sheets counts).
pub fn serial(date: NaiveDate, time: NaiveTime) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    (date - epoch).num_days() as f64 + time.num_seconds_from_midnight() as f64 / 86_400.0
}

pub fn from_serial(n: f64) -> Option<NaiveDateTime> {
    if !n.is_finite() || !(-693_594.0..=2_958_465.0).contains(&n) {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let secs = (n * 86_400.0).round() as i64;
    epoch.checked_add_signed(Duration::seconds(secs))
}

/// `2024-01-15`, `1/15/2024`, `2024-01-15 13:45:00`, `1/15/2024 9:30`, `13:45`, `9:30 PM`.
fn parse_date_time(t: &str) -> Option<(f64, Option<NumberFormat>)> {
    let date_forms: [(&str, &str); 3] =
        [("%Y-%m-%d", "yyyy-mm-dd"), ("%m/%d/%Y", "M/d/yyyy"), ("%Y/%m/%d", "yyyy/mm/dd")];
    let time_forms: [(&str, &str); 4] =
        [("%H:%M:%S", "H:mm:ss"), ("%H:%M", "H:mm"), ("%I:%M:%S %p", "h:mm:ss am/pm"), ("%I:%M %p", "h:mm am/pm")];
    let (date_part, time_part) = match t.split_once(' ') {
        Some((d, rest)) if d.contains(['-', '/']) => (Some(d), Some(rest.trim())),
        _ if t.contains(['-', '/']) => (Some(t), None),
        _ => (None, Some(t)),
    };
    let date = match date_part {
        Some(d) => {
            let (date, pattern) =
                date_forms.iter().find_map(|(f, p)| NaiveDate::parse_from_str(d, f).ok().map(|v| (v, *p)))?;
            Some((date, pattern))
        }
        None => None,
    };
    let time = match time_part {
        Some(tp) => {
            let tp_upper = tp.to_ascii_uppercase();
            let (time, pattern) =
                time_forms.iter().find_map(|(f, p)| NaiveTime::parse_from_str(&tp_upper, f).ok().map(|v| (v, *p)))?;
            Some((time, pattern))
        }
        None => None,
    };
    match (date, time) {
        (Some((d, dp)), None) => Some((serial(d, NaiveTime::MIN), fmt("DATE", dp))),
        (Some((d, dp)), Some((tm, tp))) => Some((serial(d, tm), fmt("DATE_TIME", &format!("{dp} {tp}")))),
        (None, Some((tm, tp))) => Some((tm.num_seconds_from_midnight() as f64 / 86_400.0, fmt("TIME", tp))),
        (None, None) => None,
    }
}

/// A number as JSON: integers without a fraction, as Sheets writes them.
pub fn number_json(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// A number in Sheets' automatic format: up to 10 significant digits, trailing
/// zeros dropped, scientific past 15 digits.
pub fn general(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    let abs = n.abs();
    if n.fract() == 0.0 && abs < 1e15 {
        return itoa::Buffer::new().format(n as i64).to_string();
    }
    if !(1e-9..1e15).contains(&abs) {
        let s = format!("{:.2E}", n);
        // 1.23E15 → 1.23E+15
        return match s.split_once('E') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}E+{e}"),
            _ => s,
        };
    }
    let int_digits = if abs >= 1.0 { abs.log10().floor() as i32 + 1 } else { 0 };
    let decimals = (10 - int_digits).clamp(0, 10) as usize;
    let s = format!("{:.*}", decimals, n);
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A number under a pattern (ironcalc's formatter speaks the same pattern language).
pub fn with_pattern(n: f64, format: &NumberFormat) -> String {
    if format.pattern.is_empty() {
        return general(n);
    }
    match ironcalc_base::locale::get_locale("en") {
        Ok(locale) => {
            let out = ironcalc_base::formatter::format::format_number(n, &pattern_for_engine(&format.pattern), locale);
            match out.error {
                Some(_) => general(n),
                None => out.text,
            }
        }
        Err(_) => general(n),
    }
}

/// Sheets writes `am/pm` in lowercase and `M`/`d` for unpadded month and day;
/// the engine's formatter follows Excel's spelling.
fn pattern_for_engine(p: &str) -> String {
    p.replace("am/pm", "AM/PM").replace("M/d/yyyy", "m/d/yyyy")
}

/// The formatted text of a value.
pub fn formatted(value: &CellValue, format: Option<&NumberFormat>) -> String {
    match value {
        CellValue::Number(n) => match format {
            Some(f) => with_pattern(*n, f),
            None => general(*n),
        },
        CellValue::Text(t) => t.clone(),
        CellValue::Bool(true) => "TRUE".into(),
        CellValue::Bool(false) => "FALSE".into(),
        CellValue::Error(e) => e.clone(),
        CellValue::Empty => String::new(),
    }
}

/// A cell as a value range shows it, borrowed from the cell where it can be (a
/// read of thousands of cells writes them straight out, without a JSON tree).
#[derive(Debug, Clone, PartialEq)]
pub enum Shown<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    /// A number as text in the automatic format (`general`), written when serialized.
    General(f64),
    Bool(bool),
}

impl Shown<'_> {
    pub const BLANK: Shown<'static> = Shown::Text(Cow::Borrowed(""));

    pub fn into_json(self) -> Json {
        match self {
            Shown::Text(t) => Json::String(t.into_owned()),
            Shown::Number(n) => number_json(n),
            Shown::General(n) => Json::String(general(n)),
            Shown::Bool(b) => Json::Bool(b),
        }
    }
}

impl Serialize for Shown<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Shown::Text(t) => out.serialize_str(t),
            // As `number_json`: integers without a fraction.
            Shown::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => out.serialize_i64(*n as i64),
            Shown::Number(n) => out.serialize_f64(*n),
            Shown::General(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                out.serialize_str(itoa::Buffer::new().format(*n as i64))
            }
            Shown::General(n) => out.serialize_str(&general(*n)),
            Shown::Bool(b) => out.serialize_bool(*b),
        }
    }
}

/// A cell under a render option; None for an empty cell.
pub fn shown(cell: &Cell, render: Render, dates: DateRender) -> Option<Shown<'_>> {
    let formula = match &cell.input {
        Some(Input::Formula(f)) => Some(f),
        _ => None,
    };
    if render == Render::Formula {
        if let Some(f) = formula {
            return Some(Shown::Text(Cow::Borrowed(f)));
        }
    }
    Some(match (&cell.input, &cell.result) {
        (None, _) | (Some(Input::Formula(_)), None | Some(CellValue::Empty)) => {
            return formula.map(|_| Shown::BLANK);
        }
        (Some(Input::Number(n)), _) | (Some(Input::Formula(_)), Some(CellValue::Number(n))) => {
            let format = cell.effective_format();
            let is_date = format.is_some_and(|f| matches!(f.kind.as_str(), "DATE" | "TIME" | "DATE_TIME"));
            if render == Render::Formatted || is_date && dates == DateRender::FormattedString {
                match format {
                    Some(f) => Shown::Text(Cow::Owned(with_pattern(*n, f))),
                    None => Shown::General(*n),
                }
            } else {
                Shown::Number(*n)
            }
        }
        (Some(Input::Text(t)), _) | (Some(Input::Formula(_)), Some(CellValue::Text(t) | CellValue::Error(t))) => {
            Shown::Text(Cow::Borrowed(t))
        }
        (Some(Input::Bool(b)), _) | (Some(Input::Formula(_)), Some(CellValue::Bool(b))) => {
            if render == Render::Formatted {
                Shown::Text(Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }))
            } else {
                Shown::Bool(*b)
            }
        }
    })
}

/// A cell under a render option as JSON; None for an empty cell.
pub fn render(cell: &Cell, render: Render, dates: DateRender) -> Option<Json> {
    shown(cell, render, dates).map(Shown::into_json)
}

/// The `ExtendedValue` of a value (grid data's `effectiveValue`, `userEnteredValue`).
pub fn extended(value: &CellValue) -> Option<Json> {
    Some(match value {
        CellValue::Number(n) => json!({"numberValue": number_json(*n)}),
        CellValue::Text(t) => json!({"stringValue": t}),
        CellValue::Bool(b) => json!({"boolValue": b}),
        CellValue::Error(e) => json!({"errorValue": {"type": error_type(e), "message": error_message(e)}}),
        CellValue::Empty => return None,
    })
}

pub fn input_extended(input: &Input) -> Json {
    match input {
        Input::Number(n) => json!({"numberValue": number_json(*n)}),
        Input::Text(t) => json!({"stringValue": t}),
        Input::Bool(b) => json!({"boolValue": b}),
        Input::Formula(f) => json!({"formulaValue": f}),
    }
}

/// Sheets' `ErrorValue.type` of an error text.
pub fn error_type(e: &str) -> &'static str {
    match e {
        "#NULL!" => "NULL_VALUE",
        "#DIV/0!" => "DIVIDE_BY_ZERO",
        "#VALUE!" => "VALUE",
        "#REF!" => "REF",
        "#NAME?" => "NAME",
        "#NUM!" => "NUM",
        "#N/A" => "N_A",
        "#LOADING..." => "LOADING",
        _ => "ERROR",
    }
}

fn error_message(e: &str) -> String {
    match e {
        "#DIV/0!" => "Function DIVIDE parameter 2 cannot be zero.".into(),
        "#REF!" => "Reference does not exist.".into(),
        "#NAME?" => "Unknown function or name.".into(),
        "#N/A" => "No value available.".into(),
        "#VALUE!" => "A value in the formula has the wrong type.".into(),
        "#ERROR!" => "Formula parse error.".into(),
        other => format!("Error {other}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ue(s: &str) -> (Input, Option<String>) {
        let (i, f) = parse_user_entered(s);
        (i, f.map(|f| format!("{} {}", f.kind, f.pattern)))
    }

    #[test]
    fn user_entered_numbers() {
        assert_eq!(ue("42"), (Input::Number(42.0), None));
        assert_eq!(ue("-3.5"), (Input::Number(-3.5), None));
        assert_eq!(ue("1,234"), (Input::Number(1234.0), Some("NUMBER #,##0".into())));
        assert_eq!(ue("12.5%"), (Input::Number(0.125), Some("PERCENT 0.00%".into())));
        assert_eq!(ue("$1,234.50"), (Input::Number(1234.5), Some("CURRENCY \"$\"#,##0.00".into())));
        assert_eq!(ue("1,23"), (Input::Text("1,23".into()), None));
        assert_eq!(ue("12abc"), (Input::Text("12abc".into()), None));
        assert_eq!(ue("TRUE"), (Input::Bool(true), None));
        assert_eq!(ue("=SUM(A1:A2)"), (Input::Formula("=SUM(A1:A2)".into()), None));
        assert_eq!(ue("'=not a formula"), (Input::Text("=not a formula".into()), None));
    }

    #[test]
    fn user_entered_dates() {
        assert_eq!(ue("2024-01-15"), (Input::Number(45306.0), Some("DATE yyyy-mm-dd".into())));
        assert_eq!(ue("1/15/2024"), (Input::Number(45306.0), Some("DATE M/d/yyyy".into())));
        let (i, f) = ue("2024-01-15 12:00:00");
        assert_eq!(i, Input::Number(45306.5));
        assert_eq!(f.as_deref(), Some("DATE_TIME yyyy-mm-dd H:mm:ss"));
        assert_eq!(ue("18:00").0, Input::Number(0.75));
    }

    #[test]
    fn rendering() {
        assert_eq!(general(1.0 / 3.0), "0.3333333333");
        assert_eq!(general(10.0 / 3.0), "3.333333333");
        assert_eq!(general(1234567.0), "1234567");
        assert_eq!(general(0.1 + 0.2), "0.3");
        let cell = |s: &str| {
            let (input, number_format) = parse_user_entered(s);
            Cell { input: Some(input), number_format, ..Cell::default() }
        };
        let fv = |s: &str| render(&cell(s), Render::Formatted, DateRender::SerialNumber).unwrap();
        assert_eq!(fv("12.5%"), json!("12.50%"));
        assert_eq!(fv("$1,234.5"), json!("$1,234.50"));
        assert_eq!(fv("1,234"), json!("1,234"));
        assert_eq!(fv("2024-01-15"), json!("2024-01-15"));
        assert_eq!(fv("true"), json!("TRUE"));
        let uv = |s: &str| render(&cell(s), Render::Unformatted, DateRender::SerialNumber).unwrap();
        assert_eq!(uv("12.5%"), json!(0.125));
        assert_eq!(uv("7"), json!(7));
        assert_eq!(uv("2024-01-15"), json!(45306));
        assert_eq!(
            render(&cell("2024-01-15"), Render::Unformatted, DateRender::FormattedString).unwrap(),
            json!("2024-01-15")
        );
        assert_eq!(render(&cell("=1+1"), Render::Formula, DateRender::SerialNumber).unwrap(), json!("=1+1"));
    }
}
