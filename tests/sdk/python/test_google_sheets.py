"""google-api-python-client (`build("sheets", "v4")`) against the Google twin:
spreadsheets as Drive files, A1 ranges, value input and render options, formulas
evaluated and recalculated, batchUpdate requests with replies and refusals, the
Sheets error envelope, and responses checked against Google's own discovery
document for Sheets v4."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from google_helpers import drive, google_doc, token_of

SPREADSHEET = "application/vnd.google-apps.spreadsheet"


def sheets(universe, email: str | None = None):
    return build(
        "sheets",
        "v4",
        credentials=Credentials(token=token_of(universe, email)),
        discoveryServiceUrl=universe["google"]["discovery_urls"]["sheets"],
        cache_discovery=False,
    )


@pytest.fixture
def svc(universe):
    return sheets(universe)


def error_of(excinfo, status: int) -> dict:
    err = excinfo.value
    assert isinstance(err, HttpError), type(err)
    assert err.status_code == status, (err.status_code, err.content)
    body = json.loads(err.content)["error"]
    assert body["code"] == status
    assert "errors" not in body  # Sheets' envelope, not Drive's
    return body


def new_book(svc, title="Book", **body):
    return svc.spreadsheets().create(body={"properties": {"title": title}, **body}).execute()


def values(svc, sid, rng, **kw):
    return svc.spreadsheets().values().get(spreadsheetId=sid, range=rng, **kw).execute()


def put(svc, sid, rng, rows, option="USER_ENTERED", **kw):
    return (
        svc.spreadsheets()
        .values()
        .update(spreadsheetId=sid, range=rng, valueInputOption=option, body={"values": rows}, **kw)
        .execute()
    )


# --- Google's schemas ----------------------------------------------------------

SHEETS_DOC = google_doc("sheets.v4.json")


def conforms(instance, schema_name: str, path: str = "$") -> None:
    """Every member the twin sends is one Google's schema names, with its type, all the way down."""
    schemas = SHEETS_DOC["schemas"]

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
            assert isinstance(value, str), f"{where}: {value!r} is not a string"
            if "enum" in node:
                assert value in node["enum"], f"{where}: {value!r}"
        elif kind == "integer":
            assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
        elif kind == "number":
            assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{where}: {value!r}"
        elif kind == "boolean":
            assert isinstance(value, bool), f"{where}: {value!r}"

    walk(instance, {"$ref": schema_name}, path)


# --- spreadsheets are Drive files -----------------------------------------------


def test_create_is_a_drive_file_of_its_owner(universe, svc):
    book = new_book(svc, "Q3 plan")
    conforms(book, "Spreadsheet")
    sid = book["spreadsheetId"]
    assert book["properties"]["title"] == "Q3 plan"
    assert book["spreadsheetUrl"].endswith(f"/spreadsheets/d/{sid}/edit")
    [sheet] = book["sheets"]
    assert sheet["properties"]["title"] == "Sheet1"
    assert sheet["properties"]["sheetId"] == 0
    assert sheet["properties"]["gridProperties"] == {"rowCount": 1000, "columnCount": 26}
    f = drive(universe).files().get(fileId=sid, fields="name,mimeType,owners(emailAddress),parents,webViewLink").execute()
    assert f["mimeType"] == SPREADSHEET and f["name"] == "Q3 plan"
    assert f["owners"][0]["emailAddress"] == universe["google"]["user"]
    assert f["webViewLink"].startswith(book["spreadsheetUrl"])


def test_create_with_sheets_and_data(svc):
    book = new_book(
        svc,
        "Seeded",
        sheets=[
            {"properties": {"title": "Data", "gridProperties": {"rowCount": 10, "columnCount": 3}},
             "data": [{"startRow": 0, "startColumn": 0, "rowData": [
                 {"values": [{"userEnteredValue": {"stringValue": "n"}}]},
                 {"values": [{"userEnteredValue": {"numberValue": 4}}]},
                 {"values": [{"userEnteredValue": {"formulaValue": "=A2*10"}}]},
             ]}]},
            {"properties": {"title": "My Notes"}},
        ],
    )
    titles = [s["properties"]["title"] for s in book["sheets"]]
    assert titles == ["Data", "My Notes"]
    assert [s["properties"]["index"] for s in book["sheets"]] == [0, 1]
    got = values(svc, book["spreadsheetId"], "Data!A1:A3", valueRenderOption="UNFORMATTED_VALUE")
    assert got["values"] == [["n"], [4], [40]]


def test_unknown_and_invisible_spreadsheets_are_404(universe, svc):
    with pytest.raises(HttpError) as e:
        svc.spreadsheets().get(spreadsheetId="nope").execute()
    body = error_of(e, 404)
    assert body["status"] == "NOT_FOUND"
    book = new_book(svc, "Private")
    other = sheets(universe, "bob@acme.test")
    with pytest.raises(HttpError) as e:
        values(other, book["spreadsheetId"], "A1")
    error_of(e, 404)


def test_readers_may_read_but_not_write(universe, svc):
    book = new_book(svc, "Shared")
    sid = book["spreadsheetId"]
    put(svc, sid, "A1", [["hello"]])
    drive(universe).permissions().create(
        fileId=sid, body={"type": "user", "role": "reader", "emailAddress": "bob@acme.test"}
    ).execute()
    bob = sheets(universe, "bob@acme.test")
    assert values(bob, sid, "A1")["values"] == [["hello"]]
    with pytest.raises(HttpError) as e:
        put(bob, sid, "A1", [["mine"]])
    body = error_of(e, 403)
    assert body["status"] == "PERMISSION_DENIED"
    assert values(svc, sid, "A1")["values"] == [["hello"]]


