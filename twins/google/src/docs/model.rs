//! A Google document as the twin keeps it: the body's blocks (paragraphs of styled
//! runs, tables of cells holding paragraphs), lists, named ranges and a revision
//! counter, stored once. Indexes are computed when the document is rendered or
//! edited, in UTF-16 code units as Docs counts them: the section break takes
//! index 0, each paragraph its text and a newline, a table one index for itself,
//! one per row, one per cell and one at its end.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub text: String,
    /// `textStyle` members set on this run.
    #[serde(default)]
    pub style: Map<String, Json>,
    /// A page break (one index, no text).
    #[serde(default)]
    pub page_break: bool,
    /// An inline object (an image): one index, no text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

/// The unit an inline object takes while a paragraph is edited as units; its id
/// rides in the unit's style under this key.
pub const OBJECT_UNIT: char = '\u{fffc}';
pub const OBJECT_KEY: &str = "\u{0}object";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineObject {
    pub id: String,
    pub uri: String,
    /// Width and height in points, when the request gave them.
    #[serde(default)]
    pub width: Option<f64>,
    #[serde(default)]
    pub height: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bullet {
    pub list_id: String,
    pub nesting: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Para {
    /// The text without the paragraph's final newline; changed only through
    /// `set_units` and `push_run`, which keep `len` true.
    runs: Vec<Run>,
    /// The newline's text style.
    #[serde(default)]
    pub end_style: Map<String, Json>,
    /// `paragraphStyle` members set on the paragraph (namedStyleType among them).
    #[serde(default)]
    pub style: Map<String, Json>,
    #[serde(default)]
    pub bullet: Option<Bullet>,
    /// The UTF-16 length, measured once: every edit finds its paragraph by walking
    /// the body, and measuring each paragraph on each walk dominated a batch.
    #[serde(skip)]
    len: LenCache,
}

/// A length computed on first use; never part of what a paragraph is (equality,
/// serialization), so a cached and an uncached copy are the same paragraph.
#[derive(Debug, Clone, Default)]
struct LenCache(std::sync::OnceLock<u32>);

impl PartialEq for LenCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Para {
    pub fn new() -> Self {
        Para::styled(Map::new(), Map::new(), None)
    }

    /// An empty paragraph with its newline's style, its paragraph style and bullet.
    pub fn styled(end_style: Map<String, Json>, style: Map<String, Json>, bullet: Option<Bullet>) -> Self {
        Para { runs: Vec::new(), end_style, style, bullet, len: LenCache::default() }
    }

    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    pub fn push_run(&mut self, run: Run) {
        self.runs.push(run);
        self.len = LenCache::default();
    }

    /// Length in UTF-16 units, newline included.
    pub fn len(&self) -> u32 {
        *self.len.0.get_or_init(|| self.runs.iter().map(run_len).sum::<u32>() + 1)
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn text(&self) -> String {
        self.runs.iter().filter(|r| !r.page_break && r.object.is_none()).map(|r| r.text.as_str()).collect()
    }

    /// Inserts text without newlines at a UTF-16 offset that follows a character of
    /// a text run (or, at 0, leads one), in that run and so in its style: what the
    /// unit-by-unit edit gives, without taking the paragraph apart. `None` when the
    /// place is not such a run; `Some(Err(()))` inside a surrogate pair. Returns the
    /// units inserted.
    pub fn insert_in_run(&mut self, offset: u32, text: &str) -> Option<Result<u32, ()>> {
        let mut at = 0;
        let mut target = None;
        for (i, r) in self.runs.iter().enumerate() {
            let len = run_len(r);
            if (at < offset || offset == 0) && offset <= at + len {
                if r.page_break || r.object.is_some() || r.text.is_empty() {
                    return None;
                }
                target = Some((i, offset - at));
                break;
            }
            at += len;
        }
        let (i, within) = target?;
        let run = &mut self.runs[i];
        let mut units = 0;
        let mut byte = run.text.len();
        // ASCII (most text) is a unit a byte: no walk through a long run.
        let chars = if run.text.is_ascii() {
            byte = within as usize;
            None
        } else {
            Some(run.text.char_indices())
        };
        for (b, c) in chars.into_iter().flatten() {
            if units == within {
                byte = b;
                break;
            }
            units += unit_len(c);
            if units > within {
                return Some(Err(()));
            }
        }
        run.text.insert_str(byte, text);
        // Neighbours of one style are one run, as `set_units` leaves them.
        let mut merged: Vec<Run> = Vec::with_capacity(self.runs.len());
        for r in std::mem::take(&mut self.runs) {
            match merged.last_mut() {
                Some(last)
                    if !last.page_break
                        && last.object.is_none()
                        && !r.page_break
                        && r.object.is_none()
                        && last.style == r.style =>
                {
                    last.text.push_str(&r.text)
                }
                _ => merged.push(r),
            }
        }
        self.runs = merged;
        self.len = LenCache::default();
        Some(Ok(text.encode_utf16().count() as u32))
    }

    /// One unit per character (page breaks as U+000C), with its style.
    pub fn units(&self) -> Vec<(char, Map<String, Json>)> {
        let mut out = Vec::new();
        for r in &self.runs {
            if let Some(id) = &r.object {
                let mut style = r.style.clone();
                style.insert(OBJECT_KEY.into(), Json::String(id.clone()));
                out.push((OBJECT_UNIT, style));
            } else if r.page_break {
                out.push(('\u{c}', r.style.clone()));
            } else {
                out.extend(r.text.chars().map(|c| (c, r.style.clone())));
            }
        }
        out
    }

    /// Rebuilds the runs from units, merging neighbours of the same style.
    pub fn set_units(&mut self, units: Vec<(char, Map<String, Json>)>) {
        let mut runs: Vec<Run> = Vec::new();
        for (c, style) in units {
            if c == '\u{c}' {
                runs.push(Run { text: String::new(), style, page_break: true, object: None });
                continue;
            }
            if c == OBJECT_UNIT {
                let mut style = style;
                if let Some(Json::String(id)) = style.remove(OBJECT_KEY) {
                    runs.push(Run { text: String::new(), style, page_break: false, object: Some(id) });
                    continue;
                }
                // A stray U+FFFC typed as text stays text.
                runs.push(Run { text: c.to_string(), style, page_break: false, object: None });
                continue;
            }
            match runs.last_mut() {
                Some(last) if !last.page_break && last.object.is_none() && last.style == style => last.text.push(c),
                _ => runs.push(Run { text: c.to_string(), style, page_break: false, object: None }),
            }
        }
        self.runs = runs;
        self.len = LenCache::default();
    }
}

impl Default for Para {
    fn default() -> Self {
        Self::new()
    }
}

pub fn run_len(r: &Run) -> u32 {
    if r.page_break || r.object.is_some() {
        1
    } else if r.text.is_ascii() {
        // Every edit measures the document up to where it applies; ASCII text (most of
        // it) is one unit a byte, and checking that is far cheaper than encoding.
        r.text.len() as u32
    } else {
        r.text.encode_utf16().count() as u32
    }
}

/// UTF-16 length of a character.
pub fn unit_len(c: char) -> u32 {
    c.len_utf16() as u32
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// rows → cells → paragraphs (a cell holds at least one).
    pub rows: Vec<Vec<Vec<Para>>>,
    pub columns: u32,
}

impl Table {
    pub fn new(rows: u32, columns: u32) -> Self {
        Table { rows: (0..rows).map(|_| (0..columns).map(|_| vec![Para::new()]).collect()).collect(), columns }
    }

    pub fn len(&self) -> u32 {
        2 + self
            .rows
            .iter()
            .map(|row| 1 + row.iter().map(|cell| 1 + cell.iter().map(Para::len).sum::<u32>()).sum::<u32>())
            .sum::<u32>()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    Para(Para),
    Table(Table),
}

impl Block {
    /// Indexes the block takes (never zero: a paragraph has its newline).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u32 {
        match self {
            Block::Para(p) => p.len(),
            Block::Table(t) => t.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedRange {
    pub id: String,
    pub name: String,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub revision: u64,
    /// Blocks are shared: a batch works on a copy of the document, and copying a
    /// 50-page body block by block cost more than the edits themselves.
    pub body: Vec<Arc<Block>>,
    #[serde(default)]
    pub named_ranges: Vec<NamedRange>,
    /// List id → glyph preset.
    #[serde(default)]
    pub lists: Vec<(String, String)>,
    #[serde(default)]
    pub document_style: Map<String, Json>,
    #[serde(default)]
    pub next_id: u64,
    /// Headers and footers: (id, is a footer), each an empty segment.
    #[serde(default)]
    pub segments: Vec<(String, bool)>,
    #[serde(default)]
    pub inline_objects: Vec<InlineObject>,
}

/// Where a paragraph lives: a body block, or a paragraph of a table cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Body(usize),
    Cell { block: usize, row: usize, col: usize, para: usize },
}

/// A paragraph's place: its path and its [start, end) indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub path: Path,
    pub start: u32,
    pub end: u32,
}

impl Document {
    pub fn new() -> Self {
        Document {
            revision: 1,
            body: vec![Arc::new(Block::Para(Para::new()))],
            named_ranges: Vec::new(),
            lists: Vec::new(),
            document_style: Map::new(),
            next_id: 1,
            segments: Vec::new(),
            inline_objects: Vec::new(),
        }
    }

    /// A document of plain text, one paragraph a line.
    pub fn from_text(text: &str) -> Self {
        let mut doc = Document::new();
        let text = text.trim_start_matches('\u{feff}');
        let text = text.strip_suffix('\n').unwrap_or(text);
        if !text.is_empty() {
            doc.body = text
                .split('\n')
                .map(|line| {
                    let mut p = Para::new();
                    let line = line.trim_end_matches('\r');
                    if !line.is_empty() {
                        p.push_run(Run { text: line.to_string(), style: Map::new(), page_break: false, object: None });
                    }
                    Arc::new(Block::Para(p))
                })
                .collect();
        }
        doc
    }

    /// The index just past the body's last newline.
    pub fn end(&self) -> u32 {
        1 + self.body.iter().map(|b| b.len()).sum::<u32>()
    }

    /// Every paragraph with its indexes, in order.
    pub fn paragraphs(&self) -> Vec<Placed> {
        let mut out = Vec::new();
        let mut at = 1;
        for (b, block) in self.body.iter().enumerate() {
            match &**block {
                Block::Para(p) => {
                    out.push(Placed { path: Path::Body(b), start: at, end: at + p.len() });
                    at += p.len();
                }
                Block::Table(t) => {
                    out.extend(self.paragraphs_of_table(b, t, at));
                    at += t.len();
                }
            }
        }
        out
    }

    /// The paragraph holding `index` (its newline included), found as
    /// [`Document::paragraphs`] would place it, without placing the ones after it.
    pub fn paragraph_at(&self, index: u32) -> Option<Placed> {
        let mut at = 1;
        for (b, block) in self.body.iter().enumerate() {
            match &**block {
                Block::Para(p) => {
                    let len = p.len();
                    if at <= index && index < at + len {
                        return Some(Placed { path: Path::Body(b), start: at, end: at + len });
                    }
                    at += len;
                }
                Block::Table(t) => {
                    if index >= at + t.len() {
                        at += t.len();
                        continue;
                    }
                    return self.paragraphs_of_table(b, t, at).find(|p| p.start <= index && index < p.end);
                }
            }
        }
        None
    }

    fn paragraphs_of_table<'a>(&'a self, b: usize, t: &'a Table, start: u32) -> impl Iterator<Item = Placed> + 'a {
        let mut at = start + 1;
        let mut out = Vec::new();
        for (r, row) in t.rows.iter().enumerate() {
            at += 1;
            for (c, cell) in row.iter().enumerate() {
                at += 1;
                for (i, p) in cell.iter().enumerate() {
                    out.push(Placed {
                        path: Path::Cell { block: b, row: r, col: c, para: i },
                        start: at,
                        end: at + p.len(),
                    });
                    at += p.len();
                }
            }
        }
        out.into_iter()
    }

    pub fn para(&self, path: Path) -> Option<&Para> {
        match path {
            Path::Body(b) => match &**self.body.get(b)? {
                Block::Para(p) => Some(p),
                Block::Table(_) => None,
            },
            Path::Cell { block, row, col, para } => match &**self.body.get(block)? {
                Block::Table(t) => t.rows.get(row)?.get(col)?.get(para),
                Block::Para(_) => None,
            },
        }
    }

    pub fn para_mut(&mut self, path: Path) -> Option<&mut Para> {
        match path {
            Path::Body(b) => match Arc::make_mut(self.body.get_mut(b)?) {
                Block::Para(p) => Some(p),
                Block::Table(_) => None,
            },
            Path::Cell { block, row, col, para } => match Arc::make_mut(self.body.get_mut(block)?) {
                Block::Table(t) => t.rows.get_mut(row)?.get_mut(col)?.get_mut(para),
                Block::Para(_) => None,
            },
        }
    }

    /// The paragraphs holding a container's paragraphs (the body or one cell), to
    /// split and merge paragraphs in place.
    pub fn container_mut(&mut self, path: Path) -> Option<(&mut Vec<Para>, usize)> {
        match path {
            Path::Cell { block, row, col, para } => match Arc::make_mut(self.body.get_mut(block)?) {
                Block::Table(t) => Some((t.rows.get_mut(row)?.get_mut(col)?, para)),
                Block::Para(_) => None,
            },
            Path::Body(_) => None,
        }
    }

    /// Plain text, as Drive exports a document (tables cell by cell).
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for block in &self.body {
            match &**block {
                Block::Para(p) => {
                    out.push_str(&p.text());
                    out.push('\n');
                }
                Block::Table(t) => {
                    for row in &t.rows {
                        for cell in row {
                            for p in cell {
                                out.push_str(&p.text());
                                out.push('\n');
                            }
                        }
                    }
                }
            }
        }
        out
    }

    pub fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        let mut x = self.next_id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (self.revision << 7);
        x ^= x >> 31;
        format!("{prefix}{:012x}", x & 0xffff_ffff_ffff)
    }
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_count_utf16_and_table_markers() {
        let mut doc = Document::from_text("ab😀\ncd\n");
        assert_eq!(doc.end(), 1 + 5 + 3);
        let ps = doc.paragraphs();
        assert_eq!((ps[0].start, ps[0].end, ps[1].start, ps[1].end), (1, 6, 6, 9));
        doc.body.insert(1, Arc::new(Block::Table(Table::new(2, 2))));
        // table 6, row 7, cell 8, para 9-10, cell 10, para 11-12, row 12, cell 13, para 14-15, cell 15, para 16-17, end 17
        let ps = doc.paragraphs();
        assert_eq!(ps[1].start, 9);
        assert_eq!(ps[2].start, 11);
        assert_eq!(ps[3].start, 14);
        assert_eq!(ps[4].start, 16);
        assert_eq!(ps[5].start, 18);
        assert_eq!(doc.end(), 21);
        assert_eq!(doc.plain_text(), "ab😀\n\n\n\n\ncd\n");
    }
}
