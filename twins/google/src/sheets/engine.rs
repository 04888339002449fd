//! Formula evaluation with ironcalc: the spreadsheet's canonical cells (inputs and
//! formulas) are loaded into an engine workbook, evaluated, and each formula's
//! result is written back beside its input. Runs after every change of a
//! spreadsheet that holds a formula; one without formulas never pays for it.
//!
//! Loading is most of the cost (every cell set, every formula parsed), so an edit
//! through the API keeps the evaluated workbook in a [`Cache`] (a universe's runtime
//! value, never its state) and the next edit of the same spreadsheet only hands the
//! engine the cells that changed: [`recalc_cached`]. The state written back is the
//! same as [`recalc`]'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use ironcalc_base::expressions::types::Area;
use ironcalc_base::types::CellType;
use ironcalc_base::Model;

use super::model::{Cell, CellValue, Input, NumberFormat, Spreadsheet};

/// Sheets' name of a formula that does not parse.
pub const PARSE_ERROR: &str = "#ERROR!";

/// Sets the time TODAY() and NOW() see on this thread (the universe's clock, so a
/// universe with a frozen or shifted clock computes the same dates every time).
/// Handlers are synchronous, so the evaluation that follows runs on this thread.
pub fn set_clock(now: chrono::DateTime<chrono::Utc>) {
    ironcalc_base::mock_time::set_mock_time(now.timestamp_millis());
}

/// Recomputes every formula of the spreadsheet.
pub fn recalc(book: &mut Spreadsheet) {
    evaluate_afresh(book);
}

/// Loads the workbook into the engine, evaluates it and writes the results back;
/// the evaluated engine and the formulas, for a cache to keep (None without formulas).
fn evaluate_afresh(book: &mut Spreadsheet) -> Option<(Model<'static>, Formulas, Reach)> {
    if !book.has_formulas() {
        return None;
    }
    let reach = Reach::of(book);
    let mut model = load(book, &reach)?;
    model.evaluate();
    let formulas = formula_specs(book);
    write_results(book, &model, &formulas);
    Some((model, formulas, reach))
}

/// The cells the engine workbook needs: those the formulas can read, when every
/// formula names them plainly. The engine walks every cell it holds on every
/// evaluation, so a workbook of data with a few formulas is evaluated as those
/// formulas and their inputs rather than as all of its cells.
/// (sheet index, rows, columns), 0-based and end-exclusive.
type Block = (usize, std::ops::Range<u32>, std::ops::Range<u32>);

#[derive(Debug, Clone, PartialEq)]
enum Reach {
    /// Some formula reads what its text does not bound (a name, INDIRECT, an array
    /// that may spill over other cells, a function not known to be plain).
    Everything,
    Within(Vec<Block>),
}

/// Functions whose result is one value whatever their arguments, each of which may
/// be a range (an array or a range inside any other function may spill).
const AGGREGATES: &[&str] = &[
    "SUM",
    "AVERAGE",
    "AVERAGEA",
    "MIN",
    "MAX",
    "MINA",
    "MAXA",
    "COUNT",
    "COUNTA",
    "COUNTBLANK",
    "PRODUCT",
    "MEDIAN",
    "STDEV",
    "STDEV.S",
    "STDEV.P",
    "VAR",
    "VAR.S",
    "VAR.P",
    "SUMSQ",
    "AND",
    "OR",
    "XOR",
    "CONCAT",
    "SUMPRODUCT",
];
/// Whether argument i of a function may be a range.
type RangeArgument = fn(usize) -> bool;

/// Conditional aggregates: one value when only their range arguments are ranges.
const CONDITIONALS: &[(&str, RangeArgument)] = &[
    ("COUNTIF", |i| i == 0),
    ("SUMIF", |i| i == 0 || i == 2),
    ("AVERAGEIF", |i| i == 0 || i == 2),
    ("COUNTIFS", |i| i % 2 == 0),
    ("SUMIFS", |i| i % 2 == 1 || i == 0),
    ("AVERAGEIFS", |i| i % 2 == 1 || i == 0),
    ("MAXIFS", |i| i % 2 == 1 || i == 0),
    ("MINIFS", |i| i % 2 == 1 || i == 0),
];
/// Functions of single values that give one value (and read no cell of their own).
const SCALARS: &[&str] = &[
    "IF",
    "IFERROR",
    "IFNA",
    "ROUND",
    "ROUNDUP",
    "ROUNDDOWN",
    "INT",
    "ABS",
    "MOD",
    "POWER",
    "SQRT",
    "NOT",
    "LEN",
    "UPPER",
    "LOWER",
    "TRIM",
    "LEFT",
    "RIGHT",
    "MID",
    "CONCATENATE",
    "TEXT",
    "VALUE",
    "DATE",
    "YEAR",
    "MONTH",
    "DAY",
    "TODAY",
    "NOW",
    "ISBLANK",
    "ISNUMBER",
    "ISTEXT",
    "ISERROR",
    "N",
    "EXACT",
    "REPT",
    "SUBSTITUTE",
    "FIND",
    "SEARCH",
    "HOUR",
    "MINUTE",
    "SECOND",
    "WEEKDAY",
    "EDATE",
    "EOMONTH",
    "DAYS",
    "PI",
];