# --- values ---------------------------------------------------------------------


def test_user_entered_parses_and_render_options_show(svc):
    sid = new_book(svc)["spreadsheetId"]
    rows = [["42", "12.5%", "$1,234.50", "2024-01-15", "TRUE", "1,000", "plain", "'007"]]
    up = put(svc, sid, "Sheet1!A1", rows)
    conforms(up, "UpdateValuesResponse")
    assert up["updatedRange"] == "Sheet1!A1:H1"
    assert (up["updatedRows"], up["updatedColumns"], up["updatedCells"]) == (1, 8, 8)
    fv = values(svc, sid, "A1:H1")
    conforms(fv, "ValueRange")
    assert fv["values"] == [["42", "12.50%", "$1,234.50", "2024-01-15", "TRUE", "1,000", "plain", "007"]]
    uv = values(svc, sid, "A1:H1", valueRenderOption="UNFORMATTED_VALUE")
    assert uv["values"] == [[42, 0.125, 1234.5, 45306, True, 1000, "plain", "007"]]
    ds = values(svc, sid, "D1", valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="FORMATTED_STRING")
    assert ds["values"] == [["2024-01-15"]]


def test_raw_keeps_text_as_text(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [["=1+2", "42", 42, True]], option="RAW")
    uv = values(svc, sid, "A1:D1", valueRenderOption="UNFORMATTED_VALUE")
    assert uv["values"] == [["=1+2", "42", 42, True]]


def test_formulas_evaluate_and_recalculate_across_sheets(svc):
    book = new_book(svc, "Calc", sheets=[{"properties": {"title": "Sheet1"}}, {"properties": {"title": "Totals"}}])
    sid = book["spreadsheetId"]
    put(svc, sid, "Sheet1!B2:B4", [[10], [20], [12.5]])
    put(svc, sid, "Sheet1!C1", [["=SUM(B2:B10)"]])
    put(svc, sid, "Totals!A1", [["=Sheet1!C1*2", "=1/0", "=NOSUCHFN(1)", "=Missing!A1"]])
    assert values(svc, sid, "Sheet1!C1")["values"] == [["42.5"]]
    assert values(svc, sid, "Totals!A1:D1")["values"] == [["85", "#DIV/0!", "#NAME?", "#REF!"]]
    assert values(svc, sid, "Totals!A1", valueRenderOption="FORMULA")["values"] == [["=Sheet1!C1*2"]]
    put(svc, sid, "Sheet1!B2", [[100]])
    assert values(svc, sid, "Totals!A1", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[265]]
    grid = svc.spreadsheets().get(spreadsheetId=sid, ranges=["Totals!B1"], includeGridData=True).execute()
    conforms(grid, "Spreadsheet")
    cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["userEnteredValue"] == {"formulaValue": "=1/0"}
    assert cell["effectiveValue"]["errorValue"]["type"] == "DIVIDE_BY_ZERO"
    assert cell["formattedValue"] == "#DIV/0!"


def test_a1_forms_trimming_and_major_dimension(svc):
    book = new_book(svc, "Ranges", sheets=[{"properties": {"title": "My Sheet", "gridProperties": {"rowCount": 50, "columnCount": 6}}}])
    sid = book["spreadsheetId"]
    put(svc, sid, "'My Sheet'!A1", [["a", "b", ""], [], ["c", None, "d"]])
    whole = values(svc, sid, "My Sheet")
    assert whole["range"] == "'My Sheet'!A1:F50"
    assert whole["values"] == [["a", "b"], [], ["c", "", "d"]]
    assert values(svc, sid, "'My Sheet'!A:A")["values"] == [["a"], [], ["c"]]
    assert values(svc, sid, "'My Sheet'!A:A")["range"] == "'My Sheet'!A1:A50"
    assert values(svc, sid, "'My Sheet'!3:3")["values"] == [["c", "", "d"]]
    assert values(svc, sid, "'My Sheet'!B2:C")["values"] == [[], ["", "d"]]
    cols = values(svc, sid, "'My Sheet'!A1:C3", majorDimension="COLUMNS")
    assert cols["majorDimension"] == "COLUMNS"
    assert cols["values"] == [["a", "", "c"], ["b"], ["", "", "d"]]
    empty = values(svc, sid, "'My Sheet'!E10:F12")
    assert "values" not in empty and empty["range"] == "'My Sheet'!E10:F12"


def test_range_errors(svc):
    sid = new_book(svc)["spreadsheetId"]
    for bad in ["Nope!A1", "Sheet1!A0", "Sheet1!A1:", "'Unclosed!A1"]:
        with pytest.raises(HttpError) as e:
            values(svc, sid, bad)
        body = error_of(e, 400)
        assert body["message"] == f"Unable to parse range: {bad}"
        assert body["status"] == "INVALID_ARGUMENT"
    with pytest.raises(HttpError) as e:
        values(svc, sid, "A1:A1001")
    assert "exceeds grid limits" in error_of(e, 400)["message"]
    with pytest.raises(HttpError) as e:
        put(svc, sid, "A1:B2", [[1, 2, 3]])
    assert error_of(e, 400)["message"] == (
        "Requested writing within range [Sheet1!A1:B2], but tried writing to column [C]"
    )
    with pytest.raises(HttpError) as e:
        svc.spreadsheets().values().update(spreadsheetId=sid, range="A1", body={"values": [[1]]}).execute()
    assert error_of(e, 400)["message"] == "'valueInputOption' is required but not specified"


