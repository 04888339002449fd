"""google-api-python-client (`build("docs", "v1")`) against the Google twin:
documents as Drive files, the body with UTF-16 indexes, batchUpdate requests and
their replies, index errors, writeControl, Drive export; responses checked
against Google's own discovery document for Docs v1."""

from __future__ import annotations

import json

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from google_helpers import drive, google_doc, token_of

DOCUMENT = "application/vnd.google-apps.document"
DOCS_DOC = google_doc("docs.v1.json")


def docs(universe, email: str | None = None):
    return build(
        "docs",
        "v1",
        credentials=Credentials(token=token_of(universe, email)),
        discoveryServiceUrl=universe["google"]["discovery_urls"]["docs"],
        cache_discovery=False,
    )


@pytest.fixture
def svc(universe):
    return docs(universe)


def conforms(instance, schema_name: str) -> None:
    """Every member is one Google's Docs schema names, with its type, all the way down."""
    schemas = DOCS_DOC["schemas"]

    def walk(value, node, where):
        if "$ref" in node:
            node = schemas[node["$ref"]]
        kind = node.get("type")
        if kind == "object" and "properties" in node:
            assert isinstance(value, dict), where
            extra = set(value) - set(node["properties"])
            assert not extra, f"{where}: members Google's schema lacks: {extra}"
            for k, v in value.items():
                walk(v, node["properties"][k], f"{where}.{k}")
        elif kind == "object" and "additionalProperties" in node:
            for k, v in value.items():
                walk(v, node["additionalProperties"], f"{where}.{k}")
        elif kind == "array":
            assert isinstance(value, list), where
            for i, v in enumerate(value):
                walk(v, node["items"], f"{where}[{i}]")
        elif kind == "string":
            assert isinstance(value, str), f"{where}: {value!r}"
            if "enum" in node:
                assert value in node["enum"], f"{where}: {value!r}"
        elif kind == "integer":
            assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
        elif kind == "number":
            assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{where}: {value!r}"
        elif kind == "boolean":
            assert isinstance(value, bool), f"{where}: {value!r}"

    walk(instance, {"$ref": schema_name}, "$")


def error_of(excinfo, status: int) -> dict:
    err = excinfo.value
    assert isinstance(err, HttpError), type(err)
    assert err.status_code == status, (err.status_code, err.content)
    body = json.loads(err.content)["error"]
    assert body["code"] == status
    return body


def batch(svc, doc_id, *requests, **extra):
    return svc.documents().batchUpdate(documentId=doc_id, body={"requests": list(requests), **extra}).execute()


def text_of(doc) -> str:
    out = []
    for el in doc["body"]["content"]:
        for pe in el.get("paragraph", {}).get("elements", []):
            out.append(pe.get("textRun", {}).get("content", ""))
    return "".join(out)


def test_create_renders_an_empty_document_and_is_a_drive_file(universe, svc):
    doc = svc.documents().create(body={"title": "Postmortem", "body": {"content": []}}).execute()
    conforms(doc, "Document")
    did = doc["documentId"]
    assert doc["title"] == "Postmortem"
    first, para = doc["body"]["content"]
    assert "startIndex" not in first and first["endIndex"] == 1 and "sectionBreak" in first
    assert (para["startIndex"], para["endIndex"]) == (1, 2)
    assert para["paragraph"]["elements"][0]["textRun"]["content"] == "\n"
    assert para["paragraph"]["paragraphStyle"]["namedStyleType"] == "NORMAL_TEXT"
    assert doc["revisionId"]
    f = drive(universe).files().get(fileId=did, fields="mimeType,name,owners(emailAddress)").execute()
    assert f == {"mimeType": DOCUMENT, "name": "Postmortem", "owners": [{"emailAddress": universe["google"]["user"]}]}


