"""Settings read from the environment, the production checks, and the demo data command."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from icv.settings import env_bool, env_int, env_list, env_str
from tests.conftest import seed_demo
from visits.models import Conflict, CustodySuite, Membership, Panel, Scheme

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "ICV_DEBUG": "false",
    "ICV_SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-1234567890-abcdefghij",
    "ICV_ALLOWED_HOSTS": "icv.example.org",
    "ICV_DATABASE_URL": "sqlite:////tmp/icv-check.sqlite3",
    "ICV_EMAIL_URL": "smtp://user:pass@smtp.example.org:587/?tls=True",
    "ICV_AUDIT_KEY": "a-production-audit-key-that-is-long-and-random-0123456789",
}


def run_manage(*args, env):
    # A clean environment: no ICV_* of ours, nor the browser tests' async-unsafe switch.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ICV_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ICV_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "Set ICV_SECRET_KEY" in result.stderr


def test_secret_key_file_variant(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + "x" * 60 + "\n")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ICV_SECRET_KEY"}
    env["ICV_SECRET_KEY_FILE"] = str(secret)
    result = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", env=env
    )
    assert result.stdout.strip().splitlines()[-1] == "from-a-file-" + "x" * 60


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("ICV_T_BOOL", "yes")
    monkeypatch.setenv("ICV_T_INT", "42")
    monkeypatch.setenv("ICV_T_LIST", "a.example, b.example ,")
    assert env_bool("ICV_T_BOOL", False) is True
    assert env_bool("ICV_T_MISSING", True) is True
    assert env_int("ICV_T_INT", 0) == 42
    assert env_list("ICV_T_LIST") == ["a.example", "b.example"]
    assert env_str("ICV_T_MISSING", "default") == "default"
    monkeypatch.setenv("ICV_T_BOOL", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="true or false"):
        env_bool("ICV_T_BOOL", False)
    monkeypatch.setenv("ICV_T_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("ICV_T_INT", 0)


def test_seed_demo_is_idempotent(db):
    def counts():
        return [
            m.objects.count()
            for m in (Scheme, Panel, CustodySuite, Membership, Conflict, get_user_model())
        ]

    before = counts()
    seed_demo()
    assert counts() == before


def test_seed_demo_builds_norfolk_and_suffolk(db):
    norfolk = Scheme.objects.get(slug="norfolk")
    assert set(norfolk.suites.values_list("name", flat=True)) == {
        "Aylsham",
        "Wymondham",
        "King's Lynn",
        "Great Yarmouth",
    }
    assert norfolk.panels.count() == 4
    volunteers = Membership.objects.filter(scheme=norfolk, role__in=["visitor", "coordinator"])
    assert volunteers.count() == 24
    assert volunteers.filter(status="trainee").count() >= 3
    suffolk = Scheme.objects.get(slug="suffolk")
    assert set(suffolk.suites.values_list("name", flat=True)) == {"Martlesham", "Bury St Edmunds"}
    force = Membership.objects.get(user__username="force")
    assert force.suites.count() == 4


def test_seed_demo_builds_the_bilingual_dyfed_powys_with_a_welsh_visitor(db):
    from visits.languages import chosen_language
    from visits.services import checklists

    scheme = Scheme.objects.get(slug="dyfed-powys")
    assert scheme.bilingual and scheme.name_cy
    assert dict(scheme.suites.values_list("name", "name_cy")) == {
        "Llanelli": "Llanelli",
        "Aberystwyth": "Aberystwyth",
        "Haverfordwest": "Hwlffordd",
        "Newtown": "Y Drenewydd",
    }
    (panel,) = scheme.panels.all()
    assert panel.name_cy and set(panel.suites.all()) == set(scheme.suites.all())
    people = dict(Membership.objects.filter(scheme=scheme).values_list("user__username", "role"))
    assert people == {"dyfed.manager": "manager", "ymwelydd": "visitor", "dyfed.visitor": "visitor"}
    assert chosen_language(get_user_model().objects.get(username="ymwelydd")) == "cy"
    versions = checklists.current_versions(scheme)
    assert set(versions) == {"detainee", "suite"}
    assert all(checklists.missing_welsh(version) == [] for version in versions.values())


def test_seed_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="ICV_DEBUG=true"):
        call_command("seed_demo")


def test_demo_password_comes_from_settings(db, client, settings):
    response = client.post(
        "/accounts/login/", {"username": "outsider", "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response.url == "/"


def test_every_setting_is_documented_in_env_example():
    import re

    read = set(re.findall(r"ICV_[A-Z_]+", (ROOT / "icv" / "settings.py").read_text()))
    read = {name for name in read if not name.endswith("_FILE")}
    documented = set(re.findall(r"^(ICV_[A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read == documented


def test_seed_demo_makes_a_year_of_visits_once(db):
    from visits.models import Issue, Visit

    call_command("seed_demo", force=True, stdout=io.StringIO())
    submitted = Visit.objects.filter(status="submitted")
    assert 200 <= submitted.count() <= 212  # four suites, weekly, for a year
    assert submitted.filter(outcome="abandoned").exists()
    assert submitted.filter(delay_minutes__gt=0).exists()
    assert Issue.objects.filter(visit__in=submitted).exists()
    assert (
        Visit.objects.filter(status="draft", visit_visitors__user__username="visitor").count() == 1
    )
    for visit in submitted.filter(outcome__in=["satisfactory", "unsatisfactory"])[:50]:
        assert visit.in_custody == visit.offered + visit.not_visited
        assert visit.offered == visit.visited + visit.observed_only + visit.declined
        assert visit.detainees.count() == visit.visited
    # Issues in every state of the workflow, some overdue, each with its trail of events.
    from django.utils import timezone

    assert set(Issue.objects.values_list("status", flat=True)) == {x.value for x in Issue.Status}
    waiting = Issue.objects.filter(status__in=["referred", "escalated"])
    assert waiting.filter(due_on__lt=timezone.localdate()).exists()
    assert all(issue.events.exists() for issue in Issue.objects.all()[:50])
    before = (Visit.objects.count(), Issue.objects.count())
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert (Visit.objects.count(), Issue.objects.count()) == before