def test_append_finds_the_table_and_inserts_rows(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [["name", "score"], ["ann", 3], ["bo", 5]])
    put(svc, sid, "A6", [["footer"]])
    out = (
        svc.spreadsheets().values()
        .append(spreadsheetId=sid, range="Sheet1!A1", valueInputOption="USER_ENTERED", body={"values": [["cy", 8]]})
        .execute()
    )
    conforms(out, "AppendValuesResponse")
    assert out["tableRange"] == "Sheet1!A1:B3"
    assert out["updates"]["updatedRange"] == "Sheet1!A4:B4"
    ins = (
        svc.spreadsheets().values()
        .append(spreadsheetId=sid, range="A1:B1", valueInputOption="RAW", insertDataOption="INSERT_ROWS",
                body={"values": [["di", 1]]})
        .execute()
    )
    assert ins["updates"]["updatedRange"] == "Sheet1!A5:B5"
    assert values(svc, sid, "A1:A7")["values"] == [["name"], ["ann"], ["bo"], ["cy"], ["di"], [], ["footer"]]


def test_batch_get_update_clear(svc):
    sid = new_book(svc)["spreadsheetId"]
    res = svc.spreadsheets().values().batchUpdate(spreadsheetId=sid, body={
        "valueInputOption": "USER_ENTERED",
        "data": [{"range": "A1:B2", "values": [[1, 2], [3, "=A1+B1+A2"]]}, {"range": "D1", "values": [["x"]]}],
    }).execute()
    conforms(res, "BatchUpdateValuesResponse")
    assert res["totalUpdatedCells"] == 5 and res["totalUpdatedSheets"] == 1
    got = svc.spreadsheets().values().batchGet(spreadsheetId=sid, ranges=["A1:B2", "D1"], valueRenderOption="UNFORMATTED_VALUE").execute()
    conforms(got, "BatchGetValuesResponse")
    assert [v["values"] for v in got["valueRanges"]] == [[[1, 2], [3, 6]], [["x"]]]
    cl = svc.spreadsheets().values().clear(spreadsheetId=sid, range="A1", body={}).execute()
    assert cl["clearedRange"] == "Sheet1!A1"
    assert values(svc, sid, "B2")["values"] == [["5"]]  # recalculated without A1
    bc = svc.spreadsheets().values().batchClear(spreadsheetId=sid, body={"ranges": ["A1:B2", "D1"]}).execute()
    assert bc["clearedRanges"] == ["Sheet1!A1:B2", "Sheet1!D1"]
    assert "values" not in values(svc, sid, "A1:D2")


# --- batchUpdate ----------------------------------------------------------------


def batch(svc, sid, *requests, **kw):
    return svc.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": list(requests), **kw}).execute()


def test_sheet_requests_with_replies(svc):
    sid = new_book(svc)["spreadsheetId"]
    r = batch(svc, sid,
              {"addSheet": {"properties": {"title": "Data", "gridProperties": {"rowCount": 20, "columnCount": 4}}}},
              {"updateSpreadsheetProperties": {"properties": {"title": "Renamed"}, "fields": "title"}},
              includeSpreadsheetInResponse=True)
    conforms(r, "BatchUpdateSpreadsheetResponse")
    new = r["replies"][0]["addSheet"]["properties"]
    assert new["title"] == "Data" and new["index"] == 1 and new["gridProperties"]["rowCount"] == 20
    assert r["replies"][1] == {}
    assert r["updatedSpreadsheet"]["properties"]["title"] == "Renamed"
    batch(svc, sid, {"updateSheetProperties": {"properties": {"sheetId": new["sheetId"], "title": "Facts", "index": 0,
                                                               "gridProperties": {"frozenRowCount": 1}},
                                                "fields": "title,index,gridProperties.frozenRowCount"}})
    got = svc.spreadsheets().get(spreadsheetId=sid, fields="sheets.properties(title,index,gridProperties)").execute()
    assert [s["properties"]["title"] for s in got["sheets"]] == ["Facts", "Sheet1"]
    assert got["sheets"][0]["properties"]["gridProperties"]["frozenRowCount"] == 1
    dup = batch(svc, sid, {"duplicateSheet": {"sourceSheetId": 0, "newSheetName": "Copy"}})
    assert dup["replies"][0]["duplicateSheet"]["properties"]["title"] == "Copy"
    batch(svc, sid, {"deleteSheet": {"sheetId": 0}})
    got = svc.spreadsheets().get(spreadsheetId=sid).execute()
    assert [s["properties"]["title"] for s in got["sheets"]] == ["Facts", "Copy"]


