"""`bythand practice --web` in a real browser: Debian's Chromium, driven by Playwright, sees a mark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_page(browser: Any, frames: list[str]) -> Any:
    """A new tab that records every websocket frame it receives (what the page draws) into `frames`."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda f: frames.append(f if isinstance(f, str) else f.decode("utf-8", "replace")),
        ),
    )
    return page


def test_a_browser_types_a_value_and_sees_its_mark(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (it is in the test extra: pip install '.[test]')")
    port = free_port()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("NO_COLOR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "bythand", "practice", "--web", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    answers = tmp_path / "self-attention-6x4-answers.toml"
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith(f"Serving bythand practice at http://127.0.0.1:{port}"), first
        frames: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            page = open_page(browser, frames)
            page.goto(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + 30
            while "Q[1,1] · Step 2" not in "".join(frames) and time.monotonic() < deadline:
                page.wait_for_timeout(200)  # the app starts in its own process
            assert "Q[1,1] · Step 2" in "".join(frames), "the app did not start in the browser"
            page.click(".textual-terminal")  # keys go nowhere until the page has focus
            seen = len(frames)
            page.keyboard.type("2")
            while "✓ correct" not in "".join(frames[seen:]) and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            page.screenshot(path=str(tmp_path / "practice-web.png"))
            # a second tab on the same answers file: the reason in the page, not "failed to start"
            second: list[str] = []
            other = open_page(browser, second)
            other.goto(f"http://127.0.0.1:{port}")
            while "open in another bythand practice" not in "".join(second) and time.monotonic() < deadline:
                other.wait_for_timeout(200)
            other.screenshot(path=str(tmp_path / "practice-web-second.png"))
            browser.close()
        assert "open in another bythand practice" in "".join(second)
        assert "Q[1,1]" not in "".join(second)  # no second exercise writing the same file
        assert "✓ correct" in "".join(frames[seen:])  # the mark, as the page received it to draw
        assert "# Marks: 1 correct, 0 carried, 0 wrong, 127 blank of 128 cells" in answers.read_text("utf-8")
    finally:
        server.terminate()
        server.wait(timeout=10)
