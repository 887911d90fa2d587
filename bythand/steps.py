"""Choosing steps by number or by the matrix a step makes: "4", "4-6", "A", "S-A", "2,7-8"."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from .errors import ProblemError
from .walk import Trace

if TYPE_CHECKING:
    from .check import Report

_PRETTY = {"KT": "Kᵀ"}


def _base(name: str) -> str:
    return name.rpartition(".")[2]


def step_names(trace: Trace) -> dict[str, int]:
    """Each matrix name (with and without its head prefix) -> the number of the step that makes it."""
    made: dict[str, int] = {}
    for step in trace.steps:
        for name in step.names:
            if step.number == 3 and _base(name) == "Q":
                continue  # step 3 only copies Q; Q is made in step 2
            made.setdefault(name, step.number)
            made.setdefault(_base(name), step.number)
    return made


def valid_steps(trace: Trace) -> str:
    """The steps of this problem in words, for messages: numbers with titles, then the names."""
    seen: dict[int, str] = {}
    for step in trace.steps:
        seen.setdefault(step.number, step.title)
    numbers = ", ".join(f"{n} ({title})" for n, title in seen.items())
    names = ", ".join(dict.fromkeys(n for n in step_names(trace) if "." not in n))
    return f"its steps are {numbers}, or name the matrix a step makes: {names}"


def _one(trace: Trace, text: str, whole: str) -> int:
    """One step, by number or by matrix name (case-insensitive when that is unambiguous; Kᵀ for KT)."""
    numbers = {s.number for s in trace.steps}
    if re.fullmatch(r"[0-9]+", text):
        if len(text) > 6:  # never a step; and never turned into a 5,000-digit integer
            raise ProblemError(
                f"--step: {text[:6] + '…'!r} is not a step of this problem; {valid_steps(trace)}"
            )
        if int(text) not in numbers:
            raise ProblemError(f"--step: {text} is not a step of this problem; {valid_steps(trace)}")
        return int(text)
    made = step_names(trace)
    key = text.replace("Kᵀ", "KT").replace("ᵀ", "T")
    if key in made:
        return made[key]
    folded = [n for n in made if n.lower() == key.lower()]
    if len(folded) == 1:
        return made[folded[0]]
    where = "" if text == whole else f" (in {whole!r})"
    raise ProblemError(f"--step: no step or matrix {text!r} in this problem{where}; {valid_steps(trace)}")


def select_steps(trace: Trace, text: str) -> list[int]:
    """The step numbers `text` names: "4", "4-6", "A", "S-A", "2,7-8" (in the order written)."""
    chosen: list[int] = []
    for written in text.split(","):
        part = written.strip()
        if not part:
            raise ProblemError(f"--step: {text!r} has an empty part; write 4, 4-6, A, S-A or 2,7-8")
        ends = [e.strip() for e in part.split("-")]
        if len(ends) > 2 or not all(ends):
            raise ProblemError(f"--step: {part!r} is not a step or a range (write 4, 4-6, A, S-A or 2,7-8)")
        first = _one(trace, ends[0], part)
        last = _one(trace, ends[-1], part)
        if last < first:
            raise ProblemError(
                f"--step: {part!r} runs backwards (step {first} to step {last}); write it the other way round"
            )
        numbers = sorted({s.number for s in trace.steps if first <= s.number <= last})
        chosen += [n for n in numbers if n not in chosen]
    return chosen


def graded_steps(report: Report, text: str) -> Report:
    """The report of `check --step`: only the chosen steps' matrices are graded (and counted)."""
    numbers = set(select_steps(report.trace, text))
    return replace(report, steps=tuple(s for s in report.steps if s.number in numbers))
