"""The installable app: a visit recorded on the phone with no signal, its outbox, the service
worker and the manifest.

The pages are ordinary server-rendered pages that the service worker keeps a copy of; what the
visitor types is kept in the phone's IndexedDB and sent whole, by the outbox, to
PUT /api/visits/{uuid}/report/ (visits.services.phone_reports). See docs/offline.md.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_supported_language_variant, gettext, override
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from visits import permissions, rules
from visits.forms import (
    AdmissionForm,
    DetaineeForm,
    GoodPracticeForm,
    IssueForm,
    NumbersForm,
    SignOffForm,
    StartVisitForm,
    SuiteChecklistForm,
    number_groups,
    rendered_once,
    sections_key,
)
from visits.models import DETAINEE_FLAGS, ChecklistTemplate, Scheme
from visits.models.checklists import sections_by_version
from visits.services import checklists
from visits.services import issues as issue_service
from visits.services import rota as rota_service
from visits.services.languages import lang_attribute

# What the phone keeps for a visit with no signal: the static files the pages use (not htmx
# nor focus.js: neither kept page loads them; django-htmx's script is only for DEBUG)...
SHELL_STATIC = [
    "css/app.css",
    "js/offline.js",
    "js/outbox.js",
    "js/photos.js",
    "js/record.js",
    "js/signature.js",
    "js/checklist.js",
    "icons/icon.svg",
    "icons/icon-192.png",
]
# ...the pages themselves (kept per signed-in visitor, refreshed whenever they are online)...
SHELL_PAGES = ["visit-record", "outbox"]
# ...and no data apart: what a visit is recorded against (checklists, suites, partners) is in
# the kept record page itself. The API's copies of it were fetched on install (2.7 KB of the
# 50 KB first load) and never read offline.
SHELL_DATA: list[str] = []
SHELL_TEMPLATES = ["base.html", "visits/offline/record.html", "visits/offline/outbox.html"]


class LanguageConverter:
    """A language of settings.LANGUAGES in a URL ("cy", "en-gb"); reversing any other code (a
    browser's "en", a deactivated "en-us") gives the nearest one offered, else the default."""

    regex = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        try:
            return get_supported_language_variant(value)
        except LookupError:
            return settings.LANGUAGE_CODE


def catalogue_urls() -> list[str]:
    """The JavaScript catalogue of every language: the service worker keeps them all, so that
    a page kept on the phone finds its own language's with no signal."""
    return [reverse("js-catalogue", args=[code]) for code, _name in settings.LANGUAGES]


def _translation_files() -> list[Path]:
    """The compiled JavaScript catalogues (djangojs.mo) of LOCALE_PATHS, in a stable order."""
    return sorted(
        path
        for folder in settings.LOCALE_PATHS
        for path in Path(folder).glob("*/LC_MESSAGES/djangojs.mo")
    )


@lru_cache(maxsize=1)
def shell_version() -> str:
    """Changes whenever a file of the app shell does: a new service worker, new caches."""
    digest = hashlib.sha256()
    for path in SHELL_STATIC:
        with open(finders.find(path), "rb") as file:
            digest.update(file.read())
    for name in [*SHELL_TEMPLATES, "visits/offline/sw.js"]:
        with open(get_template(name).origin.name, "rb") as file:
            digest.update(file.read())
    # A new translation of the scripts' strings is a new worker too: it fetches the catalogues.
    for path in _translation_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class ScriptCatalogue(JavaScriptCatalog):
    """Django's catalogue without its date and number formats: the scripts write times with
    the browser's Intl in the page's language, and every byte is fetched on a phone's first
    load (bench/run.py counts every language's)."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "formats": {}}


@require_GET
def javascript_catalogue(request, lang: str):
    """The scripts' strings (Django's JavaScript catalogue, the djangojs domain of LOCALE_PATHS
    and this app) in `lang`, named in the address so that a kept copy is never another
    language's. Public and the same for everyone: the browser may keep it, but asks again each
    time (an ETag makes that a 304), so a deploy's new translation is never hidden behind a
    stale copy; the service worker keeps every language's for the phone with no signal."""
    with override(lang):
        response = ScriptCatalogue.as_view(packages=["visits"])(request)
    response["Content-Language"] = lang
    response["Cache-Control"] = "public, no-cache"
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)


