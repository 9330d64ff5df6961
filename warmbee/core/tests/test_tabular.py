"""Spreadsheet import/export (warmbee.core.tabular): templates, reading, row-level reports,
transactions (R41) and formula neutralisation in exports (R29)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import random
import re
import zipfile
from decimal import Decimal

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import MaxValueValidator
from django.utils import translation
from django.utils.functional import lazy
from openpyxl import Workbook, load_workbook

from warmbee.core import tabular
from warmbee.core.errors import DomainError
from warmbee.core.tabular import (
    Column,
    Layout,
    RowError,
    export_csv,
    export_xlsx,
    neutralise,
    read_table,
    template_xlsx,
)


def _bilingual(en: str, zh: str):
    """A lazy header that is Chinese under zh-hans, independent of the .po catalogue."""
    return lazy(lambda: zh if (translation.get_language() or "").startswith("zh") else en, str)()


LAYOUT = Layout(
    columns=[
        Column("name", _bilingual("Name", "名称"), required=True, width=20, example="萨尔图驿站"),
        Column("phone", _bilingual("Phone", "电话"), text=True, example="13800000000"),
        Column("count", _bilingual("Count", "数量"), help="Seats, 0 or more."),
    ],
    sheet_title=_bilingual("Stations", "驿站"),
)
EN = ["Name", "Phone", "Count"]
ZH = ["名称", "电话", "数量"]
FORMAT_AS_TEXT = "This column must be formatted as text in Excel; re-type the value as text."
FORMULA = "This cell contains a formula; paste the value instead."


class ThingForm(forms.Form):
    name = forms.CharField(max_length=20)
    phone = forms.CharField(required=False)
    count = forms.IntegerField(min_value=0, required=False)

    def __init__(self, *args, max_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if max_count is not None:
            self.fields["count"].max_value = max_count
            self.fields["count"].validators.append(MaxValueValidator(max_count))

    def clean(self):
        data = super().clean()
        if data.get("name") == "same" and data.get("phone") == "same":
            raise forms.ValidationError("Name and phone must differ.")
        return data


@pytest.fixture(autouse=True)
def english():
    """Assert on English messages whatever the .po catalogue holds."""
    with translation.override("en"):
        yield


# --- helpers ------------------------------------------------------------------------------------
def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def table_of(rows: list[list], name: str = "t.xlsx", **kwargs):
    content = xlsx(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    return read_table(upload(name, content), LAYOUT, **kwargs)


def file_error(content: bytes, name: str, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        read_table(upload(name, content), LAYOUT, **kwargs)
    assert (info.value.code, info.value.field) == ("import_file", "file")
    return info.value


# --- template -----------------------------------------------------------------------------------
def test_template_has_bold_frozen_header_text_columns_and_instructions():
    wb = load_workbook(io.BytesIO(template_xlsx(LAYOUT)))
    assert wb.sheetnames == ["Stations", "Instructions"]
    ws = wb["Stations"]
    assert [c.value for c in ws[1]] == EN
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws["B2"].number_format == "@"
    assert ws["B1001"].number_format == "@"
    assert ws["B1002"].number_format == "General"
    assert ws["A2"].number_format == "General"
    assert ws.column_dimensions["A"].width == 20
    notes = [list(r) for r in wb["Instructions"].iter_rows(values_only=True)]
    assert notes[0] == ["Column", "Required", "Description", "Example"]
    assert notes[1] == ["Name", "Yes", None, "萨尔图驿站"]
    assert notes[2][:2] == ["Phone", "No"] and "text" in notes[2][2]
    assert notes[2][3] == "13800000000"
    assert notes[3] == ["Count", "No", "Seats, 0 or more.", None]


def test_chinese_template_lists_chinese_headers():
    with translation.override("zh-hans"):
        wb = load_workbook(io.BytesIO(template_xlsx(LAYOUT)))
    assert wb.sheetnames[0] == "驿站"
    assert [c.value for c in wb.active[1]] == ZH


@pytest.mark.django_db
def test_template_round_trip():
    wb = load_workbook(io.BytesIO(template_xlsx(LAYOUT)))
    ws = wb.active
    for number, row in enumerate([["北站", "0459123", 3], ["南站", "13800000000", 0]], start=2):
        for column, value in enumerate(row, start=1):
            ws.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)

    table = read_table(upload("stations.xlsx", buffer.getvalue()), LAYOUT)
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"name": "北站", "phone": "0459123", "count": "3"}),
        (3, {"name": "南站", "phone": "13800000000", "count": "0"}),
    ]


# --- headers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "language"),
    [
        (EN, "en"),
        (ZH, "en"),
        (ZH, "zh-hans"),
        (EN, "zh-hans"),
        (["name", "PHONE", "count"], "en"),
        ([" NAME ", "\u3000电话\u3000", "Count"], "zh-hans"),
    ],
    ids=[
        "english",
        "chinese-for-english-user",
        "chinese",
        "english-for-chinese-user",
        "keys",
        "messy",
    ],
)
@pytest.mark.parametrize("name", ["t.xlsx", "t.csv"])
def test_headers_in_either_language(headers, language, name):
    with translation.override(language):
        table = table_of([headers, ["a", "1", "2"]], name=name)
    assert table.rows[0].values == {"name": "a", "phone": "1", "count": "2"}
    assert table.headers == dict(
        zip(["name", "phone", "count"], [h.strip() for h in headers], strict=True)
    )


def test_columns_may_come_in_any_order_and_unknown_ones_are_ignored():
    table = table_of([["备注", "Count", "Name"], ["x", "5", "a"]])
    assert table.rows[0].values == {"count": "5", "name": "a"}
    assert table.ignored_headers == ["备注"]


def test_missing_required_column_is_named():
    error = file_error(xlsx([["Phone", "Count"], ["1", "2"]]), "t.xlsx")
    assert str(error.message) == "Required columns are missing: Name."


@pytest.mark.parametrize(
    "headers", [["Name", "Name"], ["Name", "名称"], ["Name", "phone", "PHONE"]], ids=str
)
def test_duplicate_header_is_refused(headers):
    error = file_error(xlsx([headers, ["a"] * len(headers)]), "t.xlsx")
    assert "appears more than once" in str(error.message)


def test_layout_rejects_duplicate_keys():
    with pytest.raises(ValueError, match="Duplicate column keys"):
        Layout([Column("a", "A"), Column("a", "B")], "x")


# --- CSV ----------------------------------------------------------------------------------------
ROWS = [["名称", "电话", "数量"], ["萨尔图驿站", "0459", "3"]]


@pytest.mark.parametrize(
    "content",
    [
        csv_bytes(ROWS, "utf-8"),
        codecs.BOM_UTF8 + csv_bytes(ROWS, "utf-8"),
        csv_bytes(ROWS, "gbk"),
        csv_bytes(ROWS, "gb18030"),
        csv_bytes(ROWS, "utf-16"),
        csv_bytes(ROWS, "utf-8", delimiter="\t"),
        csv_bytes(ROWS, "gbk", delimiter="\t"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030", "utf16-bom", "tab-separated", "gbk-tab"],
)
def test_csv_encodings(content):
    table = read_table(upload("stations.csv", content), LAYOUT)
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"name": "萨尔图驿站", "phone": "0459", "count": "3"})
    ]


def test_csv_keeps_quoted_commas_and_newlines_in_one_row():
    content = b'Name,Phone\n"a, b\nc",1\nd,2\n'
    table = read_table(upload("t.csv", content), LAYOUT)
    assert [(r.number, r.values["name"]) for r in table.rows] == [(2, "a, b\nc"), (3, "d")]


# --- cells --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "name"),
    [
        (1.1010519491231e17, "t.xlsx"),
        (110105194912310000, "t.xlsx"),
        (4.5, "t.xlsx"),
        (Decimal("459.5"), "t.xlsx"),
        ("1.1010519491231E+17", "t.xlsx"),
        ("1.10105E+17", "t.csv"),
    ],
    ids=["float-id", "18-digit-int", "float", "decimal", "scientific-text", "scientific-csv"],
)
def test_number_in_text_column_is_a_row_error(value, name):
    table = table_of([EN, ["a", value, 1]], name=name)
    assert table.rows[0].errors == [RowError(2, "Phone", FORMAT_AS_TEXT)]
    assert table.rows[0].values["phone"] == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [(13800000000, "13800000000"), (999999999999999, "999999999999999"), ("0459", "0459")],
    ids=["phone-int", "15-digits", "text-leading-zero"],
)
def test_short_integers_and_text_are_fine_in_text_columns(value, expected):
    table = table_of([EN, ["a", value]])
    assert (table.rows[0].errors, table.rows[0].values["phone"]) == ([], expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2024, 9, 5), "2024-09-05"),
        (dt.datetime(2024, 9, 5, 8, 30), "2024-09-05 08:30:00"),
        (dt.date(2024, 9, 5), "2024-09-05"),
        (True, "true"),
        (False, "false"),
        (3.0, "3"),
        (2.5, "2.5"),
        ("  spaced\u3000", "spaced"),
    ],
    ids=["date", "datetime", "date-only", "true", "false", "whole-float", "float", "stripped"],
)
def test_cell_values_become_strings(value, expected):
    table = table_of([["Name", "Count"], ["a", value]])
    assert table.rows[0].values["count"] == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "formula", ["=1+1", "=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")'], ids=str
)
def test_formula_cell_is_a_row_error_never_evaluated(formula):
    table = table_of([EN, [formula, "1", 1], ["b", "2", 2]])
    assert table.rows[0].errors == [RowError(2, "Name", FORMULA)]
    assert table.rows[0].values["name"] == ""  # the formula's text never reaches a form
    assert (table.rows[1].values["name"], table.rows[1].errors) == ("b", [])


def test_formula_in_csv_is_just_text():
    table = read_table(upload("t.csv", b"Name\n=1+1\n"), LAYOUT)
    assert (table.rows[0].values["name"], table.rows[0].errors) == ("=1+1", [])


# --- rows ---------------------------------------------------------------------------------------
def test_blank_rows_are_skipped_and_rows_keep_their_numbers():
    table = table_of([EN, ["a"], [], [None, "  ", None], ["b"], ["", "", ""], ["c"]])
    assert [(r.number, r.values["name"]) for r in table.rows] == [(2, "a"), (5, "b"), (7, "c")]


def test_rows_below_a_gap_in_the_sheet_keep_their_numbers():
    wb = Workbook()
    ws = wb.active
    ws.append(EN)
    ws["A10"] = "far"
    buffer = io.BytesIO()
    wb.save(buffer)
    table = read_table(upload("t.xlsx", buffer.getvalue()), LAYOUT)
    assert [(r.number, r.values["name"]) for r in table.rows] == [(10, "far")]


@pytest.mark.parametrize("name", ["t.xlsx", "t.csv"])
def test_too_many_rows(name):
    rows = [EN, *[[f"n{i}"] for i in range(4)]]
    assert len(table_of(rows[:4], name=name, max_rows=3)) == 3
    content = xlsx(rows) if name.endswith("xlsx") else csv_bytes(rows)
    error = file_error(content, name, max_rows=3)
    assert str(error.message) == "The file has more than 3 rows; split it into smaller files."


def test_a_huge_file_is_refused_without_reading_it_all():
    content = b"Name\n" + b"x\n" * 500_000
    error = file_error(content, "t.csv")
    assert "more than 5000 rows" in str(error.message)


def test_blank_rows_do_not_count_towards_the_limit():
    table = table_of([EN, ["a"], [], [], [], ["b"]], max_rows=2)
    assert len(table) == 2


def test_endless_formatted_blank_rows_are_refused(monkeypatch):
    monkeypatch.setattr(tabular, "BLANK_ROW_ALLOWANCE", 10)
    error = file_error(csv_bytes([EN, ["a"], *([[""]] * 30)]), "t.csv", max_rows=5)
    assert "too many empty rows" in str(error.message)


# --- export -------------------------------------------------------------------------------------
DANGEROUS = [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+1+2", "'+1+2"),
    ("-1+2", "'-1+2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("a=1", "a=1"),
    ("张三", "张三"),
    ("", ""),
]


@pytest.mark.parametrize(("value", "expected"), DANGEROUS, ids=[repr(v) for v, _ in DANGEROUS])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize("value", [None, -5, 3.5, Decimal("-1"), dt.date(2024, 1, 1)], ids=repr)
def test_neutralise_leaves_other_values_alone(value):
    assert neutralise(value) == value


EXPORT_ROWS = [
    {"name": '=HYPERLINK("http://x","y")', "phone": "0459", "count": -3},
    {"name": "-1+2", "phone": "+8613800000000", "count": None},
    {"name": "ok\x07bell", "phone": 13800000000, "count": 7, "other": "ignored"},
]


def test_export_xlsx_neutralises_and_keeps_text():
    wb = load_workbook(io.BytesIO(export_xlsx(LAYOUT, EXPORT_ROWS)))
    ws = wb.active
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [
        EN,
        ['\'=HYPERLINK("http://x","y")', "0459", -3],
        ["'-1+2", "'+8613800000000", None],
        ["okbell", "13800000000", 7],
    ]
    assert all(ws.cell(row=r, column=2).number_format == "@" for r in (2, 3, 4))
    assert all(ws.cell(row=r, column=2).data_type == "s" for r in (2, 3, 4))
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)
    assert ws.freeze_panes == "A2" and ws["A1"].font.b


def test_export_xlsx_watermark():
    mark = "张三 & 李四 2024-09-05 10:00"
    ws = load_workbook(io.BytesIO(export_xlsx(LAYOUT, EXPORT_ROWS[:1], watermark=mark))).active
    assert ws.max_row == 3
    assert ws["A3"].value == f"Exported by: {mark}"
    assert (
        ws.oddHeader.right.text
        == ws.oddFooter.center.text
        == f"Exported by: {mark}".replace("&", "&&")
    )


def test_export_xlsx_without_rows_still_carries_the_watermark():
    ws = load_workbook(io.BytesIO(export_xlsx(LAYOUT, [], watermark="x"))).active
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [EN, ["Exported by: x", None, None]]


def test_export_xlsx_localises_aware_datetimes():
    layout = Layout([Column("at", "At")], "x")
    aware = dt.datetime(2024, 9, 5, 2, 0, tzinfo=dt.UTC)
    ws = load_workbook(io.BytesIO(export_xlsx(layout, [{"at": aware}]))).active
    assert ws["A2"].value == dt.datetime(2024, 9, 5, 10, 0)  # Asia/Shanghai


def test_export_csv_neutralises_with_bom():
    content = export_csv(LAYOUT, EXPORT_ROWS, watermark="张三")
    assert content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        EN,
        ['\'=HYPERLINK("http://x","y")', "0459", "-3"],
        ["'-1+2", "'+8613800000000", ""],
        ["okbell", "13800000000", "7"],
        ["Exported by: 张三"],
    ]


def test_export_headers_follow_the_language():
    with translation.override("zh-hans"):
        content = export_csv(LAYOUT, [])
    assert content.decode("utf-8-sig").splitlines() == [",".join(ZH)]


@pytest.mark.django_db
def test_export_then_import_round_trip():
    rows = [
        {"name": "北站", "phone": "0459", "count": 1},
        {"name": "南站", "phone": "012", "count": 0},
    ]
    table = read_table(upload("e.xlsx", export_xlsx(LAYOUT, rows)), LAYOUT)
    assert [r.values for r in table.rows] == [
        {"name": "北站", "phone": "0459", "count": "1"},
        {"name": "南站", "phone": "012", "count": "0"},
    ]


# --- malformed files (R41) ----------------------------------------------------------------------
def test_wrong_extension():
    error = file_error(b"whatever", "t.xls")
    assert ".xlsx" in str(error.message)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.xlsx", b"", "The file is empty."),
        ("t.csv", codecs.BOM_UTF8, "The file is empty."),
        ("t.csv", b"\r\n\r\n  \n", "The file is empty."),
        ("t.xlsx", b"Name,Phone\na,1\n", "not a readable Excel workbook"),
        ("t.csv", b"Name,\x00Phone\n", "not readable text"),
        ("t.csv", b"Name\n\x81\xff\xfe\n", "not readable text"),
        ("t.csv", b"Name\n" + b"x" * 200_000 + b"\n", "not valid CSV"),
        ("t.csv", b"Name,Phone\n", "no data rows"),
    ],
    ids=[
        "empty-xlsx",
        "bom-only",
        "blank-lines",
        "text-named-xlsx",
        "nul",
        "undecodable",
        "huge-field",
        "header-only",
    ],
)
def test_file_errors(name, content, message):
    assert message in str(file_error(content, name).message)


def test_file_too_large():
    error = file_error(csv_bytes([EN, ["a" * 100]]), "t.csv", max_bytes=50)
    assert "larger than" in str(error.message)


def test_zip_bomb_is_refused_before_parsing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 2_000_000)
    error = file_error(buffer.getvalue(), "t.xlsx", max_bytes=50_000)
    assert "larger than" in str(error.message)


def test_wrong_recorded_dimension_is_ignored():
    """Some writers record "A1:A1" for a full sheet; read_only mode would then see one cell."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([EN, ["a", "1", 2], ["b", "2", 3]]))) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:C3"', b'<dimension ref="A1"')
                assert b'<dimension ref="A1" />' in data
            target.writestr(info, data)
    table = read_table(upload("t.xlsx", buffer.getvalue()), LAYOUT)
    assert [r.values["count"] for r in table.rows] == ["2", "3"]