def test_batch_update_is_atomic_and_names_the_bad_request(svc):
    sid = new_book(svc)["spreadsheetId"]
    with pytest.raises(HttpError) as e:
        batch(svc, sid, {"addSheet": {"properties": {"title": "Fresh"}}}, {"addSheet": {"properties": {"title": "sheet1"}}})
    assert error_of(e, 400)["message"] == (
        'Invalid requests[1].addSheet: A sheet with the name "sheet1" already exists. Please enter another name.'
    )
    got = svc.spreadsheets().get(spreadsheetId=sid).execute()
    assert [s["properties"]["title"] for s in got["sheets"]] == ["Sheet1"]
    with pytest.raises(HttpError) as e:
        batch(svc, sid, {"deleteSheet": {"sheetId": 12345}})
    assert error_of(e, 400)["message"] == "Invalid requests[0].deleteSheet: No grid with id: 12345"
    with pytest.raises(HttpError) as e:
        batch(svc, sid, {"deleteSheet": {"sheetId": 0}})
    assert "can't remove all the visible sheets" in error_of(e, 400)["message"]
    with pytest.raises(HttpError) as e:
        batch(svc, sid, {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 400_000}})
    assert "above the limit of 10000000 cells" in error_of(e, 400)["message"]


def test_cells_dimensions_merges_and_named_ranges(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [["name", "n"], ["b", 2], ["a", 3], ["c", 1]])
    put(svc, sid, "C1", [["=SUM(B2:B4)"]])
    batch(svc, sid,
          {"repeatCell": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                          "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                          "fields": "userEnteredFormat.textFormat.bold"}},
          {"updateCells": {"start": {"sheetId": 0, "rowIndex": 4, "columnIndex": 0},
                           "rows": [{"values": [{"userEnteredValue": {"stringValue": "d"}},
                                                {"userEnteredValue": {"numberValue": 10}}]}],
                           "fields": "userEnteredValue"}},
          {"sortRange": {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 5, "startColumnIndex": 0, "endColumnIndex": 2},
                         "sortSpecs": [{"dimensionIndex": 1, "sortOrder": "DESCENDING"}]}},
          {"mergeCells": {"range": {"sheetId": 0, "startRowIndex": 6, "endRowIndex": 7, "startColumnIndex": 0, "endColumnIndex": 2},
                          "mergeType": "MERGE_ALL"}},
          {"autoResizeDimensions": {"dimensions": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 2}}})
    assert values(svc, sid, "A2:B5", valueRenderOption="UNFORMATTED_VALUE")["values"] == [["d", 10], ["a", 3], ["b", 2], ["c", 1]]
    assert values(svc, sid, "C1")["values"] == [["15"]]  # 10 + 3 + 2 after the sort
    nr = batch(svc, sid, {"addNamedRange": {"namedRange": {"name": "Scores", "range": {
        "sheetId": 0, "startRowIndex": 1, "endRowIndex": 5, "startColumnIndex": 1, "endColumnIndex": 2}}}})
    named = nr["replies"][0]["addNamedRange"]["namedRange"]
    assert named["name"] == "Scores" and named["namedRangeId"]
    assert values(svc, sid, "Scores", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[10], [3], [2], [1]]
    batch(svc, sid, {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 2}}},
          {"deleteDimension": {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}}})
    assert values(svc, sid, "A3:A4", valueRenderOption="UNFORMATTED_VALUE")["values"] == [["n"], [10]]
    got = svc.spreadsheets().get(spreadsheetId=sid, ranges=["Sheet1!A1:B4"], includeGridData=True).execute()
    conforms(got, "Spreadsheet")
    sheet = got["sheets"][0]
    assert sheet["properties"]["gridProperties"] == {"rowCount": 1002, "columnCount": 25}
    # The merge moved down two rows and lost its first column; the formula followed its inputs.
    merges = svc.spreadsheets().get(spreadsheetId=sid, fields="sheets.merges").execute()["sheets"][0]["merges"]
    assert merges == [{"sheetId": 0, "startRowIndex": 8, "endRowIndex": 9, "startColumnIndex": 0, "endColumnIndex": 1}]
    assert values(svc, sid, "B3", valueRenderOption="FORMULA")["values"] == [["=SUM(A4:A6)"]]
    assert values(svc, sid, "B3")["values"] == [["15"]]
    header = sheet["data"][0]["rowData"][2]["values"][0]
    assert header["userEnteredFormat"]["textFormat"]["bold"] is True


def test_find_replace_counts(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [["cat cat", "dog"], ["Cat", "=\"cat\""]])
    r = batch(svc, sid, {"findReplace": {"find": "cat", "replacement": "fox", "allSheets": True}})
    assert r["replies"][0]["findReplace"] == {"valuesChanged": 2, "rowsChanged": 2, "sheetsChanged": 1, "occurrencesChanged": 3}
    assert values(svc, sid, "A1:B2")["values"] == [["fox fox", "dog"], ["fox", "cat"]]
    none = batch(svc, sid, {"findReplace": {"find": "zebra", "replacement": "x", "allSheets": True}})
    assert none["replies"][0]["findReplace"] == {}


def test_drive_exports_csv_of_computed_values(universe, svc):
    sid = new_book(svc, "Export")["spreadsheetId"]
    put(svc, sid, "A1", [["item", "cost"], ["pens, blue", 2.5], ["paper", 4], ["total", "=SUM(B2:B3)"]])
    data = drive(universe).files().export(fileId=sid, mimeType="text/csv").execute()
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows == [["item", "cost"], ["pens, blue", "2.5"], ["paper", "4"], ["total", "6.5"]]


def test_a_spreadsheet_made_in_drive_opens_in_sheets(universe, svc):
    f = drive(universe).files().create(body={"name": "From Drive", "mimeType": SPREADSHEET}).execute()
    book = svc.spreadsheets().get(spreadsheetId=f["id"]).execute()
    assert book["properties"]["title"] == "From Drive"
    put(svc, f["id"], "A1", [["=2*21"]])
    assert values(svc, f["id"], "A1")["values"] == [["42"]]


