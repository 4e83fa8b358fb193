"""Production's static files (icv/static_storage.py): our scripts minified before they are
hashed and compressed, still valid JavaScript, and nobody else's touched."""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
OUR_SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    storage = {"BACKEND": "icv.static_storage.MinifiedCompressedManifestStaticFilesStorage"}
    with override_settings(STATIC_ROOT=root, STORAGES={"staticfiles": storage}):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    return root, manifest


def test_our_scripts_are_served_minified_and_still_parse(collected):
    root, manifest = collected
    assert OUR_SCRIPTS
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is needed to check the minified scripts parse (apt-get install nodejs)"
    for source in OUR_SCRIPTS:
        served = root / manifest[f"js/{source.name}"]
        text = served.read_text()
        assert len(text) < 0.85 * source.stat().st_size, source.name
        assert "\n//" not in text and "/* " not in text, f"{source.name} kept its comments"
        assert (root / f"{manifest[f'js/{source.name}']}.gz").exists()
        # Named by the bytes served (a cache keeps a name for a year): a change of minifier
        # changes the name.
        assert hashlib.md5(served.read_bytes()).hexdigest()[:12] in served.name
        checked = subprocess.run([node, "--check", str(served)], capture_output=True, text=True)
        assert checked.returncode == 0, f"{source.name}: {checked.stderr}"


def test_other_packages_scripts_are_served_as_shipped(collected):
    root, manifest = collected
    for name in ("admin/js/core.js", "rest_framework/js/csrf.js"):
        assert (root / manifest[name]).read_bytes() == Path(finders.find(name)).read_bytes()
