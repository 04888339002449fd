"""gspread 6.2 against the Google twin, signed in with the twin's service-account
key file (`gspread.service_account(filename=…)`). gspread has no endpoint setting,
so its own `http_client` hook sends Google's hosts to the twin; nothing else of
gspread changes."""

from __future__ import annotations

import json

import gspread
import pytest
from gspread.exceptions import APIError, SpreadsheetNotFound, WorksheetNotFound

from google_helpers import drive


def client_for(universe, tmp_path) -> gspread.Client:
    base = universe["google"]["endpoint"].rstrip("/")
    hosts = ("https://sheets.googleapis.com", "https://www.googleapis.com")

    class TwinHTTPClient(gspread.HTTPClient):
        def request(self, method, endpoint, *args, **kwargs):
            for host in hosts:
                if endpoint.startswith(host):
                    endpoint = base + endpoint[len(host):]
            return super().request(method, endpoint, *args, **kwargs)

    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(universe["google"]["service_account"]))
    return gspread.service_account(filename=str(key), http_client=TwinHTTPClient)


@pytest.fixture
def gc(universe, tmp_path):
    return client_for(universe, tmp_path)


def test_create_open_by_key_title_and_url(universe, gc):
    sh = gc.create("Team roster")
    assert sh.title == "Team roster"
    assert gc.open_by_key(sh.id).title == "Team roster"
    assert gc.open("Team roster").id == sh.id
    assert gc.open_by_url(sh.url).id == sh.id
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key("no-such-sheet")
    with pytest.raises(SpreadsheetNotFound):
        gc.open("No such title")
    # The service account owns it in Drive.
    f = drive(universe).files().list(q=f"name = 'Team roster'", fields="files(id)").execute()["files"]
    assert f == []  # not shared with the manifest's user
    sh.share("alice@acme.test", perm_type="user", role="writer", notify=False)
    f = drive(universe, "alice@acme.test").files().get(fileId=sh.id, fields="owners(emailAddress)").execute()
    assert f["owners"][0]["emailAddress"] == universe["google"]["service_account"]["client_email"]


def test_records_update_append_and_formulas(gc):
    ws = gc.create("Scores").sheet1
    ws.update([["name", "score"], ["ann", 3], ["bo", 5]], "A1")
    ws.append_row(["cy", 8])
    ws.update([["total", "=SUM(B2:B4)"]], "A6", value_input_option="USER_ENTERED")
    assert ws.get_all_records() == [
        {"name": "ann", "score": 3},
        {"name": "bo", "score": 5},
        {"name": "cy", "score": 8},
        {"name": "", "score": ""},
        {"name": "total", "score": 16},
    ]
    ws.update_acell("B2", 30)
    assert ws.acell("B6").value == "43"
    assert ws.acell("B6", value_render_option="FORMULA").value == "=SUM(B2:B4)"
    assert ws.row_values(1) == ["name", "score"]
    assert ws.col_values(1) == ["name", "ann", "bo", "cy", "", "total"]


def test_batch_update_find_and_format(gc):
    ws = gc.create("Inventory").sheet1
    ws.batch_update([
        {"range": "A1:B1", "values": [["item", "qty"]]},
        {"range": "A2:B3", "values": [["bolts", "12"], ["nuts", "7"]]},
    ], value_input_option="USER_ENTERED")
    cell = ws.find("nuts")
    assert (cell.row, cell.col, cell.value) == (3, 1, "nuts")
    assert ws.find("washers") is None
    assert [c.address for c in ws.findall("7")] == ["B3"]
    ws.format("A1:B1", {"textFormat": {"bold": True}, "backgroundColor": {"red": 0.9, "green": 0.9, "blue": 0.9}})
    meta = ws.spreadsheet.fetch_sheet_metadata({"includeGridData": "true", "ranges": "Sheet1!A1"})
    fmt = meta["sheets"][0]["data"][0]["rowData"][0]["values"][0]["userEnteredFormat"]
    assert fmt["textFormat"]["bold"] is True and fmt["backgroundColor"]["red"] == 0.9
    assert ws.get_values("B2:B3", value_render_option="UNFORMATTED_VALUE") == [[12], [7]]


