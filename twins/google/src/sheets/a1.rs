//! A1 notation: `Sheet1!A1:B2`, `'My Sheet'!A:A`, `A1`, `A5:A` (open end),
//! `1:3` (whole rows), `B:D` (whole columns), a sheet name alone, a named range.
//! Parsing is pure text; [`resolve`](super::model::Spreadsheet::resolve) binds a
//! parsed range to a sheet and its grid.

/// One end of a range: a column, a row, or both (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bound {
    pub col: Option<u32>,
    pub row: Option<u32>,
}

/// A range as written, before it is bound to a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A1 {
    /// The sheet named before `!` (unquoted), or the whole text when it has no cells
    /// part (a sheet title or a named range).
    pub sheet: Option<String>,
    /// `(start, end)`; None for a whole sheet or a named range.
    pub cells: Option<(Bound, Bound)>,
}

/// Why a range did not parse (the caller words the error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unparseable range")]
pub struct BadRange;

/// The most rows and columns a reference may name (Sheets' own limits).
pub const MAX_ROWS: u32 = 10_000_000;
pub const MAX_COLS: u32 = 18_278;

/// `A` → 0, `Z` → 25, `AA` → 26.
pub fn col_index(letters: &str) -> Option<u32> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut n: u32 = 0;
    for c in letters.chars() {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        n = n * 26 + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1);
    }
    (n <= MAX_COLS).then(|| n - 1)
}

/// 0 → `A`, 26 → `AA`.
pub fn col_name(mut index: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push((b'A' + (index % 26) as u8) as char);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.iter().rev().collect()
}

/// One end: `A1`, `$A$1`, `A`, `1`.
fn bound(text: &str) -> Option<Bound> {
    let text = text.trim();
    let clean: String = text.chars().filter(|c| *c != '$').collect();
    if clean.is_empty() {
        return None;
    }
    let split = clean.find(|c: char| c.is_ascii_digit()).unwrap_or(clean.len());
    let (letters, digits) = clean.split_at(split);
    let col = match letters {
        "" => None,
        l => Some(col_index(l)?),
    };
    let row = match digits {
        "" => None,
        d => {
            if !d.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let n: u32 = d.parse().ok()?;
            if n == 0 || n > MAX_ROWS {
                return None;
            }
            Some(n - 1)
        }
    };
    Some(Bound { col, row })
}

/// The cells part: `A1`, `A1:B2`, `A:B`, `1:2`, `A5:A`, `A:A5`.
pub fn cells(text: &str) -> Option<(Bound, Bound)> {
    match text.split_once(':') {
        None => {
            let b = bound(text)?;
            // A lone `A` or `5` is a name, not a reference.
            (b.col.is_some() && b.row.is_some()).then_some((b, b))
        }
        Some((a, b)) => {
            let (a, b) = (bound(a)?, bound(b)?);
            // `A:1` mixes a column and a row.
            let row_only = |x: &Bound| x.col.is_none();
            let col_only = |x: &Bound| x.row.is_none();
            if (row_only(&a) && b.col.is_some() && a.row.is_some() && b.row.is_none())
                || (col_only(&a) && a.col.is_some() && row_only(&b))
            {
                return None;
            }
            Some((a, b))
        }
    }
}