def test_seeded_budget_sheet_reads_as_values(universe):
    owner = sheets(universe, "olivia@acme.test")
    found = drive(universe, "olivia@acme.test").files().list(
        q=f"name = 'Budget 2027' and mimeType = '{SPREADSHEET}'", fields="files(id)").execute()["files"]
    assert len(found) == 1
    got = values(owner, found[0]["id"], "A1:B4", valueRenderOption="UNFORMATTED_VALUE")
    assert got["values"][0] == ["Department", "Budget"]
    assert got["values"][1] == ["Engineering", 1200000]


def test_fixture_headcount_formulas_and_rota(universe):
    laura = sheets(universe, "laura@acme.test")
    files = drive(universe, "laura@acme.test").files().list(
        q=f"name = 'Headcount 2027' and mimeType = '{SPREADSHEET}'", fields="files(id)").execute()["files"]
    assert len(files) == 1
    sid = files[0]["id"]
    table = values(laura, sid, "A1:G20", valueRenderOption="UNFORMATTED_VALUE")["values"]
    assert table[0] == ["Name", "Email", "Department", "Title", "Manager", "Status", "FTE"]
    people = {row[1]: row for row in table[1:16]}
    assert people["victor@acme.test"][5] == "deprovisioned" and people["ivan@acme.test"][5] == "suspended"
    # Everyone in the sheet is a person of the Google domain (the fixture's people, as in Okta).
    assert set(universe["google"]["access_tokens"]) >= {e for e, r in people.items() if r[5] == "active"}
    totals = {row[0]: row for row in table[17:]}
    assert totals["Active"][5] == 13
    assert totals["Total FTE"][6] == 14
    assert totals["Engineering FTE"][6] == 4
    formulas = values(laura, sid, "F18:G20", valueRenderOption="FORMULA")["values"]
    assert formulas[0][0] == '=COUNTIF(F2:F16,"active")'
    # Executives may edit; a new hire row changes the totals.
    olivia = sheets(universe, "olivia@acme.test")
    put(olivia, sid, "A16:G16", [["Laura Lopez", "laura@acme.test", "Operations", "People Operations Manager",
                                 "judy@acme.test", "active", 0.5]])
    assert values(laura, sid, "G19", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[13.5]]
    # Operations may only read.
    with pytest.raises(HttpError) as e:
        put(sheets(universe, "kevin@acme.test"), sid, "A1", [["x"]])
    error_of(e, 403)
    rota_id = drive(universe, "dave@acme.test").files().list(
        q="name = 'On-call rota'", fields="files(id)").execute()["files"][0]["id"]
    rota = values(sheets(universe, "dave@acme.test"), rota_id, "A1:D5", valueRenderOption="FORMATTED_VALUE")["values"]
    assert rota[1] == ["1", "2027-01-04", "carol@acme.test", "dave@acme.test"]


def test_copy_cut_move_and_borders(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [["a", 1], ["b", 2], ["c", 3]])

    def grid(r0, r1, c0, c1):
        return {"sheetId": 0, "startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0, "endColumnIndex": c1}

    batch(svc, sid,
          {"copyPaste": {"source": grid(0, 3, 0, 2), "destination": grid(0, 3, 3, 5), "pasteType": "PASTE_VALUES"}},
          {"cutPaste": {"source": grid(2, 3, 0, 2), "destination": {"sheetId": 0, "rowIndex": 5, "columnIndex": 0}}},
          {"moveDimension": {"source": {"sheetId": 0, "dimension": "ROWS", "startIndex": 5, "endIndex": 6}, "destinationIndex": 0}},
          {"updateBorders": {"range": grid(0, 1, 0, 2), "bottom": {"style": "SOLID", "color": {"red": 1}}}})
    assert values(svc, sid, "A1:E4")["values"] == [["c", "3"], ["a", "1", "", "a", "1"], ["b", "2", "", "b", "2"], ["", "", "", "c", "3"]]
    got = svc.spreadsheets().get(spreadsheetId=sid, ranges=["A1"], includeGridData=True).execute()
    conforms(got, "Spreadsheet")
    cell = got["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["userEnteredFormat"]["borders"]["bottom"]["style"] == "SOLID"


def test_the_twins_discovery_names_only_googles_methods_and_parameters(universe):
    """Every method of the twin's Sheets and Docs discovery documents is Google's, at
    Google's path, with parameters Google's method has."""
    import requests

    for api, google_name in (("sheets", "sheets.v4.json"), ("docs", "docs.v1.json")):
        ours = requests.get(universe["google"]["discovery_urls"][api], timeout=10).json()
        assert ours["rootUrl"] == universe["google"]["endpoint"].rstrip("/") + "/"
        theirs = google_doc(google_name)

        def methods(doc):
            out = {}

            def walk(res):
                for m in res.get("methods", {}).values():
                    out[m["id"]] = m
                for sub in res.get("resources", {}).values():
                    walk(sub)

            walk(doc)
            return out

        mine, google = methods(ours), methods(theirs)
        assert mine, api
        for mid, m in mine.items():
            assert mid in google, mid
            g = google[mid]
            assert (m["httpMethod"], m["path"]) == (g["httpMethod"], g["path"]), mid
            assert set(m["parameters"]) <= set(g["parameters"]), (mid, set(m["parameters"]) - set(g["parameters"]))


def test_bad_input_is_refused_in_sheets_envelope_never_500(universe, svc):
    import requests

    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [[1], [2]])
    base = universe["google"]["endpoint"].rstrip("/") + f"/v4/spreadsheets/{sid}"
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token_of(universe)}"
    huge = 4_294_967_295
    cases = [
        ("POST", ":batchUpdate", {"requests": [{"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": huge}}}]}),
        ("POST", ":batchUpdate", {"requests": [{"updateCells": {"start": {"sheetId": 0, "rowIndex": huge, "columnIndex": huge},
                                                                "rows": [{"values": [{}, {}]}, {"values": [{}]}], "fields": "*"}}]}),
        ("POST", ":batchUpdate", {"requests": [{"addSheet": {}, "deleteSheet": {"sheetId": 0}}]}),
        ("POST", ":batchUpdate", {"requests": [{"updateCells": {"rows": [], "fields": ""}}]}),
        ("POST", ":batchUpdate", {"requests": "nope"}),
        ("POST", ":batchUpdate", b"{not json"),
        ("PUT", "/values/A1?valueInputOption=SOMETIMES", {"values": [[1]]}),
        ("PUT", "/values/A1?valueInputOption=RAW", {"values": [1, 2]}),
        ("GET", "/values/Sheet1!ZZZZ1", None),
        ("GET", "/values/A1?valueRenderOption=PRETTY", None),
        ("POST", "/values:batchClear", {"ranges": ["Nope!A1"]}),
    ]
    for method, path, body in cases:
        kw = {"data": body} if isinstance(body, bytes) else {"json": body}
        r = s.request(method, base + path, timeout=10, **kw)
        assert r.status_code == 400, (path, body, r.status_code, r.text)
        err = r.json()["error"]
        assert err["code"] == 400 and err["status"] == "INVALID_ARGUMENT" and err["message"], err
    # Nothing was half-applied.
    got = svc.spreadsheets().get(spreadsheetId=sid).execute()
    assert got["sheets"][0]["properties"]["gridProperties"] == {"rowCount": 1000, "columnCount": 26}
    assert values(svc, sid, "A1:A3", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[1], [2]]


