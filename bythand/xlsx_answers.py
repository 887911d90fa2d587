"""Read a filled worksheet workbook (bythand worksheet --format xlsx) back as Answers for check.

The workbook's hidden record names its problem, method and where every matrix sits; the reader
checks that the visible titles, labels and givens are still where the record puts them (a row
inserted or a given changed is an error naming the cell), then reads each answer cell as the
spreadsheet stored it: text ("9/46", "-inf") or a number (a typed 0.196). A cell a spreadsheet turned
into a date is kept as unreadable, so the rest of the workbook is still graded.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
import zlib
from fractions import Fraction
from pathlib import Path
from typing import Any

from .answers import Answers, AnswersError, Unreadable, Written, parse_cell
from .errors import ProblemError
from .numbers import NumberError, parse_number
from .problem import read_file
from .render.xlsx import RECORD_SHEET, RECORD_VERSION

DATE_HINT = "type fractions as text"
OPTION_KEYS = ("convention", "scale", "exp", "mask")
# what a damaged zip or its XML raises while openpyxl reads it (zlib's error, a bad CRC, broken XML)
UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, KeyError, ValueError, TypeError,
              IndexError, AttributeError, EOFError, OSError, SyntaxError, RuntimeError)  # fmt: skip
MAX_BYTES = 20_000_000  # a worksheet workbook is tens of kilobytes; refuse to unpack a huge file


def _ref(row: int, col: int) -> str:
    """An A1 reference from 0-based row and column."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _open(path: Path) -> Any:
    """The workbook, read-only with the values spreadsheets cached; a clear error for anything else."""
    from openpyxl import load_workbook

    try:
        if path.stat().st_size > MAX_BYTES:
            raise AnswersError(
                f"{path}: is larger than a worksheet workbook can be ({MAX_BYTES // 10**6} MB)"
            )
        # read whole and bounded first: a FIFO or a device named .xlsx is refused, never waited on
        data = read_file(path, MAX_BYTES, "worksheet workbooks")
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ProblemError as exc:
        raise AnswersError(str(exc)) from None
    except FileNotFoundError:
        raise AnswersError(f"{path}: no such file") from None
    except PermissionError:
        raise AnswersError(f"{path}: cannot be read (permission denied)") from None
    except IsADirectoryError:
        raise AnswersError(f"{path}: is a folder, not a workbook") from None
    except zipfile.BadZipFile:
        raise AnswersError(
            f"{path}: is not an xlsx workbook (it is not a zip file); save it as .xlsx"
        ) from None
    except UNREADABLE as exc:
        raise AnswersError(f"{path}: is not a readable xlsx workbook ({exc})") from None


def _read(path: Path) -> tuple[dict[str, str], list[dict[str, Any]], dict[tuple[int, int], Any]]:
    """The record, its matrices and the worksheet's cells; a damaged file is one clear error."""
    workbook = _open(path)
    try:
        record, items = _record(path, workbook)
        tab = record.get("tab", "")
        if tab not in workbook.sheetnames:  # renamed: the first sheet that is not the record
            others = [n for n in workbook.sheetnames if n != RECORD_SHEET]
            if not others:
                raise AnswersError(f"{path}: the worksheet itself is missing")
            tab = others[0]
        return record, items, _grid(workbook[tab])
    except AnswersError:
        raise
    except UNREADABLE as exc:  # read-only mode unpacks each sheet as it is read: damage shows here
        raise AnswersError(f"{path}: is not a readable xlsx workbook ({exc})") from None
    finally:
        workbook.close()


def _grid(sheet: Any) -> dict[tuple[int, int], Any]:
    """Every non-empty cell of a sheet by 0-based (row, column), read in one pass (read-only mode)."""
    cells: dict[tuple[int, int], Any] = {}
    for row in sheet.iter_rows():
        for c in row:
            if getattr(c, "value", None) is not None:
                cells[(c.row - 1, c.column - 1)] = c
    return cells


