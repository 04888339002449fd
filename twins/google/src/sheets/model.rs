//! A spreadsheet as the twin keeps it: sheets of cells in persistent maps (row →
//! column → cell), each cell holding what was entered (a number, text, a boolean
//! or a formula) and its format; formula results are computed by
//! [`engine`](super::engine) after every change and kept beside the input. Plain
//! Rust, no HTTP.

use std::sync::Arc;

use imbl::OrdMap;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::a1::{self, A1};

/// Sheets' limit on the cells of one spreadsheet.
pub const CELL_LIMIT: u64 = 10_000_000;
pub const DEFAULT_ROWS: u32 = 1000;
/// The most characters one cell holds.
pub const CELL_TEXT_LIMIT: usize = 50_000;
pub const DEFAULT_COLS: u32 = 26;

/// What a user entered in a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    Number(f64),
    Text(String),
    Bool(bool),
    Formula(String),
}

/// A cell's value: what it shows (its input, or its formula's result).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellValue {
    Number(f64),
    Text(String),
    Bool(bool),
    /// A spreadsheet error (`#DIV/0!`, `#REF!`, `#NAME?`, `#VALUE!`, `#N/A`, `#ERROR!`).
    Error(String),
    Empty,
}

/// A number format: Sheets' `type` and `pattern`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberFormat {
    pub kind: String,
    pub pattern: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Cell {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Input>,
    /// The computed value of a formula (inputs show themselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<CellValue>,
    /// `userEnteredFormat` as the API wrote it, with `numberFormat` kept apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_format: Option<NumberFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The format Sheets gives a formula's result when none was set (a date for
    /// TODAY(), the currency of the cells a SUM reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_format: Option<NumberFormat>,
    /// A `DataValidationRule` set by setDataValidation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Json>,
}

impl Cell {
    /// The number format that applies: the one set, else the automatic one.
    pub fn effective_format(&self) -> Option<&NumberFormat> {
        self.number_format.as_ref().or(self.auto_format.as_ref())
    }

    pub fn is_blank(&self) -> bool {
        self.input.is_none()
            && self.format.is_none()
            && self.number_format.is_none()
            && self.note.is_none()
            && self.validation.is_none()
    }

    /// What the cell shows.
    pub fn value(&self) -> CellValue {
        match (&self.input, &self.result) {
            (None, _) => CellValue::Empty,
            (Some(Input::Formula(_)), Some(r)) => r.clone(),
            (Some(Input::Formula(_)), None) => CellValue::Empty,
            (Some(Input::Number(n)), _) => CellValue::Number(*n),
            (Some(Input::Text(t)), _) => CellValue::Text(t.clone()),
            (Some(Input::Bool(b)), _) => CellValue::Bool(*b),
        }
    }
}

/// A rectangle of a sheet, 0-based, ends exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub sheet_id: i64,
    pub start_row: u32,
    pub end_row: u32,
    pub start_col: u32,
    pub end_col: u32,
}

impl Rect {
    pub fn rows(&self) -> u32 {
        self.end_row.saturating_sub(self.start_row)
    }
    pub fn cols(&self) -> u32 {
        self.end_col.saturating_sub(self.start_col)
    }
    pub fn contains(&self, row: u32, col: u32) -> bool {
        (self.start_row..self.end_row).contains(&row) && (self.start_col..self.end_col).contains(&col)
    }
    pub fn intersects(&self, o: &Rect) -> bool {
        self.sheet_id == o.sheet_id
            && self.start_row < o.end_row
            && o.start_row < self.end_row
            && self.start_col < o.end_col
            && o.start_col < self.end_col
    }
}

pub type Row = OrdMap<u32, Arc<Cell>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    pub id: i64,
    pub title: String,
    pub row_count: u32,
    pub column_count: u32,
    #[serde(default)]
    pub frozen_rows: u32,
    #[serde(default)]
    pub frozen_columns: u32,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab_color: Option<Json>,
    #[serde(default)]
    pub right_to_left: bool,
    /// Row index → column index → cell.
    pub rows: OrdMap<u32, Row>,
    #[serde(default)]
    pub merges: Vec<Rect>,
    /// Pixel sizes set by updateDimensionProperties / autoResize.
    #[serde(default)]
    pub row_sizes: OrdMap<u32, u32>,
    #[serde(default)]
    pub col_sizes: OrdMap<u32, u32>,
    /// The sheet's basic filter (`BasicFilter`, its range as a grid range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_filter: Option<Json>,
    /// Protected ranges (`ProtectedRange` resources as the API returns them).
    #[serde(default)]
    pub protected: Vec<Json>,
    /// Conditional format rules, in order (`ConditionalFormatRule`).
    #[serde(default)]
    pub conditional: Vec<Json>,
}

