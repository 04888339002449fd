//! Drive's state: files (folders, uploaded blobs with their revisions, Google editor
//! files), shared drives, the change log, comments and resumable upload sessions.
//!
//! A file's content is a [`Content`]: Drive owns `Blob` (uploaded bytes, one per
//! revision); `Editor` content belongs to the product that edits it (Docs, Sheets),
//! which keeps its own structure and renders exports through [`Content::export`], so
//! sibling modules of this crate can own a file's content while Drive owns the file.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use twin_core::store::{AnyCollection, Collection};

pub const FOLDER: &str = "application/vnd.google-apps.folder";
pub const DOCUMENT: &str = "application/vnd.google-apps.document";
pub const SPREADSHEET: &str = "application/vnd.google-apps.spreadsheet";
pub const GOOGLE_APPS: &str = "application/vnd.google-apps.";

/// Uploaded bytes, shared between a file's content and its revisions (and across
/// copies), exported as base64.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Blob(pub Arc<Vec<u8>>);

impl Blob {
    pub fn new(bytes: Vec<u8>) -> Self {
        Blob(Arc::new(bytes))
    }
    pub fn len(&self) -> u64 {
        self.0.len() as u64
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(self.0.as_slice()))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text.as_bytes()).map(Blob::new).map_err(serde::de::Error::custom)
    }
}

/// A blob's MD5 (hex), worked out the first time something reads it: most uploads are
/// never asked for theirs (a create answers `id`, `name`, `mimeType`), and digesting
/// 64 KiB costs about as much as the rest of the upload. Clones share the digest.
#[derive(Clone, Default)]
pub struct Md5 {
    digest: Arc<OnceLock<String>>,
    bytes: Blob,
}

impl Md5 {
    pub fn of(bytes: &Blob) -> Self {
        Md5 { digest: Arc::default(), bytes: bytes.clone() }
    }

    /// The digest, computed on first use.
    pub fn hex(&self) -> &str {
        self.digest.get_or_init(|| crate::md5::hex(self.bytes.0.as_slice()))
    }
}

impl std::fmt::Debug for Md5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.hex())
    }
}

impl PartialEq for Md5 {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.digest, &other.digest) || self.hex() == other.hex()
    }
}

impl Serialize for Md5 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.hex())
    }
}

impl<'de> Deserialize<'de> for Md5 {
    /// An export carries the digest itself.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let hex = String::deserialize(d)?;
        Ok(Md5 { digest: Arc::new(OnceLock::from(hex)), bytes: Blob::default() })
    }
}

/// Roles, weakest first; `owner` (My Drive) and `organizer` (shared drives) are the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Reader,
    Commenter,
    Writer,
    FileOrganizer,
    Organizer,
    Owner,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "reader" => Role::Reader,
            "commenter" => Role::Commenter,
            "writer" => Role::Writer,
            "fileOrganizer" => Role::FileOrganizer,
            "organizer" => Role::Organizer,
            "owner" => Role::Owner,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Commenter => "commenter",
            Role::Writer => "writer",
            Role::FileOrganizer => "fileOrganizer",
            Role::Organizer => "organizer",
            Role::Owner => "owner",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Grantee {
    User,
    Group,
    Domain,
    Anyone,
}

