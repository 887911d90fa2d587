"""Spreadsheets in the by-hand layout: worksheets to fill in (and their keys), and live workbooks.

One grid unit of layout.py is one spreadsheet cell, so the workbook shows the same crosses as the
printed sheet. A worksheet's answer cells are unlocked and formatted as text (so a typed 9/46 stays
a fraction, not a date); everything else is locked by sheet protection without a password. A hidden
sheet records the problem (sheet id, example or problem file), the method and where every matrix
sits, so `bythand check` reads the answers back from the record, never from a guess.

A live workbook (`bythand run --format xlsx`) holds a formula in every computed cell, with its value
cached (XlsxWriter writes both; openpyxl would leave the values empty until a program recalculates),
so a teacher edits X or a W in Excel, LibreOffice or Google Sheets and every step follows.
"""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from ..errors import BythandError
from ..layout import Canvas, Item, layout, sizes
from ..numbers import Matrix, NumberMode, cell, format_number, fraction_text
from ..walk import MASKED, Trace
from .labels import display_mode, labels, matrix_mode, method_text
from .palette import MASKED_STYLE, base_name, colour, tint

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

Kind = Literal["worksheet", "key", "live"]
Role = Literal["given", "answer", "fixed", "copy", "computed"]

RECORD_SHEET = "bythand"  # the hidden sheet with the workbook's own record
RECORD_VERSION = "1"
TABS: dict[Kind, str] = {"worksheet": "Worksheet", "key": "Answer key", "live": "Live"}
HEADER_ROWS = 5  # title; name; sheet id and method; how to answer; a blank line
NAME_CELL = (1, 2)  # 0-based (row, column) of the Name cell: C2
NAME_SPAN = 6  # the Name cell is merged over this many columns
MINUS_INFINITY = "−∞"
MINUS_SIGN = "−"
CREATED = datetime.datetime(2026, 1, 1)  # a fixed creation date: the same inputs give the same bytes
ANSWER_WIDTH, GIVEN_WIDTH, LABEL_WIDTH, SPACE_WIDTH = 7.5, 4.5, 4.0, 1.5  # column widths, in characters
GIVEN_DECIMALS = "0.00##"  # a decimal given (a positional encoding) to four places at most
FRACTIONS = "?/???"  # exact up to 999 in the denominator, as auto mode shows fractions
PAPER_CODES = {"a4": 9, "us-letter": 1}  # the paper codes of a spreadsheet's page setup


@dataclass(frozen=True)
class Placed:
    """An item of the canvas as it sits in the spreadsheet (0-based rows and columns)."""

    item: Item
    role: Role

    @property
    def top(self) -> int:
        """The spreadsheet row of the matrix's first row."""
        return self.item.top + HEADER_ROWS

    @property
    def left(self) -> int:
        """The spreadsheet column of the matrix's first column."""
        return self.item.left

    def at(self, i: int, j: int) -> tuple[int, int]:
        """The spreadsheet (row, column) of the matrix's cell [i, j]."""
        return self.top + i, self.left + j


def title(trace: Trace, item: Item) -> str:
    """The label above a matrix: its step number, head and formula, as on the printed sheet."""
    cols = trace.options.convention == "columns"
    src = "C" if trace.problem.C is not None else "X"
    o = trace.options
    scale = {"floor-half": "⌊S/2⌋", "none": "S, not scaled"}.get(
        o.scale, f"S/√{trace.problem.d_k_of(trace.problem.heads[(item.head or 1) - 1])}"
    )
    if o.mask == "causal":
        scale += ", masked"
    operand = "concat" if len(trace.problem.heads) > 1 else "Z"
    formulas = {
        "X": "X (given)", "C": "C (given context)", "WQ": "W_Q (given)", "WK": "W_K (given)",
        "WV": "W_V (given)", "WO": "W_O (given)",
        "Q": "Q = W_Q·X" if cols else "Q = X·W_Q",
        "K": f"K = W_K·{src}" if cols else f"K = {src}·W_K",
        "V": f"V = W_V·{src}" if cols else f"V = {src}·W_V",
        "Qcopy": "Q (copy)", "KT": "Kᵀ", "S": "S = Kᵀ·Q" if cols else "S = Q·Kᵀ", "scaled": scale,
        "E": "E = e^x" if o.base is None else f"E = {o.base}^x",
        "sums": "Σ: column sums of E" if cols else "Σ: row sums of E", "A": "A = E/Σ",
        "Vcopy": "V (copy)", "Z": "Z = V·A" if cols else "Z = A·V", "Zcopy": "Z (copy)",
        "concat": "concat: the heads' Z", "O": f"O = W_O·{operand}" if cols else f"O = {operand}·W_O",
        "embed": "embed (given word vectors)", "P": "P (given positions)",
        "Xsum": "X = embed + P" if "P" in trace.matrices else "X = embed", "Xcopy": "X (copy)",
    }  # fmt: skip
    head = f"h{item.head} · " if item.head is not None and item.kind not in ("X", "C") else ""  # X is shared
    return f"{item.step}  {head}{formulas[item.kind]}"


