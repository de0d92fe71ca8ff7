"""The app environment has no Rasa: channels/, actions/, speech/ and voice/ must never import it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rasa_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                  if n == "rasa" or n.startswith("rasa.")]
    return found


def test_app_packages_never_import_rasa() -> None:
    packages = ("channels", "actions", "speech", "voice", "hotline")
    files = [p for pkg in packages for p in (ROOT / pkg).rglob("*.py")]
    assert files, "no sources found"
    offenders = [hit for path in files for hit in rasa_imports(path)]
    assert offenders == []


def test_the_check_catches_a_rasa_import(tmp_path: Path) -> None:
    sample = ROOT / "channels" / "_probe_for_test.py"
    sample.write_text("from rasa.core.agent import Agent\nimport rasa_sdk\n")
    try:
        assert [h.split(" ")[1] for h in rasa_imports(sample)] == ["rasa.core.agent"]
    finally:
        sample.unlink()
