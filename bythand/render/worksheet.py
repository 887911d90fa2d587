"""Printable worksheets and answer keys in the by-hand layout: a Trace -> JSON -> typst -> PDF/PNG/SVG."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ..errors import BythandError
from ..generate import Params, class_set, generate, make_params, parse_sheet_id, sheet_id
from ..numbers import MINUS, Matrix, NumberMode, cell, format_number
from ..problem import EXAMPLE_NAME, Options, load_example, load_problem
from ..walk import MASKED, Trace, walk
from .labels import display_mode, labels, matrix_mode
from .palette import MASKED_STYLE, base_name, colour, tint

Paper = Literal["a4", "us-letter"]
OutputFormat = Literal["pdf", "png", "svg", "typ"]
PAPERS: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "us-letter": (215.9, 279.4)}
FORMATS: tuple[str, ...] = ("pdf", "png", "svg", "typ")
DATA_KEY = "bythand-data"
TIMESTAMP = 0  # a fixed creation date: the same inputs give the same bytes
PPI = 150  # PNG resolution: sharp enough to print, small enough to mail

# Layout in millimetres at scale 1. A box to fill is wide and tall enough for a handwritten 27/46.
MARGIN = 12.0
HEADER = 31.0  # the first page of a sheet: title, name and date, method, sheet id
STRIP = 7.0  # a continuation page's one-line header
FOOTER = 5.0
FILL_W, FILL_H = 11.0, 7.5
GIVEN_W, GIVEN_H = 6.0, 6.0  # given matrices hold small printed integers
LABEL_W = 6.0
TITLE_H = 5.0
COLHEAD_H = 3.8
MIN_BOX_W = 30.0  # room for a box's title ("2 Q = W_Q X")
PAIR_GAP = 3.0  # between a left operand and the product it sits beside
ROW_GAP = 2.5  # between stacked rows of a panel
COLUMN_GAP = 7.0  # between columns of panels
MAX_TITLE = 90  # characters: two lines of the header at most
SCALES = (1.0, 0.95, 0.9, 0.85)  # shrink a little before flowing onto another page
FILL_STEPS = {"Q": 2, "K": 2, "V": 2, "KT": 3, "S": 4, "scaled": 5, "E": 6, "sums": 7, "A": 8, "Z": 9}
FILL_STEPS |= {"concat": 10, "O": 11}


@dataclass
class Box:
    """One matrix drawn as a titled grid; x and y are set when its row is placed on a page."""

    name: str  # the trace's name of the matrix shown
    width: float = 0.0
    height: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """A box with an optional left operand beside it (the by-hand cross, one row at a time)."""

    right: Box
    left: Box | None = None


@dataclass
class Panel:
    """Rows stacked in a column, their right boxes lined up: one cross of the by-hand layout."""

    rows: list[Row]


@dataclass(frozen=True)
class Sheet:
    """One problem to print: its trace, the id shown on it and the line that checks it."""

    trace: Trace
    sheet_id: str
    check: str
    title: str
    student: str = ""  # a roster's name, printed on the Name line


def parse_fill(text: str | None) -> frozenset[str]:
    """--fill "Q,K,V" or "2,5": the steps to print already worked on the student sheet."""
    if not text:
        return frozenset()
    chosen: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        if part.isdigit() and int(part) in FILL_STEPS.values():
            chosen |= {name for name, step in FILL_STEPS.items() if step == int(part)}
        elif part in FILL_STEPS:
            chosen.add(part)
        else:
            valid = ", ".join(FILL_STEPS)
            raise BythandError(
                f"--fill: unknown step {part!r} (choose from {valid}, or step numbers 2 to 11)"
            )
    return frozenset(chosen)


class Layout:
    """Sizes at one scale, and the boxes of one trace built with them."""

    def __init__(self, trace: Trace, key: bool, fill: frozenset[str], scale: float) -> None:
        self.trace = trace
        self.key = key
        self.fill = fill
        self.s = scale
        self.mode: NumberMode = display_mode(trace, "auto")

    def box(self, kind: str, name: str, step: int | None, head: int | None) -> Box:
        """A box for matrix `name`; its cells are filled for givens, on a key, or when --fill asks."""
        m = self.trace[name]
        base = base_name(name)
        given = kind in ("X", "C", "WQ", "WK", "WV", "WO")
        fill_name = {"Qcopy": "Q", "Vcopy": "V"}.get(kind, base)
        filled = given or self.key or fill_name in self.fill or (kind == "Qcopy" and "KT" in self.fill)
        row_labels, col_labels = labels(self.trace, name)
        s = self.s
        # The cross lines up X's columns with Q's, and a W's rows with its product's; the other side
        # of a given (the features summed over) holds small printed integers, so it can be narrow.
        cw = (FILL_W if kind in ("X", "C") or not given else GIVEN_W) * s
        ch = (GIVEN_H if kind in ("X", "C") else FILL_H) * s
        lw = LABEL_W * s
        th = TITLE_H * s
        hh = 0.0 if kind == "sums" else COLHEAD_H * s
        w = max(lw + cw * m.shape[1], MIN_BOX_W * s)
        h = th + hh + ch * m.shape[0]
        mode = matrix_mode(m, self.mode)
        cells = [
            [self._cell(name, m, i, j, mode, filled) for j in range(m.shape[1])] for i in range(m.shape[0])
        ]
        hue = colour(name)
        data = {
            "kind": kind,
            "step": step,
            "head": head,
            "colour": hue,
            "fill": tint(hue, 0.93 if filled and not given else 0.88),
            "rows": row_labels,
            "cols": [] if kind == "sums" else col_labels,
            "cells": cells,
            "lw": round(lw, 3),
            "cw": round(cw, 3),
            "ch": round(ch, 3),
            "th": round(th, 3),
            "hh": round(hh, 3),
            "w": round(w, 3),
            "size": round(8.5 * s if given else 8 * s, 2),
            "dk": self.trace.problem.d_k_of(self.trace.problem.heads[max(0, (head or 1) - 1)]),
        }
        return Box(name, w, h, data)

    def _cell(
        self, name: str, m: Matrix, i: int, j: int, mode: NumberMode, filled: bool
    ) -> dict[str, Any] | None:
        """A cell's JSON: masked cells always show (−∞, then 0); others only when filled."""
        masked = self._masked(name, i, j)
        if not filled and not masked:
            return None
        v = cell(m, i, j)
        if masked:
            text = "−∞" if isinstance(v, float) and v == MASKED else "0"
            return {"text": text, "masked": True}
        if isinstance(v, Fraction) and "/" in format_number(v, mode):  # shown as a fraction: stack it
            return {"num": _minus(str(v.numerator)), "den": str(v.denominator)}
        return {"text": _minus(format_number(v, mode, 2))}

    def _masked(self, name: str, i: int, j: int) -> bool:
        if self.trace.options.mask != "causal" or base_name(name) not in ("scaled", "E", "A"):
            return False
        prefix = name[: -len(base_name(name))]
        return bool(self.trace[prefix + "scaled"][i, j] == MASKED)

    def panels(self) -> list[Panel]:
        """The by-hand layout: X over W·X = Q, K, V; Q over Kᵀ·S, then scaled, E, Σ, A; A over V·Z."""
        p = self.trace.problem
        multi = len(p.heads) > 1
        out: list[Panel] = []
        for i in range(len(p.heads)):
            pre = p.prefix(i)
            head = i + 1 if multi else None
            rows: list[Row] = []
            rows.append(Row(self.box("X", "X", 1, None)))  # each head's cross has X on top
            ws = {k: self.box(k, pre + k, 1, head) for k in ("WQ", "WK", "WV")}
            rows.append(Row(self.box("Q", pre + "Q", 2, head), ws["WQ"]))
            if p.C is not None:
                rows.append(Row(self.box("C", "C", 1, None)))
            rows.append(Row(self.box("K", pre + "K", 2, head), ws["WK"]))
            rows.append(Row(self.box("V", pre + "V", 2, head), ws["WV"]))
            out.append(Panel(rows))
            out.append(
                Panel(
                    [
                        Row(self.box("Qcopy", pre + "Q", 3, head)),
                        Row(self.box("S", pre + "S", 4, head), self.box("KT", pre + "KT", 3, head)),
                        Row(self.box("scaled", pre + "scaled", 5, head)),
                        Row(self.box("E", pre + "E", 6, head)),
                        Row(self.box("sums", pre + "sums", 7, head)),
                        Row(self.box("A", pre + "A", 8, head)),
                        Row(self.box("Z", pre + "Z", 9, head), self.box("Vcopy", pre + "V", 9, head)),
                    ]
                )
            )
        if multi or p.WO is not None:
            rows = []
            if multi:
                rows.append(Row(self.box("concat", "concat", 10, None)))
            if p.WO is not None:
                top = "concat" if multi else "Z"
                if not multi:
                    rows.append(Row(self.box("Z", top, 9, None)))
                rows.append(Row(self.box("O", "O", 11, None), self.box("WO", "WO", 1, None)))
            out.append(Panel(rows))
        return out