impl Grantee {
    pub fn parse(s: &str) -> Option<Grantee> {
        Some(match s {
            "user" => Grantee::User,
            "group" => Grantee::Group,
            "domain" => Grantee::Domain,
            "anyone" => Grantee::Anyone,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Grantee::User => "user",
            Grantee::Group => "group",
            Grantee::Domain => "domain",
            Grantee::Anyone => "anyone",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    pub id: String,
    pub grantee: Grantee,
    pub role: Role,
    /// `user` and `group`: the address (lowercase).
    #[serde(default)]
    pub email: Option<String>,
    /// `domain`: the domain.
    #[serde(default)]
    pub domain: Option<String>,
    /// `domain` and `anyone`: found by search (true) or only by link (false).
    #[serde(default)]
    pub allow_file_discovery: bool,
    #[serde(default)]
    pub expiration_time: Option<DateTime<Utc>>,
    /// An owner's nomination of a new owner (`pendingOwner`).
    #[serde(default)]
    pub pending_owner: bool,
}

/// One version of a binary file's bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub id: String,
    pub mime_type: String,
    pub modified_time: DateTime<Utc>,
    pub md5: Md5,
    pub last_modifying_user: Option<String>,
    pub keep_forever: bool,
    pub original_filename: Option<String>,
    pub bytes: Blob,
}

/// What a Google editor file holds until its product (Docs, Sheets) takes it over:
/// plain text for documents, CSV for spreadsheets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditorContent {
    Text(String),
    /// A spreadsheet the Sheets API has opened (its cells and formulas).
    Sheet(Box<crate::sheets::model::Spreadsheet>),
    /// A document the Docs API has opened (its structure). Shared, not boxed: a
    /// write copies the file record, and a 50-page document is too big to copy each time.
    Doc(Arc<crate::docs::Document>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// Folders, shortcuts, and editor files of kinds no product renders yet.
    None,
    /// Uploaded bytes: the head revision's.
    Blob { bytes: Blob, md5: Md5 },
    /// A Google editor file's content, owned by the product that edits it.
    Editor(EditorContent),
}

impl Content {
    /// The indexable text of the content, for `fullText contains`.
    pub fn text(&self, mime: &str) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Content::Blob { bytes, .. } if mime.starts_with("text/") || mime == "application/json" => {
                std::str::from_utf8(bytes.0.as_slice()).ok().map(Into::into)
            }
            Content::Editor(EditorContent::Text(t)) => Some(t.into()),
            Content::Editor(EditorContent::Sheet(book)) => Some(crate::sheets::full_text(book).into()),
            Content::Editor(EditorContent::Doc(doc)) => Some(doc.plain_text().into()),
            _ => None,
        }
    }