/// Parses a range as the Sheets API accepts it.
pub fn parse(text: &str) -> Result<A1, BadRange> {
    let text = text.trim();
    if text.is_empty() {
        return Err(BadRange);
    }
    if let Some(rest) = text.strip_prefix('\'') {
        // 'My Sheet'!A1 — a doubled quote is a quote.
        let mut name = String::new();
        let mut chars = rest.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if matches!(chars.peek(), Some((_, '\''))) {
                    name.push('\'');
                    chars.next();
                    continue;
                }
                end = Some(i + 1);
                break;
            }
            name.push(c);
        }
        let end = end.ok_or(BadRange)?;
        let after = &rest[end..];
        if name.is_empty() {
            return Err(BadRange);
        }
        return match after {
            "" => Ok(A1 { sheet: Some(name), cells: None }),
            a => {
                let cells_text = a.strip_prefix('!').ok_or(BadRange)?;
                Ok(A1 { sheet: Some(name), cells: Some(cells(cells_text).ok_or(BadRange)?) })
            }
        };
    }
    match text.rsplit_once('!') {
        Some((sheet, c)) => {
            if sheet.is_empty() {
                return Err(BadRange);
            }
            Ok(A1 { sheet: Some(sheet.to_string()), cells: Some(cells(c).ok_or(BadRange)?) })
        }
        None => match cells(text) {
            Some(c) => Ok(A1 { sheet: None, cells: Some(c) }),
            None => Ok(A1 { sheet: Some(text.to_string()), cells: None }),
        },
    }
}

/// A sheet title as a range prefix: quoted unless it is a plain word that cannot be
/// read as a reference.
pub fn quote_sheet(title: &str) -> String {
    let plain = title.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && title.chars().all(|c| c.is_alphanumeric() || c == '_')
        && cells(title).is_none();
    if plain {
        title.to_string()
    } else {
        format!("'{}'", title.replace('\'', "''"))
    }
}

/// `A1` of a 0-based cell.
pub fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", col_name(col), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(col: Option<u32>, row: Option<u32>) -> Bound {
        Bound { col, row }
    }

    #[test]
    fn columns_round_trip() {
        for (name, i) in [("A", 0), ("Z", 25), ("AA", 26), ("AZ", 51), ("BA", 52), ("ZZ", 701), ("AAA", 702)] {
            assert_eq!(col_index(name), Some(i), "{name}");
            assert_eq!(col_name(i), name);
        }
        assert_eq!(col_index("a"), Some(0));
        assert_eq!(col_index("A1"), None);
    }

    #[test]
    fn forms() {
        let r = parse("Sheet1!A1:B2").unwrap();
        assert_eq!(r.sheet.as_deref(), Some("Sheet1"));
        assert_eq!(r.cells, Some((b(Some(0), Some(0)), b(Some(1), Some(1)))));
        let r = parse("'My Sheet'!A:A").unwrap();
        assert_eq!(r.sheet.as_deref(), Some("My Sheet"));
        assert_eq!(r.cells, Some((b(Some(0), None), b(Some(0), None))));
        let r = parse("'It''s'!$B$3").unwrap();
        assert_eq!(r.sheet.as_deref(), Some("It's"));
        assert_eq!(r.cells, Some((b(Some(1), Some(2)), b(Some(1), Some(2)))));
        assert_eq!(parse("A1").unwrap(), A1 { sheet: None, cells: Some((b(Some(0), Some(0)), b(Some(0), Some(0)))) });
        assert_eq!(parse("2:4").unwrap().cells, Some((b(None, Some(1)), b(None, Some(3)))));
        assert_eq!(parse("A5:C").unwrap().cells, Some((b(Some(0), Some(4)), b(Some(2), None))));
        assert_eq!(parse("Budget").unwrap(), A1 { sheet: Some("Budget".into()), cells: None });
        assert_eq!(parse("'My Sheet'").unwrap(), A1 { sheet: Some("My Sheet".into()), cells: None });
    }

    #[test]
    fn refusals() {
        for bad in ["", "Sheet1!", "!A1", "Sheet1!A0", "Sheet1!1A", "'Unclosed!A1", "Sheet1!A:1", "'x'A1", "Sheet1!A1:"]
        {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_sheet("Sheet1"), "Sheet1");
        assert_eq!(quote_sheet("My Sheet"), "'My Sheet'");
        assert_eq!(quote_sheet("A1"), "'A1'");
        assert_eq!(quote_sheet("It's"), "'It''s'");
        assert_eq!(cell_name(9, 27), "AB10");
    }
}