def _minus(text: str) -> str:
    return text.replace(MINUS, "−") if text.startswith(MINUS) else text


def _place(panels: list[Panel], width: float, first: float, later: float, s: float) -> list[list[Box]] | None:
    """Place panels on pages; None if a box cannot fit on any page.

    A panel goes beside the last one when the page is wide enough (as the crosses sit on paper),
    else under an earlier column with room, else on a new page; a panel taller than the page
    continues in the next column.
    """
    pages: list[list[Box]] = [[]]
    columns: list[list[float]] = []  # the current page's columns: [x, width, bottom]
    row_gap, pair_gap, col_gap = ROW_GAP * s, PAIR_GAP * s, COLUMN_GAP * s

    def height() -> float:
        return first if len(pages) == 1 else later

    def beside() -> float:
        return columns[-1][0] + columns[-1][1] + col_gap if columns else 0.0

    def open_column(panel_w: float) -> list[float]:
        x = beside()
        if x + panel_w > width:
            pages.append([])
            columns.clear()
            x = 0.0
        columns.append([x, panel_w, 0.0])
        return columns[-1]

    for panel in panels:
        left_w = max((r.left.width for r in panel.rows if r.left is not None), default=0.0)
        left_w = left_w + pair_gap if left_w else 0.0
        panel_w = left_w + max(r.right.width for r in panel.rows)
        heights = [max(r.right.height, r.left.height if r.left else 0.0) for r in panel.rows]
        if panel_w > width or max(heights) > min(first, later):
            return None
        panel_h = sum(heights) + row_gap * (len(heights) - 1)
        below = [c for c in columns if c[2] + row_gap + panel_h <= height() and c[0] + panel_w <= width]
        if columns and beside() + panel_w > width and below:
            col = below[0]
            col[2] += row_gap  # a wider gap between panels than between the rows of one
        else:
            col = open_column(panel_w)
        for row, h in zip(panel.rows, heights, strict=True):
            if col[2] + h > height():
                col = open_column(panel_w)
            top = (HEADER if len(pages) == 1 else STRIP) + col[2]
            row.right.data.update(x=round(col[0] + left_w, 3), y=round(top, 3), side="right")
            pages[-1].append(row.right)
            if row.left is not None:
                left_x = col[0] + left_w - pair_gap - row.left.width
                row.left.data.update(x=round(left_x, 3), y=round(top, 3), side="left")
                pages[-1].append(row.left)
            col[2] += h + row_gap
            col[1] = max(col[1], panel_w)
    return pages


