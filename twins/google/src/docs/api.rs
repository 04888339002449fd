//! Docs v1's wire format: `documents.create`, `get` and `batchUpdate` (with
//! `writeControl`). Access is Drive's: a document the caller cannot see is 404,
//! one it may only read refuses edits with 403.

use std::sync::Arc;

use axum::response::Response;
use serde_json::{json, Value as Json};

use super::edit;
use super::model::Document;
use super::render::{document_json, revision_id};
use crate::api::{ok, Call};
use crate::drive::access::{self, Viewer};
use crate::drive::fields::Selection;
use crate::drive::files::{create_file, viewer, Opts};
use crate::drive::model::{Content, EditorContent, Role, DOCUMENT};
use crate::model::GoogleState;
use crate::sheets::errors::{respond, ApiError, Result};

/// The document a Drive file holds (plain text becomes one on first use).
pub fn doc_of(content: &Content) -> Document {
    match content {
        Content::Editor(EditorContent::Doc(doc)) => (**doc).clone(),
        Content::Editor(EditorContent::Text(text)) => Document::from_text(text),
        _ => Document::new(),
    }
}

fn find(s: &GoogleState, viewer: &Viewer, id: &str) -> Result<(String, Document, Role)> {
    let file = s.drive.files.get(id).ok_or_else(ApiError::not_found)?;
    let role = access::role(s, file, viewer, false).ok_or_else(ApiError::not_found)?;
    if file.mime_type != DOCUMENT {
        return Err(ApiError::invalid("This operation is not supported for this document"));
    }
    Ok((file.name.clone(), doc_of(&file.content), role))
}

fn store(s: &mut GoogleState, id: &str, doc: Document, who: &str, now: chrono::DateTime<chrono::Utc>) {
    s.drive.files.update(id, |file| {
        file.content = Content::Editor(EditorContent::Doc(Arc::new(doc)));
        file.version += 1;
        file.modified_time = now;
        file.last_modifying_user = Some(who.to_string());
    });
    s.drive.record_change(Some(id), None, false, now);
}

fn reply(call: &Call, body: Json) -> Result<Response> {
    let sel = match call.q("fields").map(str::trim) {
        Some(f) if !f.is_empty() => Some(
            Selection::parse(f)
                .map_err(|bad| ApiError::invalid(format!("Request contains an invalid argument. (fields: {bad})")))?,
        ),
        _ => None,
    };
    Ok(ok(&match sel {
        Some(s) => s.apply(body),
        None => body,
    }))
}

pub fn create(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let viewer = viewer(call)?;
        let body = call.json()?;
        crate::sheets::api::known(
            &body,
            &[
                "title",
                "documentId",
                "body",
                "revisionId",
                "suggestionsViewMode",
                "documentStyle",
                "namedStyles",
                "lists",
                "namedRanges",
                "inlineObjects",
                "headers",
                "footers",
                "footnotes",
                "tabs",
                "positionedObjects",
                "suggestedDocumentStyleChanges",
                "suggestedNamedStylesChanges",
            ],
        )?;
        let title = body["title"].as_str().filter(|t| !t.is_empty()).unwrap_or("Untitled document").to_string();
        let now = call.now();
        let doc = Document::new();
        let id = call.write(|s, ids| {
            let meta = json!({"name": title, "mimeType": DOCUMENT});
            let id = create_file(s, ids, &viewer, &meta, None, Opts { all_drives: true, keep_forever: false, now })?;
            s.drive.files.update(&id, |f| f.content = Content::Editor(EditorContent::Doc(Arc::new(doc.clone()))));
            Ok(id)
        })?;
        reply(call, document_json(&id, &title, &doc, false))
    })())
}

pub fn get(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let viewer = viewer(call)?;
        let id = call.param("documentId").to_string();
        let (title, doc, _) = call.read(|s| find(s, &viewer, &id))??;
        match call.q("suggestionsViewMode") {
            None
            | Some("")
            | Some("DEFAULT_FOR_CURRENT_ACCESS")
            | Some("SUGGESTIONS_INLINE")
            | Some("PREVIEW_SUGGESTIONS_ACCEPTED")
            | Some("PREVIEW_WITHOUT_SUGGESTIONS") => {}
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "Invalid value at 'suggestions_view_mode' (type.googleapis.com/google.apps.docs.v1.SuggestionsViewMode), \"{other}\""
                )))
            }
        }
        let tabs = call
            .flag("includeTabsContent")
            .map_err(|_| ApiError::invalid("Invalid value at 'include_tabs_content' (TYPE_BOOL)"))?;
        reply(call, document_json(&id, &title, &doc, tabs))
    })())
}

pub fn batch_update(call: &Call) -> crate::errors::Result<Response> {
    respond((|| {
        let viewer = viewer(call)?;
        let id = call.param("documentId").to_string();
        let body = call.json()?;
        crate::sheets::api::known(&body, &["requests", "writeControl"])?;
        let requests = match &body["requests"] {
            Json::Array(a) => a.clone(),
            Json::Null => Vec::new(),
            _ => return Err(ApiError::invalid("Invalid JSON payload received. Invalid value at 'requests'.")),
        };
        let control = &body["writeControl"];
        let required = control["requiredRevisionId"].as_str().map(str::to_string);
        let target = control["targetRevisionId"].as_str().map(str::to_string);
        if required.is_some() && target.is_some() {
            return Err(ApiError::invalid("Only one of requiredRevisionId or targetRevisionId may be set."));
        }
        let now = call.now();
        let out = call.write(|s, _| {
            Ok((|| {
                let (_, mut doc, role) = find(s, &viewer, &id)?;
                if role < Role::Writer {
                    return Err(ApiError::denied());
                }
                let current = revision_id(&id, doc.revision);
                if let Some(r) = &required {
                    if *r != current {
                        return Err(ApiError::invalid(format!(
                            "The required revision ID ({r}) does not match the latest revision ({current})."
                        )));
                    }
                }
                if let Some(t) = &target {
                    if !(1..=doc.revision).any(|n| revision_id(&id, n) == *t) {
                        return Err(ApiError::invalid(format!(
                            "The target revision ID ({t}) is not a revision of this document."
                        )));
                    }
                }
                let mut replies = Vec::with_capacity(requests.len());
                for (i, req) in requests.iter().enumerate() {
                    replies.push(edit::apply(&mut doc, req, i)?);
                }
                let revision = doc.revision + u64::from(!requests.is_empty());
                if !requests.is_empty() {
                    doc.revision = revision;
                    store(s, &id, doc, &viewer.email, now);
                }
                Ok((replies, revision_id(&id, revision)))
            })())
        })??;
        let (replies, revision) = out;
        Ok(ok(&json!({"documentId": id, "replies": replies, "writeControl": {"requiredRevisionId": revision}})))
    })())
}