    /// Renders an editor file in `target` (Drive's export), or None when this
    /// content cannot be converted to it.
    pub fn export(&self, mime: &str, target: &str) -> Option<(Vec<u8>, String)> {
        let text = match self {
            Content::Editor(EditorContent::Text(text)) => text,
            Content::Editor(EditorContent::Sheet(book)) => {
                return match target {
                    "text/csv" => Some((crate::sheets::export_delimited(book, ',').into_bytes(), "text/csv".into())),
                    "text/tab-separated-values" => Some((
                        crate::sheets::export_delimited(book, '\t').into_bytes(),
                        "text/tab-separated-values".into(),
                    )),
                    _ => None,
                }
            }
            Content::Editor(EditorContent::Doc(doc)) => {
                return match target {
                    "text/plain" => Some((format!("\u{feff}{}", doc.plain_text()).into_bytes(), "text/plain".into())),
                    "text/markdown" => Some((doc.plain_text().into_bytes(), "text/markdown".into())),
                    "text/html" => Some((crate::docs::to_html(doc).into_bytes(), "text/html".into())),
                    _ => None,
                }
            }
            _ => return None,
        };
        let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        match (mime, target) {
            (DOCUMENT, "text/plain") => Some((format!("\u{feff}{text}").into_bytes(), "text/plain".into())),
            (DOCUMENT, "text/markdown") => Some((text.clone().into_bytes(), "text/markdown".into())),
            (DOCUMENT, "text/html") => {
                let body: String = text.lines().map(|l| format!("<p>{}</p>", escape(l))).collect();
                Some((format!("<html><head><meta content=\"text/html; charset=UTF-8\" http-equiv=\"content-type\"></head><body>{body}</body></html>").into_bytes(), "text/html".into()))
            }
            // Seeded or uploaded CSV holding formulas is read as Sheets reads it, so the
            // formulas export their values.
            (SPREADSHEET, "text/csv") if crate::sheets::has_formula(text) => Some((
                crate::sheets::export_delimited(&crate::sheets::from_csv(text), ',').into_bytes(),
                "text/csv".into(),
            )),
            (SPREADSHEET, "text/tab-separated-values") if crate::sheets::has_formula(text) => Some((
                crate::sheets::export_delimited(&crate::sheets::from_csv(text), '\t').into_bytes(),
                "text/tab-separated-values".into(),
            )),
            (SPREADSHEET, "text/csv") => Some((text.clone().into_bytes(), "text/csv".into())),
            (SPREADSHEET, "text/tab-separated-values") => {
                Some((text.replace(',', "\t").into_bytes(), "text/tab-separated-values".into()))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    #[serde(default)]
    pub description: Option<String>,
    /// At most one parent (Drive's single-parent model); empty for roots.
    pub parents: Vec<String>,
    /// The owner's email; None for files in shared drives (the drive owns them).
    pub owner: Option<String>,
    pub drive_id: Option<String>,
    #[serde(default)]
    pub starred: bool,
    #[serde(default)]
    pub trashed: bool,
    #[serde(default)]
    pub explicitly_trashed: bool,
    #[serde(default)]
    pub trashed_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub trashing_user: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    #[serde(default)]
    pub app_properties: BTreeMap<String, String>,
    pub created_time: DateTime<Utc>,
    pub modified_time: DateTime<Utc>,
    pub version: u64,
    pub last_modifying_user: Option<String>,
    pub permissions: Vec<Permission>,
    pub content: Content,
    /// Binary files' revisions, oldest first (the last is the head).
    #[serde(default)]
    pub revisions: Vec<Revision>,
    #[serde(default)]
    pub original_filename: Option<String>,
    #[serde(default = "yes")]
    pub writers_can_share: bool,
    #[serde(default)]
    pub copy_requires_writer_permission: bool,
    /// A user's My Drive root folder.
    #[serde(default)]
    pub is_root: bool,
    #[serde(default)]
    pub shortcut_target: Option<String>,
}

fn yes() -> bool {
    true
}

impl File {
    pub fn is_folder(&self) -> bool {
        self.mime_type == FOLDER
    }

    pub fn is_editor(&self) -> bool {
        self.mime_type.starts_with(GOOGLE_APPS)
    }

    pub fn size(&self) -> Option<u64> {
        match &self.content {
            Content::Blob { bytes, .. } => Some(bytes.len()),
            _ => None,
        }
    }

    /// The bytes the file's revisions hold (what it counts against the quota).
    pub fn stored_bytes(&self) -> u64 {
        self.revisions.iter().map(|r| r.bytes.len()).sum()
    }

    pub fn head_revision(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    pub fn extension(&self) -> Option<&str> {
        let name = self.original_filename.as_deref().unwrap_or(&self.name);
        name.rsplit_once('.').map(|(_, e)| e).filter(|e| !e.is_empty() && !e.contains(' '))
    }
}

/// A shared drive: its members are permissions on the drive itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedDrive {
    pub id: String,
    pub name: String,
    pub created_time: DateTime<Utc>,
    pub permissions: Vec<Permission>,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub color_rgb: Option<String>,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: u64,
    pub file_id: Option<String>,
    pub drive_id: Option<String>,
    pub removed: bool,
    pub time: DateTime<Utc>,
    /// Who may see a removal (the owner when it happened; None in shared drives).
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub id: String,
    pub author: String,
    pub content: String,
    pub created_time: DateTime<Utc>,
    pub modified_time: DateTime<Utc>,
    pub deleted: bool,
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub file_id: String,
    pub author: String,
    pub content: String,
    pub created_time: DateTime<Utc>,
    pub modified_time: DateTime<Utc>,
    pub resolved: bool,
    pub deleted: bool,
    #[serde(default)]
    pub anchor: Option<String>,
    #[serde(default)]
    pub quoted: Option<String>,
    pub replies: Vec<Reply>,
}

/// A resumable upload in progress: the metadata of its first request and the bytes so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadSession {
    pub id: String,
    pub user: String,
    /// The file a media update replaces; None for a create.
    pub file_id: Option<String>,
    pub metadata: serde_json::Value,
    /// The query of the initiating request (`supportsAllDrives`, `addParents`, `fields`…).
    pub query: Vec<(String, String)>,
    pub mime_type: String,
    pub total: Option<u64>,
    pub received: Blob,
    pub created: DateTime<Utc>,
}

/// Drive's files, with an index of each folder's children kept beside them.
///
/// The index is derived: it is neither exported nor compared (`Serialize`,
/// `Deserialize` and `PartialEq` see only the records, so the state stays
/// canonical), and it is rebuilt when a state is imported. It lives in persistent
/// maps like the records, so copying the state (a fork, a write's draft) stays O(1).
/// Records are read through `Deref`; every change goes through [`Files::insert`],
/// [`Files::remove`] or [`Files::update`], which keep the index in step, so no
/// writer can leave it stale.
#[derive(Debug, Clone, Default)]
pub struct Files {
    records: Collection<File>,
    /// Parent id → the ids of the files whose `parents` name it. Without it,
    /// `'F' in parents` and a folder's descendants scanned every file (100,000 on the
    /// large fixture).
    children: imbl::OrdMap<String, imbl::OrdSet<String>>,
    /// Lowercase word of a name (a run of letters and digits) → the ids of the files
    /// whose name holds it, for `name contains` (a word-prefix match).
    words: imbl::OrdMap<String, imbl::OrdSet<String>>,
}

/// The words `name contains` matches at the start of: runs of letters and digits of
/// the lowercase name, as the query's matcher splits it.
fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

fn old_name<'a>(records: &'a Collection<File>, id: &str) -> Option<&'a str> {
    records.get(id).map(|f| f.name.as_str())
}

