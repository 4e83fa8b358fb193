"""The shape of the code: one domain core in visits/, thin doors onto it (docs/architecture.md).

import-linter holds the imports between our own modules in CI (`lint-imports`, contracts in
pyproject.toml). It sees external packages only whole, so this test holds the part it cannot:
the core never touches Django's request and response (`django.http`, `django.shortcuts`),
and raises domain errors (visits/errors.py) that each door translates, never Http404.

import-linter also counts an import made inside a function, so a module that imports another
lazily to dodge a cycle breaks the core's layers; this test names any such import of our own
modules, so the way round the cycle is a module below both, not a hidden import.
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


# Imports of our own modules that stay inside a function, each with the reason. Not here:
# migrations and management commands (run on their own), and apps.py (`ready()` imports what
# needs the app registry, Django's rule).
LAZY_IMPORTS_ALLOWED: set[tuple[str, str]] = set()


def lazy_imports(path: Path) -> list[str]:
    """The modules of ours (visits.*, api.*, icv.*) that `path` imports inside a function."""
    found = []
    for function in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["visits" if node.level else node.module or ""]
            else:
                continue
            found += [n for n in names if n.split(".")[0] in ("visits", "api", "icv")]
    return found


def visits_files() -> list[Path]:
    skipped = ("migrations", "management")
    return [
        path
        for path in sorted((ROOT / "visits").rglob("*.py"))
        if not set(path.relative_to(ROOT).parts) & set(skipped) and path.name != "apps.py"
    ]


def test_the_core_imports_its_own_modules_at_the_top():
    files = visits_files()
    assert len(files) > 50
    found = {
        (str(path.relative_to(ROOT)), module) for path in files for module in lazy_imports(path)
    }
    assert sorted(found - LAZY_IMPORTS_ALLOWED) == []


def test_the_allowed_lazy_imports_are_still_there():
    """An entry left in the allow-list after its import moved to the top would hide a new one."""
    found = {
        (str(path.relative_to(ROOT)), module)
        for path in visits_files()
        for module in lazy_imports(path)
    }
    assert found >= LAZY_IMPORTS_ALLOWED


def test_the_check_finds_an_import_inside_a_function(tmp_path):
    module = tmp_path / "cyclic.py"
    module.write_text(
        "import datetime\n\n\ndef f():\n    from visits import permissions\n"
        "    from django.utils import timezone\n    import visits.tasks\n"
        "    from . import rules\n"
    )
    assert lazy_imports(module) == ["visits", "visits.tasks", "visits"]


def test_a_process_that_never_generates_a_rota_never_loads_the_solver():
    """OR-Tools' CP-SAT weighs about 75 MB: the web workers and the task worker import every
    page and service, and should not carry it until one of them generates a rota."""
    import os
    import subprocess
    import sys

    probe = (
        "import os, sys; sys.path.insert(0, '.');"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'icv.settings';"
        "import django; django.setup(); import icv.urls, api.urls, visits.services.rota;"
        "print('ortools.sat.python.cp_model_helper' in sys.modules);"
        "from visits import rota_solver; rota_solver.cp_model.CpModel();"
        "print('ortools.sat.python.cp_model_helper' in sys.modules)"
    )
    env = {**os.environ, "ICV_DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["False", "True"], result.stderr