impl Reach {
    fn of(book: &Spreadsheet) -> Reach {
        let mut rects = Vec::new();
        for (i, sheet) in book.sheets.iter().enumerate() {
            for row in sheet.rows.values() {
                for cell in row.values() {
                    if let Some(Input::Formula(f)) = &cell.input {
                        if !formula_reach(book, i, f, &mut rects) {
                            return Reach::Everything;
                        }
                    }
                }
            }
        }
        // Rows of the same columns that touch become one rectangle (a column of
        // row-wise formulas reads one block), so a lookup walks few of them.
        rects.sort_by_key(|(i, r, c)| (*i, c.start, c.end, r.start, r.end));
        let mut merged: Vec<Block> = Vec::with_capacity(rects.len());
        for (i, rows, cols) in rects {
            match merged.last_mut() {
                Some((j, r, c)) if *j == i && *c == cols && rows.start <= r.end => r.end = r.end.max(rows.end),
                _ => merged.push((i, rows, cols)),
            }
        }
        Reach::Within(merged)
    }

    fn covers(&self, sheet: usize, r: u32, c: u32) -> bool {
        match self {
            Reach::Everything => true,
            Reach::Within(rects) => {
                rects.iter().any(|(i, rows, cols)| *i == sheet && rows.contains(&r) && cols.contains(&c))
            }
        }
    }

    /// Whether every cell `other` needs is one this reach holds.
    fn includes(&self, other: &Reach) -> bool {
        match (self, other) {
            (Reach::Everything, _) => true,
            (Reach::Within(_), Reach::Everything) => false,
            (Reach::Within(mine), Reach::Within(theirs)) => theirs.iter().all(|(i, rows, cols)| {
                mine.iter().any(|(j, r, c)| {
                    i == j && r.start <= rows.start && rows.end <= r.end && c.start <= cols.start && cols.end <= c.end
                })
            }),
        }
    }
}

/// Adds the rectangles one formula on sheet `sheet` reads; false when its text does
/// not bound them (see [`Reach::Everything`]).
fn formula_reach(book: &Spreadsheet, sheet: usize, formula: &str, out: &mut Vec<Block>) -> bool {
    use ironcalc_base::expressions::token::TokenType;
    let tokens = ironcalc_base::expressions::lexer::util::get_tokens(formula.strip_prefix('=').unwrap_or(formula));
    // Open parentheses: the function each one calls ("" for grouping) and the
    // argument being read.
    let mut open: Vec<(String, usize)> = Vec::new();
    let sheet_of = |name: &Option<String>| match name {
        None => Some(sheet),
        Some(n) => book.sheets.iter().position(|s| s.title.eq_ignore_ascii_case(n)),
    };
    let innermost = |open: &[(String, usize)]| open.iter().rev().find(|(f, _)| !f.is_empty()).cloned();
    for (k, marked) in tokens.iter().enumerate() {
        match &marked.token {
            TokenType::Ident(name) => {
                let name = name.to_ascii_uppercase();
                let called = matches!(tokens.get(k + 1).map(|t| &t.token), Some(TokenType::LeftParenthesis));
                let known = AGGREGATES.contains(&name.as_str())
                    || SCALARS.contains(&name.as_str())
                    || CONDITIONALS.iter().any(|(f, _)| *f == name);
                if !called || !known {
                    return false;
                }
                open.push((name, 0));
            }
            TokenType::LeftParenthesis => {
                // A function's own parenthesis was pushed with its name.
                let after_ident = k > 0 && matches!(tokens[k - 1].token, TokenType::Ident(_));
                if !after_ident {
                    open.push((String::new(), 0));
                }
            }
            TokenType::RightParenthesis => {
                if open.pop().is_none() {
                    return false;
                }
            }
            TokenType::Comma => match open.last_mut() {
                Some((f, arg)) if !f.is_empty() => *arg += 1,
                _ => return false,
            },
            TokenType::Reference { sheet: name, row, column, .. } => {
                let (Some(i), Ok(r), Ok(c)) = (sheet_of(name), u32::try_from(*row - 1), u32::try_from(*column - 1))
                else {
                    return false;
                };
                out.push((i, r..r + 1, c..c + 1));
            }
            TokenType::Range { sheet: name, left, right } => {
                let range_allowed = match innermost(&open) {
                    Some((f, arg)) => {
                        AGGREGATES.contains(&f.as_str())
                            || CONDITIONALS.iter().any(|(name, may)| *name == f && may(arg))
                    }
                    None => false,
                };
                let bounds = (
                    sheet_of(name),
                    u32::try_from(left.row.min(right.row) - 1),
                    u32::try_from(left.row.max(right.row)),
                    u32::try_from(left.column.min(right.column) - 1),
                    u32::try_from(left.column.max(right.column)),
                );
                let (true, (Some(i), Ok(r0), Ok(r1), Ok(c0), Ok(c1))) = (range_allowed, bounds) else {
                    return false;
                };
                out.push((i, r0..r1, c0..c1));
            }
            TokenType::Number(_)
            | TokenType::String(_)
            | TokenType::Boolean(_)
            | TokenType::Error(_)
            | TokenType::Compare(_)
            | TokenType::Addition(_)
            | TokenType::Product(_)
            | TokenType::Power
            | TokenType::Percent
            | TokenType::And
            | TokenType::EOF => {}
            // Arrays, names, tables, spills, intersections, anything else.
            _ => return false,
        }
    }
    open.is_empty()
}

