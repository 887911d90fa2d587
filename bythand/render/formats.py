"""A trace as text in one of run's file formats: the one dispatch that the CLI and the Python API share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..numbers import NumberMode
    from ..walk import Trace


def json_text(data: Any) -> str:
    """JSON for machines: never NaN, and text as it is written (json loads only when asked for)."""
    import json

    return json.dumps(data, allow_nan=False, ensure_ascii=False) + "\n"


def as_text(
    trace: Trace,
    fmt: str,
    steps: list[int] | None,
    mode: NumberMode,
    precision: int,
    full: bool = False,
    show_work: bool = False,
    sheet: bool = False,
) -> str:
    """The trace as text (the terminal views without colour codes); each renderer loads only when used."""
    if fmt in ("numpy", "pytorch"):  # a script that computes the whole trace again: --step does not apply
        from . import code

        return code.to_numpy(trace) if fmt == "numpy" else code.to_pytorch(trace)
    if fmt == "json":
        import io

        from .. import __version__
        from .data import write_trace_json

        out = io.StringIO()  # the writer run -f json streams: one JSON text for the CLI and the API
        write_trace_json(trace, __version__, out.write)
        return out.getvalue()
    if fmt in ("markdown", "latex", "csv"):
        from . import text

        if fmt == "csv":
            return text.to_csv(trace, steps=steps)
        if fmt == "markdown":
            return text.to_markdown(
                trace, steps=steps, numbers=mode, precision=precision, show_work=show_work
            )
        return text.to_latex(trace, steps=steps, numbers=mode, precision=precision, show_work=show_work)
    from . import export

    if fmt in ("html", "svg"):
        to_picture = export.to_html if fmt == "html" else export.to_svg
        return to_picture(
            trace, steps=steps, numbers=mode, precision=precision, full=full, show_work=show_work, sheet=sheet
        )
    return export.to_text(
        trace, steps=steps, numbers=mode, precision=precision, plain=fmt == "plain", full=full,
        show_work=show_work, sheet=sheet,
    )  # fmt: skip