impl Sheet {
    pub fn new(id: i64, title: &str, rows: u32, cols: u32) -> Self {
        Sheet {
            id,
            title: title.to_string(),
            row_count: rows,
            column_count: cols,
            frozen_rows: 0,
            frozen_columns: 0,
            hidden: false,
            tab_color: None,
            right_to_left: false,
            rows: OrdMap::new(),
            merges: Vec::new(),
            row_sizes: OrdMap::new(),
            col_sizes: OrdMap::new(),
            basic_filter: None,
            protected: Vec::new(),
            conditional: Vec::new(),
        }
    }

    pub fn cell(&self, row: u32, col: u32) -> Option<&Cell> {
        self.rows.get(&row).and_then(|r| r.get(&col)).map(|c| &**c)
    }

    /// Sets a cell (a blank cell is removed).
    pub fn put(&mut self, row: u32, col: u32, cell: Cell) {
        if cell.is_blank() {
            let emptied = match self.rows.get_mut(&row) {
                Some(r) => {
                    r.remove(&col);
                    r.is_empty()
                }
                None => false,
            };
            if emptied {
                self.rows.remove(&row);
            }
        } else {
            self.rows.entry(row).or_default().insert(col, Arc::new(cell));
        }
    }

    /// Changes a cell in place (created blank when absent).
    pub fn update(&mut self, row: u32, col: u32, f: impl FnOnce(&mut Cell)) {
        if let Some(cells) = self.rows.get_mut(&row) {
            if let Some(cell) = cells.get_mut(&col) {
                let cell = Arc::make_mut(cell);
                f(cell);
                if cell.is_blank() {
                    cells.remove(&col);
                    if cells.is_empty() {
                        self.rows.remove(&row);
                    }
                }
                return;
            }
        }
        let mut cell = Cell::default();
        f(&mut cell);
        self.put(row, col, cell);
    }

    pub fn cells(&self) -> u64 {
        self.row_count as u64 * self.column_count as u64
    }

    /// The last row and column holding a value (for appends and open ranges).
    pub fn extent(&self) -> Option<(u32, u32)> {
        let last_row = self.rows.iter().rev().find(|(_, r)| r.values().any(|c| c.input.is_some()))?.0;
        let last_col = self
            .rows
            .values()
            .filter_map(|r| r.iter().rev().find(|(_, c)| c.input.is_some()))
            .map(|(c, _)| *c)
            .max()?;
        Some((*last_row, last_col))
    }

