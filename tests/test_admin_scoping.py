"""The admin shows a scheme manager nothing of another scheme (issue 15, item 4).

Signed in as Maya Brook (Norfolk manager), every admin page she can open is read for Suffolk's
values: the changelists, their list filters and every filtered list, every add and change page
she can reach, the autocomplete answers for every relation, and every inline's choices. The
values are collected from the database when the test runs: Suffolk's scheme, suites, panels
and people, and the custody numbers, issue, token and checklist wording of the Suffolk rows
made here (the checklists are renamed, since both schemes start from the same defaults).
"""

import html
import json
import re
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from tests.conftest import persona
from tests.factories import make_one_of_each, make_period, make_slot, make_visit, open_rota
from tests.test_images_and_pdf import png
from visits import admin as visits_admin
from visits.images import clean_photo
from visits.models import (
    Availability,
    ChecklistSection,
    ChecklistTemplate,
    CustodySuite,
    DetaineeRecord,
    Issue,
    Membership,
    Panel,
    Question,
    Scheme,
    Visit,
)
from visits.services import amendments, checklists, rota, tokens
from visits.services import visits as visit_service

User = get_user_model()

FILTER = re.compile(r'<details data-filter-title="[^"]*".*?</details>', re.S)
FILTER_CHOICE = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)


def _availability(period, user, actor):
    return Availability.objects.create(period=period, user=user, entered_by=actor)


def _suffolk_rows():
    """Suffolk visits (a draft with an issue and a photo, a report with a detainee and an
    amendment), a rota slot with a swap offered, a token, a calendar feed and an availability:
    rows Norfolk's pages could offer if they were not scoped."""
    outsider, helen = persona("outsider"), persona("suffolk.visitor1")
    draft = make_visit(
        suite_name="Martlesham", visitors=[outsider, helen], status=Visit.Status.DRAFT
    )
    visit_service.raise_issue(
        actor=outsider,
        visit=draft,
        category="conditions",
        severity="routine",
        description="Suffolk only: the Martlesham exercise yard is flooded.",
        resolved_on_visit=False,
        recheck_next_visit=False,
    )
    visit_service.add_photo(
        actor=outsider, visit=draft, photo=clean_photo(png()), caption="Suffolk only photo"
    )
    report = make_visit(suite_name="Martlesham", visitors=[outsider, helen], detainees=1)
    amendments.amend_visit(
        actor=persona("suffolk.manager"),
        visit=report,
        reason="Typo",
        changes={"good_practice": "Suffolk only praise."},
    )
    period = make_period("suffolk")
    slot = make_slot(period=period, suite_name="Bury St Edmunds", visitors=[outsider, helen])
    rota.offer(actor=outsider, slot=slot)
    tokens.create_token(actor=outsider, name="Suffolk only phone")
    rota.feed_for(actor=outsider, membership=outsider.memberships.get())
    _availability(period, helen, persona("suffolk.manager"))


def _norfolk_rows():
    """Norfolk rows of every kind, so that every change page has something to show."""
    make_one_of_each()
    visitor, partner, manager = persona("visitor"), persona("partner"), persona("manager")
    visit = make_visit(visitors=[visitor, partner], detainees=1)
    draft = make_visit(visitors=[visitor, partner], status=Visit.Status.DRAFT)
    visit_service.add_photo(actor=visitor, visit=draft, photo=clean_photo(png()), caption="Cell 2")
    amendments.amend_visit(
        actor=manager, visit=visit, reason="Typo", changes={"good_practice": "Clean cells."}
    )
    tokens.create_token(actor=visitor, name="Vera's phone")
    rota.feed_for(actor=visitor, membership=visitor.memberships.get())
    _availability(open_rota(actor=manager), visitor, manager)
    template = ChecklistTemplate.objects.filter(scheme__slug="norfolk").first()
    checklists.start_draft(actor=manager, template=template)  # editable sections, questions


def _suffolk_values() -> list[str]:
    """Every value that would show a Suffolk row, read from the database."""
    suffolk = Scheme.objects.get(slug="suffolk")
    norfolk_people = Membership.objects.exclude(scheme=suffolk).values("user")
    people = User.objects.filter(memberships__scheme=suffolk).exclude(pk__in=norfolk_people)
    values = [suffolk.name, suffolk.force_name]
    values += CustodySuite.objects.filter(scheme=suffolk).values_list("name", flat=True)
    values += CustodySuite.objects.filter(scheme=suffolk).values_list("address", flat=True)
    values += Panel.objects.filter(scheme=suffolk).values_list("name", flat=True)
    for person in people.distinct():
        values += [person.username, person.get_full_name(), person.email]
    values += DetaineeRecord.objects.filter(visit__scheme=suffolk).values_list(
        "custody_number", flat=True
    )
    values += Issue.objects.filter(scheme=suffolk).values_list("description", flat=True)
    values += ["Suffolk only phone", "Suffolk only photo", "Suffolk only praise."]
    values += ChecklistTemplate.objects.filter(scheme=suffolk).values_list("name", flat=True)
    values += ChecklistSection.objects.filter(version__template__scheme=suffolk).values_list(
        "title", flat=True
    )
    values += Question.objects.filter(section__version__template__scheme=suffolk).values_list(
        "text", flat=True
    )
    return sorted({value for value in values if value})


