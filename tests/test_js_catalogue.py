"""The scripts' strings (issue 21): Django's JavaScript catalogue at /jsi18n/<lang>/, one address
per language so that a kept copy is never another language's; public and cacheable; kept by the
service worker for the phone with no signal; loaded before the scripts that use it."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.conftest import persona
from visits.views import offline

FRAGMENT = Path(__file__).resolve().parent.parent / "locale" / "cy" / "LC_MESSAGES" / "djangojs.po"


def welsh_catalogue(folder: Path) -> Path:
    """The committed Welsh scripts catalogue, compiled into <folder>/cy/LC_MESSAGES."""
    if not shutil.which("msgfmt"):
        pytest.fail("msgfmt is missing: `apt-get install gettext`.")
    target = folder / "cy" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run(["msgfmt", "-c", "-o", str(target / "djangojs.mo"), str(FRAGMENT)], check=True)
    return folder


@pytest.mark.parametrize("lang", ["cy", "en-gb"])
def test_the_catalogue_is_javascript_in_each_language(client, db, lang):
    response = client.get(f"/jsi18n/{lang}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Content-Language"] == lang
    body = response.content.decode()
    for name in ("gettext", "ngettext", "interpolate", "pgettext"):
        assert f"django.{name} = function" in body, name
    assert "django.formats = {}" in body  # small: the scripts format dates with Intl


def test_an_unknown_language_is_not_found(client, db):
    assert client.get("/jsi18n/de/").status_code == 404
    assert client.get("/jsi18n/").status_code == 404


def test_the_catalogue_is_public_kept_and_checked_again(client, db):
    first = client.get("/jsi18n/cy/")
    directives = {d.strip() for d in first["Cache-Control"].split(",")}
    assert directives == {"public", "no-cache"}
    again = client.get("/jsi18n/cy/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_reversing_any_language_gives_one_offered():
    assert reverse("js-catalogue", args=["cy"]) == "/jsi18n/cy/"
    assert reverse("js-catalogue", args=["en"]) == "/jsi18n/en-gb/"
    assert reverse("js-catalogue", args=["en-us"]) == "/jsi18n/en-gb/"


def test_the_catalogue_holds_the_welsh_plurals(client, db, tmp_path):
    with override_settings(LOCALE_PATHS=[welsh_catalogue(tmp_path)]):
        welsh = client.get("/jsi18n/cy/")
        english = client.get("/jsi18n/en-gb/")
    assert welsh["ETag"] != english["ETag"]  # a kept copy of one is never taken for the other
    body, english = welsh.content.decode(), english.content.decode()
    assert "(n==1) ? 0 : (n==2) ? 1 : (n != 8 && n != 11) ? 2 : 3" in body
    assert "%(count)s adroddiad heb eu hanfon eto." in body
    assert "Mae problem" in body
    assert "Mae problem" not in english


def test_the_service_worker_keeps_every_language_and_serves_it_offline(client, db):
    body = client.get("/sw.js").content.decode()
    kept = re.search(r"var CATALOGUES = (\[.*?\]);", body)
    assert kept and '"/jsi18n/en-gb/"' in kept[1] and '"/jsi18n/cy/"' in kept[1]
    # Kept when a page fetches it or names it in its "warm" message, answered from the cache.
    assert "CATALOGUES.indexOf(url.pathname) >= 0 && !url.search" in body
    assert "event.respondWith(script(request, url.pathname))" in body
    assert "warm(event.data.catalogue)" in body
    # Its own page for a page it does not keep: in every language, one after the other.
    assert '<section lang=\\"en-gb\\"><h1>You are offline</h1>' in body
    assert '<section lang=\\"cy\\">' in body


def test_a_new_welsh_catalogue_is_a_new_worker(tmp_path, settings):
    offline.shell_version.cache_clear()
    before = offline.shell_version()
    # The committed catalogue with one translation changed, as the next release would bring.
    changed = tmp_path / "changed"
    mo = welsh_catalogue(changed) / "cy" / "LC_MESSAGES" / "djangojs.mo"
    po = mo.with_suffix(".po")
    po.write_text(
        FRAGMENT.read_text(encoding="utf-8").replace("Rydych chi all-lein.", "Dim signal."),
        encoding="utf-8",
    )
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    po.unlink()
    settings.LOCALE_PATHS = [changed]
    offline.shell_version.cache_clear()
    try:
        assert offline.shell_version() != before
    finally:
        offline.shell_version.cache_clear()


@pytest.mark.parametrize(
    ("url_name", "script"),
    [("outbox", "js/offline.js"), ("visit-record", "js/record.js"), ("home", "js/outbox.js")],
)
def test_a_page_loads_its_languages_catalogue_before_the_scripts(client, db, url_name, script):
    client.force_login(persona("visitor"))
    html = client.get(reverse(url_name)).content.decode()
    catalogue = html.index('<script src="/jsi18n/en-gb/" defer data-catalogue></script>')
    assert catalogue < html.index(script)
    # Before every script of the page: deferred scripts run in the order they are written.
    first_script = re.search(r"<script[^>]*\ssrc=", html)
    assert first_script.start() == catalogue