impl Files {
    /// Adds or replaces a file; answers the file it replaced.
    pub fn insert(&mut self, id: String, file: File) -> Option<File> {
        let parents = file.parents.clone();
        let name = (old_name(&self.records, &id) != Some(file.name.as_str())).then(|| file.name.clone());
        let old = self.records.insert(id.clone(), file);
        if let Some(name) = name {
            if let Some(was) = &old {
                for w in name_words(&was.name) {
                    Self::unlink_in(&mut self.words, &w, &id);
                }
            }
            for w in name_words(&name) {
                self.words.entry(w).or_default().insert(id.clone());
            }
        }
        let before: &[String] = old.as_ref().map_or(&[], |f| f.parents.as_slice());
        if before != parents.as_slice() {
            for p in before.iter().filter(|p| !parents.contains(p)) {
                Self::unlink_in(&mut self.children, p, &id);
            }
            for p in parents.iter().filter(|p| !before.contains(p)) {
                self.children.entry(p.clone()).or_default().insert(id.clone());
            }
        }
        old
    }

    pub fn remove(&mut self, id: &str) -> Option<File> {
        let old = self.records.remove(id)?;
        for p in &old.parents {
            Self::unlink_in(&mut self.children, p, id);
        }
        for w in name_words(&old.name) {
            Self::unlink_in(&mut self.words, &w, id);
        }
        Some(old)
    }

