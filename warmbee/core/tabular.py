"""Spreadsheet import and export: the one mechanism for every roster (R29, R41).

A :class:`Layout` lists the columns. From it come a blank ``.xlsx`` template, a streaming
reader for ``.xlsx``/``.csv`` uploads (:func:`open_table`; :func:`read_table` reads a small
file whole) that ``core.import_jobs`` imports through, and formula-safe exports
(:func:`export_xlsx`, :func:`export_csv`).

* Formulas are never evaluated. An ``.xlsx`` formula cell is a row error, and every exported
  string that Excel could run as a formula gets a leading ``'`` (R29).
* Text columns (IDs, phones, codes) must reach us as text. Excel turns an 18-digit ID typed as a
  number into ``1.1010519491231e+17``, so a float, or an integer too long to be exact, is a row
  error and never a silently wrong ID.
* A problem with the file itself raises ``DomainError(code="import_file", field="file")``. A
  problem with a row becomes a :class:`RowError` in the :class:`ImportReport`. Nothing else
  escapes, whatever bytes are uploaded.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser

from .errors import DomainError

logger = logging.getLogger(__name__)

MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024
#: An ``.xlsx`` may unpack to at most this many times ``max_bytes`` (zip bombs).
MAX_UNZIP_RATIO = 20
#: Header cells beyond this column are not read.
MAX_COLUMNS = 200
#: Formatted but empty rows tolerated beyond ``max_rows`` before the sheet is refused.
BLANK_ROW_ALLOWANCE = 10_000
TEMPLATE_ROWS = 1000
#: Excel keeps 15 significant digits; a longer number has already lost its tail.
EXACT_DIGITS = 15
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_CELL = 32767

ALL_OR_NOTHING = "all_or_nothing"
VALID_ONLY = "valid_only"
Mode = Literal["all_or_nothing", "valid_only"]

TEXT_FORMAT = "@"
_BOLD = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]\d+$")
_INVALID_SHEET_TITLE = re.compile(r"[\\*?:/\[\]]")
_FILE_ERROR = {"code": "import_file", "field": "file"}


# --- layout -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One spreadsheet column; ``key`` is the form field name, ``header`` what people see."""

    key: str
    header: str | Promise
    required: bool = False
    text: bool = False
    width: int = 16
    help: str | Promise = ""
    example: str | Promise = ""


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file, in template order."""

    columns: list[Column]
    sheet_title: str | Promise

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"Duplicate column keys in layout: {keys}")

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def header_aliases(self) -> dict[str, Column]:
        """Normalised header → column: the header in every site language and the key.

        So a Chinese template imports for an English-speaking officer and the other way round.
        """
        aliases: dict[str, Column] = {}
        for column in self.columns:
            names = {column.key, str(column.header)}
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    names.add(str(column.header))
            with translation.override("en"):
                names.add(str(column.header))
            for name in names:
                alias = normalise_header(name)
                if aliases.get(alias, column) is not column:
                    raise ValueError(f"Header {name!r} names two columns of the layout")
                aliases[alias] = column
        return aliases


def normalise_header(value: Any) -> str:
    """Case-insensitive, trimmed, full-width and repeated spaces ignored."""
    text = str(value or "").replace("\ufeff", "").replace("\u3000", " ")
    return " ".join(text.split()).casefold()


def _sheet_title(title: str | Promise) -> str:
    return _INVALID_SHEET_TITLE.sub(" ", str(title)).strip()[:31] or "Sheet1"


# --- formula neutralisation (R29) ---------------------------------------------------------------
def neutralise(value: Any) -> Any:
    """Prefix ``'`` to a string Excel would run as a formula; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _export_value(value: Any, *, text: bool) -> Any:
    """A value safe to put in a cell: neutralised, no control characters, naive local time."""
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.make_naive(timezone.localtime(value))
    if text or not isinstance(value, int | float | Decimal | dt.date | dt.time | bool):
        value = str(value)
    if isinstance(value, str):
        value = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))[:EXCEL_MAX_CELL]
    return value


