"""`deskbook import patients` and `deskbook export patients` from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from deskbook.cli import app
from deskbook.testing.small_clinic import build

runner = CliRunner()


def test_import_with_a_map_then_export(db_url: str, tmp_path: Path) -> None:
    world = build(db_url, prefix="cli_", name="Cli Clinic")
    world.desk.close()
    path = tmp_path / "list.csv"
    path.write_text("Full Name,Mobile,DOB\nCli Person,0501000040,23-04-2019\nBad,x,\n")
    args = ["import", "patients", str(path), "--map", "name_en=Full Name,phone=Mobile"]
    dry = runner.invoke(app, [*args, "--map", "date_of_birth=DOB", "--dry-run", "--db", db_url])
    assert dry.exit_code == 0, dry.output
    assert "would load 1" in dry.output and "1 refused" in dry.output
    done = runner.invoke(app, [*args, "--db", db_url])
    assert done.exit_code == 0, done.output
    assert "loaded 1" in done.output and "list.rejected.csv" in done.output
    assert (tmp_path / "list.rejected.csv").read_text(encoding="utf-8-sig").startswith("line,")
    out = tmp_path / "out.csv"
    exported = runner.invoke(app, ["export", "patients", "--out", str(out), "--db", db_url])
    assert exported.exit_code == 0, exported.output
    assert "Cli Person" in out.read_text(encoding="utf-8-sig")
    bad = runner.invoke(app, ["import", "patients", str(path), "--map", "nom=X", "--db", db_url])
    assert bad.exit_code == 1 and "--map takes field=Header" in bad.output
