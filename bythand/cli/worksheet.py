"""`bythand worksheet`: printed sheets and keys."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import typer

from ..errors import ProblemError
from .common import METHOD_PANEL, app, check_writable, choice, opt, write_files

if TYPE_CHECKING:
    from ..render.worksheet import OutputFormat
    from ..roster import Student


SOURCE_PANEL, RANDOM_PANEL, OUTPUT_PANEL = "Problem", "Random sheets (with --random)", "Output"


@app.command()
def worksheet(
    problem: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PROBLEM]",
            help="A problem file (.toml or .json); the built-in example if left out.",
            show_default=False,
        ),
    ] = None,
    example: Annotated[
        str | None, opt("A ready problem (see: bythand examples).", SOURCE_PANEL, "NAME")
    ] = None,
    sheet: Annotated[str | None, opt("Rebuild the sheet with this id.", SOURCE_PANEL, "ID")] = None,
    random: Annotated[
        bool, opt("Make random hand-friendly problems.", RANDOM_PANEL, None, "--random")
    ] = False,
    count: Annotated[int | None, opt("How many random sheets (default 1).", RANDOM_PANEL, "N")] = None,
    seed: Annotated[int | None, opt("The seed of a random class set (default 1).", RANDOM_PANEL, "S")] = None,
    tokens: Annotated[int | None, opt("Tokens n (2 to 8).", RANDOM_PANEL, "N")] = None,
    dim: Annotated[int | None, opt("Features d (2 to 8).", RANDOM_PANEL, "D")] = None,
    dk: Annotated[int | None, opt("Width d_k of queries and keys (1 to 8).", RANDOM_PANEL, "K")] = None,
    dv: Annotated[int | None, opt("Width d_v of values (1 to 8).", RANDOM_PANEL, "V")] = None,
    difficulty: Annotated[
        str | None, opt("easy, medium or hard (default medium).", RANDOM_PANEL, "LEVEL")
    ] = None,
    heads: Annotated[int | None, opt("Heads (1 to 4).", RANDOM_PANEL, "H")] = None,
    roster: Annotated[
        Path | None,
        opt(
            "A class list (CSV with a name column; id, email optional): one sheet per student, their name "
            "on it, and a manifest of who got which sheet.",
            RANDOM_PANEL,
            "CSV",
        ),
    ] = None,
    approx: Annotated[
        bool | None,
        opt("The hand tricks ⌊x/2⌋ and 3^x, or √d_k and e.", METHOD_PANEL, None, "--approx/--no-approx"),
    ] = None,
    mask: Annotated[str | None, opt("none, or causal.", METHOD_PANEL, "NAME")] = None,
    key: Annotated[
        bool,
        opt(
            "Also write the answer key (FILE-key.pdf); --key interleave puts each sheet's key right "
            "after it in the one file.",
            OUTPUT_PANEL,
            None,
            "--key",
        ),
    ] = False,
    key_only: Annotated[bool, opt("Write only the answer key.", OUTPUT_PANEL, None, "--key-only")] = False,
    fill: Annotated[
        str | None, opt("Print these steps already worked: Q,K,V, 2,4 or 2-4.", OUTPUT_PANEL, "STEPS")
    ] = None,
    convention: Annotated[
        str | None,
        opt(
            "Draw tokens as columns (by hand) or rows (as in PyTorch); default: the problem's own.",
            OUTPUT_PANEL,
            "NAME",
        ),
    ] = None,
    paper: Annotated[str, opt("a4 or us-letter (default a4).", OUTPUT_PANEL, "SIZE")] = "a4",
    output_format: Annotated[
        str | None, opt("pdf, png, svg, typ or xlsx (a workbook).", OUTPUT_PANEL, "FORMAT", "--format", "-f")
    ] = None,
    output: Annotated[
        str | None,
        opt(
            "FILE.pdf (all sheets in one file) or DIR/ (one file per sheet).",
            OUTPUT_PANEL,
            "PATH",
            "--output",
            "-o",
        ),
    ] = None,
    force: Annotated[bool, opt("Overwrite files that exist.", OUTPUT_PANEL, None, "--force")] = False,
) -> None:
    """Print worksheets and answer keys in the by-hand layout (PDF, PNG, SVG, typst or xlsx)."""
    from ..render import worksheet as ws

    # `--key interleave`: --key is a flag, so the word arrives among the positional arguments
    words = list(problem or [])
    interleave = key and Path("interleave") in words
    if interleave:
        words.remove(Path("interleave"))
    if len(words) > 1:
        raise ProblemError(f"give one PROBLEM file, not {len(words)} ({' '.join(map(str, words))})")
    problem_path = words[0] if words else None
    students = _roster(roster, random, count) if roster is not None else None
    params = ws.random_params(random, count, seed, tokens, dim, dk, dv, difficulty, heads, approx, mask)
    fills = ws.parse_fill(fill)
    method = (None, None) if random else (approx, mask)  # a random sheet's id fixes its method
    sheets = ws.build_sheets(
        problem_path,
        example,
        sheet,
        params,
        seed,
        len(students) if students is not None else count,
        *method,
        fill=fill,
        convention=convention,
    )
    if students is not None:  # each student's name on their own sheet
        sheets = [replace(s, student=st.name) for s, st in zip(sheets, students, strict=True)]
    fmt, target, per_sheet = _worksheet_target(output, output_format, sheets)
    docs = ws.plan(
        sheets, target, per_sheet, key or key_only, key_only, named=output is not None,
        interleave=bool(interleave), fmt=fmt,
    )  # fmt: skip
    if fmt == "xlsx":
        paths = _workbook_paths(docs)
    else:
        paths = [p for doc in docs for p in ws.file_names(doc, fmt, paper, fills)]
    manifest: tuple[Path, str] | None = None
    if students is not None:
        manifest = _manifest(students, sheets, docs, fmt, paper, fills, target, per_sheet)
        paths.append(manifest[0])
    new_folder = per_sheet and not target.is_dir()
    if not new_folder:  # in a folder made now, nothing can be in the way
        for path in paths:  # refuse before compiling anything: all the files or none
            check_writable(path, force)
    if fmt == "xlsx":
        files = _workbooks(docs, fills, paper, problem_path, sheet is None and not random)
    else:  # compile all, then write
        from ..render.classset import render_documents

        files = render_documents(docs, fmt, fills, paper)  # big class sets in chunks: flat memory
    if manifest is not None:
        files.append((manifest[0], manifest[1].encode("utf-8")))
    if new_folder:
        target.mkdir()
    write_files(files, force)  # all or none
    if fmt == "pdf":  # a class set's printing cost, known before it is printed
        pages = [ws.page_count(doc, paper) for doc in docs]
        named = [f"{doc.path.name}.pdf ({n} page{'s' if n != 1 else ''})"
                 for doc, n in zip(docs, pages, strict=True)]  # fmt: skip
    print(
        f"Wrote {', '.join(str(p) for p in paths)}"
        if len(paths) <= 4
        else f"Wrote {len(paths)} files: {paths[0]} ... {paths[-1]}"
    )
    if fmt == "pdf":
        total = f"{sum(pages)} in {len(docs)} files"
        print(f"Pages: {', '.join(named) if len(named) <= 4 else total}")


def _roster(path: Path, random: bool, count: int | None) -> list[Student]:
    """The class list of --roster: one random sheet per student."""
    from ..problem import _read_text
    from ..roster import read_roster

    if not random:
        raise ProblemError("--roster gives each student a random sheet; add --random")
    students = read_roster(_read_text(path), str(path))
    if count is not None and count != len(students):
        raise ProblemError(
            f"--count {count}: the roster {path} has {len(students)} students; leave out --count"
        )
    return students


def _manifest(
    students: list[Student],
    sheets: list[Any],
    docs: list[Any],
    fmt: OutputFormat | Literal["xlsx"],
    paper: str,
    fills: frozenset[str],
    target: Path,
    per_sheet: bool,
) -> tuple[Path, str]:
    """The manifest beside the sheets: each student's name, id, email, sheet id and file."""
    from ..render import worksheet as ws
    from ..roster import manifest_csv

    where: dict[str, str] = {}
    for doc in docs:
        if not doc.key:
            first = (
                doc.path.with_name(f"{doc.path.name}.xlsx")
                if fmt == "xlsx"
                else ws.file_names(doc, fmt, paper, fills)[0]
            )
            for s in doc.sheets:
                where[s.sheet_id] = first.name  # the manifest sits beside the files it names
    rows = [
        replace(st, sheet=s.sheet_id, file=where.get(s.sheet_id, ""))
        for st, s in zip(students, sheets, strict=True)
    ]
    path = target / "manifest.csv" if per_sheet else target.with_name(f"{target.name}-manifest.csv")
    return path, manifest_csv(rows)


