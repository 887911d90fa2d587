"""`bythand examples` and `bythand new`: the ready problems, and a problem file to fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import app, path_value, write_atomic


@app.command()
def examples(
    names_only: Annotated[
        bool, typer.Option("--names", help="Only the names, one a line (for scripts).")
    ] = False,
) -> None:
    """List the ready problems that ship with bythand."""
    from ..problem import example_names, load_example

    names = example_names()
    if names_only:
        print("\n".join(names))
        return
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name:<{width}}  {load_example(name).title}")
    print("\nUse one: bythand run --example NAME, or bythand worksheet --example NAME")


@app.command()
def new(
    file: Annotated[
        Path,
        typer.Argument(
            help="The problem file to write (.toml or .json).", show_default=False, parser=path_value
        ),
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
) -> None:
    """Write a commented problem file to fill in."""
    from ..problem import template_text

    write_atomic(file, template_text(str(file)), force)
    print(f"Wrote {file}: fill in the numbers, then run: bythand run {file}")