# --- template -----------------------------------------------------------------------------------
def template_xlsx(layout: Layout) -> bytes:
    """A blank workbook: bold frozen header, text-formatted text columns, an instructions sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(layout.sheet_title)
    for index, column in enumerate(layout.columns, start=1):
        cell = ws.cell(row=1, column=index, value=neutralise(str(column.header)))
        cell.font = _BOLD
        if column.required:
            cell.fill = _REQUIRED_FILL
        if column.text:
            cell.number_format = TEXT_FORMAT
            for row in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=row, column=index).number_format = TEXT_FORMAT
        ws.column_dimensions[cell.column_letter].width = column.width
    ws.freeze_panes = "A2"

    notes = wb.create_sheet(_sheet_title(_("Instructions")))
    notes.append([_("Column"), _("Required"), _("Description"), _("Example")])
    for cell in notes[1]:
        cell.font = _BOLD
    for column in layout.columns:
        description = str(column.help)
        if column.text:
            hint = _(
                "Text column: keep the cells formatted as text so that long numbers and leading zeros survive."
            )
            description = f"{description} {hint}".strip()
        notes.append(
            [
                _export_value(column.header, text=True),
                _("Yes") if column.required else _("No"),
                _export_value(description, text=True),
                _export_value(column.example, text=True),
            ]
        )
    for letter, width in zip("ABCD", (20, 10, 60, 24), strict=True):
        notes.column_dimensions[letter].width = width
    notes.freeze_panes = "A2"
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    """``row`` as numbered in the spreadsheet (header = 1); ``column`` as headed in the file."""

    row: int
    column: str
    message: str


@dataclass
class TableRow:
    number: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Table:
    """The non-blank rows of an upload, keyed by column key.

    ``headers`` maps each key found in the file to the header as written there;
    ``ignored_headers`` are headers that matched no column (worth showing as a warning).
    """

    layout: Layout
    headers: dict[str, str]
    rows: list[TableRow]
    ignored_headers: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def header(self, key: str) -> str:
        """The header people see for ``key``: as in the file, else the layout's."""
        if key in self.headers:
            return self.headers[key]
        column = self.layout.column(key)
        return str(column.header) if column else key


def _file_error(message: str) -> DomainError:
    return DomainError(message, **_FILE_ERROR)


def read_table(
    upload: Any, layout: Layout, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES
) -> Table:
    """Read an uploaded ``.xlsx`` or ``.csv`` (anything with ``name`` and ``read()``) whole."""
    with open_table(upload, layout, max_rows=max_rows, max_bytes=max_bytes) as stream:
        rows = list(stream.rows)
        if not rows:
            raise _file_error(_("The file has a header row but no data rows."))
        return Table(
            layout=layout, headers=stream.headers, rows=rows, ignored_headers=stream.ignored_headers
        )


@dataclass
class StreamTable:
    """An open upload read row by row, in constant memory (:func:`open_table`).

    ``rows`` yields the non-blank :class:`TableRow` s once; ``estimated_rows`` is what the file
    says about its size (the sheet's recorded dimension, or the CSV's line count), for a
    progress bar — the real count is known only at the end.
    """

    layout: Layout
    headers: dict[str, str]
    ignored_headers: list[str]
    rows: Iterator[TableRow]
    estimated_rows: int | None
    _grid: Any = None

    header = Table.header

    def close(self) -> None:
        if self._grid is not None:
            self._grid.close()

    def __enter__(self) -> StreamTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_extension(upload: Any) -> str:
    """``.xlsx`` or ``.csv`` from the upload's name, or the file-level error that says what
    to upload instead."""
    name = str(getattr(upload, "name", "") or "")
    extension = os.path.splitext(name.lower())[1]
    if extension not in (".xlsx", ".csv"):
        raise _file_error(
            _(
                "Upload an Excel workbook (.xlsx) or a CSV file; save older .xls files as .xlsx first."
            )
        )
    return extension


def open_table(
    upload: Any, layout: Layout, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES
) -> StreamTable:
    """Open an ``.xlsx`` or ``.csv`` upload and check its header; the rows are read lazily.

    A file-level problem raises ``DomainError(code="import_file")`` here or, for a sheet that
    breaks half-way, while iterating ``rows``. Use as a context manager so the workbook closes.
    """
    extension = file_extension(upload)
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > max_bytes:
        raise file_too_large(max_bytes)
    if hasattr(upload, "seek"):
        upload.seek(0)
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise file_too_large(max_bytes)
    if not raw:
        raise _file_error(_("The file is empty."))
    estimate: list[int] = []
    grid = (
        _xlsx_grid(raw, max_bytes, estimate) if extension == ".xlsx" else _csv_grid(raw, estimate)
    )
    del raw
    try:
        headers, ignored, positions = _read_header(grid, layout)
    except BaseException:
        grid.close()
        raise
    return StreamTable(
        layout=layout,
        headers=headers,
        ignored_headers=ignored,
        rows=_iter_rows(grid, positions, headers, max_rows=max_rows),
        estimated_rows=estimate[0] if estimate else None,
        _grid=grid,
    )


def file_too_large(max_bytes: int) -> DomainError:
    return _file_error(
        _("The file is larger than %(size)s MB; split it into smaller files.")
        % {"size": f"{max_bytes / (1024 * 1024):g}"}
    )


class _Formula(str):
    """An ``.xlsx`` formula cell's text: refused, never evaluated."""


