"""Printable worksheets and answer keys in the by-hand layout: a Trace -> JSON -> typst -> PDF/PNG/SVG."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ..errors import BythandError
from ..generate import Params, class_set, generate, make_params, parse_sheet_id, sheet_id
from ..problem import EXAMPLE_NAME, Convention, Options, check_convention, load_example, load_problem
from ..walk import Trace, walk
from .palette import MASKED_STYLE, tint
from .paper import FILL_STEPS, FOOTER, HEADER, MARGIN, PAPERS, STRIP, Arrangement, arrange, boxes

Paper = Literal["a4", "us-letter"]
OutputFormat = Literal["pdf", "png", "svg", "typ"]
FORMATS: tuple[str, ...] = ("pdf", "png", "svg", "typ")
DATA_KEY = "bythand-data"
TIMESTAMP = 0  # a fixed creation date: the same inputs give the same bytes
PPI = 150  # PNG resolution: sharp enough to print, small enough to mail
MAX_TITLE = 90  # characters: two lines of the header at most
# Steps whose every entry is a function of the step before: printing one worked gives that one away.
GIVES_AWAY = {"KT": "K", "scaled": "S", "E": "scaled", "concat": "Z"}


@dataclass(frozen=True)
class Sheet:
    """One problem to print: its trace, the id shown on it and the line that checks it."""

    trace: Trace
    sheet_id: str
    check: str
    title: str
    student: str = ""  # a roster's name, printed on the Name line


def parse_fill(text: str | None) -> frozenset[str]:
    """--fill "Q,K,V", "2,5" or "2-4": the steps to print already worked on the student sheet."""
    if not text:
        return frozenset()
    chosen: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        span = re.fullmatch(r"([0-9]{1,3})\s*-\s*([0-9]{1,3})", part)
        single = part.isascii() and part.isdigit() and len(part) <= 3  # not ², not 5,000 digits
        numbers = range(int(span[1]), int(span[2]) + 1) if span else [int(part)] if single else None
        if numbers is not None and numbers and all(n in FILL_STEPS.values() for n in numbers):
            chosen |= {name for name, step in FILL_STEPS.items() if step in numbers}
        elif part in FILL_STEPS:
            chosen.add(part)
        else:
            valid = ", ".join(FILL_STEPS)
            raise BythandError(
                f"--fill: unknown step {part!r} (choose from {valid}, step numbers 2 to 11, or a range 2-4)"
            )
    for shown, source in GIVES_AWAY.items():
        if shown in chosen and source not in chosen:
            step, before = FILL_STEPS[shown], FILL_STEPS[source]
            raise BythandError(
                f"--fill: step {step} ({shown}) worked gives step {before} ({source}) away; "
                f"fill {before} too, or leave {step} out"
            )
    return frozenset(chosen)


def layout(trace: Trace, key: bool, fill: frozenset[str], paper: str) -> list[dict[str, Any]]:
    """The pages of one sheet (orientation and boxes), as the template draws them."""
    return boxes(arranged(trace, paper), trace, key, fill)


_ARRANGED: dict[tuple[int, str], tuple[Trace, Arrangement]] = {}


def arranged(trace: Trace, paper: str) -> Arrangement:
    """A sheet's arrangement on paper, worked out once per run (a sheet, its key and its page count)."""
    hit = _ARRANGED.get((id(trace), paper))
    if hit is not None and hit[0] is trace:
        return hit[1]
    if len(_ARRANGED) > 4096:  # a long-lived process (tests, a notebook) keeps only recent sheets
        _ARRANGED.clear()
    result = arrange(trace, paper)
    _ARRANGED[id(trace), paper] = (trace, result)
    return result


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
        "convention": o.convention,
        "positions": "P" in trace.matrices,  # step 0 adds positional encodings
    }