def _value_text(v: Fraction | float, mode: NumberMode) -> str:
    """A value as the key shows it: −∞, an integer, a fraction, or a rounded decimal."""
    if isinstance(v, float) and v == MASKED:
        return MINUS_INFINITY
    return format_number(v, mode, 2)


def exact_text(v: Fraction | float) -> str:
    """A value written exactly, for the record: "9/46", "-inf", or a float's shortest repr."""
    if isinstance(v, float):
        return "-inf" if v == MASKED else repr(v)
    return fraction_text(v)


def masked_cell(trace: Trace, name: str, i: int, j: int) -> bool:
    """True for a cell the causal mask fixes: −∞ in scaled, 0 in E and A."""
    if trace.options.mask != "causal" or base_name(name) not in ("scaled", "E", "A"):
        return False
    prefix = name[: -len(base_name(name))]
    return bool(trace[prefix + "scaled"][i, j] == MASKED)


class _Styles:
    """The workbook's cell formats, made once each (a workbook allows only so many)."""

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self.made: dict[tuple[Any, ...], Format] = {}

    def get(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self.made:
            self.made[key] = self.workbook.add_format(props)
        return self.made[key]

    def cell(self, hue: str, role: str, number: str | None = None) -> Format:
        """A matrix cell: a pale fill in its colour, a thin border, locked unless it is an answer."""
        shade = {"given": 0.78, "answer": 0.95, "fixed": 0.86, "copy": 0.9, "computed": 0.9}[role]
        props: dict[str, Any] = {
            "bg_color": tint(hue, shade),
            "border": 1,
            "border_color": tint(hue, 0.35),
            "align": "right",
            "font_size": 10,
            "locked": role != "answer",
        }
        if role == "answer":
            props["num_format"] = "@"  # text: a typed 9/46 stays a fraction, never a date
        elif number is not None:
            props["num_format"] = number
        if role == "given":
            props["bold"] = True
        return self.get(**props)

    def masked(self) -> Format:
        """A cell the mask fixes: grey, written −∞ or 0."""
        return self.get(
            bg_color=tint(MASKED_STYLE, 0.8),
            font_color=MASKED_STYLE,
            border=1,
            border_color=tint(MASKED_STYLE, 0.4),
            align="right",
            font_size=10,
            locked=True,
        )

    def label(self, hue: str) -> Format:
        return self.get(font_color=hue, font_size=8, align="center", bold=True)

    def title(self, hue: str) -> Format:
        return self.get(font_color=_dark(hue), bold=True, font_size=10)


def _dark(hex_colour: str) -> str:
    """A darker shade of a colour, readable as text on white (yellow is not)."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * 0.6):02X}" for c in (r, g, b))


def _workbook(buffer: io.BytesIO, subject: str, trace: Trace) -> Workbook:
    from xlsxwriter.workbook import Workbook

    # Text stays text: a title such as "=1+1" or a cell "−∞" is never turned into a formula or number.
    workbook = Workbook(
        buffer,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
         "strings_to_urls": False},
    )  # fmt: skip
    workbook.set_properties(
        {"title": trace.problem.title[:250], "subject": subject, "author": "bythand", "created": CREATED}
    )
    return workbook


def _placed(canvas: Canvas, fill: frozenset[str], kind: Kind) -> list[Placed]:
    """Every item with its part in this workbook."""
    out = []
    for it in canvas.items():
        role: Role
        if it.given:
            role = "given"
        elif it.copy:
            role = "copy"
        elif kind == "live":
            role = "computed"
        elif kind == "key" or base_name(it.name) in fill:
            role = "fixed"
        else:
            role = "answer"
        out.append(Placed(it, role))
    return out


def _column_widths(trace: Trace, placed: list[Placed], canvas: Canvas, texts: Any) -> list[float]:
    """Each column as wide as the numbers it holds; an answer column wide enough to type 27/46."""

    def need(it: Item, k: int) -> float:
        role = next(p.role for p in placed if p.item is it)
        widest = max((len(texts(it, i, k)) for i in range(it.rows)), default=0)
        floor = GIVEN_WIDTH if role == "given" else ANSWER_WIDTH
        return max(floor, widest + 1.5)

    other = {"label": LABEL_WIDTH, "space": SPACE_WIDTH, "title": SPACE_WIDTH, "cell": ANSWER_WIDTH}
    return sizes([p.item for p in placed], canvas.width, "columns", need, other.__getitem__)


def _frame(ws: Worksheet, styles: _Styles, trace: Trace, p: Placed) -> None:
    """A matrix's title above it, column labels over its columns and row labels left of its rows."""
    it = p.item
    hue = colour(it.name)
    row_labels, col_labels = labels(trace, it.name)
    ws.write_string(p.top - 2, p.left - 1, title(trace, it), styles.title(hue))
    for j, text in enumerate(col_labels):
        ws.write_string(p.top - 1, p.left + j, text, styles.label(hue))
    for i, text in enumerate(row_labels):
        ws.write_string(p.top + i, p.left - 1, text, styles.label(hue))


def _signs(ws: Worksheet, styles: _Styles, canvas: Canvas) -> None:
    """The "+" and "=" between step 0's matrices: embed + P = X."""
    for row, col, sign in canvas.signs():
        ws.write_string(row + HEADER_ROWS, col, sign, styles.get(bold=True, font_size=14, align="center"))


def _setup_page(ws: Worksheet, rows: int, cols: int, footer: str, paper: str = "a4") -> None:
    """Print on the paper, the whole width on one page, with the sheet id in the footer."""
    ws.print_area(0, 0, rows - 1, cols - 1)
    ws.fit_to_pages(1, 0)
    ws.set_paper(PAPER_CODES[paper])
    ws.set_portrait()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer(f"&L{footer.replace('&', '&&')}&Rpage &P of &N")
    ws.hide_gridlines(2)


def _record(workbook: Workbook, entries: dict[str, str], matrices: Sequence[dict[str, Any]] = ()) -> None:
    """The hidden sheet: one key and its value per row, then one row per matrix (read back by check).

    A matrix per row keeps every cell far below a spreadsheet's 32,767 characters, whatever the size."""
    ws = workbook.add_worksheet(RECORD_SHEET)
    ws.write_string(0, 0, "This sheet is bythand's record of the workbook; check reads it. Do not edit it.")
    rows = [*entries.items()]
    rows += [("matrix", json.dumps(m, ensure_ascii=False, separators=(",", ":"))) for m in matrices]
    for r, (key, value) in enumerate(rows, start=1):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    ws.hide()
    ws.protect()


def worksheet_workbook(
    trace: Trace,
    sheet_id: str,
    reference: tuple[str, str],
    check_line: str,
    key: bool = False,
    fill: frozenset[str] = frozenset(),
    paper: str = "a4",
    student: str = "",
) -> bytes:
    """A worksheet (or its key) as a workbook; `reference` is ("sheet", "example" or "problem", its value)."""
    if paper not in PAPER_CODES:
        raise BythandError(f"--paper: unknown paper {paper!r} (choose a4 or us-letter)")
    kind: Kind = "key" if key else "worksheet"
    canvas = layout(trace)
    placed = _placed(canvas, fill, kind)
    mode = display_mode(trace, "auto")
    modes = {name: matrix_mode(m, mode) for name, m in trace.matrices.items()}

    def text(it: Item, i: int, j: int) -> str:
        return _value_text(cell(trace[it.name], i, j), modes[it.name])

    buffer = io.BytesIO()
    subject = ("Answer key" if key else "Worksheet") + f" {sheet_id}"
    workbook = _workbook(buffer, subject, trace)
    workbook.set_custom_property("bythand sheet", sheet_id)
    ws = workbook.add_worksheet(TABS[kind])
    styles = _Styles(workbook)
    for c, width in enumerate(_column_widths(trace, placed, canvas, text)):
        ws.set_column(c, c, width)
    _header(ws, styles, trace, sheet_id, check_line, key, student)
    _signs(ws, styles, canvas)
    by_name = {p.item.name: p for p in placed if not p.item.copy}
    layout_record: list[dict[str, Any]] = []
    for p in placed:
        it = p.item
        _frame(ws, styles, trace, p)
        hue = colour(it.name)
        for i, j, _, _ in it.cells():
            row, col = p.at(i, j)
            v = cell(trace[it.name], i, j)
            if masked_cell(trace, it.name, i, j) and p.role != "copy":
                ws.write_string(row, col, text(it, i, j), styles.masked())
            elif p.role == "answer":
                ws.write_blank(row, col, None, styles.cell(hue, "answer"))
            elif p.role == "copy":  # follows the student's own answer, as copying it by hand would
                src_row, src_col = by_name[it.name].at(i, j)
                from xlsxwriter.utility import xl_rowcol_to_cell

                ref = xl_rowcol_to_cell(src_row, src_col)
                shown = text(it, i, j) if by_name[it.name].role != "answer" else ""
                ws.write_formula(row, col, f'=IF({ref}="","",{ref})', styles.cell(hue, "copy"), shown)
            elif p.role == "given" and isinstance(v, Fraction) and v.denominator == 1:
                ws.write_number(row, col, int(v), styles.cell(hue, "given"))
            elif p.role == "given" and (isinstance(v, float) or Fraction(repr(float(v))) == v):
                ws.write_number(row, col, float(v), styles.cell(hue, "given", GIVEN_DECIMALS))  # 0.5, sin(1)
            elif p.role == "given":  # written exactly: a given is never rounded
                ws.write_string(row, col, exact_text(v).replace("-", MINUS_SIGN), styles.cell(hue, "given"))
            else:
                ws.write_string(row, col, text(it, i, j), styles.cell(hue, p.role))
        layout_record.append(_entry(trace, p, text, key))
    rows, cols = canvas.height + HEADER_ROWS, max(canvas.width, NAME_CELL[1] + NAME_SPAN + 1)
    _setup_page(ws, rows, cols, f"bythand · {sheet_id}" + (" · answer key" if key else ""), paper)
    ws.protect()  # no password: it only keeps the layout from being broken by accident
    o = trace.options
    _record(
        workbook,
        {
            "bythand": RECORD_VERSION,
            "kind": kind,
            "tab": TABS[kind],
            reference[0]: reference[1],
            "convention": o.convention,
            "scale": o.scale,
            "exp": o.exp,
            "mask": o.mask,
            "name cell": _ref(*NAME_CELL),
        },
        layout_record,
    )
    workbook.close()
    return buffer.getvalue()


def _entry(trace: Trace, p: Placed, text: Any, key: bool) -> dict[str, Any]:
    """A matrix in the record: where it sits, its title and labels, and the values check verifies."""
    it = p.item
    entry: dict[str, Any] = {
        "name": it.name, "kind": it.kind, "role": p.role, "row": p.top, "col": p.left,
        "rows": it.rows, "cols": it.cols, "title": title(trace, it),
        "row labels": labels(trace, it.name)[0], "col labels": labels(trace, it.name)[1],
    }  # fmt: skip
    if p.role == "given":
        entry["values"] = [[exact_text(cell(trace[it.name], i, j)) for j in range(it.cols)]
                           for i in range(it.rows)]  # fmt: skip
    elif p.role == "fixed" and not key:  # steps printed worked (--fill): kept as shown
        entry["shown"] = [[text(it, i, j) for j in range(it.cols)] for i in range(it.rows)]
    return entry


def _ref(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return str(xl_rowcol_to_cell(row, col))


def _header(
    ws: Worksheet, styles: _Styles, trace: Trace, sheet_id: str, check_line: str, key: bool, student: str
) -> None:
    """Title, the Name cell, the sheet id and method, and how to write answers."""
    bold = styles.get(bold=True, font_size=13)
    small = styles.get(font_size=9)
    ws.write_string(0, 0, ("ANSWER KEY · " if key else "") + trace.problem.title, bold)
    ws.write_string(1, 1, "Name:", styles.get(bold=True, align="right"))
    name_row, name_col = NAME_CELL
    ws.merge_range(
        name_row, name_col, name_row, name_col + NAME_SPAN - 1, student,  # a roster's name, else blank
        styles.get(locked=False, num_format="@", bottom=1, bg_color="#FFFFFF"),
    )  # fmt: skip
    ws.write_string(2, 0, f"Sheet {sheet_id} · {method_text(trace)}", small)
    how = (
        "The answer key: every step worked. Grade the workbooks handed in with: "
        "bythand check FOLDER --csv grades.csv"
        if key
        else "Type each answer in its white cell: an integer, a fraction such as 9/46, or a decimal with at "
        f"least 2 places. Hand in this file; it is checked with: {check_line}"
    )
    ws.write_string(3, 0, how, small)


class _Formulas:
    """The formula of each computed cell of a live workbook, written with the cells of its operands."""

    def __init__(self, trace: Trace, placed: list[Placed]) -> None:
        self.trace = trace
        self.where: dict[str, list[Placed]] = {}
        for p in placed:
            self.where.setdefault(p.item.name, []).append(p)
        self.products = {pr.result: pr for step in trace.steps for pr in step.products}
        self.columns = trace.options.convention == "columns"

    def main(self, name: str) -> Placed:
        """The drawing of a matrix itself (not a copy)."""
        return next(p for p in self.where[name] if not p.item.copy)

    def ref(self, name: str, i: int, j: int) -> str:
        """The A1 reference of a matrix's cell [i, j]."""
        return _ref(*self.main(name).at(i, j))

    def operand(self, name: str, result: Placed) -> Placed:
        """The drawing of an operand that forms the cross with the result (a copy beside it, if any)."""
        r = result.item
        for p in self.where[name]:
            if (p.item.top, p.item.rows) == (r.top, r.rows) or (p.item.left, p.item.cols) == (r.left, r.cols):
                return p
        return self.main(name)

    def __call__(self, p: Placed, i: int, j: int) -> str | None:
        """The cell's formula, or None for a masked score (a constant −∞)."""
        from xlsxwriter.utility import xl_range

        it, o, ref = p.item, self.trace.options, self.ref
        name, base = it.name, base_name(it.name)
        prefix = name[: len(name) - len(base)]
        if p.role == "copy":
            return f"={ref(name, i, j)}"
        if base == "KT":
            return f"={ref(prefix + 'K', j, i)}"
        if name in self.products:  # a cross: the left operand's row i times the right operand's column j
            pr = self.products[name]
            left, right = self.operand(pr.left, p), self.operand(pr.right, p)
            row = xl_range(*left.at(i, 0), *left.at(i, left.item.cols - 1))
            column = xl_range(*right.at(0, j), *right.at(right.item.rows - 1, j))
            return f"=MMULT({row},{column})"
        if base == "scaled":
            if masked_cell(self.trace, name, i, j):
                return None
            s = ref(prefix + "S", i, j)
            dk = self.trace.problem.d_k_of(self.trace.problem.heads[(it.head or 1) - 1])
            return {"sqrt": f"={s}/SQRT({dk})", "floor-half": f"=FLOOR({s}/2,1)", "none": f"={s}"}[o.scale]
        if base == "E":
            x = ref(prefix + "scaled", i, j)
            power = f"EXP({x})" if o.base is None else f"POWER({o.base},{x})"
            # −∞ is text in a spreadsheet: a masked score becomes 0, as e^−∞ does
            return f"=IF(ISNUMBER({x}),{power},0)" if masked_cell(self.trace, name, i, j) else f"={power}"
        if base == "sums":
            e = self.main(prefix + "E")
            last = e.item.rows - 1 if self.columns else e.item.cols - 1
            span = e.at(0, j) + e.at(last, j) if self.columns else e.at(i, 0) + e.at(i, last)
            return f"=SUM({xl_range(*span)})"
        if base == "A":
            total = ref(prefix + "sums", 0, j) if self.columns else ref(prefix + "sums", i, 0)
            return f"={ref(prefix + 'E', i, j)}/{total}"
        if base == "concat":
            return f"={_concat_ref(self.trace, i, j, ref)}"
        if it.kind == "Xsum":  # step 0: X = embed + P
            return "=" + "+".join(ref(part, i, j) for part in ("embed", "P") if part in self.trace.matrices)
        raise AssertionError(f"no formula for {name}")  # pragma: no cover - every computed matrix is above


def live_workbook(trace: Trace, source: str) -> bytes:
    """The whole trace as formulas with cached values, in the by-hand layout: edit a given, all follows."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    canvas = layout(trace)
    placed = _placed(canvas, frozenset(), "live")
    formula = _Formulas(trace, placed)
    o = trace.options

    buffer = io.BytesIO()
    workbook = _workbook(buffer, "Live workbook", trace)
    ws = workbook.add_worksheet(TABS["live"])
    styles = _Styles(workbook)
    modes = {name: matrix_mode(m, display_mode(trace, "auto")) for name, m in trace.matrices.items()}

    def text(it: Item, i: int, j: int) -> str:
        return _value_text(cell(trace[it.name], i, j), modes[it.name])

    for c, width in enumerate(_column_widths(trace, placed, canvas, text)):
        ws.set_column(c, c, width)
    ws.write_string(0, 0, trace.problem.title, styles.get(bold=True, font_size=13))
    ws.write_string(2, 0, f"{source} · {method_text(trace)}", styles.get(font_size=9))
    ws.write_string(
        3, 0,
        "A live workbook: change any given (the darker cells: X, W_Q, W_K, W_V...) and every step "
        "recomputes. Masked scores are the text −∞; their exp is 0.",
        styles.get(font_size=9),
    )  # fmt: skip
    _signs(ws, styles, canvas)
    for p in placed:
        it = p.item
        _frame(ws, styles, trace, p)
        hue = colour(it.name)
        number = _number_format(trace[it.name], modes[it.name])
        for i, j, _, _ in it.cells():
            row, col = p.at(i, j)
            v = cell(trace[it.name], i, j)
            if p.role == "given":
                ws.write_number(row, col, float(v), styles.cell(hue, "given", number))
                continue
            f = formula(p, i, j)
            if f is None:
                ws.write_string(row, col, MINUS_INFINITY, styles.masked())
                continue
            value = 0.0 if isinstance(v, float) and v == MASKED else float(v)
            style = styles.masked() if masked_cell(trace, it.name, i, j) else styles.cell(hue, p.role, number)
            ws.write_formula(row, col, f, style, value)
        if number == FRACTIONS:  # a whole number as 3, not 3/1, whatever value the formulas give
            first, last = p.at(0, 0), p.at(it.rows - 1, it.cols - 1)
            ws.conditional_format(
                *first, *last,
                {"type": "formula", "criteria": f"=MOD({xl_rowcol_to_cell(*first)},1)=0",
                 "format": styles.get(num_format="0")},
            )  # fmt: skip
    _setup_page(ws, canvas.height + HEADER_ROWS, canvas.width, f"bythand · {source}")
    _record(
        workbook,
        {"bythand": RECORD_VERSION, "kind": "live", "tab": TABS["live"], "source": source,
         "convention": o.convention, "scale": o.scale, "exp": o.exp, "mask": o.mask},
    )  # fmt: skip
    workbook.close()
    return buffer.getvalue()


def _concat_ref(trace: Trace, i: int, j: int, ref: Any) -> str:
    """The head's Z cell that concat[i, j] copies (heads stacked down in columns, across in rows)."""
    cols = trace.options.convention == "columns"
    offset = 0
    for h in range(len(trace.problem.heads)):
        name = trace.problem.prefix(h) + "Z"
        size = trace[name].shape[0 if cols else 1]
        k = i if cols else j
        if k < offset + size:
            return str(ref(name, i - offset, j) if cols else ref(name, i, j - offset))
        offset += size
    raise AssertionError("concat cell outside the heads")  # pragma: no cover


def _number_format(m: Matrix, mode: NumberMode) -> str:
    """Fractions shown as fractions while they are small (as by hand), else four decimal places."""
    values = list(_finite(m))
    if all(isinstance(v, Fraction) and v.denominator == 1 for v in values):
        return "0"
    if mode != "decimal" and all(isinstance(v, Fraction) for v in values):
        return FRACTIONS
    return "0.0000"


def _finite(m: Matrix) -> Iterable[Fraction | float]:
    for v in m.flat:
        if not (isinstance(v, float) and v == MASKED):
            yield v
