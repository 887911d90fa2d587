"""`bythand worksheet`: printed sheets and keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

from ..errors import ProblemError
from .common import METHOD_PANEL, ProblemArg, app, check_writable, choice, opt, write_files

if TYPE_CHECKING:
    from ..render.worksheet import OutputFormat


SOURCE_PANEL, RANDOM_PANEL, OUTPUT_PANEL = "Problem", "Random sheets (with --random)", "Output"


@app.command()
def worksheet(
    problem: ProblemArg = None,
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
    approx: Annotated[
        bool | None,
        opt("The hand tricks ⌊x/2⌋ and 3^x, or √d_k and e.", METHOD_PANEL, None, "--approx/--no-approx"),
    ] = None,
    mask: Annotated[str | None, opt("none, or causal.", METHOD_PANEL, "NAME")] = None,
    key: Annotated[
        bool, opt("Also write the answer key (FILE-key.pdf).", OUTPUT_PANEL, None, "--key")
    ] = False,
    key_only: Annotated[bool, opt("Write only the answer key.", OUTPUT_PANEL, None, "--key-only")] = False,
    fill: Annotated[
        str | None, opt("Print these steps already worked: Q,K,V or 2,5.", OUTPUT_PANEL, "STEPS")
    ] = None,
    paper: Annotated[str, opt("a4 or us-letter (default a4).", OUTPUT_PANEL, "SIZE")] = "a4",
    output_format: Annotated[
        str | None, opt("pdf, png, svg or typ (the typst source).", OUTPUT_PANEL, "FORMAT", "--format", "-f")
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
    """Print worksheets and answer keys in the by-hand layout (PDF, PNG, SVG or typst source)."""
    from ..render import worksheet as ws

    params = ws.random_params(random, count, seed, tokens, dim, dk, dv, difficulty, heads, approx, mask)
    fills = ws.parse_fill(fill)
    sheets = ws.build_sheets(
        problem, example, sheet, params, seed, count, None if random else approx, None if random else mask
    )
    fmt, target, per_sheet = _worksheet_target(output, output_format, sheets)
    docs = ws.plan(sheets, target, per_sheet, key or key_only, key_only, named=output is not None)
    paths = [p for doc in docs for p in ws.file_names(doc, fmt, paper, fills)]
    for path in paths:  # refuse before compiling anything: all the files or none
        check_writable(path, force)
    from ..render.classset import render_documents

    write_files(render_documents(docs, fmt, fills, paper), force)  # compile all, then write all or none
    print(
        f"Wrote {', '.join(str(p) for p in paths)}"
        if len(paths) <= 4
        else f"Wrote {len(paths)} files: {paths[0]} ... {paths[-1]}"
    )


def _worksheet_target(
    output: str | None, output_format: str | None, sheets: list[Any]
) -> tuple[OutputFormat, Path, bool]:
    """(format, path without suffix, one file per sheet?) from -o and --format."""
    from ..render.worksheet import FORMATS

    fmt = cast("OutputFormat | None", choice(output_format, FORMATS, "--format") if output_format else None)
    if output is None:
        name = sheets[0].sheet_id if len(sheets) == 1 else "sheets"
        return fmt or "pdf", Path(name), False
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():  # -o DIR/: one file per sheet
        if not path.is_dir():
            raise ProblemError(
                f"-o {output}: no such folder; make it first (mkdir {output.rstrip('/' + os.sep)})"
            )
        return fmt or "pdf", path, True
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        if fmt is not None and fmt != suffix:
            raise ProblemError(f"-o {output}: the name says {suffix}, but --format says {fmt}")
        return cast("OutputFormat", suffix), path.with_suffix(""), False
    if suffix:  # z.docx would silently become z.docx.pdf
        raise ProblemError(f"-o {output}: worksheets are written as {', '.join(FORMATS)}, not .{suffix}")
    return fmt or "pdf", path, False
