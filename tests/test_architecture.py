"""The shape of the code: one domain core in visits/, thin doors onto it (docs/architecture.md).

import-linter holds the imports between our own modules in CI (`lint-imports`, contracts in
pyproject.toml). It sees external packages only whole, so this test holds the part it cannot:
the core never touches Django's request and response (`django.http`, `django.shortcuts`),
and raises domain errors (visits/errors.py) that each door translates, never Http404.
"""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_MODULES = ("django.http", "django.shortcuts", "django.views")


def core_files() -> list[Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    core = next(c for c in config["contracts"] if c["type"] == "forbidden")["source_modules"]
    files = []
    for module in core:
        path = ROOT / module.replace(".", "/")
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    return files


def web_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found += [n for n in names if n.startswith(WEB_MODULES)]
        if isinstance(node, ast.Name) and node.id == "Http404":
            found.append("Http404")
    return found


def test_the_core_knows_nothing_of_requests_and_responses():
    files = core_files()
    assert len(files) > 20  # the contract's list was read
    offenders = {str(p.relative_to(ROOT)): web_imports(p) for p in files if web_imports(p)}
    assert offenders == {}


def test_the_check_finds_a_web_import(tmp_path):
    module = tmp_path / "leaky.py"
    module.write_text("from django.http import Http404\nraise Http404('no')\n")
    assert web_imports(module) == ["django.http", "Http404"]