/// Writes each formula's value and automatic format beside it, in sheet, row and
/// column order (a format read from another formula is the one written before it in
/// this order, as it always was). Cells whose value and format did not change are
/// left alone, so their B-tree nodes stay shared with the state before the edit.
fn write_results(book: &mut Spreadsheet, model: &Model<'_>, formulas: &BTreeMap<(usize, u32, u32), AutoSpec>) {
    for (&(i, r, c), spec) in formulas {
        let value = read(model, i as u32, r as i32 + 1, c as i32 + 1);
        let auto = match value {
            CellValue::Number(_) => spec.resolve(book, i),
            _ => None,
        };
        let Some(sheet) = book.sheets.get_mut(i) else { continue };
        let same = sheet.cell(r, c).is_some_and(|x| x.result.as_ref() == Some(&value) && x.auto_format == auto);
        if !same {
            sheet.update(r, c, |cell| {
                cell.result = Some(value);
                cell.auto_format = auto;
            });
        }
    }
}

/// What a formula's automatic format depends on, worked out once per formula text.
#[derive(Debug, Clone, PartialEq)]
enum AutoSpec {
    None,
    /// Date functions: always this format.
    Fixed(NumberFormat),
    /// The effective format of the first cell the formula reads (`count`: a count
    /// of dates is no date).
    FirstRef {
        sheet: Option<String>,
        row: u32,
        col: u32,
        count: bool,
    },
}

impl AutoSpec {
    fn of(formula: &str) -> AutoSpec {
        let upper = formula.trim_start_matches('=').trim_start().to_ascii_uppercase();
        let date = |pattern: &str| AutoSpec::Fixed(NumberFormat { kind: "DATE".into(), pattern: pattern.into() });
        for f in ["TODAY(", "DATE(", "EDATE(", "EOMONTH(", "DATEVALUE(", "WORKDAY("] {
            if upper.starts_with(f) {
                return date("M/d/yyyy");
            }
        }
        if upper.starts_with("NOW(") {
            return AutoSpec::Fixed(NumberFormat { kind: "DATE_TIME".into(), pattern: "M/d/yyyy H:mm:ss".into() });
        }
        let delims = |c: char| "()+-*/,;:&=<>^% ".contains(c);
        for token in formula.trim_start_matches('=').split(delims).filter(|t| !t.is_empty()) {
            let Ok(a1) = super::a1::parse(token) else { continue };
            let Some((start, _)) = a1.cells else { continue };
            let (Some(row), Some(col)) = (start.row, start.col) else { continue };
            let count = upper.starts_with("COUNT") || upper.starts_with("ROWS");
            return AutoSpec::FirstRef { sheet: a1.sheet, row, col, count };
        }
        AutoSpec::None
    }

    /// The format Sheets gives a numeric result of this formula on `sheet`: dates
    /// for date functions, otherwise the format of the first cell the formula reads.
    fn resolve(&self, book: &Spreadsheet, sheet: usize) -> Option<NumberFormat> {
        match self {
            AutoSpec::None => None,
            AutoSpec::Fixed(f) => Some(f.clone()),
            AutoSpec::FirstRef { sheet: name, row, col, count } => {
                let target = match name {
                    Some(name) => book.sheet_by_title(name),
                    None => book.sheets.get(sheet),
                }?;
                let f = target.cell(*row, *col).and_then(Cell::effective_format)?;
                if *count && matches!(f.kind.as_str(), "DATE" | "TIME" | "DATE_TIME") {
                    return None;
                }
                Some(f.clone())
            }
        }
    }
}

/// Every formula cell of the book, in evaluation order, with its format rule.
fn formula_specs(book: &Spreadsheet) -> Formulas {
    let mut out = BTreeMap::new();
    for (i, sheet) in book.sheets.iter().enumerate() {
        for (r, row) in &sheet.rows {
            for (c, cell) in row {
                if let Some(Input::Formula(f)) = &cell.input {
                    out.insert((i, *r, *c), AutoSpec::of(f));
                }
            }
        }
    }
    out
}

/// Evaluated engine workbooks of the spreadsheets a universe edits, by file id: a
/// runtime value of the universe (`Universe::runtime`), so it is never part of the
/// state, a fork or an export, and a fork starts without one.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<String, Warm>>);

/// Spreadsheets one universe keeps warm; past this, the least recently edited goes.
const CACHED_BOOKS: usize = 8;
/// Cells handed to one engine workbook before it is loaded afresh: its string and
/// formula tables only grow, so a spreadsheet edited forever is reloaded now and then.
const CHANGES_PER_LOAD: usize = 100_000;

/// Each formula cell (sheet index, row, column) with its automatic format rule.
type Formulas = BTreeMap<(usize, u32, u32), AutoSpec>;

struct Warm {
    /// The spreadsheet as stored after the last recalculation: what `model` holds.
    book: Spreadsheet,
    model: Model<'static>,
    formulas: Formulas,
    /// The cells `model` holds besides the formulas.
    reach: Reach,
    /// Cells handed to `model` since it was loaded.
    changes: usize,
    /// When it was last used (the cache's own counter), for eviction.
    used: u64,
}

impl Cache {
    fn take(&self, id: &str) -> Option<Warm> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id)
    }

    fn keep(&self, id: &str, mut warm: Warm) {
        let mut books = self.0.lock().unwrap_or_else(|e| e.into_inner());
        warm.used = books.values().map(|w| w.used).max().unwrap_or(0) + 1;
        books.insert(id.to_string(), warm);
        while books.len() > CACHED_BOOKS {
            let Some(oldest) = books.iter().min_by_key(|(_, w)| w.used).map(|(k, _)| k.clone()) else { break };
            books.remove(&oldest);
        }
    }
}