def _record(path: Path, workbook: Any) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The hidden record's entries, and where each matrix sits."""
    if RECORD_SHEET not in workbook.sheetnames:
        raise AnswersError(
            f"{path}: has no bythand record (its hidden sheet {RECORD_SHEET!r}); "
            "check reads workbooks made by bythand worksheet --format xlsx"
        )
    record: dict[str, str] = {}
    matrices: list[str] = []
    for row in workbook[RECORD_SHEET].iter_rows(min_row=2, max_col=2, values_only=True):
        if row and isinstance(row[0], str):
            value = "" if len(row) < 2 or row[1] is None else str(row[1])
            if row[0] == "matrix":
                matrices.append(value)
            else:
                record[row[0]] = value
    if record.get("bythand") != RECORD_VERSION:
        raise AnswersError(f"{path}: its bythand record is missing or from another version of bythand")
    if record.get("kind") == "live":
        raise AnswersError(
            f"{path}: is a live workbook (bythand run --format xlsx), not a worksheet to check; "
            "make one with bythand worksheet --format xlsx"
        )
    damaged = AnswersError(f"{path}: its bythand record is damaged (the hidden sheet {RECORD_SHEET!r})")
    if record.get("kind") not in ("worksheet", "key") or not matrices:
        raise damaged
    try:
        items = [json.loads(m) for m in matrices]
    except json.JSONDecodeError:
        raise damaged from None
    if not all(_well_formed(it) for it in items):
        raise damaged
    return record, items


def _well_formed(item: Any) -> bool:
    """A matrix entry of the record with every field the reader uses, of the right type."""
    fields = {"name": str, "kind": str, "role": str, "title": str, "row": int, "col": int, "rows": int,
              "cols": int, "row labels": list, "col labels": list}  # fmt: skip
    if not (isinstance(item, dict) and all(isinstance(item.get(k), t) for k, t in fields.items())):
        return False
    checked = [item[k] for k in ("values", "shown") if k in item]  # what the reader compares cell by cell
    return all(isinstance(v, list) and all(isinstance(r, list) for r in v) for v in checked)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _same_number(value: Any, exact: str) -> bool:
    """A given cell still holds the value the sheet was printed with."""
    if type(value) is int and exact.lstrip("-").isdigit():  # the usual given: a small integer, quickly
        return value == int(exact)
    try:
        want, _ = parse_number("-inf" if exact == "-inf" else exact)
    except NumberError:
        return _text(value) == exact
    if isinstance(value, str):
        value = value.replace("−", "-")
    try:
        got, _ = parse_number(value)
    except NumberError:
        return False
    # a spreadsheet keeps 15 to 17 significant digits of a decimal given (sin(1) and the like)
    return got == want or abs(got - want) <= Fraction(1, 10**12) * max(Fraction(1), abs(want))


def _check_layout(path: Path, cells: dict[tuple[int, int], Any], items: list[dict[str, Any]]) -> None:
    """Every title, label and given where the record puts it; else name the first cell that moved."""
    expected: list[tuple[int, int, str, str]] = []  # row, column, text, what it is
    for it in items:
        r, c, name = it["row"], it["col"], it["name"]
        expected.append((r - 2, c - 1, it["title"], f"the title of {name}"))
        for j, label in enumerate(it["col labels"]):
            expected.append((r - 1, c + j, label, f"a column label of {name}"))
        for i, label in enumerate(it["row labels"]):
            expected.append((r + i, c - 1, label, f"a row label of {name}"))
    for row, col, text, what in sorted(expected):
        got = _text(getattr(cells.get((row, col)), "value", None))
        if got != text:
            shown = repr(got) if got else "nothing"
            raise AnswersError(
                f"{path}: cell {_ref(row, col)} should hold {text!r} ({what}) but holds {shown}: the layout "
                "was changed (a row or column inserted, deleted or moved); undo that, or copy the answers "
                "into a fresh workbook"
            )
    for it in items:
        for i, row_values in enumerate(it.get("values", it.get("shown", []))):
            for j, exact in enumerate(row_values):
                row, col = it["row"] + i, it["col"] + j
                value = getattr(cells.get((row, col)), "value", None)
                given = "values" in it
                if not (_same_number(value, exact) if given else _text(value) == exact):
                    what = "given" if given else "printed already worked (--fill)"
                    raise AnswersError(
                        f"{path}: cell {_ref(row, col)} is {it['name']}[{i + 1},{j + 1}], {what} as {exact}, "
                        f"but now holds {_text(value) or 'nothing'}; restore it (the sheet is protected so "
                        "that it is not changed by accident)"
                    )