def _offline_page() -> str:
    """The page the worker answers for a page the phone does not keep, with no signal: in every
    language offered, one after the other (the worker does not know whose phone it is on)."""
    titles, parts = [], []
    for code, _name in settings.LANGUAGES:
        with override(code):
            titles.append(gettext("Offline"))
            parts.append(
                format_html(
                    '<section lang="{}"><h1>{}</h1><p>{}</p></section>',
                    code,
                    gettext("You are offline"),
                    gettext(
                        "This page is not kept on this phone. Sign in once with signal to "
                        "keep the visit pages."
                    ),
                )
            )
    head = format_html(
        '<!doctype html><html lang="{}"><meta charset="utf-8"><title>{}</title>',
        settings.LANGUAGE_CODE,
        " / ".join(titles),
    )
    return head + "".join(parts) + "</html>"


@require_GET
def service_worker(request):
    """Served from the root so that it may look after every page (scope /)."""
    body = render_to_string(
        "visits/offline/sw.js",
        {
            "version": shell_version(),
            "outbox_script": json.dumps(static("js/outbox.js")),
            "static_urls": json.dumps([static(path) for path in SHELL_STATIC]),
            "catalogues": json.dumps(catalogue_urls()),
            "offline_page": json.dumps(_offline_page()),
            "pages": json.dumps([reverse(name) for name in SHELL_PAGES]),
            "data": json.dumps(SHELL_DATA),
            "fallback": json.dumps(reverse("outbox")),
        },
    )
    response = HttpResponse(body, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # the browser checks for a new version every time
    return response


@require_GET
def manifest(request):
    icons = [
        {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("icons/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    # In the reader's language (the cookie or Accept-Language, as every page): the installed
    # app's name and its lang are those of whoever installs it.
    data = {
        "name": gettext("Custody visiting"),
        "short_name": gettext("Custody visits"),
        "description": gettext("Record independent custody visits, with or without signal."),
        "id": "/",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1d3557",
        "lang": lang_attribute(),
        "icons": icons,
    }
    return JsonResponse(data, content_type="application/manifest+json")


def _recording_schemes(request) -> tuple[Scheme, list[Scheme]]:
    """The scheme to record a visit for (`?scheme=`, else the first), and the user's others."""
    # The memberships, fetched once per request, already hold their schemes.
    ids = set(permissions.recording_schemes(request.user))
    by_id = {m.scheme_id: m.scheme for m in permissions.memberships_of(request.user)}
    schemes = sorted((by_id[pk] for pk in ids), key=lambda scheme: scheme.name)
    if not schemes:
        raise PermissionDenied(gettext("Only custody visitors record visits."))
    wanted = [s for s in schemes if s.slug == request.GET.get("scheme")]
    scheme = (wanted or schemes)[0]
    return scheme, [s for s in schemes if s != scheme]


# The record page's blank forms (everything but the arrival, the re-checks and the sign-off's
# "I confirm") are the same for every visitor of a scheme until its checklists change
# (visits.forms.rendered_once).


def blank_record_parts(scheme: Scheme, versions: dict) -> dict[str, str]:
    """The record page's blank forms for `scheme` and its current checklist `versions`, as
    HTML: `checks` (admission to the suite checks) and `issue_to_sign_off`."""
    sections = sections_by_version([version.pk for version in versions.values()])
    made_of = [
        "record page",
        scheme.pk,
        scheme.custody_number_example,
        *(versions[kind].pk for kind in sorted(versions)),
        *(sections_key(found) for found in sections.values()),
    ]
    return rendered_once(made_of, lambda: _render_blank_parts(scheme, versions, sections))


def _render_blank_parts(scheme: Scheme, versions: dict, sections: dict) -> dict[str, str]:
    issue = IssueForm(prefix="issues.__n__")
    context = {
        "admission": AdmissionForm(prefix="admission"),
        "numbers": number_groups(NumbersForm(prefix="numbers")),
        "suite": SuiteChecklistForm(
            prefix="suite", sections=sections.get(versions["suite"].pk, [])
        ),
        "detainee": DetaineeForm(
            prefix="detainees.__n__",
            sections=sections.get(versions["detainee"].pk, []),
            scheme=scheme,
        ),
        "issue_fields": [
            issue[name]
            for name in (
                "category",
                "severity",
                "description",
                "custody_number",
                "resolved_on_visit",
                "recheck_next_visit",
                "question_id",
            )
        ],
        "issue_no_names": issue["names_checked"],
        "good_practice_no_names": GoodPracticeForm(prefix="good_practice")["names_checked"],
        "good_practice": GoodPracticeForm(prefix="good_practice"),
        "sign_off": SignOffForm(prefix="sign_off", visitors=get_user_model().objects.none()),
    }
    template = "visits/offline/record.html#"
    return {
        "checks": render_to_string(template + "checks", context),
        "issue_to_sign_off": render_to_string(template + "issue-to-sign-off", context),
    }


@dataclass(frozen=True)
class RecheckShown:
    pk: int
    suite_id: int
    title: str
    description: str


def _rechecks_shown(issues) -> list[RecheckShown]:
    """Each issue to re-check with its title ("Cells, raised 5 Dec 2025") made here, with the
    sentence translated once: a scheme has dozens, and a {% blocktranslate %} for each was a
    good part of the page's time."""
    raised = gettext("%(category)s, raised %(raised)s")
    return [
        RecheckShown(
            pk=issue.pk,
            suite_id=issue.suite_id,
            title=raised
            % {
                "category": issue.get_category_display(),
                "raised": date_format(timezone.localtime(issue.created_at), "j M Y"),
            },
            description=issue.description,
        )
        for issue in issues.only("pk", "suite_id", "category", "created_at", "description")
    ]


@require_GET
@login_required
@never_cache
def record_on_phone(request):
    """The whole visit on one page, kept on the phone as it is typed and sent when it can be."""
    scheme, other_schemes = _recording_schemes(request)
    suites, partners = permissions.recording_choices(request.user)
    suites = suites.filter(scheme=scheme)
    partners = partners.filter(memberships__scheme=scheme).distinct()
    guess = rota_service.recording_start(request.user, suites=suites, partners=partners)
    versions = checklists.current_versions(scheme)
    if set(versions) != set(ChecklistTemplate.Kind.values):
        raise PermissionDenied(gettext("Your scheme has no published checklists yet."))
    context = {
        "scheme": scheme,
        "versions": versions,
        "start": StartVisitForm(
            prefix="start",
            suites=suites,
            co_visitors=guess.partners,
            initial={
                "arrived_at": guess.arrived_at,
                "suite": guess.suite,
                "co_visitors": guess.co_visitors,
            },
        ),
        "blank": blank_record_parts(scheme, versions),
        "name_check": json.dumps(rules.name_check_for_browser()),
        # For record.js, in a JSON script tag: the one list of a detainee's yes-or-no facts.
        "detainee_flags": [{"name": f.name, "label": f.label} for f in DETAINEE_FLAGS],
        # Every suite's, each shown once its suite is chosen: the page works with no signal.
        "rechecks": _rechecks_shown(issue_service.awaiting_recheck_at(suites.values("pk"))),
        "other_schemes": other_schemes,
    }
    return render(request, "visits/offline/record.html", context)


@require_GET
@login_required
@never_cache
def outbox(request):
    """What waits on this phone; filled in from IndexedDB by outbox.js."""
    return render(request, "visits/offline/outbox.html")
