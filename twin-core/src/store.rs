//! How a twin's state lives in a universe. Every twin keeps its state in one value of
//! a type implementing [`Store`]: named [`Collection`]s of records keyed by id, built on
//! persistent maps, so cloning a store is O(1) whatever its size. Snapshot, fork, reset,
//! export, import and diff all go through this one trait, so none can miss a store.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Records of one kind, keyed and ordered by id (stable list order for free).
///
/// Keys are `String`s; a big collection written often may key by [`InlineKey`] instead,
/// so that the B-tree nodes a write copies (the map is persistent) copy short keys as
/// bytes rather than allocating text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Collection<T: Clone, K: Ord + Clone = String>(pub imbl::OrdMap<K, T>);

impl<T: Clone, K: Ord + Clone> Default for Collection<T, K> {
    fn default() -> Self {
        Self(imbl::OrdMap::new())
    }
}

impl<T: Clone, K: Ord + Clone> Deref for Collection<T, K> {
    type Target = imbl::OrdMap<K, T>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<T: Clone, K: Ord + Clone> DerefMut for Collection<T, K> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// A record key kept inside the B-tree node when it is short (ids and `channel:ts`
/// style composite keys are), and shared when it is long. A write to a persistent map
/// copies the nodes on its path: with inline keys that copies bytes instead of bumping
/// a reference count in another allocation per key, freeing an old node touches no key
/// allocation, and a comparison reads no pointer. It compares, hashes, borrows and
/// serializes exactly as the `str` it holds, so lookups by `&str` work unchanged.
#[derive(Clone)]
pub enum InlineKey {
    Inline(arrayvec::ArrayString<INLINE_KEY_BYTES>),
    Shared(Arc<str>),
}

/// The longest key kept inline: a Slack channel id, a colon and a ts fit.
pub const INLINE_KEY_BYTES: usize = 30;

impl InlineKey {
    pub fn as_str(&self) -> &str {
        match self {
            InlineKey::Inline(text) => text.as_str(),
            InlineKey::Shared(text) => text,
        }
    }
}

impl From<&str> for InlineKey {
    fn from(text: &str) -> Self {
        match arrayvec::ArrayString::from(text) {
            Ok(inline) => InlineKey::Inline(inline),
            Err(_) => InlineKey::Shared(Arc::from(text)),
        }
    }
}

impl From<String> for InlineKey {
    fn from(text: String) -> Self {
        InlineKey::from(text.as_str())
    }
}

impl From<&String> for InlineKey {
    fn from(text: &String) -> Self {
        InlineKey::from(text.as_str())
    }
}

impl Deref for InlineKey {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for InlineKey {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for InlineKey {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for InlineKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for InlineKey {}

impl PartialOrd for InlineKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InlineKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for InlineKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Debug for InlineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for InlineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for InlineKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for InlineKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(InlineKey::from(text.as_ref()))
    }
}

/// Something derived from the record it sits in (its rendered JSON, say), kept so the
/// next read skips the work. A clone starts empty, memos always compare equal and they
/// are never serialized (mark the field `#[serde(skip)]`): copying, diffing, exporting
/// and forking a record ignore it. Code that changes a record in place must `clear` it;
/// a clone that is changed cannot carry a stale value.
pub struct Memo<T>(parking_lot::Mutex<Option<Arc<T>>>);

impl<T> Memo<T> {
    pub fn get(&self) -> Option<Arc<T>> {
        self.0.lock().clone()
    }

    pub fn set(&self, value: Arc<T>) {
        *self.0.lock() = Some(value);
    }

    pub fn clear(&mut self) {
        *self.0.get_mut() = None;
    }
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self(parking_lot::Mutex::new(None))
    }
}

impl<T> Clone for Memo<T> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl<T> PartialEq for Memo<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

/// The change set of one collection between two states.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CollectionDiff {
    pub created: Vec<Created>,
    pub updated: Vec<Updated>,
    pub deleted: Vec<Created>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Created {
    pub id: String,
    pub record: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Updated {
    pub id: String,
    pub before: Value,
    pub after: Value,
}

impl CollectionDiff {
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.deleted.is_empty()
    }
}

/// A collection seen without its record type, for diffs and sizes.
pub trait AnyCollection {
    fn as_any(&self) -> &dyn Any;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// What changed from `earlier` (a collection of the same type) to `self`.
    fn diff_from(&self, earlier: &dyn AnyCollection) -> CollectionDiff;
}

fn to_json<T: Serialize>(value: &T) -> Value {
    // Records are plain data; a record that cannot be shown as JSON is shown as null.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl<T, K> AnyCollection for Collection<T, K>
where
    T: Clone + PartialEq + Serialize + Send + Sync + 'static,
    K: Ord + Clone + AsRef<str> + Send + Sync + 'static,
{
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn diff_from(&self, earlier: &dyn AnyCollection) -> CollectionDiff {
        let mut diff = CollectionDiff::default();
        let Some(earlier) = earlier.as_any().downcast_ref::<Self>() else {
            return diff;
        };
        // imbl skips subtrees the two versions still share, so a diff costs what changed.
        for item in earlier.0.diff(&self.0) {
            match item {
                imbl::ordmap::DiffItem::Add(id, record) => {
                    diff.created.push(Created { id: id.as_ref().to_string(), record: to_json(record) })
                }
                imbl::ordmap::DiffItem::Update { old, new } => {
                    let id = new.0.as_ref().to_string();
                    diff.updated.push(Updated { id, before: to_json(old.1), after: to_json(new.1) })
                }
                imbl::ordmap::DiffItem::Remove(id, record) => {
                    diff.deleted.push(Created { id: id.as_ref().to_string(), record: to_json(record) })
                }
            }
        }
        diff
    }
}

/// A twin's whole state. Serializing it gives the export; `collections` names every
/// collection so diffs cover them all.
pub trait Store: Clone + Debug + Send + Sync + Serialize + DeserializeOwned + 'static {
    /// The service this state belongs to (`slack`, `okta`, …).
    const SERVICE: &'static str;

    fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)>;
}