def _distinguish_suffolk_checklists():
    """Both schemes' checklists start from the same wording; make Suffolk's its own. Their
    published versions refuse any change through the ORM (ChecklistLocked), so the test
    rewords them in SQL, the one way round that guard."""
    suffolk = Scheme.objects.get(slug="suffolk")
    for template in ChecklistTemplate.objects.filter(scheme=suffolk):
        ChecklistTemplate.objects.filter(pk=template.pk).update(name=f"Suffolk only {template.pk}")
    sections = ChecklistSection.objects.filter(version__template__scheme=suffolk)
    _reword(ChecklistSection, "title", "Suffolk section", sections.values_list("pk", flat=True))
    questions = Question.objects.filter(section__version__template__scheme=suffolk)
    _reword(Question, "text", "Suffolk question", questions.values_list("pk", flat=True))


def _reword(model, column: str, prefix: str, pks) -> None:
    table, column = (connection.ops.quote_name(name) for name in (model._meta.db_table, column))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {column} = %s WHERE id = %s",
            [(f"{prefix} {pk}", pk) for pk in pks],
        )


@pytest.fixture
def suffolk_values(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _norfolk_rows()
    _suffolk_rows()
    _distinguish_suffolk_checklists()
    values = _suffolk_values()
    assert "Martlesham" in values and "Owen Marsh" in values and "MH/00001/26" in values
    return values


def suffolk_in(body: str, values) -> list[str]:
    return [value for value in values if value in body or html.escape(value) in body]


def _as(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _admins_with_inlines():
    """Every registered ModelAdmin with the model each of its forms edits: its own and its
    inlines'."""
    for model, model_admin in admin.site._registry.items():
        yield model, model_admin
        for inline in model_admin.inlines:
            yield inline.model, inline(model, admin.site)


def _autocomplete_fields():
    """(source model, field, declared) for every relation of every model the admin edits whose
    target can be searched: the autocomplete view answers for all of them, not only those
    declared in `autocomplete_fields`."""
    seen = set()
    for model, model_admin in _admins_with_inlines():
        declared = set(model_admin.autocomplete_fields)
        for field in model._meta.get_fields():
            if not (field.concrete and field.is_relation) or (model, field.name) in seen:
                continue
            target = admin.site._registry.get(field.related_model)
            if target is None or not target.search_fields:
                continue
            seen.add((model, field.name))
            yield model, field, field.name in declared


def test_manager_sees_nothing_of_another_scheme_anywhere_in_the_admin(client, suffolk_values):
    manager = persona("manager")
    client.force_login(manager)
    request = _as(manager)
    leaks = []  # (what was read, the Suffolk values it shows)
    checked = {"admins": 0, "filters": 0, "filter choices": 0, "add": 0, "change": 0}
    relation_choices = []
    opened, with_rows = set(), set()

    def read(what, url):
        if found := suffolk_in(client.get(url).content.decode(), suffolk_values):
            leaks.append((what, found))

    for model, model_admin in admin.site._registry.items():
        changelist = _url(model, "changelist")
        response = client.get(changelist)
        if response.status_code != 200:
            continue  # not hers to open (Django's groups, sign-in and two-factor records)
        opened.add(model)
        checked["admins"] += 1
        body = response.content.decode()
        if found := suffolk_in(body, suffolk_values):
            leaks.append((changelist, found))
        # The same list as a raw-id look-up opens it, in a pop-up.
        read(f"{changelist} raw-id look-up", f"{changelist}?_to_field=id&_popup=1")

        # Every list filter's choices, and the list each choice shows.
        for box in FILTER.findall(body):
            checked["filters"] += 1
            if found := suffolk_in(box, suffolk_values):
                leaks.append((f"{changelist} filter", found))
            for href, display in FILTER_CHOICE.findall(box):
                checked["filter choices"] += 1
                relation_choices.append(html.unescape(display).strip())
                read(f"{changelist}{html.unescape(href)}", changelist + html.unescape(href))

        if model_admin.has_add_permission(request):
            checked["add"] += 1
            read(f"{model.__name__} add", _url(model, "add"))
        for pk in model_admin.get_queryset(request).values_list("pk", flat=True):
            checked["change"] += 1
            with_rows.add(model)
            read(f"{model.__name__} {pk}", _url(model, "change", pk))

    scheme_admins = {
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, visits_admin.SchemeScopedAdmin)
    }
    assert opened == scheme_admins, "she opens exactly the scheme-scoped admins"
    assert not leaks, leaks
    # The reading was not of empty pages: Norfolk's suites are offered in the filters.
    assert {"Aylsham", "Wymondham", "King's Lynn", "Great Yarmouth"} <= set(relation_choices)
    assert with_rows == opened, "every admin she opens had rows to show"
    print(f"\nadmin pages read as the Norfolk manager: {checked}")


def test_autocompletes_answer_with_no_other_schemes_rows(client, suffolk_values):
    """The autocomplete endpoint for every relation whose target can be searched, with no
    search term (every page of answers) and searching for Suffolk's own names."""
    client.force_login(persona("manager"))
    terms = ["", "Suffolk", "Martlesham", "Bury", "Marsh", "Owen", "outsider", "Threadgold"]
    fields = list(_autocomplete_fields())
    leaks, refused, answered, results = [], set(), 0, 0
    for model, field, _declared in fields:
        for term in terms:
            page = 1
            while True:
                query = {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field.name,
                    "term": term,
                    "page": page,
                }
                response = client.get(f"{reverse('admin:autocomplete')}?{urlencode(query)}")
                text = response.content.decode()
                # A refusal page's language switch returns to this address: the term asked for,
                # echoed back, is no row of Suffolk's.
                shown = re.sub(r'<input type="hidden" name="next" value="[^"]*">', "", text)
                if found := suffolk_in(shown, suffolk_values):
                    leaks.append((f"{model.__name__}.{field.name} {term!r}", found))
                if response.get("Content-Type") != "application/json":
                    refused.add(f"{model.__name__}.{field.name}")
                    break
                answer = json.loads(text)
                answered += 1
                results += len(answer["results"])
                if not answer["pagination"]["more"]:
                    break
                page += 1
    assert not leaks, leaks
    not_hers = {
        f"{model.__name__}.{field.name}"
        for model, field, _declared in fields
        if not isinstance(admin.site._registry[field.related_model], visits_admin.SchemeScopedAdmin)
    }
    assert refused == not_hers  # Django's groups, the two-factor devices: not hers to search
    declared = {f"{m.__name__}.{f.name}" for m, f, declared in fields if declared}
    assert declared == {"Membership.user", "VisitVisitor.user"}
    assert len(fields) >= 25 and results > 0
    print(f"\nautocomplete: {len(fields)} fields, {answered} answers, {results} results")


def test_every_inlines_choices_are_the_managers_schemes(suffolk_values):
    """Inline forms the manager cannot open (the admin asks Django's model permissions for
    them) still offer only her schemes' rows, should they be shown to her."""
    request = _as(persona("manager"))
    rendered = 0
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, visits_admin.SchemeScopedAdmin):
            continue
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            assert isinstance(inline, visits_admin.ScopedChoicesMixin), inline_class
            for db_field in inline.model._meta.get_fields():
                if not (db_field.concrete and db_field.is_relation):
                    continue
                field = inline.formfield_for_dbfield(db_field, request)
                if field is None:
                    continue
                html_widget = field.widget.render(db_field.name, None)
                rendered += 1
                found = suffolk_in(html_widget, suffolk_values)
                assert not found, (inline_class.__name__, db_field.name, found)
    assert rendered >= 7


