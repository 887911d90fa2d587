"""The README's "From Python" section runs as a doctest, so what it shows is what the API does."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_from_python_section_is_a_passing_doctest(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```pycon\n(.+?)```", section, re.DOTALL)
    assert blocks, "the From Python section has no pycon example"
    monkeypatch.chdir(ROOT)  # the example loads worksheets/ by a relative path, as a user in a checkout does
    parser = doctest.DocTestParser()
    test = parser.get_doctest("\n".join(blocks), {}, "README From Python", "README.md", 0)
    assert len(test.examples) >= 10
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