def test_insert_text_with_utf16_indexes_and_styles(svc):
    did = svc.documents().create(body={"title": "Emoji"}).execute()["documentId"]
    r = batch(svc, did,
              {"insertText": {"location": {"index": 1}, "text": "Incident 😀 e\u0301\nTimeline"}},
              {"updateTextStyle": {"range": {"startIndex": 1, "endIndex": 9}, "textStyle": {"bold": True}, "fields": "bold"}},
              {"updateParagraphStyle": {"range": {"startIndex": 1, "endIndex": 2},
                                        "paragraphStyle": {"namedStyleType": "HEADING_1"}, "fields": "namedStyleType"}})
    conforms(r, "BatchUpdateDocumentResponse")
    assert r["replies"] == [{}, {}, {}]
    doc = svc.documents().get(documentId=did).execute()
    conforms(doc, "Document")
    _, head, body = doc["body"]["content"]
    # "Incident 😀 é\n": 9 + 2 (emoji) + 1 + 2 (e + combining mark) + 1 newline = 15 units.
    assert (head["startIndex"], head["endIndex"]) == (1, 16)
    assert head["paragraph"]["paragraphStyle"]["namedStyleType"] == "HEADING_1"
    runs = head["paragraph"]["elements"]
    assert runs[0]["textRun"] == {"content": "Incident", "textStyle": {"bold": True}}
    assert (runs[0]["startIndex"], runs[0]["endIndex"]) == (1, 9)
    assert runs[1]["textRun"]["content"] == " 😀 e\u0301\n"
    assert (body["startIndex"], body["endIndex"]) == (16, 25)
    assert text_of(doc) == "Incident 😀 e\u0301\nTimeline\n"