def document_data(
    sheets: Sequence[Sheet], key: bool, fill: frozenset[str], paper: str, interleave: bool = False
) -> dict[str, Any]:
    """Everything the template shows, as plain JSON data; interleaved, each sheet is followed by its key."""
    if paper not in PAPERS:
        raise BythandError(f"--paper: unknown paper {paper!r} (choose a4 or us-letter)")
    parts = [(s, k) for s in sheets for k in ((False, True) if interleave else (key,))]
    pages = {id(s): arranged(s.trace, paper) for s in sheets}  # a sheet and its key share one arrangement
    kind = "Worksheets and keys: " if interleave else "Answer key: " if key else "Worksheet: "
    return {
        "document": kind + ", ".join(s.sheet_id for s in sheets),
        "paper": paper,
        "margin": MARGIN,
        "header": HEADER,
        "strip": STRIP,
        "footer": FOOTER,
        "key": key,
        "masked": MASKED_STYLE,
        "masked-fill": tint(MASKED_STYLE, 0.8),
        "sheets": [
            {
                "title": s.title if len(s.title) <= MAX_TITLE else s.title[: MAX_TITLE - 1] + "…",
                "id": s.sheet_id,
                "student": s.student,
                "check": s.check,
                "key": k,
                "method": method(s.trace),
                "pages": boxes(pages[id(s)], s.trace, k, fill),
            }
            for s, k in parts
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
    """One output document: the sheets it holds, whether it is the key (or each sheet then its key)."""

    path: Path
    sheets: tuple[Sheet, ...]
    key: bool
    interleave: bool = False


def plan(
    sheets: Sequence[Sheet],
    target: Path,
    per_sheet: bool,
    key: bool,
    key_only: bool,
    named: bool = False,
    interleave: bool = False,
    fmt: str = "pdf",
) -> list[Document]:
    """The documents to write: all sheets in one file (and FILE-key), or one file per sheet in a folder.

    With --key-only and a file name given (-o key.pdf), the key goes to that very name. Images of
    several sheets (-o out.png) are named by sheet id, out-ID.png, as in a folder. Interleaved, one
    document holds each sheet followed by its key.
    """
    kinds = [True] if key_only else [False] if interleave or not key else [False, True]
    groups: list[tuple[Path, tuple[Sheet, ...]]]
    if per_sheet:
        groups = [(target / s.sheet_id, (s,)) for s in sheets]
    elif fmt in ("png", "svg") and len(sheets) > 1:
        groups = [(target.with_name(f"{target.name}-{s.sheet_id}"), (s,)) for s in sheets]
    else:
        groups = [(target, tuple(sheets))]
    as_given = key_only and named and not per_sheet and len(groups) == 1
    out = []
    for base, group in groups:
        for is_key in kinds:
            path = base.with_name(base.name + "-key") if is_key and not as_given else base
            out.append(Document(path, group, is_key, interleave and not key_only))
    return out


def render_document(
    doc: Document, fmt: OutputFormat, fill: frozenset[str], paper: str
) -> list[tuple[Path, bytes]]:
    """The files of one document: NAME.pdf, or NAME.png / NAME-1.png, NAME-2.png, ... per page."""
    data = document_data(doc.sheets, doc.key, fill, paper, doc.interleave)
    parts = compile_document(data, fmt)
    if len(parts) == 1:
        return [(doc.path.with_name(f"{doc.path.name}.{fmt}"), parts[0])]
    return [(doc.path.with_name(f"{doc.path.name}-{i}.{fmt}"), part) for i, part in enumerate(parts, 1)]


def page_count(doc: Document, paper: str, fill: frozenset[str] = frozenset()) -> int:
    """How many pages a document has (known before compiling: the layout is computed here)."""
    return sum(len(arranged(s.trace, paper).pages) for s in doc.sheets) * (2 if doc.interleave else 1)


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
    convention: str | None = None,
) -> list[Sheet]:
    """The sheets asked for: a problem file, a ready example, one sheet id, or a random class set,
    drawn in the problem's own convention or the one asked for."""
    chosen: Convention | None = check_convention(convention, "--convention") if convention else None
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
        rows = " --convention rows" if chosen == "rows" else ""
        return [
            Sheet(walk(p.in_convention(chosen or "columns")), sid, check_line(f"--sheet {sid}{rows}", fill),
                  p.title)
            for sid, p in pairs
        ]  # fmt: skip
    if path is not None:
        base, name, source = load_problem(path), path.stem, path.name
    else:
        name = example or EXAMPLE_NAME
        base, source = load_example(name), f"--example {name}"
    problem = base.in_convention(chosen or base.options.convention).with_options(approx=approx, mask=mask)
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
        if getattr(used, field) != getattr(given, field) or (field, used.convention) == ("convention", "rows")
    ]  # a rows sheet says so on its check line: its answers are read in rows
    return "".join(" " + flag for flag in flags)
