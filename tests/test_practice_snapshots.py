"""Snapshots of the practice screen (pytest-textual-snapshot): review the report before --snapshot-update."""

from __future__ import annotations

from typing import Any

import pytest

from bythand.practice.app import PracticeApp
from bythand.practice.model import Ref, Session
from bythand.problem import load_example
from bythand.walk import walk


def app_for(example: str, **kwargs: Any) -> PracticeApp:
    """The app on a ready example; nothing is saved, and the file name shown is fixed."""
    session = Session(
        walk(load_example(example)), Ref("example", example), f"{example}-answers.toml", **kwargs
    )
    return PracticeApp(session)


# Q[1,1] right, Q[1,2] wrong, Q[1,3] a typo: every kind of mark on screen
TYPED = ("2", "tab", "5", "tab", "1", "slash", "slash")


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_the_classic(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("self-attention-6x4"), press=TYPED, terminal_size=size)


def test_the_classic_step_view_of_s_with_a_hint(snap_compare: Any) -> None:
    async def to_s(pilot: Any) -> None:
        screen = pilot.app.exercise
        screen.set_focus(screen.entries[next(c for c in screen.entries if c.name == "S")])
        await pilot.pause()

    assert snap_compare(
        app_for("self-attention-6x4"), run_before=to_s, press=("h", "h"), terminal_size=(80, 24)
    )


def test_a_masked_problem(snap_compare: Any) -> None:
    assert snap_compare(app_for("masked-6x4"), terminal_size=(160, 50))


def test_a_two_head_problem(snap_compare: Any) -> None:
    assert snap_compare(app_for("multi-head-2x4"), press=("1",), terminal_size=(160, 50))