def test_index_errors_refuse_the_whole_batch(svc):
    did = svc.documents().create(body={"title": "Errors"}).execute()["documentId"]
    batch(svc, did, {"insertText": {"location": {"index": 1}, "text": "a😀b"}})
    before = svc.documents().get(documentId=did).execute()
    cases = [
        ({"insertText": {"location": {"index": 3}, "text": "x"}}, "insertText", "surrogate pair"),
        ({"insertText": {"location": {"index": 99}, "text": "x"}}, "insertText",
         "Index 99 must be less than the end index of the referenced segment, 6."),
        ({"insertText": {"location": {"index": 0}, "text": "x"}}, "insertText", "inside the bounds of an existing paragraph"),
        ({"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 6}}}, "deleteContentRange",
         "The range cannot include the newline character at the end of the segment."),
    ]
    for req, kind, message in cases:
        with pytest.raises(HttpError) as e:
            # A valid first request that moves no index, then the bad one.
            batch(svc, did, {"updateTextStyle": {"range": {"startIndex": 1, "endIndex": 2}, "textStyle": {"bold": True},
                                                 "fields": "bold"}}, req)
        body = error_of(e, 400)
        assert body["status"] == "INVALID_ARGUMENT"
        assert body["message"].startswith(f"Invalid requests[1].{kind}: "), body["message"]
        assert message in body["message"]
    after = svc.documents().get(documentId=did).execute()
    assert after == before


def test_delete_replace_and_write_control(svc):
    doc = svc.documents().create(body={"title": "Edits"}).execute()
    did, rev = doc["documentId"], doc["revisionId"]
    r = batch(svc, did, {"insertText": {"endOfSegmentLocation": {}, "text": "cat and Cat\ndog days"}},
              writeControl={"requiredRevisionId": rev})
    new_rev = r["writeControl"]["requiredRevisionId"]
    assert new_rev != rev
    with pytest.raises(HttpError) as e:
        batch(svc, did, {"insertText": {"location": {"index": 1}, "text": "x"}}, writeControl={"requiredRevisionId": rev})
    assert "revision" in error_of(e, 400)["message"]
    r = batch(svc, did,
              {"replaceAllText": {"containsText": {"text": "cat", "matchCase": False}, "replaceText": "fox"}},
              {"replaceAllText": {"containsText": {"text": "zebra"}, "replaceText": "x"}},
              {"deleteContentRange": {"range": {"startIndex": 4, "endIndex": 14}}},
              writeControl={"requiredRevisionId": new_rev})
    assert r["replies"] == [{"replaceAllText": {"occurrencesChanged": 2}}, {"replaceAllText": {}}, {}]
    assert text_of(svc.documents().get(documentId=did).execute()) == "foxog days\n"


def test_tables_bullets_page_breaks_and_named_ranges(svc):
    did = svc.documents().create(body={"title": "Structure"}).execute()["documentId"]
    batch(svc, did, {"insertText": {"location": {"index": 1}, "text": "Actions\nOne\nTwo\nEnd"}},
          {"createParagraphBullets": {"range": {"startIndex": 9, "endIndex": 16}, "bulletPreset": "BULLET_DISC_CIRCLE_SQUARE"}},
          {"insertTable": {"rows": 2, "columns": 3, "endOfSegmentLocation": {}}})
    doc = svc.documents().get(documentId=did).execute()
    conforms(doc, "Document")
    content = doc["body"]["content"]
    bullets = [c for c in content if "paragraph" in c and "bullet" in c["paragraph"]]
    assert len(bullets) == 2
    list_id = bullets[0]["paragraph"]["bullet"]["listId"]
    assert list_id in doc["lists"]
    [table] = [c for c in content if "table" in c]
    t = table["table"]
    assert (t["rows"], t["columns"]) == (2, 3)
    start = table["startIndex"]
    cell = t["tableRows"][1]["tableCells"][2]
    # Cell (r, c) text starts at tableStart + 3 + r·(2·cols+1) + 2c.
    assert cell["content"][0]["startIndex"] == start + 3 + 1 * 7 + 4
    batch(svc, did, {"insertText": {"location": {"index": cell["content"][0]["startIndex"]}, "text": "owner"}})
    with pytest.raises(HttpError) as e:
        batch(svc, did, {"insertText": {"location": {"index": start}, "text": "x"}})
    assert "inside the bounds of an existing paragraph" in error_of(e, 400)["message"]
    r = batch(svc, did, {"createNamedRange": {"name": "actions", "range": {"startIndex": 1, "endIndex": 8}}},
              {"insertPageBreak": {"location": {"index": 8}}})
    rid = r["replies"][0]["createNamedRange"]["namedRangeId"]
    doc = svc.documents().get(documentId=did).execute()
    conforms(doc, "Document")
    assert doc["namedRanges"]["actions"]["namedRanges"][0]["namedRangeId"] == rid
    breaks = [pe for c in doc["body"]["content"] for pe in c.get("paragraph", {}).get("elements", []) if "pageBreak" in pe]
    assert len(breaks) == 1 and breaks[0]["startIndex"] == 8
    tabs = svc.documents().get(documentId=did, includeTabsContent=True).execute()
    assert "body" not in tabs and tabs["tabs"][0]["documentTab"]["body"] == doc["body"]


def test_access_export_and_unknown_documents(universe, svc):
    did = svc.documents().create(body={"title": "Notes"}).execute()["documentId"]
    batch(svc, did, {"insertText": {"location": {"index": 1}, "text": "Root cause: expired cert.\nFix: renew."}})
    text = drive(universe).files().export(fileId=did, mimeType="text/plain").execute().decode("utf-8-sig")
    assert text == "Root cause: expired cert.\nFix: renew.\n"
    html = drive(universe).files().export(fileId=did, mimeType="text/html").execute().decode()
    assert "<p>Root cause: expired cert.</p>" in html and html.startswith("<html>")
    hits = drive(universe).files().list(q="fullText contains 'expired'", fields="files(id)").execute()["files"]
    assert {"id": did} in hits
    bob = docs(universe, "bob@acme.test")
    with pytest.raises(HttpError) as e:
        bob.documents().get(documentId=did).execute()
    assert error_of(e, 404)["status"] == "NOT_FOUND"
    drive(universe).permissions().create(fileId=did, body={"type": "user", "role": "reader", "emailAddress": "bob@acme.test"}).execute()
    assert text_of(bob.documents().get(documentId=did).execute()).startswith("Root cause")
    with pytest.raises(HttpError) as e:
        batch(bob, did, {"insertText": {"location": {"index": 1}, "text": "x"}})
    assert error_of(e, 403)["status"] == "PERMISSION_DENIED"


def test_a_seeded_document_opens_in_docs(universe):
    alice = docs(universe, "alice@acme.test")
    found = drive(universe, "alice@acme.test").files().list(
        q=f"name = '2027 Strategy' and mimeType = '{DOCUMENT}'", fields="files(id)").execute()["files"]
    assert len(found) == 1
    doc = alice.documents().get(documentId=found[0]["id"]).execute()
    assert text_of(doc).startswith("2027 Strategy\nGrow enterprise revenue 40%.")


def test_fixture_postmortem_document(universe):
    bob = docs(universe, "bob@acme.test")
    found = drive(universe, "bob@acme.test").files().list(
        q=f"name = 'Postmortem INC-101' and mimeType = '{DOCUMENT}'", fields="files(id)").execute()["files"]
    assert len(found) == 1
    did = found[0]["id"]
    doc = bob.documents().get(documentId=did).execute()
    conforms(doc, "Document")
    assert doc["title"] == "Postmortem INC-101"
    assert text_of(doc).startswith("Postmortem: INC-101 elevated 5xx error rate")
    assert "Duration: 43 minutes" in text_of(doc)
    batch(bob, did, {"insertText": {"endOfSegmentLocation": {}, "text": "\nFollow-up: done."}})
    # Engineers read it; only bob and dave edit.
    carol = docs(universe, "carol@acme.test")
    assert text_of(carol.documents().get(documentId=did).execute()).endswith("Follow-up: done.\n")
    with pytest.raises(HttpError) as e:
        batch(carol, did, {"insertText": {"location": {"index": 1}, "text": "x"}})
    error_of(e, 403)


def test_table_rows_and_columns(svc):
    did = svc.documents().create(body={"title": "Grid"}).execute()["documentId"]
    batch(svc, did, {"insertTable": {"rows": 1, "columns": 2, "location": {"index": 1}}})
    doc = svc.documents().get(documentId=did).execute()
    [table] = [c for c in doc["body"]["content"] if "table" in c]
    loc = {"tableStartLocation": {"index": table["startIndex"]}, "rowIndex": 0, "columnIndex": 1}
    batch(svc, did, {"insertTableRow": {"tableCellLocation": loc, "insertBelow": True}},
          {"insertTableColumn": {"tableCellLocation": loc, "insertRight": True}},
          {"deleteTableColumn": {"tableCellLocation": {**loc, "columnIndex": 0}}})
    doc = svc.documents().get(documentId=did).execute()
    conforms(doc, "Document")
    [table] = [c for c in doc["body"]["content"] if "table" in c]
    assert (table["table"]["rows"], table["table"]["columns"]) == (2, 2)
    assert table["endIndex"] == table["startIndex"] + 2 + 2 * (1 + 2 * 2)
    with pytest.raises(HttpError) as e:
        batch(svc, did, {"deleteTableRow": {"tableCellLocation": {"tableStartLocation": {"index": 1}}}})
    assert error_of(e, 400)["message"].startswith("Invalid requests[0].deleteTableRow: ")


def test_bad_input_is_refused_never_500(universe, svc):
    import requests

    did = svc.documents().create(body={"title": "Bad"}).execute()["documentId"]
    url = universe["google"]["endpoint"].rstrip("/") + f"/v1/documents/{did}:batchUpdate"
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token_of(universe)}"
    huge = 4_294_967_297
    for body in [
        {"requests": [{"insertText": {"location": {"index": huge}, "text": "x"}}]},
        {"requests": [{"deleteContentRange": {"range": {"startIndex": 2, "endIndex": 1}}}]},
        {"requests": [{"deleteContentRange": {"range": {"startIndex": 0, "endIndex": huge}}}]},
        {"requests": [{"insertText": {"location": {"index": 1}, "endOfSegmentLocation": {}, "text": "x"}}]},
        {"requests": [{"updateTextStyle": {"range": {"startIndex": 1, "endIndex": 2}, "textStyle": {"bold": True}}}]},
        {"requests": [{"insertTable": {"rows": 0, "columns": 3, "location": {"index": 1}}}]},
        {"requests": [{"insertTableRow": {"tableCellLocation": {"tableStartLocation": {"index": huge}}}}]},
        {"requests": [{"frobnicate": {}}]},
    ]:
        r = s.post(url, json=body, timeout=10)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert text_of(svc.documents().get(documentId=did).execute()) == "\n"