def layout(trace: Trace, key: bool, fill: frozenset[str], paper: str) -> list[list[dict[str, Any]]]:
    """The boxes of each page: the largest scale that needs the fewest pages."""
    width, height = PAPERS[paper]
    inner_w = width - 2 * MARGIN
    first = height - 2 * MARGIN - HEADER - FOOTER
    later = height - 2 * MARGIN - STRIP - FOOTER
    best: list[list[Box]] | None = None
    for s in SCALES:
        pages = _place(Layout(trace, key, fill, s).panels(), inner_w, first, later, s)
        if pages is not None and (best is None or len(pages) < len(best)):
            best = pages
    if best is None:
        raise BythandError("this problem is too large to print on a sheet; use fewer tokens or features")
    return [[{**b.data, "name": b.name} for b in page] for page in best]


def method(trace: Trace) -> dict[str, Any]:
    """The method in keys the template turns into words and maths."""
    p = trace.problem
    o = p.options
    return {
        "scale": o.scale,
        "base": o.exp,
        "dk": p.d_k,
        "mask": o.mask == "causal",
        "cross": p.C is not None,
        "heads": len(p.heads),
        "wo": p.WO is not None,
        "exact": trace.exact,
    }


def document_data(sheets: Sequence[Sheet], key: bool, fill: frozenset[str], paper: str) -> dict[str, Any]:
    """Everything the template shows, as plain JSON data."""
    if paper not in PAPERS:
        raise BythandError(f"--paper: unknown paper {paper!r} (choose a4 or us-letter)")
    return {
        "document": ("Answer key: " if key else "Worksheet: ") + ", ".join(s.sheet_id for s in sheets),
        "paper": paper,
        "margin": MARGIN,
        "header": HEADER,
        "strip": STRIP,
        "key": key,
        "masked": MASKED_STYLE,
        "masked-fill": tint(MASKED_STYLE, 0.8),
        "sheets": [
            {
                "title": s.title if len(s.title) <= MAX_TITLE else s.title[: MAX_TITLE - 1] + "…",
                "id": s.sheet_id,
                "student": s.student,
                "check": s.check,
                "method": method(s.trace),
                "pages": layout(s.trace, key, fill, paper),
            }
            for s in sheets
        ],
    }