def test_named_ranges_in_formulas(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [[5], [7]])
    batch(svc, sid, {"addNamedRange": {"namedRange": {"name": "Costs", "range": {
        "sheetId": 0, "startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 1}}}})
    put(svc, sid, "B1", [["=SUM(Costs)*2"]])
    assert values(svc, sid, "B1", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[24]]
    put(svc, sid, "A2", [[10]])
    assert values(svc, sid, "B1", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[30]]


def test_body_range_and_drive_copy(universe, svc):
    sid = new_book(svc, "Original")["spreadsheetId"]
    up = svc.spreadsheets().values().update(
        spreadsheetId=sid, range="A1:B1", valueInputOption="USER_ENTERED",
        body={"range": "Sheet1!A1:B1", "values": [[2, "=A1*3"]]}).execute()
    assert up["updatedCells"] == 2
    with pytest.raises(HttpError) as e:
        svc.spreadsheets().values().update(
            spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"range": "B2", "values": [[1]]}).execute()
    assert error_of(e, 400)["message"] == "Requested range [B2] does not match the range in the URL [A1]"
    copy = drive(universe).files().copy(fileId=sid, body={"name": "Copy"}).execute()
    assert values(svc, copy["id"], "A1:B1", valueRenderOption="FORMULA")["values"] == [[2, "=A1*3"]]
    put(svc, copy["id"], "A1", [[10]])
    assert values(svc, copy["id"], "B1")["values"] == [["30"]]
    assert values(svc, sid, "B1")["values"] == [["6"]]  # the original is its own file


def test_today_follows_the_universe_clock(universe, control, svc):
    r = control.put(f"universes/{universe['id']}/clock", json={"now": "2030-03-15T12:00:00Z", "frozen": True})
    assert r.status_code == 200, r.text
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [["=TODAY()", "=YEAR(TODAY())", "=TEXT(TODAY(),\"yyyy-mm-dd\")"]])
    got = values(svc, sid, "A1:C1", valueRenderOption="UNFORMATTED_VALUE")["values"]
    serial = (datetime.date(2030, 3, 15) - datetime.date(1899, 12, 30)).days
    assert got == [[serial, 2030, "2030-03-15"]]


def test_fixture_headcount_exports_values_before_sheets_opens_it(universe):
    d = drive(universe, "laura@acme.test")
    sid = d.files().list(q="name = 'Headcount 2027'", fields="files(id)").execute()["files"][0]["id"]
    rows = list(csv.reader(io.StringIO(d.files().export(fileId=sid, mimeType="text/csv").execute().decode())))
    assert rows[0][:3] == ["Name", "Email", "Department"]
    assert rows[17][0] == "Active" and rows[17][5] == "13"
    assert rows[18][6] == "14"


def test_formula_results_take_automatic_formats(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [["$1,200.50"], ["$99.50"], ["=SUM(A1:A2)"], ["2024-01-15"], ["=A4+14"], ["=DATE(2024,2,29)"]])
    assert values(svc, sid, "A3:A6")["values"] == [["$1,300.00"], ["2024-01-15"], ["2024-01-29"], ["2/29/2024"]]
    assert values(svc, sid, "A3", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[1300]]
    grid = svc.spreadsheets().get(spreadsheetId=sid, ranges=["A3"], includeGridData=True).execute()
    conforms(grid, "Spreadsheet")
    cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["effectiveFormat"]["numberFormat"]["type"] == "CURRENCY"
    assert "userEnteredFormat" not in cell


def test_validation_and_conditional_formats(svc):
    sid = new_book(svc)["spreadsheetId"]
    col = {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 4, "startColumnIndex": 1, "endColumnIndex": 2}
    rule = {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "yes"}, {"userEnteredValue": "no"}]},
            "strict": True, "showCustomUi": True}
    cf = {"ranges": [col], "booleanRule": {"condition": {"type": "NUMBER_GREATER", "values": [{"userEnteredValue": "10"}]},
                                           "format": {"backgroundColor": {"red": 1}}}}
    batch(svc, sid, {"setDataValidation": {"range": col, "rule": rule}},
          {"addConditionalFormatRule": {"rule": cf, "index": 0}})
    got = svc.spreadsheets().get(spreadsheetId=sid, ranges=["B2:B2"], includeGridData=True).execute()
    conforms(got, "Spreadsheet")
    sheet = got["sheets"][0]
    assert sheet["data"][0]["rowData"][0]["values"][0]["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"
    assert sheet["conditionalFormats"][0]["booleanRule"]["condition"]["type"] == "NUMBER_GREATER"
    r = batch(svc, sid, {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
              {"setDataValidation": {"range": col}})
    assert r["replies"][0]["deleteConditionalFormatRule"]["rule"]["booleanRule"]["format"]["backgroundColor"]["red"] == 1
    sheet = svc.spreadsheets().get(spreadsheetId=sid, includeGridData=True).execute()["sheets"][0]
    assert "conditionalFormats" not in sheet and "rowData" not in sheet["data"][0]
    with pytest.raises(HttpError) as e:
        batch(svc, sid, {"addConditionalFormatRule": {"rule": {"ranges": [col]}}})
    assert error_of(e, 400)["message"].startswith("Invalid requests[0].addConditionalFormatRule: ")


def test_more_requests_copy_to_and_data_filters(svc):
    sid = new_book(svc, "Source")["spreadsheetId"]
    dest = new_book(svc, "Dest")["spreadsheetId"]
    put(svc, sid, "A1", [["k", "v"], ["x", "=1+1"]])
    r = batch(svc, sid,
              {"appendCells": {"sheetId": 0, "rows": [{"values": [{"userEnteredValue": {"stringValue": "y"}},
                                                                 {"userEnteredValue": {"numberValue": 3}}]}],
                               "fields": "userEnteredValue"}},
              {"updateDimensionProperties": {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                                             "properties": {"pixelSize": 180}, "fields": "pixelSize"}},
              {"mergeCells": {"range": {"sheetId": 0, "startRowIndex": 5, "endRowIndex": 6, "startColumnIndex": 0,
                                        "endColumnIndex": 3}, "mergeType": "MERGE_ALL"}},
              {"unmergeCells": {"range": {"sheetId": 0, "startRowIndex": 5, "endRowIndex": 6, "startColumnIndex": 0,
                                          "endColumnIndex": 3}}},
              {"addNamedRange": {"namedRange": {"name": "keys", "namedRangeId": "nr1",
                                                "range": {"sheetId": 0, "startColumnIndex": 0, "endColumnIndex": 1}}}},
              {"deleteNamedRange": {"namedRangeId": "nr1"}},
              includeSpreadsheetInResponse=True, responseRanges=["A1:A1"], responseIncludeGridData=True)
    book = r["updatedSpreadsheet"]
    conforms(book, "Spreadsheet")
    assert "merges" not in book["sheets"][0] and "namedRanges" not in book
    assert book["sheets"][0]["data"][0]["columnMetadata"] == [{"pixelSize": 180}]
    assert values(svc, sid, "A3:B3", valueRenderOption="UNFORMATTED_VALUE")["values"] == [["y", 3]]
    props = svc.spreadsheets().sheets().copyTo(spreadsheetId=sid, sheetId=0, body={"destinationSpreadsheetId": dest}).execute()
    conforms(props, "SheetProperties")
    assert props["title"] == "Copy of Sheet1"
    assert values(svc, dest, "'Copy of Sheet1'!B2", valueRenderOption="FORMULA")["values"] == [["=1+1"]]
    got = svc.spreadsheets().values().batchGetByDataFilter(spreadsheetId=sid, body={
        "dataFilters": [{"a1Range": "A1:B1"}, {"gridRange": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2}}],
        "valueRenderOption": "UNFORMATTED_VALUE"}).execute()
    conforms(got, "BatchGetValuesByDataFilterResponse")
    assert [v["valueRange"]["values"] for v in got["valueRanges"]] == [[["k", "v"]], [["x", 2]]]
    by_filter = svc.spreadsheets().getByDataFilter(spreadsheetId=sid, body={
        "dataFilters": [{"a1Range": "B2"}], "includeGridData": True}).execute()
    assert by_filter["sheets"][0]["data"][0]["rowData"][0]["values"][0]["effectiveValue"] == {"numberValue": 2}


def test_forks_snapshots_and_export_keep_cells(universe, control, svc):
    sid = new_book(svc, "Forked")["spreadsheetId"]
    put(svc, sid, "A1", [[4, "=A1*10"]])
    assert control.post(f"universes/{universe['id']}/snapshots", json={"name": "before"}).status_code == 201
    fork_id = f"{universe['id']}-fork"
    assert control.post("universes", json={"from": universe["id"], "id": fork_id}).status_code == 201
    try:
        put(svc, sid, "A1", [[5]])
        assert values(svc, sid, "B1")["values"] == [["50"]]
        fork = control.get(f"universes/{fork_id}").json()
        forked = sheets(fork)
        assert values(forked, sid, "B1")["values"] == [["40"]]  # the fork kept its own cells
        exported = control.get(f"universes/{universe['id']}/export")
        assert exported.status_code == 200
        assert control.put(f"universes/{fork_id}/import", json=exported.json()).status_code in (200, 204)
        assert values(sheets(control.get(f"universes/{fork_id}").json()), sid, "B1")["values"] == [["50"]]
        assert control.post(f"universes/{universe['id']}/snapshots/before/restore").status_code in (200, 204)
        assert values(svc, sid, "B1")["values"] == [["40"]]
    finally:
        control.delete(f"universes/{fork_id}")


def test_fill_down_moves_relative_references(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [[1, 10], [2, 20], [3, 30]])
    batch(svc, sid, {"repeatCell": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 2, "endColumnIndex": 3},
        "cell": {"userEnteredValue": {"formulaValue": "=A1*B1+$B$1"}}, "fields": "userEnteredValue"}})
    assert values(svc, sid, "C1:C3", valueRenderOption="FORMULA")["values"] == [["=A1*B1+$B$1"], ["=A2*B2+$B$1"], ["=A3*B3+$B$1"]]
    assert values(svc, sid, "C1:C3", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[20], [50], [100]]
    batch(svc, sid, {"copyPaste": {
        "source": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 2, "endColumnIndex": 3},
        "destination": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 3, "endColumnIndex": 4}}})
    assert values(svc, sid, "D1", valueRenderOption="FORMULA")["values"] == [["=B1*C1+$B$1"]]
    assert values(svc, sid, "D1", valueRenderOption="UNFORMATTED_VALUE")["values"] == [[210]]


