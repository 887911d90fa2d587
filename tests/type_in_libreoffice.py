"""Type into a workbook's cells as a person does, in LibreOffice, and save it as xlsx.

Run by the system's python3 (which has LibreOffice's `uno` module), not by the project's:
    python3 type_in_libreoffice.py PROFILE IN.xlsx OUT.xlsx '[["A1", "9/46"], ...]'
Each text goes through LibreOffice's own input line (.uno:EnterString), so the cell's number format
decides what it becomes (9/4 in a General cell becomes a date; in a text cell it stays 9/4).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def prop(name: str, value: Any) -> Any:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main() -> None:
    profile, source, target = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    cells = json.loads(sys.argv[4])
    pipe = f"bythand-{uuid.uuid4().hex}"
    office = subprocess.Popen(
        ["soffice", f"-env:UserInstallation={Path(profile).resolve().as_uri()}", "--headless", "--invisible",
         "--norestore", "--nologo", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(600):  # a first start builds the profile: allow a minute
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit("LibreOffice did not start")
        smgr = ctx.ServiceManager
        desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        dispatcher = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
        doc = desktop.loadComponentFromURL(source.resolve().as_uri(), "_blank", 0, (prop("Hidden", True),))
        frame = doc.getCurrentController().getFrame()
        for ref, text in cells:
            dispatcher.executeDispatch(frame, ".uno:GoToCell", "", 0, (prop("ToPoint", ref),))
            dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", text),))
        doc.storeToURL(target.resolve().as_uri(), (prop("FilterName", "Calc MS Excel 2007 XML"),))
        doc.close(True)
        with contextlib.suppress(Exception):  # the bridge goes down with the office
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()
    if not target.exists():
        raise SystemExit(f"LibreOffice did not write {target}")
    os._exit(0)  # the uno bridge's threads would keep the interpreter alive


if __name__ == "__main__":
    main()
