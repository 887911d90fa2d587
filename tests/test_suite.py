"""The suite tests the working tree: in this process and in every process a test starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bythand

from conftest import ROOT


def test_this_process_imports_the_working_tree() -> None:
    assert Path(bythand.__file__).resolve() == ROOT / "bythand" / "__init__.py"


def test_python_subprocesses_import_the_working_tree() -> None:
    code = "import sys, bythand.cli, bythand.walk; print(sys.modules['bythand.walk'].__file__)"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd="/")
    assert Path(done.stdout.strip()).resolve() == ROOT / "bythand" / "walk.py"


def test_the_bythand_script_imports_the_working_tree() -> None:
    script = shutil.which("bythand", path=str(Path(sys.executable).parent)) or shutil.which("bythand")
    if script is None:
        pytest.skip("the bythand console script is not installed (pip install . puts it next to python)")
    env = {**os.environ, "PYTHONVERBOSE": "1"}  # every import is logged with the file it came from
    done = subprocess.run([script, "--version"], check=True, capture_output=True, text=True, cwd="/", env=env)
    loaded = [line for line in done.stderr.splitlines() if "code object" in line and "bythand/cli/" in line]
    assert loaded and all(str(ROOT / "bythand" / "cli") in line for line in loaded), loaded