def test_named_range_content_headers_footers_and_document_style(svc):
    did = svc.documents().create(body={"title": "Template"}).execute()["documentId"]
    batch(svc, did, {"insertText": {"location": {"index": 1}, "text": "Owner: TBD. Severity: TBD."}})
    r = batch(svc, did,
              {"createNamedRange": {"name": "field", "range": {"startIndex": 8, "endIndex": 11}}},
              {"createNamedRange": {"name": "field", "range": {"startIndex": 23, "endIndex": 26}}},
              {"createHeader": {"type": "DEFAULT"}},
              {"createFooter": {"type": "DEFAULT"}},
              {"updateDocumentStyle": {"documentStyle": {"marginTop": {"magnitude": 36, "unit": "PT"}}, "fields": "marginTop"}})
    header_id = r["replies"][2]["createHeader"]["headerId"]
    footer_id = r["replies"][3]["createFooter"]["footerId"]
    batch(svc, did, {"replaceNamedRangeContent": {"namedRangeName": "field", "text": "Dave"}})
    doc = svc.documents().get(documentId=did).execute()
    conforms(doc, "Document")
    assert text_of(doc) == "Owner: Dave. Severity: Dave.\n"
    assert doc["documentStyle"]["defaultHeaderId"] == header_id
    assert doc["documentStyle"]["defaultFooterId"] == footer_id
    assert doc["documentStyle"]["marginTop"] == {"magnitude": 36, "unit": "PT"}
    assert doc["headers"][header_id]["content"][0]["endIndex"] == 1
    ranges = sorted((x["ranges"][0]["startIndex"], x["ranges"][0]["endIndex"]) for x in doc["namedRanges"]["field"]["namedRanges"])
    assert ranges == [(8, 12), (24, 28)]
    with pytest.raises(HttpError) as e:
        batch(svc, did, {"createHeader": {"type": "DEFAULT"}})
    assert error_of(e, 400)["message"].startswith("Invalid requests[0].createHeader: ")