    /// Changes a file in place (through [`Files::insert`], so a move is indexed);
    /// false when there is no such file.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut File)) -> bool {
        let Some(mut file) = self.records.get(id).cloned() else { return false };
        change(&mut file);
        self.insert(id.to_string(), file);
        true
    }

    fn unlink_in(index: &mut imbl::OrdMap<String, imbl::OrdSet<String>>, key: &str, id: &str) {
        let emptied = match index.get_mut(key) {
            Some(set) => {
                set.remove(id);
                set.is_empty()
            }
            None => false,
        };
        if emptied {
            index.remove(key);
        }
    }

    /// The ids of the files whose name holds a word starting with `prefix` (lowercase),
    /// each once, in id order.
    pub fn named_with_word_prefix(&self, prefix: &str) -> Vec<&String> {
        let mut ids: Vec<&String> = self
            .words
            .range(prefix.to_string()..)
            .take_while(|(w, _)| w.starts_with(prefix))
            .flat_map(|(_, set)| set.iter())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The ids of the files directly in `parent`, in id order.
    pub fn children_of(&self, parent: &str) -> impl Iterator<Item = &String> {
        self.children.get(parent).into_iter().flat_map(|set| set.iter())
    }

    /// The records, as a collection (for diffs and sizes).
    pub fn records(&self) -> &Collection<File> {
        &self.records
    }
}

impl From<Collection<File>> for Files {
    fn from(records: Collection<File>) -> Self {
        let mut children: imbl::OrdMap<String, imbl::OrdSet<String>> = imbl::OrdMap::new();
        let mut words: imbl::OrdMap<String, imbl::OrdSet<String>> = imbl::OrdMap::new();
        for f in records.values() {
            for p in &f.parents {
                children.entry(p.clone()).or_default().insert(f.id.clone());
            }
            for w in name_words(&f.name) {
                words.entry(w).or_default().insert(f.id.clone());
            }
        }
        Files { records, children, words }
    }
}

impl std::ops::Deref for Files {
    type Target = Collection<File>;
    fn deref(&self) -> &Collection<File> {
        &self.records
    }
}

impl PartialEq for Files {
    fn eq(&self, other: &Self) -> bool {
        self.records == other.records
    }
}

impl Serialize for Files {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.records.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Files {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Collection::<File>::deserialize(d).map(Files::from)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DriveState {
    pub files: Files,
    pub drives: Collection<SharedDrive>,
    /// Keyed by the zero-padded sequence number.
    pub changes: Collection<Change>,
    pub comments: Collection<Comment>,
    pub uploads: Collection<UploadSession>,
    pub next_change: u64,
    /// Bytes held by revisions and upload sessions, against the universe's cap.
    pub bytes_used: u64,
}

/// The most changes kept; older ones fall out (their page tokens still work).
pub const MAX_CHANGES: usize = 10_000;

impl DriveState {
    pub fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)> {
        vec![
            ("files", self.files.records()),
            ("drives", &self.drives),
            ("changes", &self.changes),
            ("comments", &self.comments),
            ("uploads", &self.uploads),
        ]
    }

    pub fn change_key(seq: u64) -> String {
        format!("{seq:012}")
    }

    /// Records that a file (or a shared drive) changed.
    pub fn record_change(&mut self, file_id: Option<&str>, drive_id: Option<&str>, removed: bool, now: DateTime<Utc>) {
        let owner = file_id.and_then(|id| self.files.get(id)).and_then(|f| f.owner.clone());
        let seq = self.next_change.max(1);
        self.next_change = seq + 1;
        let change = Change {
            seq,
            file_id: file_id.map(str::to_string),
            drive_id: drive_id.map(str::to_string),
            removed,
            time: now,
            owner,
        };
        self.changes.insert(Self::change_key(seq), change);
        while self.changes.len() > MAX_CHANGES {
            let Some(first) = self.changes.keys().next().cloned() else { break };
            self.changes.remove(&first);
        }
    }

    /// The ids of a folder's descendants (depth-first), bounded by the file count.
    pub fn descendants(&self, folder: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![folder.to_string()];
        while let Some(parent) = stack.pop() {
            for f in self.files.children_of(&parent).filter_map(|id| self.files.get(id)) {
                if !out.contains(&f.id) && f.id != folder {
                    out.push(f.id.clone());
                    if f.is_folder() {
                        stack.push(f.id.clone());
                    }
                }
            }
            if out.len() > self.files.len() {
                break;
            }
        }
        out
    }
}