/// [`recalc`] for the spreadsheet stored as file `id`, with the engine workbook the
/// last edit left in `cache` when the sheets and named ranges are the same: only
/// the cells that differ from the book it holds are handed to the engine. Anything
/// else (a first edit, sheets added, renamed or moved, named ranges changed, a cell
/// the engine refuses) loads the workbook afresh, as `recalc` does.
pub fn recalc_cached(book: &mut Spreadsheet, cache: &Cache, id: &str, touched: Option<&Touched>) {
    if let Some(mut warm) = cache.take(id) {
        if warm.changes < CHANGES_PER_LOAD && same_layout(&warm.book, book) && apply_changes(&mut warm, book, touched) {
            if !warm.formulas.is_empty() {
                warm.model.evaluate();
                write_results(book, &warm.model, &warm.formulas);
            }
            warm.book = book.clone();
            cache.keep(id, warm);
            return;
        }
    }
    let Some((model, formulas, reach)) = evaluate_afresh(book) else { return };
    cache.keep(id, Warm { book: book.clone(), model, formulas, reach, changes: 0, used: 0 });
}

/// The same sheets (ids and titles, in order) and named ranges: what the engine
/// workbook's structure is built from.
fn same_layout(a: &Spreadsheet, b: &Spreadsheet) -> bool {
    a.named_ranges == b.named_ranges
        && a.sheets.len() == b.sheets.len()
        && a.sheets.iter().zip(&b.sheets).all(|(x, y)| x.id == y.id && x.title == y.title)
}

/// What an edit says it changed: the book it started from and the one rectangle
/// holding every cell it wrote. When the warm workbook holds that same starting book,
/// the rectangle's cells are the changes, and no diff of the sheets is needed.
pub struct Touched<'a> {
    pub base: &'a Spreadsheet,
    pub rect: super::model::Rect,
}

/// (sheet index, row, column, input before, input now).
type Change<'a> = (usize, u32, u32, Option<&'a Input>, Option<&'a Input>);

/// The cells whose input may differ between the warm book and `book`: the touched
/// rectangle's when the warm book is the edit's starting point, else the sheets'
/// diff (the persistent maps' diff skips what they still share, so it costs what
/// changed).
fn changes<'a>(warm: &'a Spreadsheet, book: &'a Spreadsheet, touched: Option<&Touched>) -> Vec<Change<'a>> {
    let input = |sheet: &'a super::model::Sheet, r, c| sheet.cell(r, c).and_then(|x| x.input.as_ref());
    let started_here = touched.filter(|t| {
        t.base.sheets.len() == warm.sheets.len()
            && t.base.sheets.iter().zip(&warm.sheets).all(|(x, y)| x.rows.ptr_eq(&y.rows))
    });
    if let Some(t) = started_here {
        if let Some(i) = book.sheets.iter().position(|s| s.id == t.rect.sheet_id) {
            let (before, after) = (&warm.sheets[i], &book.sheets[i]);
            let rect = t.rect;
            return (rect.start_row..rect.end_row)
                .flat_map(|r| (rect.start_col..rect.end_col).map(move |c| (r, c)))
                .map(|(r, c)| (i, r, c, input(before, r, c), input(after, r, c)))
                .collect();
        }
    }
    let mut out = Vec::new();
    for (i, (before, after)) in warm.sheets.iter().zip(&book.sheets).enumerate() {
        for item in before.rows.diff(&after.rows) {
            match item {
                imbl::ordmap::DiffItem::Add(r, row) => {
                    out.extend(row.iter().map(|(c, cell)| (i, *r, *c, None, cell.input.as_ref())));
                }
                imbl::ordmap::DiffItem::Remove(r, row) => {
                    out.extend(row.iter().map(|(c, cell)| (i, *r, *c, cell.input.as_ref(), None)));
                }
                imbl::ordmap::DiffItem::Update { old, new } => {
                    for cell in old.1.diff(new.1) {
                        out.push(match cell {
                            imbl::ordmap::DiffItem::Add(c, x) => (i, *new.0, *c, None, x.input.as_ref()),
                            imbl::ordmap::DiffItem::Remove(c, x) => (i, *new.0, *c, x.input.as_ref(), None),
                            imbl::ordmap::DiffItem::Update { old: (_, was), new: (c, x) } => {
                                (i, *new.0, *c, was.input.as_ref(), x.input.as_ref())
                            }
                        });
                    }
                }
            }
        }
    }
    out
}

/// Hands the engine every cell whose input changed. False when the engine refused
/// one, or when a formula changed and now reads cells the engine was not given: the
/// caller then loads afresh.
fn apply_changes(warm: &mut Warm, book: &Spreadsheet, touched: Option<&Touched>) -> bool {
    let mut formulas_changed = false;
    for (i, r, c, was, input) in changes(&warm.book, book, touched) {
        if was == input {
            continue;
        }
        let formula = matches!(input, Some(Input::Formula(_))) || matches!(was, Some(Input::Formula(_)));
        formulas_changed |= formula;
        if !formula && !warm.reach.covers(i, r, c) {
            continue;
        }
        if !set_input(&mut warm.model, i as u32, r, c, input) {
            return false;
        }
        warm.changes += 1;
        match input {
            Some(Input::Formula(f)) => {
                warm.formulas.insert((i, r, c), AutoSpec::of(f));
            }
            _ => {
                warm.formulas.remove(&(i, r, c));
            }
        }
    }
    if formulas_changed && !warm.reach.includes(&Reach::of(book)) {
        return false;
    }
    true
}