    /// The cells of a rectangle, row by row, only those present.
    pub fn cells_in<'a>(&'a self, rect: &Rect) -> impl Iterator<Item = (u32, u32, &'a Cell)> + 'a {
        let rect = *rect;
        self.rows.range(rect.start_row..rect.end_row.max(rect.start_row)).flat_map(move |(r, row)| {
            row.range(rect.start_col..rect.end_col.max(rect.start_col)).map(move |(c, cell)| (*r, *c, &**cell))
        })
    }

    pub fn whole(&self) -> Rect {
        Rect { sheet_id: self.id, start_row: 0, end_row: self.row_count, start_col: 0, end_col: self.column_count }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedRange {
    pub id: String,
    pub name: String,
    pub range: Rect,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spreadsheet {
    pub locale: String,
    pub time_zone: String,
    #[serde(default)]
    pub auto_recalc: String,
    pub sheets: Vec<Sheet>,
    #[serde(default)]
    pub named_ranges: Vec<NamedRange>,
    /// A seed for sheet ids the spreadsheet hands out.
    #[serde(default)]
    pub next_id: u64,
    /// `spreadsheetTheme`, `defaultFormat` and other properties set by
    /// updateSpreadsheetProperties that the twin only stores.
    #[serde(default)]
    pub extra_properties: serde_json::Map<String, Json>,
}

/// Why a range cannot be bound to this spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("unparseable range")]
    Parse,
}

impl Spreadsheet {
    pub fn new() -> Self {
        Spreadsheet {
            locale: "en_US".into(),
            time_zone: "Etc/GMT".into(),
            auto_recalc: "ON_CHANGE".into(),
            sheets: vec![Sheet::new(0, "Sheet1", DEFAULT_ROWS, DEFAULT_COLS)],
            named_ranges: Vec::new(),
            next_id: 1,
            extra_properties: Default::default(),
        }
    }

    pub fn sheet(&self, id: i64) -> Option<&Sheet> {
        self.sheets.iter().find(|s| s.id == id)
    }

    pub fn sheet_mut(&mut self, id: i64) -> Option<&mut Sheet> {
        self.sheets.iter_mut().find(|s| s.id == id)
    }

    pub fn sheet_by_title(&self, title: &str) -> Option<&Sheet> {
        self.sheets.iter().find(|s| s.title == title).or_else(|| {
            // Sheets matches titles without regard to case.
            self.sheets.iter().find(|s| s.title.to_lowercase() == title.to_lowercase())
        })
    }

    pub fn cells(&self) -> u64 {
        self.sheets.iter().map(Sheet::cells).sum()
    }

    /// A fresh sheet id (a pseudo-random positive number, as Sheets hands out).
    pub fn new_sheet_id(&mut self) -> i64 {
        loop {
            self.next_id = self.next_id.wrapping_add(1);
            let mut x = self.next_id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            x ^= x >> 29;
            let id = (x % 2_000_000_000) as i64 + 1;
            if self.sheet(id).is_none() {
                return id;
            }
        }
    }

    /// Binds an A1 range to a rectangle. Open ends run to the grid's edge; a range
    /// past the grid is clipped by the caller where Sheets clips it.
    pub fn resolve(&self, text: &str) -> Result<Rect, RangeError> {
        let parsed = a1::parse(text).map_err(|_| RangeError::Parse)?;
        self.bind(&parsed)
    }

    pub fn bind(&self, parsed: &A1) -> Result<Rect, RangeError> {
        let sheet = match (&parsed.sheet, &parsed.cells) {
            (Some(name), None) => {
                if let Some(n) = self.named_ranges.iter().find(|n| n.name == *name) {
                    return Ok(n.range);
                }
                let s = self.sheet_by_title(name).ok_or(RangeError::Parse)?;
                return Ok(s.whole());
            }
            (Some(name), Some(_)) => self.sheet_by_title(name).ok_or(RangeError::Parse)?,
            (None, _) => self.sheets.first().ok_or(RangeError::Parse)?,
        };
        let Some((a, b)) = parsed.cells else { return Ok(sheet.whole()) };
        let (r0, r1) = match (a.row, b.row) {
            (Some(x), Some(y)) => (x.min(y), x.max(y) + 1),
            (Some(x), None) => (x, sheet.row_count.max(x + 1)),
            (None, Some(y)) => (0, y + 1),
            (None, None) => (0, sheet.row_count),
        };
        let (c0, c1) = match (a.col, b.col) {
            (Some(x), Some(y)) => (x.min(y), x.max(y) + 1),
            (Some(x), None) => (x, sheet.column_count.max(x + 1)),
            (None, Some(y)) => (0, y + 1),
            (None, None) => (0, sheet.column_count),
        };
        Ok(Rect { sheet_id: sheet.id, start_row: r0, end_row: r1, start_col: c0, end_col: c1 })
    }

    /// The A1 text of a rectangle as Sheets echoes it (`Sheet1!A1:B2`, `Sheet1!C3`).
    pub fn a1_of(&self, rect: &Rect) -> String {
        let title = self.sheet(rect.sheet_id).map(|s| a1::quote_sheet(&s.title)).unwrap_or_default();
        let start = a1::cell_name(rect.start_row, rect.start_col);
        if rect.rows() <= 1 && rect.cols() <= 1 {
            return format!("{title}!{start}");
        }
        let end = a1::cell_name(rect.end_row.saturating_sub(1), rect.end_col.saturating_sub(1));
        format!("{title}!{start}:{end}")
    }

    /// Any formula anywhere (the engine runs only when there is one).
    pub fn has_formulas(&self) -> bool {
        self.sheets
            .iter()
            .any(|s| s.rows.values().any(|r| r.values().any(|c| matches!(c.input, Some(Input::Formula(_))))))
    }
}

impl Default for Spreadsheet {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_ranges() {
        let mut s = Spreadsheet::new();
        s.sheets.push(Sheet::new(7, "My Sheet", 100, 5));
        let r = s.resolve("A1:B2").unwrap();
        assert_eq!((r.sheet_id, r.start_row, r.end_row, r.start_col, r.end_col), (0, 0, 2, 0, 2));
        let r = s.resolve("'My Sheet'!B:B").unwrap();
        assert_eq!((r.sheet_id, r.start_row, r.end_row, r.start_col, r.end_col), (7, 0, 100, 1, 2));
        let r = s.resolve("'My Sheet'!A3:C").unwrap();
        assert_eq!((r.start_row, r.end_row, r.start_col, r.end_col), (2, 100, 0, 3));
        let r = s.resolve("my sheet").unwrap();
        assert_eq!((r.end_row, r.end_col), (100, 5));
        assert_eq!(s.a1_of(&r), "'My Sheet'!A1:E100");
        assert_eq!(s.a1_of(&s.resolve("Sheet1!C3").unwrap()), "Sheet1!C3");
        assert_eq!(s.resolve("Nope!A1"), Err(RangeError::Parse));
        s.named_ranges.push(NamedRange {
            id: "n".into(),
            name: "Totals".into(),
            range: s.resolve("Sheet1!D1:D9").unwrap(),
        });
        assert_eq!(s.a1_of(&s.resolve("Totals").unwrap()), "Sheet1!D1:D9");
    }

    #[test]
    fn put_removes_blank_cells() {
        let mut sh = Sheet::new(0, "S", 10, 10);
        sh.put(2, 3, Cell { input: Some(Input::Number(1.0)), ..Cell::default() });
        assert_eq!(sh.extent(), Some((2, 3)));
        sh.put(2, 3, Cell::default());
        assert!(sh.rows.is_empty());
        assert_eq!(sh.extent(), None);
    }
}