def test_worksheets(gc):
    sh = gc.create("Tabs")
    ws = sh.add_worksheet("Data", rows=10, cols=4)
    assert (ws.title, ws.row_count, ws.col_count) == ("Data", 10, 4)
    assert [w.title for w in sh.worksheets()] == ["Sheet1", "Data"]
    assert sh.worksheet("Data").id == ws.id
    with pytest.raises(WorksheetNotFound):
        sh.worksheet("Nope")
    ws.update_title("Facts")
    ws.add_rows(5)
    ws.resize(cols=6)
    again = sh.worksheet("Facts")
    assert (again.row_count, again.col_count) == (15, 6)
    with pytest.raises(APIError) as e:
        sh.add_worksheet("Facts", rows=1, cols=1)
    assert e.value.code == 400
    assert "already exists" in e.value.error["message"]
    assert e.value.error["status"] == "INVALID_ARGUMENT"
    sh.del_worksheet(sh.sheet1)
    assert [w.title for w in sh.worksheets()] == ["Facts"]
    ws2 = sh.duplicate_sheet(again.id, new_sheet_name="Facts copy")
    assert ws2.title == "Facts copy"


def test_errors_are_api_errors(gc):
    ws = gc.create("Errors").sheet1
    with pytest.raises(APIError) as e:
        ws.spreadsheet.values_get("Nope!A1")
    assert e.value.code == 400
    assert e.value.error["message"] == "Unable to parse range: Nope!A1"
    ws.update([["=1/0", "=NOPE()"]], "A1", value_input_option="USER_ENTERED")
    assert ws.row_values(1) == ["#DIV/0!", "#NAME?"]


def test_clear_and_delete_rows(gc):
    ws = gc.create("Cleanup").sheet1
    ws.update([[1], [2], [3], [4]], "A1")
    ws.delete_rows(2)
    assert ws.col_values(1) == ["1", "3", "4"]
    ws.insert_row(["x"], index=1)
    assert ws.col_values(1) == ["x", "1", "3", "4"]
    ws.batch_clear(["A1:A2"])
    assert ws.col_values(1) == ["", "", "3", "4"]
    ws.clear()
    assert ws.get_all_values() == [[]]  # gspread fills an absent `values` so


def test_sheet_housekeeping_calls(gc):
    sh = gc.create("Housekeeping")
    ws = sh.sheet1
    ws.update([["name", "n"], ["b", 2], ["a", 1]], "A1")
    ws.freeze(rows=1)
    ws.set_basic_filter("A1:B3")
    ws.sort((2, "asc"), range="A2:B3")
    ws.update_note("A1", "header row")
    ws.columns_auto_resize(0, 2)
    ws.merge_cells("D1:E1")
    ws.update_tab_color("#ff0000")
    prot = ws.add_protected_range("A1:B1", description="headers")
    pid = prot["replies"][0]["addProtectedRange"]["protectedRange"]["protectedRangeId"]
    meta = sh.fetch_sheet_metadata()
    props = meta["sheets"][0]
    assert props["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert props["basicFilter"]["range"]["endRowIndex"] == 3
    assert props["protectedRanges"][0]["description"] == "headers"
    assert props["merges"][0]["startColumnIndex"] == 3
    assert props["properties"]["tabColorStyle"]["rgbColor"]["red"] == 1
    assert ws.get_note("A1") == "header row"
    assert ws.col_values(1) == ["name", "a", "b"]
    ws.clear_basic_filter()
    sh.batch_update({"requests": [{"deleteProtectedRange": {"protectedRangeId": pid}}]})
    props = sh.fetch_sheet_metadata()["sheets"][0]
    assert "basicFilter" not in props and "protectedRanges" not in props


def test_openall_copy_export_and_delete(gc):
    sh = gc.create("Quarterly")
    sh.sheet1.update([["q", "amount"], ["Q1", 10], ["Q2", "=B2*2"]], "A1", value_input_option="USER_ENTERED")
    assert "Quarterly" in [s.title for s in gc.openall()]
    copy = gc.copy(sh.id, title="Quarterly copy")
    assert copy.sheet1.get_values("B3") == [["20"]]
    data = sh.export(gspread.utils.ExportFormat.CSV)
    assert data.decode() == "q,amount\r\nQ1,10\r\nQ2,20"
    gc.del_spreadsheet(copy.id)
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key(copy.id)
