"""Each person's language (issue 21): the browser's before sign-in, the account's after it, for
pages (lang on every base template, the manifest), e-mails
(built in the recipient's language) and the switch and chooser that set it.

Until the lead assembles the Welsh catalogue (locale/cy/), Welsh pages still read in English: these
tests assert the language that is active (lang, Content-Language, translation.get_language()),
which holds now and after."""

import json
import re

import pytest
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from visits import mail_messages
from visits.languages import chosen_language
from visits.models import AuditEntry, Email
from visits.services import languages
from visits.tasks import deliver_email, queue_email

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME
LOGIN = "/accounts/login/"
WELSH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "cy,en;q=0.5"}
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def html_lang(response) -> str:
    found = re.search(r'<html lang="([^"]*)"', response.content.decode())
    assert found, "no <html lang> in the page"
    return found.group(1)


def test_before_sign_in_the_browsers_language_decides(client):
    welsh = client.get(LOGIN, **WELSH_BROWSER)
    assert html_lang(welsh) == "cy"
    assert welsh["Content-Language"] == "cy"
    english = client.get(LOGIN, **ENGLISH_BROWSER)
    assert html_lang(english) == "en-GB"
    # A browser asking for neither gets the default, English.
    assert html_lang(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr")) == "en-GB"


def test_the_switch_is_on_every_page_in_the_other_language_with_its_own_lang(client, visitor):
    page = client.get(LOGIN, **ENGLISH_BROWSER).content.decode()
    assert re.search(r'<button[^>]*value="cy"[^>]*lang="cy"[^>]*>Cymraeg</button>', page)
    assert 'value="en-gb"' not in page  # the language already shown is not offered
    client.force_login(visitor)
    page = client.get("/", **WELSH_BROWSER).content.decode()
    assert re.search(r'<button[^>]*value="en-gb"[^>]*lang="en-GB"[^>]*>English</button>', page)


def test_the_switch_before_sign_in_sets_the_cookie_and_goes_back(client):
    response = client.post("/language/", {"language": "cy", "next": LOGIN}, **ENGLISH_BROWSER)
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    cookie = response.cookies[COOKIE]
    assert cookie.value == "cy"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    # The cookie outweighs the browser's English from now on.
    assert html_lang(client.get(LOGIN, **ENGLISH_BROWSER)) == "cy"
    # Another site's address is not followed.
    away = client.post("/language/", {"language": "cy", "next": "https://evil.example/"})
    assert away["Location"] == "/"


def test_choosing_welsh_on_the_account_sets_the_cookie_and_the_profile(client, visitor):
    client.force_login(visitor)
    account = client.get("/account/tokens/", **ENGLISH_BROWSER).content.decode()
    assert 'name="language"' in account and 'lang="cy">Cymraeg</label>' in account
    response = client.post(
        "/language/", {"language": "cy", "next": "/account/tokens/"}, **ENGLISH_BROWSER
    )
    assert response.status_code == 302 and response["Location"] == "/account/tokens/"
    assert response.cookies[COOKIE].value == "cy"
    visitor.refresh_from_db()
    assert chosen_language(visitor) == "cy"
    assert AuditEntry.objects.filter(action="account.language_chosen", actor=visitor).exists()
    page = client.get("/account/tokens/", **ENGLISH_BROWSER)
    assert html_lang(page) == "cy"
    # The chooser shows what is chosen.
    assert re.search(r'<input[^>]*value="cy"[^>]*checked', page.content.decode())


def test_choosing_the_browsers_language_forgets_the_cookie(client, visitor):
    languages.choose_language(actor=visitor, language="cy")
    client.force_login(visitor)
    client.cookies[COOKIE] = "cy"
    response = client.post("/language/", {"language": "", "next": "/"}, **ENGLISH_BROWSER)
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == ""  # deleted
    assert response.cookies[COOKIE]["max-age"] == 0
    visitor.refresh_from_db()
    assert chosen_language(visitor) == ""
    assert html_lang(client.get("/", **ENGLISH_BROWSER)) == "en-GB"
    assert html_lang(client.get("/", **WELSH_BROWSER)) == "cy"


@pytest.mark.parametrize("language", ["fr", "x" * 300, "en"])
def test_a_language_not_offered_is_refused_clearly_and_nothing_changes(client, visitor, language):
    client.force_login(visitor)
    response = client.post("/language/", {"language": language, "next": "/"})
    assert response.status_code == 400
    assert "Choose one of the languages offered." in response.content.decode()
    assert COOKIE not in response.cookies
    visitor.refresh_from_db()
    assert chosen_language(visitor) == ""


def test_the_switch_is_a_post(client):
    assert client.get("/language/?language=cy").status_code == 405


def test_signing_in_as_someone_who_chose_welsh_gives_welsh_pages_with_an_english_browser(
    client, visitor
):
    languages.choose_language(actor=visitor, language="cy")
    assert html_lang(client.get(LOGIN, **ENGLISH_BROWSER)) == "en-GB"
    response = client.post(
        LOGIN,
        {"username": "visitor", "password": settings.DEMO_PASSWORD},
        REMOTE_ADDR="192.0.2.30",
        **ENGLISH_BROWSER,
    )
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "cy"
    assert html_lang(client.get("/", **ENGLISH_BROWSER)) == "cy"


def test_signing_in_with_no_language_chosen_leaves_the_browser_to_decide(client, visitor):
    response = client.post(
        LOGIN,
        {"username": "visitor", "password": settings.DEMO_PASSWORD},
        REMOTE_ADDR="192.0.2.31",
        **WELSH_BROWSER,
    )
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert html_lang(client.get("/", **WELSH_BROWSER)) == "cy"
    assert html_lang(client.get("/", **ENGLISH_BROWSER)) == "en-GB"


def test_the_pages_language_costs_no_query(client, visitor):
    """The language comes from the cookie, never the profile: the home page in Welsh costs what
    it costs in English (tests/test_home.py holds its budget)."""
    client.force_login(visitor)
    client.get("/")  # warm what is kept per process
    with CaptureQueriesContext(connection) as english:
        assert html_lang(client.get("/", **ENGLISH_BROWSER)) == "en-GB"
    client.cookies[COOKIE] = "cy"
    with CaptureQueriesContext(connection) as welsh:
        assert html_lang(client.get("/", **ENGLISH_BROWSER)) == "cy"
    assert len(welsh.captured_queries) == len(english.captured_queries)
    assert not any("visits_profile" in q["sql"] for q in welsh.captured_queries)


def test_the_public_pages_and_the_error_pages_say_their_language(client, visitor):
    client.cookies[COOKIE] = "cy"
    assert html_lang(client.get("/public/no-such-scheme/")) == "cy"
    client.force_login(visitor)
    missing = client.get("/visits/999999999/")
    assert missing.status_code == 404
    assert html_lang(missing) == "cy"
    # A public answer varies on the cookie as well as Accept-Language: a proxy that kept one
    # language's copy does not hand it to a reader of the other.
    vary = client.get("/manifest.webmanifest")["Vary"]
    assert "Cookie" in vary and "Accept-Language" in vary


def test_the_500_page_says_its_language():
    from django.template.loader import get_template

    with translation.override("cy"):
        assert '<html lang="cy">' in get_template("500.html").render()
    with translation.override("en-gb"):
        assert '<html lang="en-GB">' in get_template("500.html").render()


def test_the_manifest_is_in_the_readers_language(client):
    english = json.loads(client.get("/manifest.webmanifest", **ENGLISH_BROWSER).content)
    assert english["lang"] == "en-GB"
    welsh = json.loads(client.get("/manifest.webmanifest", **WELSH_BROWSER).content)
    assert welsh["lang"] == "cy"
    with translation.override("cy"):
        assert welsh["name"] == gettext("Custody visiting")


def _record_language(seen):
    def builder(email):
        seen.append(translation.get_language())
        return EmailMessage(subject=gettext("Custody visiting"), body="", to=[email.to_address])

    return builder


def test_an_email_is_built_in_its_recipients_language(monkeypatch, visitor, partner):
    languages.choose_language(actor=visitor, language="cy")
    seen = []
    monkeypatch.setitem(mail_messages.BUILDERS, Email.Kind.ROTA_REMINDER, _record_language(seen))
    scheme = visitor.memberships.first().scheme
    to_welsh = queue_email(kind=Email.Kind.ROTA_REMINDER, scheme=scheme, to_user=visitor)
    to_english = queue_email(kind=Email.Kind.ROTA_REMINDER, scheme=scheme, to_user=partner)
    with translation.override("en-gb"):
        welsh = mail_messages.build(Email.objects.get(pk=to_welsh.pk))
        english = mail_messages.build(Email.objects.get(pk=to_english.pk))
        assert translation.get_language() == "en-gb"  # the sender's language is left alone
    assert seen == ["cy", "en-gb"]
    with translation.override("cy"):
        assert welsh.subject == gettext("Custody visiting")
    assert english.subject == "Custody visiting"


def test_the_worker_builds_in_the_recipients_language_at_no_extra_query(
    monkeypatch, mailoutbox, visitor, partner
):
    languages.choose_language(actor=visitor, language="cy")
    seen = []
    monkeypatch.setitem(mail_messages.BUILDERS, Email.Kind.ROTA_REMINDER, _record_language(seen))
    scheme = visitor.memberships.first().scheme
    counts = []
    for person in (visitor, partner):  # one who chose Welsh, one who chose nothing
        email = queue_email(kind=Email.Kind.ROTA_REMINDER, scheme=scheme, to_user=person)
        with CaptureQueriesContext(connection) as queries:
            assert deliver_email.call(email.pk) == "sent"
        counts.append(len(queries.captured_queries))
    assert seen == ["cy", "en-gb"]
    assert counts[0] == counts[1]
    assert len(mailoutbox) == 2


@pytest.mark.two_factor
def test_before_the_two_factor_code_the_switch_sets_the_cookie_but_not_the_account(client, manager):
    response = client.post(
        LOGIN,
        {"username": "manager", "password": settings.DEMO_PASSWORD},
        REMOTE_ADDR="192.0.2.32",
    )
    assert client.get(response["Location"]).status_code == 302  # to set two-factor up first
    page = client.get("/accounts/two-factor/setup/", **ENGLISH_BROWSER)
    assert page.status_code == 200 and 'action="/language/"' in page.content.decode()
    switched = client.post("/language/", {"language": "cy", "next": "/accounts/two-factor/setup/"})
    assert switched.status_code == 302
    assert switched["Location"] == "/accounts/two-factor/setup/"
    assert switched.cookies[COOKIE].value == "cy"
    assert html_lang(client.get("/accounts/two-factor/setup/", **ENGLISH_BROWSER)) == "cy"
    manager.refresh_from_db()
    assert chosen_language(manager) == ""
    assert not AuditEntry.objects.filter(action="account.language_chosen", actor=manager).exists()


def test_a_quarters_rota_period_is_named_in_the_readers_language():
    """Opening a quarter names it in the opener's language; every reader reads it in theirs.
    A name the manager wrote is shown as written."""
    import datetime

    from visits.models import RotaPeriod

    opened = RotaPeriod(name="October to December 2026", starts_on=datetime.date(2026, 10, 5))
    written = RotaPeriod(name="Autumn, short-staffed", starts_on=datetime.date(2026, 10, 5))
    with translation.override("cy"):
        assert opened.shown_name == "Hydref i Rhagfyr 2026"
        assert written.shown_name == "Autumn, short-staffed"
        opened_in_welsh = RotaPeriod(name=opened.shown_name, starts_on=opened.starts_on)
    assert opened_in_welsh.shown_name == "October to December 2026"