def _places(number_format: str) -> int:
    """The decimal places a number format shows ("0.00" -> 2), so 0.20 typed as a number keeps them."""
    m = re.search(r"0\.(0+)", number_format or "")
    return len(m[1]) if m else 0


def read_cell(value: Any, number_format: str, where: str) -> Written:
    """One answer cell as the spreadsheet stored it; a date or an error value is kept as unreadable."""
    if value is None:
        return None
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        if isinstance(value, datetime.datetime):
            shown = value.date().isoformat()
        else:
            shown = str(value) if isinstance(value, datetime.timedelta) else value.isoformat()
        return Unreadable(shown, f"{where} became a date ({shown}): {DATE_HINT}")
    if isinstance(value, bool):
        word = str(value).upper()
        return Unreadable(word, f"{where} holds {word}, not a number")
    if isinstance(value, float) and value.is_integer() and _places(number_format) == 0:
        value = int(value)  # 3.0 from a number cell is the integer the student typed
    if isinstance(value, float):
        places = _places(number_format)
        shown = repr(value)
        if places and "e" not in shown and len(shown.partition(".")[2]) < places:
            shown = f"{value:.{places}f}"  # typed 0.20 in a "0.00" cell: it keeps its two places
        value = shown
    if isinstance(value, str):
        text = value.strip().lstrip("'")
        if text.startswith("=") and len(text) > 1:
            text = text[1:]  # a text cell keeps "=9/46" as typed
        if "," in text and "." not in text and "/" not in text and text.count(",") == 1:
            text = text.replace(",", ".")  # a decimal comma, as in many languages
        if text.startswith("#"):
            return Unreadable(text, f"{where} holds the spreadsheet error {text}")
        value = text
    written = parse_cell(value, where)
    if isinstance(written, Unreadable):
        return Unreadable(written.text, f"{where}: {written.reason}")
    return written


def load_xlsx_answers(path: Path) -> Answers:
    """The answers of a filled worksheet workbook, with its name, problem and method from its record."""
    record, items, cells = _read(path)
    _check_layout(path, cells, items)
    key = record["kind"] == "key"
    matrices: dict[str, list[list[Written]]] = {}
    for it in items:
        if not (it["role"] == "answer" or (key and it["role"] == "fixed")):
            continue
        name = it["name"]
        rows: list[list[Written]] = []
        for i in range(it["rows"]):
            row: list[Written] = []
            for j in range(it["cols"]):
                c = cells.get((it["row"] + i, it["col"] + j))
                where = f"cell {_ref(it['row'] + i, it['col'] + j)}"
                row.append(None if c is None else read_cell(c.value, c.number_format, where))
            rows.append(row)
        matrices[name] = rows
    if not matrices:
        raise AnswersError(f"{path}: the workbook has no answer cells (every step was printed worked)")
    problem = Path(path).parent / record["problem"] if record.get("problem") else None
    options = {k: record[k] for k in OPTION_KEYS if record.get(k)}
    fill = frozenset(it["name"] for it in items if it["role"] == "fixed" and not key)  # printed: not graded
    return Answers(
        str(path),
        _name(record, cells),
        problem,
        record.get("sheet") or None,
        matrices,
        record.get("example") or None,
        options,
        fill=fill,
    )


def _name(record: dict[str, str], cells: dict[tuple[int, int], Any]) -> str | None:
    """What the student typed in the Name cell the record points to."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", record.get("name cell", ""))
    if not m:
        return None
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    return _text(getattr(cells.get((int(m[2]) - 1, col - 1)), "value", None)) or None


def workbook_name(path: Path) -> str | None:
    """The Name cell of a workbook that cannot be graded, if it can be read at all (for its row)."""
    try:
        record, _, cells = _read(path)
    except AnswersError:
        return None
    return _name(record, cells)