def test_inline_images(svc):
    did = svc.documents().create(body={"title": "Pictures"}).execute()["documentId"]
    batch(svc, did, {"insertText": {"location": {"index": 1}, "text": "Graph: after"}})
    r = batch(svc, did, {"insertInlineImage": {"uri": "https://example.com/graph.png", "location": {"index": 8},
                                               "objectSize": {"width": {"magnitude": 200, "unit": "PT"},
                                                              "height": {"magnitude": 100, "unit": "PT"}}}})
    oid = r["replies"][0]["insertInlineImage"]["objectId"]
    doc = svc.documents().get(documentId=did).execute()
    conforms(doc, "Document")
    elements = doc["body"]["content"][1]["paragraph"]["elements"]
    [img] = [e for e in elements if "inlineObjectElement" in e]
    assert (img["startIndex"], img["endIndex"]) == (8, 9)
    assert img["inlineObjectElement"]["inlineObjectId"] == oid
    props = doc["inlineObjects"][oid]["inlineObjectProperties"]["embeddedObject"]
    assert props["imageProperties"]["contentUri"] == "https://example.com/graph.png"
    assert doc["body"]["content"][1]["endIndex"] == 1 + len("Graph: after") + 1 + 1
    with pytest.raises(HttpError) as e:
        batch(svc, did, {"insertInlineImage": {"uri": "file:///etc/passwd", "location": {"index": 1}}})
    assert error_of(e, 400)["message"].startswith("Invalid requests[0].insertInlineImage: ")
    batch(svc, did, {"deleteContentRange": {"range": {"startIndex": 8, "endIndex": 9}}})
    doc = svc.documents().get(documentId=did).execute()
    assert "inlineObjects" not in doc and text_of(doc) == "Graph: after\n"


def test_unknown_request_members_are_refused(svc):
    did = svc.documents().create(body={"title": "Strict"}).execute()["documentId"]
    with pytest.raises(HttpError) as e:
        batch(svc, did, {"insertText": {"location": {"index": 1}, "txt": "typo"}})
    assert error_of(e, 400)["message"] == (
        "Invalid JSON payload received. Unknown name \"txt\" at 'requests[0].insert_text': Cannot find field."
    )
