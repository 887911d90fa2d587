"""The lines `run --show-work` adds under a step: every computed cell's expansion, up to a budget."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from ..explain import MAX_WORK_CELLS, count_worked_cells, explain, step_cells
from ..walk import Step, Trace
from .palette import colour


@dataclass
class WorkBudget:
    """How many more cells --show-work may explain; shared by every step of one view."""

    left: int = MAX_WORK_CELLS
    stopped: bool = False


def work_lines(trace: Trace, step: Step, budget: WorkBudget, precision: int, plain: bool) -> list[Text]:
    """ "Work:" and one line per computed cell of the step, until the budget runs out (said once)."""
    cells = step_cells(trace, step)
    if not cells or budget.stopped:
        return []
    lines = [Text("Work:", style="" if plain else "bold")]
    for c in cells:
        if budget.left == 0:
            budget.stopped = True
            lines.append(
                Text(
                    f"--show-work stops here: it explains at most {MAX_WORK_CELLS} cells and this problem "
                    f"has {count_worked_cells(trace)}; use bythand explain CELL for any other cell",
                    style="" if plain else "italic",
                )
            )
            break
        budget.left -= 1
        style = "" if plain else colour(c.name)
        lines += [Text("  " + line, style=style) for line in explain(trace, c, precision=precision).lines]
    return lines