def _worksheet_target(
    output: str | None, output_format: str | None, sheets: list[Any]
) -> tuple[OutputFormat | Literal["xlsx"], Path, bool]:
    """(format, path without suffix, one file per sheet?) from -o and --format."""
    from ..render.worksheet import FORMATS as PRINTED

    FORMATS = (*PRINTED, "xlsx")  # the printed formats and the workbook

    fmt = cast("OutputFormat | None", choice(output_format, FORMATS, "--format") if output_format else None)
    if output is None:
        name = sheets[0].sheet_id if len(sheets) == 1 else "sheets"
        return fmt or "pdf", Path(name), False
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():  # -o DIR/: one file per sheet
        if not path.is_dir() and not path.parent.is_dir():  # DIR itself is made; its parent must exist
            raise ProblemError(f"-o {output}: the folder {path.parent} does not exist")
        if path.exists() and not path.is_dir():
            raise ProblemError(f"-o {output}: {path} is a file, not a folder")
        return fmt or "pdf", path, True
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        if fmt is not None and fmt != suffix:
            raise ProblemError(f"-o {output}: the name says {suffix}, but --format says {fmt}")
        return cast("OutputFormat", suffix), path.with_suffix(""), False
    if suffix:  # z.docx would silently become z.docx.pdf
        raise ProblemError(f"-o {output}: worksheets are written as {', '.join(FORMATS)}, not .{suffix}")
    return fmt or "pdf", path, False