def template_text() -> str:
    """The typst template shipped inside the package."""
    return resources.files("bythand.render").joinpath("worksheet.typ").read_text("utf-8")


def data_json(data: dict[str, Any]) -> str:
    """Canonical JSON: the same data gives the same bytes."""
    return json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False)


def source(data: dict[str, Any]) -> str:
    """A standalone .typ file: the template with its data inlined as one escaped string literal."""
    literal = '"' + data_json(data).replace("\\", "\\\\").replace('"', '\\"') + '"'
    line = '#let data = json(bytes(sys.inputs.at("bythand-data")))'
    text = template_text()
    if line not in text:  # pragma: no cover - guards the template against an edit that breaks --format typ
        raise RuntimeError("worksheet.typ lost its data line")
    return text.replace(line, f"#let data = json(bytes({literal}))")


@functools.cache
def _compiler() -> Any:
    """One typst compiler per run: fonts load once, so a class set compiles quickly."""
    import typst  # only the worksheet path pays for loading the compiler

    return typst.Compiler(ignore_system_fonts=True)


def compile_document(data: dict[str, Any], fmt: OutputFormat) -> list[bytes]:
    """Compile with typst: one PDF, or one PNG or SVG per page, or the .typ source itself."""
    if fmt == "typ":
        return [source(data).encode("utf-8")]
    import typst

    try:
        # Embedded fonts only (ignore_system_fonts) and a fixed timestamp: the same bytes on every machine.
        out = _compiler().compile(
            input=template_text().encode("utf-8"),
            format=fmt,
            sys_inputs={DATA_KEY: data_json(data)},
            timestamp=TIMESTAMP,
            ppi=PPI,
        )
    except typst.TypstError as exc:  # pragma: no cover - the template is tested; this is a bug
        raise RuntimeError(f"typst could not compile the worksheet: {exc.message}") from None
    return list(out) if isinstance(out, list) else [out]


@dataclass(frozen=True)
class Document:
    """One output document: the sheets it holds, whether it is the key, and where it goes."""

    path: Path
    sheets: tuple[Sheet, ...]
    key: bool


def plan(
    sheets: Sequence[Sheet], target: Path, per_sheet: bool, key: bool, key_only: bool, named: bool = False
) -> list[Document]:
    """The documents to write: all sheets in one file (and FILE-key), or one file per sheet in a folder.

    With --key-only and a file name given (-o key.pdf), the key goes to that very name.
    """
    kinds = [True] if key_only else [False, True] if key else [False]
    groups = [(target / s.sheet_id, (s,)) for s in sheets] if per_sheet else [(target, tuple(sheets))]
    as_given = key_only and named and not per_sheet
    out = []
    for base, group in groups:
        for is_key in kinds:
            path = base.with_name(base.name + "-key") if is_key and not as_given else base
            out.append(Document(path, group, is_key))
    return out


def render_document(
    doc: Document, fmt: OutputFormat, fill: frozenset[str], paper: str
) -> list[tuple[Path, bytes]]:
    """The files of one document: NAME.pdf, or NAME.png / NAME-1.png, NAME-2.png, ... per page."""
    data = document_data(doc.sheets, doc.key, fill, paper)
    parts = compile_document(data, fmt)
    if len(parts) == 1:
        return [(doc.path.with_name(f"{doc.path.name}.{fmt}"), parts[0])]
    return [(doc.path.with_name(f"{doc.path.name}-{i}.{fmt}"), part) for i, part in enumerate(parts, 1)]