/// A [`Store`] without its type, as a universe holds it.
pub trait AnyStore: Debug + Send + Sync + 'static {
    fn service(&self) -> &'static str;
    fn clone_box(&self) -> Box<dyn AnyStore>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn export(&self) -> Result<Value, serde_json::Error>;
    fn diff_from(&self, earlier: &dyn AnyStore) -> BTreeMap<String, CollectionDiff>;
    fn sizes(&self) -> BTreeMap<String, usize>;
    /// Records in every collection: what the per-universe state budget counts.
    fn record_count(&self) -> usize;
    /// Writes the export's JSON straight from the records, with no `Value` tree in
    /// between (a tree costs several times the JSON's size).
    fn export_to(&self, out: &mut dyn std::io::Write) -> Result<(), serde_json::Error>;
}

impl<S: Store> AnyStore for S {
    fn service(&self) -> &'static str {
        S::SERVICE
    }

    fn clone_box(&self) -> Box<dyn AnyStore> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn export(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }

    fn diff_from(&self, earlier: &dyn AnyStore) -> BTreeMap<String, CollectionDiff> {
        let Some(earlier) = earlier.as_any().downcast_ref::<S>() else {
            return BTreeMap::new();
        };
        let before: BTreeMap<_, _> = earlier.collections().into_iter().collect();
        self.collections()
            .into_iter()
            .filter_map(|(name, now)| {
                let diff = before.get(name).map(|was| now.diff_from(*was))?;
                (!diff.is_empty()).then(|| (name.to_string(), diff))
            })
            .collect()
    }

    fn sizes(&self) -> BTreeMap<String, usize> {
        self.collections().into_iter().map(|(name, c)| (name.to_string(), c.len())).collect()
    }

    fn record_count(&self) -> usize {
        self.collections().iter().map(|(_, c)| c.len()).sum()
    }

    fn export_to(&self, out: &mut dyn std::io::Write) -> Result<(), serde_json::Error> {
        serde_json::to_writer(out, self)
    }
}

impl Clone for Box<dyn AnyStore> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Loads a store of type `S` from its export.
pub fn import_store<S: Store>(value: Value) -> Result<Box<dyn AnyStore>, serde_json::Error> {
    Ok(Box::new(serde_json::from_value::<S>(value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_keys_behave_as_their_text() {
        let short = InlineKey::from("C0123456789:1700000000.000100");
        let long = InlineKey::from("C0123456789:1700000000.000100:and-more-than-fits");
        assert!(matches!(short, InlineKey::Inline(_)));
        assert!(matches!(long, InlineKey::Shared(_)));
        // Order, equality and lookups by &str hold across the two kinds.
        assert!(short < long);
        assert_eq!(InlineKey::from(String::from(long.as_str())), long);
        let mut map: imbl::OrdMap<InlineKey, u32> = imbl::OrdMap::new();
        map.insert(long.clone(), 2);
        map.insert(short.clone(), 1);
        map.insert(InlineKey::from("B"), 0);
        assert_eq!(map.get("C0123456789:1700000000.000100"), Some(&1));
        assert_eq!(map.get(long.as_str()), Some(&2));
        assert_eq!(map.keys().map(InlineKey::as_str).collect::<Vec<_>>(), ["B", short.as_str(), long.as_str()]);
        // Serialized as the plain string, both ways.
        let json = serde_json::to_value(&map).unwrap();
        assert_eq!(json["C0123456789:1700000000.000100"], 1);
        let back: imbl::OrdMap<InlineKey, u32> = serde_json::from_value(json).unwrap();
        assert_eq!(back, map);
        assert_eq!(format!("{short}"), short.as_str());
    }

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    struct Notes {
        notes: Collection<String>,
    }

    impl Store for Notes {
        const SERVICE: &'static str = "notes";
        fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)> {
            vec![("notes", &self.notes)]
        }
    }

    #[test]
    fn diff_reports_created_updated_deleted() {
        let mut before = Notes::default();
        before.notes.insert("a".into(), "one".into());
        before.notes.insert("b".into(), "two".into());
        let mut after = before.clone();
        after.notes.insert("b".into(), "TWO".into());
        after.notes.remove("a");
        after.notes.insert("c".into(), "three".into());
        let diff = AnyStore::diff_from(&after, &before);
        let notes = &diff["notes"];
        assert_eq!(notes.created, vec![Created { id: "c".into(), record: "three".into() }]);
        assert_eq!(notes.updated.len(), 1);
        assert_eq!(notes.updated[0].before, Value::from("two"));
        assert_eq!(notes.deleted[0].id, "a");
        assert!(AnyStore::diff_from(&before, &before).is_empty());
    }

    #[test]
    fn export_import_round_trip() {
        let mut s = Notes::default();
        s.notes.insert("x".into(), "y".into());
        let exported = AnyStore::export(&s).unwrap();
        let back = import_store::<Notes>(exported.clone()).unwrap();
        assert_eq!(back.export().unwrap(), exported);
    }
}