#: ``(row number, cell values)``, the header first; rows with no cells may be skipped.
Grid = Iterator[tuple[int, list[Any]]]


def _xlsx_grid(raw: bytes, max_bytes: int, estimate: list[int]) -> Grid:
    if not raw.startswith(b"PK\x03\x04"):
        raise _not_a_workbook()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
    ):
        raise _not_a_workbook() from None
    if unpacked > max_bytes * MAX_UNZIP_RATIO:
        raise file_too_large(max_bytes)
    try:
        # data_only=False: a formula stays a formula (data_type "f") and is refused, never run.
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        logger.info("Unreadable xlsx upload: %s", type(exc).__name__)
        raise _not_a_workbook() from None
    return _xlsx_rows(wb, estimate)


def _xlsx_rows(wb: Any, estimate: list[int]) -> Grid:
    """The first sheet's rows straight from openpyxl's streaming parser.

    This is what ``ReadOnlyWorksheet.iter_rows(values_only=True)`` does, minus building a
    padded row of every row: each parsed cell carries its column and its type, so formulas are
    told apart from text without a cell object per value, and the recorded sheet size (often
    wrong) is not trusted.
    """
    try:
        if not wb.worksheets:
            raise _file_error(_("The workbook has no worksheet."))
        ws = wb.worksheets[0]
        if isinstance(ws.max_row, int) and ws.max_row > 1:
            estimate.append(ws.max_row - 1)
        with ws._get_source() as source:
            parser = WorkSheetParser(
                source,
                ws._shared_strings,
                data_only=False,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            header_seen = False
            for number, cells in parser.parse():
                if not header_seen:
                    header_seen = True
                    if number != 1:
                        yield 1, []
                values: list[Any] = []
                for cell in cells:
                    column = cell["column"]
                    if column > MAX_COLUMNS:
                        break
                    if column > len(values) + 1:
                        values.extend([None] * (column - 1 - len(values)))
                    value = cell["value"]
                    if cell["data_type"] == "f":
                        value = _Formula(value)
                    values.append(value)
                yield number, values
    except DomainError:
        raise
    except Exception as exc:  # damaged sheet XML, bad zip member, odd cell types
        logger.info("Unreadable xlsx upload: %s", type(exc).__name__)
        raise _not_a_workbook() from None
    finally:
        wb.close()


def _not_a_workbook() -> DomainError:
    return _file_error(
        _(
            "This file is not a readable Excel workbook; open it in Excel and save it as .xlsx again."
        )
    )


def _decode(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        # Chinese Excel saves "CSV" as GBK; GB18030 is its superset.
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise _file_error(
        _("This file is not readable text; save it from Excel as “CSV UTF-8” or as .xlsx.")
    )


def _csv_grid(raw: bytes, estimate: list[int]) -> Grid:
    text = _decode(raw)
    estimate.append(max(text.count("\n") - 1, 0))
    if not text.strip():
        raise _file_error(_("The file is empty."))
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line else ","
    return _csv_rows(text, delimiter)


def _csv_rows(text: str, delimiter: str) -> Grid:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record[:MAX_COLUMNS]
    except csv.Error:
        raise _file_error(
            _("This file is not valid CSV (a quote or a very long cell is broken).")
        ) from None


def _as_text(value: Any) -> str:
    """A cell value as the string a form field gets."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 10**EXACT_DIGITS:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def _text_column_problem(value: Any) -> bool:
    """True when a text column got a number Excel may already have mangled."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float | Decimal):
        return True
    if isinstance(value, int):
        return len(str(abs(value))) > EXACT_DIGITS
    return isinstance(value, str) and bool(_SCIENTIFIC.match(value.strip()))


def _read_header(grid: Grid, layout: Layout) -> tuple[dict[str, str], list[str], dict[int, Column]]:
    try:
        _number, header_cells = next(grid)
    except StopIteration:
        raise _file_error(_("The file is empty.")) from None
    aliases = layout.header_aliases()
    positions: dict[int, Column] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for index, value in enumerate(header_cells):
        if isinstance(value, _Formula):
            continue
        shown = _as_text(value)
        if not shown:
            continue
        column = aliases.get(normalise_header(shown))
        if column is None:
            ignored.append(shown)
            continue
        if column.key in headers:
            raise _file_error(
                _("The column “%(header)s” appears more than once.") % {"header": shown}
            )
        positions[index] = column
        headers[column.key] = shown
    missing = [str(c.header) for c in layout.columns if c.required and c.key not in headers]
    if missing:
        raise _file_error(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return headers, ignored, positions


def _iter_rows(
    grid: Grid, positions: dict[int, Column], headers: dict[str, str], *, max_rows: int
) -> Iterator[TableRow]:
    formula_message = _("This cell contains a formula; paste the value instead.")
    number_message = _("This column must be formatted as text in Excel; re-type the value as text.")
    found = 0
    columns = [(index, column, headers[column.key]) for index, column in positions.items()]
    for number, cells in grid:
        if number - 2 - found > BLANK_ROW_ALLOWANCE:
            raise _file_error(
                _("The sheet has too many empty rows; delete the empty rows below your data.")
            )
        values: dict[str, str] = {}
        errors: list[RowError] = []
        width = len(cells)
        for index, column, header in columns:
            value = cells[index] if index < width else None
            if isinstance(value, _Formula):
                values[column.key] = ""
                errors.append(RowError(number, header, formula_message))
            elif column.text and _text_column_problem(value):
                values[column.key] = ""
                errors.append(RowError(number, header, number_message))
            else:
                values[column.key] = _as_text(value)
        if not errors and not any(values.values()):
            continue  # a blank row
        found += 1
        if found > max_rows:
            raise _file_error(
                _("The file has more than %(max)s rows; split it into smaller files.")
                % {"max": max_rows}
            )
        yield TableRow(number, values, errors)


# --- importing ----------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """What an import did, or would do (``dry_run``). ``written``: something was committed.

    In a dry run ``created``/``updated`` are what a real run would do; in a real run they count
    committed rows and are 0 when the run was rolled back.
    """

    total: int
    valid: int
    created: int
    updated: int
    errors: list[RowError]
    dry_run: bool
    mode: str
    written: bool

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def failed_rows(self) -> int:
        return len({e.row for e in self.errors})


def _exported_by(watermark: str) -> str:
    return _("Exported by: %(watermark)s") % {"watermark": watermark}


def export_xlsx(layout: Layout, rows: Iterable[dict], *, watermark: str = "") -> bytes:
    """Rows (dicts keyed by column key) as a workbook; strings are formula-neutralised."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(layout.sheet_title))
    for index, column in enumerate(layout.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    if watermark:
        # Header/footer mini-language: "&" starts a code, "&&" is a literal ampersand.
        mark = _exported_by(watermark).replace("&", "&&")[:250]
        ws.oddHeader.right.text = mark
        ws.oddFooter.center.text = mark

    header = []
    for column in layout.columns:
        cell = WriteOnlyCell(ws, value=_export_value(column.header, text=True))
        cell.font = _BOLD
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for column in layout.columns:
            cell = WriteOnlyCell(ws, value=_export_value(row.get(column.key), text=column.text))
            if column.text:
                cell.number_format = TEXT_FORMAT
            cells.append(cell)
        ws.append(cells)
    if watermark:
        ws.append([_export_value(_exported_by(watermark), text=True)])
    return _save(wb)


def export_csv(layout: Layout, rows: Iterable[dict], *, watermark: str = "") -> bytes:
    """Rows as CSV (UTF-8 with BOM, so Excel reads Chinese); strings are formula-neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_export_value(c.header, text=True) for c in layout.columns])
    for row in rows:
        writer.writerow([_csv_value(row.get(c.key)) for c in layout.columns])
    if watermark:
        writer.writerow([_export_value(_exported_by(watermark), text=True)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def _csv_value(value: Any) -> Any:
    value = _export_value(value, text=False)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


__all__ = [
    "ALL_OR_NOTHING",
    "VALID_ONLY",
    "Column",
    "ImportReport",
    "Layout",
    "RowError",
    "Table",
    "TableRow",
    "export_csv",
    "export_xlsx",
    "neutralise",
    "read_table",
    "template_xlsx",
]


# --- cell values shared by every layout -------------------------------------------------------
TRUE_WORDS = {"1", "true", "yes", "y", "是", "对", "√", "✓"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "不", "×", "✗"}


def in_every_language(func) -> set[str]:
    """``func()`` evaluated under each site language, casefolded."""
    values = set()
    for code, _name in [*settings.LANGUAGES, ("en", "")]:
        with translation.override(code):
            values.add(str(func()).strip().casefold())
    return values


def parse_bool(value: str) -> bool | None:
    """``None`` for a blank cell; ``ValidationError`` for something that is not yes or no."""
    text = (value or "").strip().casefold()
    if not text:
        return None
    if text in TRUE_WORDS or text in in_every_language(lambda: _("Yes")):
        return True
    if text in FALSE_WORDS or text in in_every_language(lambda: _("No")):
        return False
    raise ValidationError(_("Write Yes or No."), code="boolean")


def choice_lookup(choices) -> dict[str, object]:
    """Value, and label in every language, casefolded → value."""
    lookup: dict[str, object] = {}
    for value, label in choices:
        lookup[str(value).casefold()] = value
        for text in in_every_language(lambda label=label: label):
            lookup[text] = value
    return lookup