def _workbook_paths(docs: list[Any]) -> list[Path]:
    """--format xlsx: one workbook per document, and a document per sheet."""
    if any(doc.interleave for doc in docs):
        raise ProblemError("--key interleave puts keys inside a PDF; for workbooks use --key (ID-key.xlsx)")
    for doc in docs:
        if len(doc.sheets) > 1:
            raise ProblemError(
                f"{doc.path}.xlsx: a workbook holds one sheet; give -o DIR/ for one workbook per sheet"
            )
    return [doc.path.with_name(f"{doc.path.name}.xlsx") for doc in docs]


def _workbooks(
    docs: list[Any], fills: frozenset[str], paper: str, problem: Path | None, example: bool
) -> list[tuple[Path, bytes]]:
    """The workbook of each sheet (and key), each recording the problem it holds for check."""
    from ..render.xlsx import worksheet_workbook

    out = []
    for doc, path in zip(docs, _workbook_paths(docs), strict=True):
        (s,) = doc.sheets
        reference = (
            ("problem", os.path.relpath(problem, path.parent))
            if problem is not None
            else ("example", s.sheet_id)
            if example
            else ("sheet", s.sheet_id)
        )
        check_line = f"bythand check {path.name}"
        content = worksheet_workbook(
            s.trace, s.sheet_id, reference, check_line, doc.key, fills, paper, s.student
        )
        out.append((path, content))
    return out