def _merged() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(EN)
    ws.append(["a", "1", 1])
    ws.append(["b", None, None])
    ws.merge_cells("A3:C4")
    ws.merge_cells("B2:C2")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zip_version(data: bytes, version: int) -> bytes:
    """Set the "version needed to extract" of the central directory entry."""
    at = data.rindex(b"PK\x01\x02")
    return data[: at + 6] + bytes([version, 0]) + data[at + 8 :]


def _fixed_in_time(data: bytes) -> bytes:
    """The same workbook with fixed timestamps, so mutations hit the same bytes every run."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-01-01T00:00:00Z", content
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, content)
    return out.getvalue()


def _malformed_corpus() -> list[tuple[str, str, bytes]]:
    rng = random.Random(20240905)  # fixed seed: the same corpus every run
    good_xlsx = _fixed_in_time(
        xlsx([EN, ["a", "0459", 1], ["b", "13800000000", 2], ["c", None, 3]])
    )
    good_csv = csv_bytes([ZH, ["萨尔图驿站", "0459", "3"], ["龙凤驿站", "", "x"]], "gbk")
    corpus = [
        ("bom-only", "t.csv", codecs.BOM_UTF8),
        ("utf16-bom-only", "t.csv", codecs.BOM_UTF16_LE),
        ("random-csv", "t.csv", rng.randbytes(2048)),
        ("random-xlsx", "t.xlsx", rng.randbytes(2048)),
        ("zip-magic-then-noise", "t.xlsx", b"PK\x03\x04" + rng.randbytes(512)),
        ("xlsx-named-csv", "t.csv", good_xlsx),
        ("ole-xls-named-xlsx", "t.xlsx", bytes.fromhex("d0cf11e0a1b11ae1") + rng.randbytes(600)),
        ("html-named-xlsx", "t.xlsx", b"<html><table><tr><td>Name</td></tr></table></html>"),
        ("empty-zip", "t.xlsx", _zip({})),
        # A central directory claiming a zip version Python cannot read (found by fuzzing).
        ("zip-version-16", "t.xlsx", _zip_version(_zip({"a.txt": b"x"}), 162)),
        ("zip-without-workbook", "t.xlsx", _zip({"hello.txt": b"hi"})),
        (
            "broken-workbook-xml",
            "t.xlsx",
            _zip({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<"}),
        ),
        ("merged-cells", "t.xlsx", _merged()),
        ("header-only-xlsx", "t.xlsx", xlsx([EN])),
        ("header-only-csv", "t.csv", csv_bytes([EN])),
        ("no-known-header", "t.csv", csv_bytes([["foo", "bar"], ["1", "2"]])),
        ("formula-cmd", "t.xlsx", xlsx([EN, ["=cmd|' /C calc'!A0", "=1+1", "=A1"]])),
        ("wide-header", "t.xlsx", xlsx([[*EN, *[f"c{i}" for i in range(400)]], ["a"] * 403])),
        ("unterminated-quote", "t.csv", b'Name,Phone\n"abc,1\n'),
        ("nul-in-csv", "t.csv", b"Name\na\x00b\n"),
        ("only-newlines", "t.csv", b"\n\n\n"),
        ("control-chars", "t.csv", b"Name\n\x07\x1b[31m\n"),
    ]
    for index in range(8):
        cut = rng.randrange(10, len(good_xlsx) - 10)
        corpus.append((f"truncated-xlsx-{index}", "t.xlsx", good_xlsx[:cut]))
    for index in range(14):
        data = bytearray(good_xlsx)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        corpus.append((f"mutated-xlsx-{index}", "t.xlsx", bytes(data)))
    for index in range(8):
        data = bytearray(good_csv)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        corpus.append((f"mutated-csv-{index}", "t.csv", bytes(data)))
    return corpus


MALFORMED = _malformed_corpus()


def test_the_malformed_corpus_is_big_enough():
    assert len(MALFORMED) >= 50


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"), [(n, c) for _id, n, c in MALFORMED], ids=[i for i, _n, _c in MALFORMED]
)
def test_malformed_files_give_a_file_error_or_a_clean_report(name, content):
    try:
        table = read_table(upload(name, content), LAYOUT)
    except DomainError as exc:
        assert (exc.code, exc.field) == ("import_file", "file")
        assert str(exc.message)
        return
    assert len(table.rows) > 0
    for row in table.rows:
        assert all(isinstance(e, RowError) and e.row >= 2 and e.message for e in row.errors)
        ThingForm(data=row.values).is_valid()  # whatever the bytes, a row is only ever invalid


def test_merged_cells_read_as_top_left_value():
    table = read_table(upload("t.xlsx", _merged()), LAYOUT)
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"name": "a", "phone": "1", "count": ""}),
        (3, {"name": "b", "phone": "", "count": ""}),
    ]