/// One cell's input into the engine workbook, as `load` sets it; None clears it.
fn set_input(model: &mut Model<'static>, sheet: u32, r: u32, c: u32, input: Option<&Input>) -> bool {
    let (row, col) = (r as i32 + 1, c as i32 + 1);
    let done = match input {
        Some(Input::Number(n)) => model.update_cell_with_number(sheet, row, col, *n),
        Some(Input::Text(t)) => model.update_cell_with_text(sheet, row, col, t),
        Some(Input::Bool(b)) => model.update_cell_with_bool(sheet, row, col, *b),
        Some(Input::Formula(f)) => model.update_cell_with_formula(sheet, row, col, f.clone()),
        None => model.range_clear_contents(&Area { sheet, row, column: col, width: 1, height: 1 }),
    };
    done.is_ok()
}

fn formula_cells(sheet: &super::model::Sheet) -> Vec<(u32, u32)> {
    sheet
        .rows
        .iter()
        .flat_map(|(r, row)| {
            row.iter().filter(|(_, c)| matches!(c.input, Some(Input::Formula(_)))).map(move |(c, _)| (*r, *c))
        })
        .collect()
}

/// Rows or columns inserted or deleted on one sheet.
#[derive(Debug, Clone, Copy)]
pub struct Shift {
    pub sheet: usize,
    pub rows: bool,
    pub insert: bool,
    pub start: u32,
    pub count: u32,
}

/// The formulas of every sheet as they read after `shift` (references moved as
/// Sheets moves them), keyed by (sheet index, row, column) after the shift.
pub fn formulas_after(book: &Spreadsheet, shift: Shift) -> Vec<(usize, u32, u32, String)> {
    if !book.has_formulas() {
        return Vec::new();
    }
    // Only the formulas move; the engine needs none of the other cells.
    let Some(mut model) = load(book, &Reach::Within(Vec::new())) else { return Vec::new() };
    let (s, at, n) = (shift.sheet as u32, shift.start as i32 + 1, shift.count as i32);
    let done = match (shift.rows, shift.insert) {
        (true, true) => model.insert_rows(s, at, n),
        (true, false) => model.delete_rows(s, at, n),
        (false, true) => model.insert_columns(s, at, n),
        (false, false) => model.delete_columns(s, at, n),
    };
    if let Err(e) = done {
        tracing::debug!("engine refused a shift: {e}");
        return Vec::new();
    }
    let moved = |x: u32, along: bool| -> Option<u32> {
        if !along || x < shift.start {
            Some(x)
        } else if shift.insert {
            Some(x + shift.count)
        } else if x < shift.start + shift.count {
            None
        } else {
            Some(x - shift.count)
        }
    };
    let mut out = Vec::new();
    for (i, sheet) in book.sheets.iter().enumerate() {
        for (r, c) in formula_cells(sheet) {
            let on = i == shift.sheet;
            let (Some(r2), Some(c2)) = (moved(r, on && shift.rows), moved(c, on && !shift.rows)) else { continue };
            if let Ok(Some(f)) = model.get_cell_formula(i as u32, r2 as i32 + 1, c2 as i32 + 1) {
                // A range whose cells were all deleted reads `#REF!` once, as Sheets writes it.
                let f = f.replace("#REF!:#REF!", "#REF!");
                out.push((i, r2, c2, if f.starts_with('=') { f } else { format!("={f}") }));
            }
        }
    }
    out
}

/// Moves a formula's relative references as a copy from one cell to another does
/// (`=A1*2` copied one row down reads `=A2*2`; `$A$1` stays). One engine workbook
/// with the spreadsheet's sheet names serves every copy of a request.
pub struct Shifter {
    model: Option<Model<'static>>,
}

impl Shifter {
    pub fn new(book: &Spreadsheet) -> Self {
        let Ok(mut model) = Model::new_empty("book", "en", "UTC", "en") else { return Shifter { model: None } };
        for (i, sheet) in book.sheets.iter().enumerate() {
            if i > 0 && model.add_sheet(&format!("__dtu_sheet_{i}")).is_err() {
                return Shifter { model: None };
            }
            let _ = model.rename_sheet_by_index(i as u32, &sheet.title);
        }
        Shifter { model: Some(model) }
    }

    /// `formula` written at (sheet, row, col) `from`, as it reads at `to` (0-based).
    pub fn shift(&mut self, formula: &str, from: (usize, u32, u32), to: (usize, u32, u32)) -> String {
        if from == to {
            return formula.to_string();
        }
        let Some(model) = self.model.as_mut() else { return formula.to_string() };
        let at = |(s, r, c): (usize, u32, u32)| ironcalc_base::expressions::types::CellReferenceIndex {
            sheet: s as u32,
            row: r as i32 + 1,
            column: c as i32 + 1,
        };
        match model.extend_copied_value(formula, &at(from), &at(to)) {
            Ok(f) if f.starts_with('=') => f.replace("#REF!:#REF!", "#REF!"),
            _ => formula.to_string(),
        }
    }
}