def page_count(doc: Document, paper: str, fill: frozenset[str]) -> int:
    """How many pages a document has (known before compiling: the layout is computed here)."""
    return sum(len(layout(s.trace, doc.key, fill, paper)) for s in doc.sheets)


def file_names(doc: Document, fmt: OutputFormat, paper: str, fill: frozenset[str]) -> list[Path]:
    """The paths render_document will return, so the CLI can refuse to overwrite before compiling."""
    pages = 1 if fmt in ("pdf", "typ") else page_count(doc, paper, fill)
    if pages == 1:
        return [doc.path.with_name(f"{doc.path.name}.{fmt}")]
    return [doc.path.with_name(f"{doc.path.name}-{i}.{fmt}") for i in range(1, pages + 1)]


def random_params(
    random: bool,
    count: int | None,
    seed: int | None,
    tokens: int | None,
    dim: int | None,
    dk: int | None,
    dv: int | None,
    difficulty: str | None,
    heads: int | None,
    approx: bool | None,
    mask: str | None,
) -> Params | None:
    """The parameters of --random, or None; a random-only flag given without --random is an error."""
    if not random:
        given = {"--count": count, "--seed": seed, "--tokens": tokens, "--dim": dim, "--dk": dk, "--dv": dv,
                 "--difficulty": difficulty, "--heads": heads}  # fmt: skip
        used = [flag for flag, value in given.items() if value is not None]
        if used:
            raise BythandError(f"{used[0]} makes random problems; add --random")
        return None
    level = "medium" if difficulty is None else difficulty
    return make_params(
        tokens, dim, dk, dv, level, approx is not False, mask or "none", 1 if heads is None else heads
    )


def build_sheets(
    path: Path | None,
    example: str | None,
    sheet: str | None,
    random: Params | None,
    seed: int | None,
    count: int | None,
    approx: bool | None,
    mask: str | None,
    fill: str | None = None,
) -> list[Sheet]:
    """The sheets asked for: a problem file, a ready example, one sheet id, or a random class set."""
    given = [flag for flag, value in (("PROBLEM", path), ("--example", example), ("--sheet", sheet),
                                      ("--random", random)) if value is not None]  # fmt: skip
    if len(given) > 1:
        raise BythandError(f"give one of PROBLEM, --example, --sheet or --random, not {' and '.join(given)}")
    if random is not None or sheet is not None:
        if random is not None:
            pairs = class_set(random, 1 if seed is None else seed, 1 if count is None else count)
        elif approx is not None or mask is not None:
            raise BythandError("--sheet: the id fixes the method; leave out --approx, --no-approx and --mask")
        else:
            params, sheet_seed = parse_sheet_id(sheet or "")
            pairs = [(sheet_id(params, sheet_seed), generate(params, sheet_seed))]
        return [Sheet(walk(p), sid, check_line(f"--sheet {sid}", fill), p.title) for sid, p in pairs]
    if path is not None:
        base, name, source = load_problem(path), path.stem, path.name
    else:
        name = example or EXAMPLE_NAME
        base, source = load_example(name), f"--example {name}"
    problem = base.in_convention("columns").with_options(approx=approx, mask=mask)
    check = check_line(f"{source}{method_flags(base.options, problem.options)}", fill)
    return [Sheet(walk(problem), name, check, problem.title)]


def check_line(source: str, fill: str | None) -> str:
    """The sheet's "check your work" line: write the matching answers template, fill it in, check it."""
    filled = f" --fill {fill}" if fill else ""
    return (
        f"bythand check --template {source}{filled} -o answers.toml; fill it in; bythand check answers.toml"
    )


def method_flags(given: Options, used: Options) -> str:
    """The flags that turn the problem's own method into the sheet's, for its "check your work" line."""
    flags = [
        f"--{field} {getattr(used, field)}"
        for field in ("convention", "scale", "exp", "mask")
        if getattr(used, field) != getattr(given, field)
    ]
    return "".join(" " + flag for flag in flags)