def test_sort_moves_row_formulas_with_their_rows(svc):
    sid = new_book(svc)["spreadsheetId"]
    put(svc, sid, "A1", [["c", 3, "=B1*2"], ["a", 1, "=B2*2"], ["b", 2, "=B3*2"]])
    batch(svc, sid, {"sortRange": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 0,
                                             "endColumnIndex": 3}, "sortSpecs": [{"dimensionIndex": 0}]}})
    assert values(svc, sid, "A1:C3", valueRenderOption="UNFORMATTED_VALUE")["values"] == [["a", 1, 2], ["b", 2, 4], ["c", 3, 6]]
    assert values(svc, sid, "C1", valueRenderOption="FORMULA")["values"] == [["=B1*2"]]


def test_unknown_members_are_refused(svc):
    sid = new_book(svc)["spreadsheetId"]
    with pytest.raises(HttpError) as e:
        svc.spreadsheets().values().update(spreadsheetId=sid, range="A1", valueInputOption="RAW",
                                           body={"rows": [[1]]}).execute()
    assert error_of(e, 400)["message"] == 'Invalid JSON payload received. Unknown name "rows": Cannot find field.'
    with pytest.raises(HttpError) as e:
        svc.spreadsheets().batchUpdate(spreadsheetId=sid, body={"request": []}).execute()
    assert 'Unknown name "request"' in error_of(e, 400)["message"]