/// An engine workbook holding the spreadsheet's formulas and the inputs `reach`
/// covers, sheet i at index i.
fn load(book: &Spreadsheet, reach: &Reach) -> Option<Model<'static>> {
    let Ok(mut model) = Model::new_empty("book", "en", "UTC", "en") else {
        tracing::error!("the formula engine could not start");
        return None;
    };
    // Engine sheet i is book.sheets[i]; a title the engine refuses keeps a stand-in
    // name (references to it then answer #REF!).
    for (i, sheet) in book.sheets.iter().enumerate() {
        let i = i as u32;
        if i > 0 && model.add_sheet(&format!("__dtu_sheet_{i}")).is_err() {
            return None;
        }
        let _ = model.rename_sheet_by_index(i, &sheet.title);
        for (r, row) in &sheet.rows {
            for (c, cell) in row {
                let (row, col) = (*r as i32 + 1, *c as i32 + 1);
                let Some(input) = &cell.input else { continue };
                if !matches!(input, Input::Formula(_)) && !reach.covers(i as usize, *r, *c) {
                    continue;
                }
                let result = match input {
                    Input::Number(n) => model.update_cell_with_number(i, row, col, *n),
                    Input::Text(t) => model.update_cell_with_text(i, row, col, t),
                    Input::Bool(b) => model.update_cell_with_bool(i, row, col, *b),
                    Input::Formula(f) => model.update_cell_with_formula(i, row, col, f.clone()),
                };
                if let Err(e) = result {
                    tracing::debug!("engine refused a cell: {e}");
                }
            }
        }
    }
    for n in &book.named_ranges {
        if let Some(index) = book.sheets.iter().position(|s| s.id == n.range.sheet_id) {
            let r = n.range;
            let formula = format!(
                "{}!${}${}:${}${}",
                super::a1::quote_sheet(&book.sheets[index].title),
                super::a1::col_name(r.start_col),
                r.start_row + 1,
                super::a1::col_name(r.end_col.saturating_sub(1)),
                r.end_row
            );
            if let Err(e) = model.new_defined_name(&n.name, None, &formula) {
                tracing::debug!("engine refused a named range: {e}");
            }
        }
    }
    Some(model)
}

fn read(model: &Model<'_>, sheet: u32, row: i32, col: i32) -> CellValue {
    let kind = model.get_cell_type(sheet, row, col);
    let value = model.get_cell_value_by_index(sheet, row, col);
    match (kind, value) {
        (Ok(CellType::ErrorValue), Ok(ironcalc_base::cell::CellValue::String(e))) => CellValue::Error(google_error(&e)),
        (Ok(CellType::ErrorValue), _) => CellValue::Error(PARSE_ERROR.into()),
        (_, Ok(ironcalc_base::cell::CellValue::Number(n))) => CellValue::Number(n),
        (_, Ok(ironcalc_base::cell::CellValue::Boolean(b))) => CellValue::Bool(b),
        // Sheets caps a cell's text at 50,000 characters.
        (_, Ok(ironcalc_base::cell::CellValue::String(s))) if s.chars().count() > super::model::CELL_TEXT_LIMIT => {
            CellValue::Error("#VALUE!".into())
        }
        (_, Ok(ironcalc_base::cell::CellValue::String(s))) => CellValue::Text(s),
        (_, Ok(ironcalc_base::cell::CellValue::None)) => CellValue::Empty,
        (_, Err(_)) => CellValue::Error(PARSE_ERROR.into()),
    }
}

