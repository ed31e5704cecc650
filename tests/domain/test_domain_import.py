"""The domain stays free of the UI: importing every domain and db module loads no Textual."""

from __future__ import annotations

import json
import subprocess
import sys

UI_MODULES = ("deskbook.tui",)
REQUIRED = (
    "deskbook",
    "deskbook.desk",
    "deskbook.booking",
    "deskbook.packages",
    "deskbook.schedule",
    "deskbook.patients",
    "deskbook.access",
    "deskbook.results",
    "deskbook.normalize",
    "deskbook.errors",
    "deskbook.config",
    "deskbook.db.models",
    "deskbook.db.engine",
    "deskbook.db.migrate",
    "deskbook.db.search",
)

PROBE = f"""
import importlib, json, pkgutil, sys
import deskbook

ui = {UI_MODULES!r}
names = ["deskbook"]
for info in pkgutil.walk_packages(deskbook.__path__, "deskbook."):
    name = info.name
    if name.startswith(ui) or name.startswith("deskbook.db.migrations"):
        continue  # the UI itself, and Alembic's env.py (runs only under Alembic)
    names.append(name)
for name in names:
    importlib.import_module(name)
print(json.dumps({{"imported": names, "textual": sorted(
    m for m in sys.modules if m == "textual" or m.startswith("textual."))}}))
"""


def test_domain_and_db_modules_do_not_import_textual() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    missing = [name for name in REQUIRED if name not in report["imported"]]
    assert not missing, f"domain modules not found: {missing}"
    assert report["textual"] == [], f"textual was imported by the domain: {report['textual'][:5]}"