def test_unknown_request_members_are_refused(svc):
    sid = new_book(svc)["spreadsheetId"]
    with pytest.raises(HttpError) as e:
        batch(svc, sid, {"addSheet": {"properties": {"title": "ok"}}}, {"deleteSheet": {"sheetID": 0}})
    assert error_of(e, 400)["message"] == (
        "Invalid JSON payload received. Unknown name \"sheetID\" at 'requests[1].delete_sheet': Cannot find field."
    )
    assert len(svc.spreadsheets().get(spreadsheetId=sid).execute()["sheets"]) == 1


def test_chaos_faults_in_the_sheets_envelope(universe, control, svc):
    """A chaos fault on a Sheets call is rendered as Sheets renders errors (`status`,
    no Drive `errors` list); a rate limit is the quota's RESOURCE_EXHAUSTED, which
    the client retries like Google's own."""
    book = new_book(svc)
    sid = book["spreadsheetId"]
    rule = {"match": {"service": "google", "operation": "sheets.spreadsheets.values.get"}, "trigger": {"first_n": 1}}
    resp = control.post(f"universes/{universe['id']}/chaos/rules", json={**rule, "action": {"kind": "error", "status": 503}})
    assert resp.status_code in (200, 201), resp.text
    with pytest.raises(HttpError) as e:
        values(svc, sid, "A1:B2")
    assert error_of(e, 503)["status"] == "UNAVAILABLE"
    resp = control.post(f"universes/{universe['id']}/chaos/rules", json={**rule, "action": {"kind": "rate_limit", "retry_after_s": 1}})
    assert resp.status_code in (200, 201), resp.text
    with pytest.raises(HttpError) as e:
        values(svc, sid, "A1:B2")
    body = error_of(e, 429)
    assert body["status"] == "RESOURCE_EXHAUSTED"
    assert "'Read requests per minute per user'" in body["message"]
    assert body["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    # The client's own retry gets past a single injected 429.
    resp = control.post(f"universes/{universe['id']}/chaos/rules", json={**rule, "action": {"kind": "rate_limit", "retry_after_s": 1}})
    assert resp.status_code in (200, 201), resp.text
    assert "range" in svc.spreadsheets().values().get(spreadsheetId=sid, range="A1:B2").execute(num_retries=2)