/// The engine's error names as Sheets writes them.
fn google_error(e: &str) -> String {
    match e {
        "#ERROR!" | "#PARSE!" => PARSE_ERROR.into(),
        "#CIRC!" => "#REF!".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Cell, Rect, Sheet};
    use super::super::values::{parse_user_entered, Render};
    use super::*;

    fn set(book: &mut Spreadsheet, sheet: usize, r: u32, c: u32, text: &str) {
        let (input, number_format) = parse_user_entered(text);
        book.sheets[sheet].put(r, c, Cell { input: Some(input), number_format, ..Cell::default() });
    }

    fn shown(book: &Spreadsheet, sheet: usize, r: u32, c: u32) -> String {
        let cell = book.sheets[sheet].cell(r, c).cloned().unwrap_or_default();
        super::super::values::render(&cell, Render::Formatted, super::super::values::DateRender::SerialNumber)
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn sums_recalculate_across_sheets() {
        let mut book = Spreadsheet::new();
        book.sheets.push(Sheet::new(5, "Totals", 10, 5));
        for (r, v) in ["10", "20", "12.5"].iter().enumerate() {
            set(&mut book, 0, r as u32 + 1, 1, v);
        }
        set(&mut book, 0, 0, 2, "=SUM(B2:B10)");
        set(&mut book, 1, 0, 0, "=Sheet1!C1*2");
        recalc(&mut book);
        assert_eq!(shown(&book, 0, 0, 2), "42.5");
        assert_eq!(shown(&book, 1, 0, 0), "85");
        set(&mut book, 0, 1, 1, "100");
        recalc(&mut book);
        assert_eq!(shown(&book, 0, 0, 2), "132.5");
        assert_eq!(shown(&book, 1, 0, 0), "265");
    }

    #[test]
    fn results_take_automatic_formats() {
        let mut book = Spreadsheet::new();
        set(&mut book, 0, 0, 0, "$1,200.50");
        set(&mut book, 0, 1, 0, "$99.50");
        set(&mut book, 0, 2, 0, "=SUM(A1:A2)");
        set(&mut book, 0, 3, 0, "2024-01-15");
        set(&mut book, 0, 4, 0, "=A4+14");
        set(&mut book, 0, 5, 0, "=DATE(2024,2,29)");
        set(&mut book, 0, 6, 0, "=COUNT(A4:A5)");
        recalc(&mut book);
        assert_eq!(shown(&book, 0, 2, 0), "$1,300.00");
        assert_eq!(shown(&book, 0, 4, 0), "2024-01-29");
        assert_eq!(shown(&book, 0, 5, 0), "2/29/2024");
        assert_eq!(shown(&book, 0, 6, 0), "2");
    }

    #[test]
    fn hostile_formulas_neither_panic_nor_hang() {
        let started = std::time::Instant::now();
        let mut book = Spreadsheet::new();
        let formulas = [
            "=",
            "=(((",
            "=A1",
            "=B1+A1",
            "=SUM(A1:ZZZ1000000)",
            "=INDIRECT(\"A\"&1)",
            "=RAND()",
            "={1,2;3,4}",
            "=REPT(\"x\",100000000)",
            "=LAMBDA(x,x)(1)",
            "=1/0+",
            "=\"unterminated",
            "=SUM(Sheet9!A:A)",
            "=A1:B2",
            "=OFFSET(A1,1000000,1000)",
            "=SEQUENCE(100000)",
            "=POWER(10,400)",
            "=FACT(200)",
            "=CONCAT(A:A)",
            "=REPT(\"ab\",30000)",
        ];
        for (i, f) in formulas.iter().enumerate() {
            set(&mut book, 0, i as u32, 0, f);
        }
        recalc(&mut book);
        for i in 0..formulas.len() {
            let _ = shown(&book, 0, i as u32, 0);
        }
        // 60,000 characters is past a cell's limit.
        assert_eq!(shown(&book, 0, formulas.len() as u32 - 1, 0), "#VALUE!");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    }

    /// A warm engine workbook gives exactly the state a fresh load gives, edit after
    /// edit: numbers, text, formulas written, changed and cleared, formats, and a
    /// sheet added (which loads afresh).
    type Edit = Box<dyn Fn(&mut Spreadsheet)>;

    #[test]
    fn cached_recalculation_matches_a_fresh_one() {
        let cache = Cache::default();
        let mut warm = Spreadsheet::new();
        let mut edits: Vec<Edit> = vec![
            Box::new(|b| {
                for r in 0..20 {
                    set(b, 0, r, 1, &format!("{}", r * 3));
                    set(b, 0, r, 2, &format!("=B{}*2", r + 1));
                }
                set(b, 0, 0, 4, "=SUM(C1:C20)");
                set(b, 0, 1, 4, "=E1/0");
                set(b, 0, 2, 4, "=C3");
            }),
            Box::new(|b| set(b, 0, 4, 1, "$1,200.50")),
            Box::new(|b| set(b, 0, 2, 1, "hello")),
            Box::new(|b| set(b, 0, 3, 4, "=CONCATENATE(A1,\"x\")")),
            Box::new(|b| b.sheets[0].put(5, 1, Cell::default())),
            Box::new(|b| set(b, 0, 0, 4, "=AVERAGE(C1:C20)")),
            Box::new(|b| b.sheets[0].put(2, 4, Cell::default())),
            Box::new(|b| {
                b.sheets.push(Sheet::new(3, "Other", 10, 5));
                set(b, 1, 0, 0, "=Sheet1!E1+1");
            }),
            Box::new(|b| set(b, 0, 7, 1, "2024-01-15")),
            Box::new(|b| set(b, 0, 6, 2, "=TODAY()")),
            Box::new(|b| set(b, 0, 9, 1, "TRUE")),
            // A cell no formula reads, then a formula that reads it (the engine was
            // never given it, so it loads afresh).
            Box::new(|b| set(b, 0, 15, 3, "7")),
            Box::new(|b| set(b, 0, 5, 4, "=D16+1")),
            Box::new(|b| set(b, 0, 15, 3, "9")),
        ];
        for (i, edit) in edits.iter_mut().enumerate() {
            edit(&mut warm);
            let mut fresh = warm.clone();
            recalc(&mut fresh);
            recalc_cached(&mut warm, &cache, "book", None);
            assert_eq!(warm, fresh, "after edit {i}");
        }
    }

    /// An edit that names the rectangle it wrote gives what a fresh load gives; when
    /// the warm workbook did not start from the edit's book (as after a reset or
    /// another writer), the rectangle is not trusted and the diff finds the rest.
    #[test]
    fn touched_rectangles_are_trusted_only_from_the_warm_book() {
        let cache = Cache::default();
        let mut book = Spreadsheet::new();
        for r in 0..10 {
            set(&mut book, 0, r, 1, &format!("{r}"));
            set(&mut book, 0, r, 2, &format!("=B{}*2", r + 1));
        }
        recalc_cached(&mut book, &cache, "b", None);
        let id = book.sheets[0].id;
        let column_b = |start_row, end_row| Rect { sheet_id: id, start_row, end_row, start_col: 1, end_col: 2 };

        let base = book.clone();
        for r in 2..5 {
            set(&mut book, 0, r, 1, "100");
        }
        let mut fresh = book.clone();
        recalc(&mut fresh);
        recalc_cached(&mut book, &cache, "b", Some(&Touched { base: &base, rect: column_b(2, 5) }));
        assert_eq!(book, fresh);

        // A book equal in content but not the warm one, with a change the edit does
        // not report.
        let mut other = fresh.clone();
        set(&mut other, 0, 7, 1, "5");
        let base = other.clone();
        set(&mut other, 0, 0, 1, "1000");
        let mut fresh = other.clone();
        recalc(&mut fresh);
        recalc_cached(&mut other, &cache, "b", Some(&Touched { base: &base, rect: column_b(0, 1) }));
        assert_eq!(other, fresh);
    }

    /// The engine given only the cells the formulas reach computes what it computes
    /// given every cell, for formulas whose reach is bounded and ones whose is not.
    #[test]
    fn reach_limited_evaluation_matches_a_full_one() {
        let mut book = Spreadsheet::new();
        book.sheets.push(Sheet::new(3, "Other", 10, 5));
        for r in 0..30 {
            for c in 0..4 {
                set(&mut book, 0, r, c, &format!("{}", (r * 7 + c * 3) % 11));
            }
        }
        set(&mut book, 0, 40, 0, "far away");
        set(&mut book, 0, 41, 1, "100");
        for r in 0..5 {
            set(&mut book, 1, r, 0, &format!("{}", r + 1));
        }
        book.named_ranges.push(super::super::model::NamedRange {
            id: "n1".into(),
            name: "Total".into(),
            range: Rect { sheet_id: 0, start_row: 0, end_row: 3, start_col: 1, end_col: 2 },
        });
        let cases = [
            ("=SUM(B1:D1)", true),
            ("=SUM(B:B)", true),
            ("=Other!A1+B2", true),
            ("=SUM(Other!A1:A5)*2", true),
            ("=COUNTIF(A1:A30,\">5\")", true),
            ("=SUMIF(A1:A30,\">5\",B1:B30)", true),
            ("=IF(A1>3,B1,C1)", true),
            ("=ROUND(AVERAGE(B1:B10),2)", true),
            ("=B1:B3", false),
            ("=INDIRECT(\"B42\")", false),
            ("=SUM(Total)", false),
            ("=VLOOKUP(3,A1:D30,2,FALSE)", false),
            ("=COUNTIF(A1:A30,B1:B3)", false),
            ("=IF(A1:A3>3,1,0)", false),
        ];
        for (formula, bounded) in cases {
            let mut limited = book.clone();
            set(&mut limited, 0, 0, 5, formula);
            set(&mut limited, 0, 1, 5, "=F1*2");
            let reach = Reach::of(&limited);
            assert_eq!(matches!(reach, Reach::Within(_)), bounded, "{formula}: {reach:?}");
            let mut full = limited.clone();
            let mut model = load(&full, &Reach::Everything).expect("engine");
            model.evaluate();
            let specs = formula_specs(&full);
            write_results(&mut full, &model, &specs);
            recalc(&mut limited);
            assert_eq!(limited, full, "{formula}");
            assert_ne!(shown(&limited, 0, 1, 5), "", "{formula}");
        }
    }

    #[test]
    fn copies_move_relative_references() {
        let mut book = Spreadsheet::new();
        book.sheets.push(super::super::model::Sheet::new(9, "My Data", 10, 10));
        let mut s = Shifter::new(&book);
        assert_eq!(s.shift("=A1*$B$1+'My Data'!C2", (0, 0, 2), (0, 3, 3)), "=B4*$B$1+'My Data'!D5");
        assert_eq!(s.shift("=SUM(A1:A3)", (0, 4, 1), (0, 5, 1)), "=SUM(A2:A4)");
    }

    #[test]
    fn named_ranges_work_in_formulas() {
        let mut book = Spreadsheet::new();
        for r in 0..3 {
            set(&mut book, 0, r, 1, &format!("{}", r + 1));
        }
        let range = book.resolve("B1:B3").unwrap();
        book.named_ranges.push(super::super::model::NamedRange { id: "x".into(), name: "Scores".into(), range });
        set(&mut book, 0, 0, 3, "=SUM(Scores)");
        recalc(&mut book);
        assert_eq!(shown(&book, 0, 0, 3), "6");
    }

    #[test]
    fn shifts_move_references() {
        let mut book = Spreadsheet::new();
        set(&mut book, 0, 0, 0, "=SUM(B1:B3)+C5");
        let moved = formulas_after(&book, Shift { sheet: 0, rows: true, insert: true, start: 1, count: 2 });
        assert_eq!(moved, vec![(0, 0, 0, "=SUM(B1:B5)+C7".to_string())]);
        let moved = formulas_after(&book, Shift { sheet: 0, rows: false, insert: false, start: 1, count: 1 });
        assert_eq!(moved, vec![(0, 0, 0, "=SUM(#REF!)+B5".to_string())]);
    }

    #[test]
    fn errors_are_sheets_errors() {
        let mut book = Spreadsheet::new();
        set(&mut book, 0, 0, 0, "=1/0");
        set(&mut book, 0, 0, 1, "=NOSUCHFUNCTION(1)");
        set(&mut book, 0, 0, 2, "=Missing!A1");
        set(&mut book, 0, 0, 3, "=CONCATENATE(\"a\",\"b\")");
        set(&mut book, 0, 0, 4, "=A5>1");
        set(&mut book, 0, 4, 0, "3");
        recalc(&mut book);
        assert_eq!(shown(&book, 0, 0, 0), "#DIV/0!");
        assert_eq!(shown(&book, 0, 0, 1), "#NAME?");
        assert_eq!(shown(&book, 0, 0, 2), "#REF!");
        assert_eq!(shown(&book, 0, 0, 3), "ab");
        assert_eq!(shown(&book, 0, 0, 4), "TRUE");
    }
}