def test_a_filter_across_a_relation_offers_only_the_managers_schemes(suffolk_values):
    """`suite__name` would read every suite with Django's own filter."""
    request = _as(persona("manager"))
    visit_admin = admin.site._registry[Visit]
    entry = visits_admin.scoped_list_filter(Visit, "suite__name")
    assert entry[1] is visits_admin.ScopedAllValuesFieldListFilter
    field = get_fields_from_path(Visit, "suite__name")[-1]
    spec = entry[1](field, request, {}, Visit, visit_admin, "suite__name")
    offered = list(spec.lookup_choices)
    assert offered == ["Aylsham", "Great Yarmouth", "King's Lynn", "Wymondham"]
    assert not suffolk_in(" ".join(offered), suffolk_values)


def test_a_superuser_still_sees_every_scheme(client, suffolk_values):
    """The same reading finds Suffolk's values for a superuser, so the checks above can see
    them."""
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    suites = client.get(_url(Visit, "changelist")).content.decode()
    assert "Martlesham" in " ".join(FILTER.findall(suites))
    question = Question.objects.filter(section__version__template__scheme__slug="norfolk").first()
    page = client.get(_url(Question, "add")).content.decode()
    assert "Suffolk section" in page and question.section.title in page
    query = {"app_label": "visits", "model_name": "membership", "field_name": "user"}
    answer = client.get(f"{reverse('admin:autocomplete')}?{urlencode(query | {'term': 'Marsh'})}")
    assert "outsider" in answer.content.decode()


def test_a_new_account_can_be_chosen_for_a_membership(client, suffolk_values):
    """The autocomplete offers accounts not yet in any scheme; the form accepts them too."""
    newcomer = User.objects.create_user("newcomer", first_name="Nia", last_name="Newcomer")
    client.force_login(persona("manager"))
    query = {"app_label": "visits", "model_name": "membership", "field_name": "user"}
    answer = client.get(f"{reverse('admin:autocomplete')}?{urlencode(query | {'term': 'Nia'})}")
    assert [row["text"] for row in answer.json()["results"]] == ["newcomer"]
    form = client.get(_url(Membership, "add")).context["adminform"].form
    assert form.fields["user"].clean(newcomer.pk) == newcomer
