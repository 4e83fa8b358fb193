"""The services are the only write path, whatever the door (issue 16, item 1).

In the admin, reports, issues and their events, the rota and published checklists are
read-only: their change, add and delete pages refuse a post (403) and the rows keep every value.
The changes the admin offers are actions that call the services, leaving the same events, audit
entries and e-mails as the pages. Underneath, a published checklist refuses any change at the
model and queryset level, whatever the door; a draft stays editable, and publishing still works.

Signed in as Maya Brook (Norfolk manager) throughout: she may open every page here, so what
stops a change is the admin's refusal, not scoping. Each change posted is one an editable
admin form would accept and save (`editable_change` checks it), so only the protection stops
it.
"""

import datetime

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from tests.conftest import persona
from tests.factories import make_draft_rota, make_period, make_reported_issue, make_slot, make_visit
from visits import admin as visits_admin
from visits.models import (
    Amendment,
    Answer,
    Attachment,
    AuditEntry,
    Availability,
    ChecklistSection,
    ChecklistTemplate,
    ChecklistVersion,
    CustodySuite,
    DetaineeRecord,
    Issue,
    IssueEvent,
    Question,
    RotaPeriod,
    RotaSlot,
    SwapRequest,
    Visit,
)
from visits.models.checklists import ChecklistLocked
from visits.services import amendments, checklists, rota
from visits.services.issues import act

User = get_user_model()


# --- Helpers ------------------------------------------------------------------------------------


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _row(obj) -> dict:
    """Every column of `obj`'s row as the database holds it now."""
    return type(obj)._base_manager.filter(pk=obj.pk).values().get()


def _m2m(obj, name) -> set[int]:
    return set(getattr(type(obj)._base_manager.get(pk=obj.pk), name).values_list("pk", flat=True))


def _superuser_request():
    request = RequestFactory().post("/admin/")
    request.user = User(username="root", is_superuser=True, is_staff=True, is_active=True)
    return request


def _posted(form) -> dict:
    """What a browser posts for `form` left as it is, in the shape each admin widget reads."""
    data = {}
    for name, field in form.fields.items():
        bound, widget = form[name], field.widget
        while hasattr(widget, "widget"):  # RelatedFieldWidgetWrapper
            widget = widget.widget
        value = bound.value()
        if isinstance(widget, forms.MultiWidget):  # a date and a time
            for suffix, part in zip(widget.widgets_names, widget.decompress(value), strict=True):
                data[bound.html_name + suffix] = "" if part is None else str(part)
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(widget, forms.FileInput):
            continue  # left empty: the file is kept
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def editable_change(obj, *, would_save=True, **changes) -> dict:
    """The post of `obj`'s change page as an editable admin form reads it: its values as they
    are, with `changes` (None: a box left unticked), and empty inline forms.

    With `would_save`, asserts that a plain editable ModelForm would accept and save it, so
    that only the admin's refusal stops it."""
    request = _superuser_request()
    model = type(obj)
    form_class = admin.ModelAdmin(model, admin.site).get_form(request, obj)
    data = _posted(form_class(instance=obj))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    if would_save:
        form = form_class(data, instance=model._base_manager.get(pk=obj.pk))
        assert form.is_valid(), form.errors
        assert set(changes) <= set(form.changed_data), form.changed_data
    for inline_class in admin.site._registry[model].inlines:
        formset = inline_class(model, admin.site).get_formset(request, obj)
        prefix = formset.get_default_prefix()
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data | {"_save": "Save"}


@pytest.fixture
def report(db):
    """A submitted Norfolk report with two detainees, one held under TACT."""
    visit = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=1, tact=True)
    assert visit.involves_tact and visit.status == Visit.Status.SUBMITTED
    return visit


@pytest.fixture
def referred_issue(db):
    issue = make_reported_issue()
    return act(actor=persona("manager"), issue=issue, action="refer", notify=False)


@pytest.fixture
def slot(db):
    return make_slot(
        period=make_period(),
        suite_name="Wymondham",
        visitors=[persona("visitor"), persona("partner")],
    )


def _published(kind="detainee") -> ChecklistVersion:
    return checklists.current_version(persona("manager").memberships.get().scheme_id, kind)


def _draft(kind="detainee") -> ChecklistVersion:
    template = ChecklistTemplate.objects.get(scheme__slug="norfolk", kind=kind)
    return checklists.start_draft(actor=persona("manager"), template=template)


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


# --- Every admin page is read-only unless it is listed as editable ------------------------------

# What a manager may still change in the admin, and why (docs/architecture.md, "The admin"):
# scheme settings, panels, suites, people and their memberships and conflicts (no workflow;
# every change audited), checklist templates, and a checklist's draft version with its
# sections and questions (editing a draft is what the admin is for; publishing is an action).
EDITABLE = {
    "Scheme",
    "Panel",
    "CustodySuite",
    "Membership",
    "Conflict",
    "ChecklistTemplate",
    "ChecklistVersion",
    "ChecklistSection",
    "Question",
    "User",
}


def test_every_admin_is_read_only_unless_listed_as_editable(db):
    scoped = {
        model.__name__: model_admin
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, visits_admin.SchemeScopedAdmin)
    }
    read_only = {
        name
        for name, model_admin in scoped.items()
        if isinstance(model_admin, visits_admin.ReadOnlyAdmin)
    }
    assert read_only == set(scoped) - EDITABLE
    assert {"Visit", "DetaineeRecord", "Answer", "Attachment", "Amendment"} <= read_only
    assert {"Issue", "IssueEvent", "RotaPeriod", "RotaSlot", "Availability", "SwapRequest"} <= (
        read_only
    )
    request = RequestFactory().get("/admin/")
    request.user = persona("manager")
    for name in read_only:
        model_admin = scoped[name]
        assert not model_admin.has_add_permission(request), name
        assert not model_admin.has_change_permission(request), name
        assert not model_admin.has_delete_permission(request), name
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), (name, inline)
            assert not inline.has_change_permission(request, None), (name, inline)
            assert not inline.has_delete_permission(request, None), (name, inline)


# --- Reports ------------------------------------------------------------------------------------


def test_a_submitted_report_cannot_be_changed_in_the_admin(signed_in, report):
    before, visitors = _row(report), _m2m(report, "visitors")
    data = editable_change(
        report,
        involves_tact=None,  # clearing it would show the report to people who must not see it
        outcome=Visit.Outcome.UNSATISFACTORY,
        in_custody="9",
        visited="0",
        sergeant_name="PS 9 Somebody Else",
        status=Visit.Status.DRAFT,
    )
    response = signed_in.post(_url(Visit, "change", report.pk), data)
    assert response.status_code == 403
    after = _row(report)
    assert after == before
    assert after["involves_tact"] is True and after["outcome"] == Visit.Outcome.SATISFACTORY
    assert after["sergeant_name"] == "PS 1234 Hart" and after["status"] == Visit.Status.SUBMITTED
    assert _m2m(report, "visitors") == visitors
    assert not Amendment.objects.filter(visit=report).exists()


def test_a_detainees_record_and_answers_cannot_be_changed_in_the_admin(signed_in, report):
    detainee = report.detainees.get(tact=True)
    before = _row(detainee)
    data = editable_change(detainee, custody_number="WY-99999-26", tact=None, under_18="on")
    response = signed_in.post(_url(DetaineeRecord, "change", detainee.pk), data)
    assert response.status_code == 403
    assert _row(detainee) == before
    assert before["custody_number"] == "WY-00002-26" and before["tact"] is True

    answer = Answer.objects.filter(visit=report, detainee=detainee).first()
    before = _row(answer)
    data = editable_change(answer, value="no", note="Changed afterwards")
    response = signed_in.post(_url(Answer, "change", answer.pk), data)
    assert response.status_code == 403
    assert _row(answer) == before and before["value"] == "yes"


# --- Issues -------------------------------------------------------------------------------------


def test_an_issue_cannot_be_changed_in_the_admin(signed_in, referred_issue):
    issue = referred_issue
    before, events = _row(issue), issue.events.count()
    audited = AuditEntry.objects.filter(object_type="Issue", object_id=str(issue.pk)).count()
    data = editable_change(
        issue,
        status=Issue.Status.CLOSED,
        due_on=(issue.due_on + datetime.timedelta(days=60)).isoformat(),
        escalation_level=Issue.EscalationLevel.PCC,
        outcome="Closed quietly",
    )
    response = signed_in.post(_url(Issue, "change", issue.pk), data)
    assert response.status_code == 403
    after = _row(issue)
    assert after == before
    assert (after["status"], after["escalation_level"]) == (Issue.Status.REFERRED, "")
    assert after["due_on"] == issue.due_on
    assert issue.events.count() == events
    assert AuditEntry.objects.filter(object_type="Issue", object_id=str(issue.pk)).count() == (
        audited
    )
    assert mail.outbox == []


def test_an_issue_event_cannot_be_changed_in_the_admin(signed_in, referred_issue):
    event = referred_issue.events.order_by("pk").last()
    before = _row(event)
    data = editable_change(event, text="Rewritten history", shared_with_force=None)
    response = signed_in.post(_url(IssueEvent, "change", event.pk), data)
    assert response.status_code == 403
    assert _row(event) == before


# --- The rota -----------------------------------------------------------------------------------


def test_a_rota_slot_cannot_be_changed_in_the_admin(signed_in, slot):
    before, visitors = _row(slot), _m2m(slot, "visitors")
    coordinator = persona("coordinator")
    data = editable_change(
        slot,
        status=RotaSlot.Status.CANCELLED,
        visitors=[str(coordinator.pk)],
        week_starts_on=(slot.week_starts_on + datetime.timedelta(weeks=1)).isoformat(),
    )
    response = signed_in.post(_url(RotaSlot, "change", slot.pk), data)
    assert response.status_code == 403
    assert _row(slot) == before and before["status"] == RotaSlot.Status.PLANNED
    assert _m2m(slot, "visitors") == visitors == {persona("visitor").pk, persona("partner").pk}


def test_a_rota_period_cannot_be_changed_in_the_admin(signed_in, slot):
    period = slot.period
    before = _row(period)
    data = editable_change(period, status=RotaPeriod.Status.CLOSED, name="Renamed")
    response = signed_in.post(_url(RotaPeriod, "change", period.pk), data)
    assert response.status_code == 403
    assert _row(period) == before


# --- Published checklists -----------------------------------------------------------------------


def test_a_published_section_cannot_be_changed_or_moved_in_the_admin(signed_in, db):
    section = ChecklistSection.objects.filter(version=_published()).first()
    other = _published("suite")
    before = _row(section)
    data = editable_change(section, would_save=False, title="Changed", version=str(other.pk))
    response = signed_in.post(_url(ChecklistSection, "change", section.pk), data)
    assert response.status_code == 403
    assert _row(section) == before


def test_a_draft_section_cannot_be_moved_into_a_published_version_in_the_admin(signed_in, db):
    draft, published = _draft(), _published()
    section = ChecklistSection.objects.filter(version=draft).first()
    before, questions = _row(section), section.questions.count()
    published_sections = published.sections.count()
    data = editable_change(section, would_save=False, version=str(published.pk))
    response = signed_in.post(_url(ChecklistSection, "change", section.pk), data)
    assert response.status_code == 200  # the form again, with the refusal on it
    assert "A published checklist never changes" in response.content.decode()
    assert _row(section) == before and before["version_id"] == draft.pk
    assert published.sections.count() == published_sections
    assert section.questions.count() == questions


def test_a_published_question_cannot_be_changed_in_the_admin(signed_in, db):
    question = Question.objects.filter(section__version=_published()).first()
    before = _row(question)
    data = editable_change(question, would_save=False, text="Changed", no_suggests_issue=None)
    response = signed_in.post(_url(Question, "change", question.pk), data)
    assert response.status_code == 403
    assert _row(question) == before


def test_a_draft_question_cannot_be_moved_into_a_published_section_in_the_admin(signed_in, db):
    question = Question.objects.filter(section__version=_draft()).first()
    target = ChecklistSection.objects.filter(version=_published()).first()
    before = _row(question)
    data = editable_change(question, would_save=False, section=str(target.pk))
    response = signed_in.post(_url(Question, "change", question.pk), data)
    assert response.status_code == 200
    assert "A published checklist never changes" in response.content.decode()
    assert _row(question) == before


def test_a_published_version_cannot_be_changed_in_the_admin(signed_in, db):
    version = _published()
    before, sections = _row(version), version.sections.count()
    data = editable_change(version, would_save=False, note="Rewritten", status="draft")
    response = signed_in.post(_url(ChecklistVersion, "change", version.pk), data)
    assert response.status_code == 403
    assert _row(version) == before and version.sections.count() == sections


# --- Add and delete pages -----------------------------------------------------------------------


@pytest.fixture
def rows(db, report, referred_issue, slot):
    """One row of each read-only kind, and a published checklist's version, section and
    question."""
    manager = persona("manager")
    amendments.amend_visit(
        actor=manager, visit=report, reason="Typo", changes={"good_practice": "Clean cells."}
    )
    swap = rota.offer(actor=persona("partner"), slot=slot)
    availability = Availability.objects.create(
        period=slot.period, user=persona("visitor"), entered_by=manager
    )
    version = _published()
    section = version.sections.first()
    return {
        Visit: report,
        DetaineeRecord: report.detainees.first(),
        Answer: report.answers.first(),
        Amendment: report.amendments.first(),
        Issue: referred_issue,
        IssueEvent: referred_issue.events.first(),
        RotaPeriod: slot.period,
        RotaSlot: slot,
        Availability: availability,
        SwapRequest: swap,
        ChecklistVersion: version,
        ChecklistSection: section,
        Question: section.questions.first(),
    }


READ_ONLY_ADD = [
    Visit,
    DetaineeRecord,
    Answer,
    Attachment,
    Amendment,
    Issue,
    IssueEvent,
    RotaPeriod,
    RotaSlot,
    Availability,
    SwapRequest,
    ChecklistVersion,
]


def test_read_only_add_pages_refuse_and_add_nothing(signed_in, rows):
    counts = {model: model._base_manager.count() for model in READ_ONLY_ADD}
    for model in READ_ONLY_ADD:
        assert signed_in.get(_url(model, "add")).status_code == 403, model
        response = signed_in.post(_url(model, "add"), {"_save": "Save"})
        assert response.status_code == 403, model
    assert counts == {model: model._base_manager.count() for model in READ_ONLY_ADD}


def test_a_section_or_question_cannot_be_added_to_a_published_version(signed_in, db):
    version = _published()
    section = version.sections.first()
    sections, questions = version.sections.count(), section.questions.count()
    response = signed_in.post(
        _url(ChecklistSection, "add"),
        {
            "version": version.pk,
            "title": "Slipped in",
            "order": 99,
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "A published checklist never changes" in response.content.decode()
    response = signed_in.post(
        _url(Question, "add"),
        {
            "section": section.pk,
            "key": "slipped_in",
            "text": "Slipped in",
            "answer_type": "yes_no",
            "choices": "[]",
            "order": 99,
        },
    )
    assert response.status_code == 200
    assert "A published checklist never changes" in response.content.decode()
    assert (version.sections.count(), section.questions.count()) == (sections, questions)
    assert not Question.objects.filter(key="slipped_in").exists()


def test_read_only_rows_cannot_be_deleted(signed_in, rows):
    for model, obj in rows.items():
        before = _row(obj)
        assert signed_in.get(_url(model, "delete", obj.pk)).status_code == 403, model
        response = signed_in.post(_url(model, "delete", obj.pk), {"post": "yes"})
        assert response.status_code == 403, model
        assert _row(obj) == before, model
        # Nor from the list's "delete selected" action: not offered (the list again, or back
        # to it), or refused (a published section's or question's).
        response = signed_in.post(
            _url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert response.status_code in (200, 302, 403), model
        assert _row(obj) == before, model


# --- The read-only pages still show everything --------------------------------------------------


def test_read_only_pages_render_with_their_values(signed_in, rows):
    for model, obj in rows.items():
        response = signed_in.get(_url(model, "change", obj.pk))
        assert response.status_code == 200, model
        body = response.content.decode()
        assert 'name="_save"' not in body, model  # nothing to save
    report = rows[Visit]
    body = signed_in.get(_url(Visit, "change", report.pk)).content.decode()
    assert "PS 1234 Hart" in body and "Satisfactory" in body
    assert reverse("visit-report", args=[report.uuid]) in body
    assert "Vera" in body or "visitor" in body  # the visitors, read-only
    assert 'name="outcome"' not in body and 'name="involves_tact"' not in body
    body = signed_in.get(_url(DetaineeRecord, "change", rows[DetaineeRecord].pk)).content.decode()
    assert rows[DetaineeRecord].custody_number in body
    issue = rows[Issue]
    body = signed_in.get(_url(Issue, "change", issue.pk)).content.decode()
    assert issue.description in body and "Referred to the force" in body
    assert reverse("issue-detail", args=[issue.pk]) in body
    assert "Referred" in body  # the events, inline
    body = signed_in.get(_url(RotaSlot, "change", rows[RotaSlot].pk)).content.decode()
    assert "Wymondham" in body and "Evening" in body
    section = rows[ChecklistSection]
    body = signed_in.get(_url(ChecklistSection, "change", section.pk)).content.decode()
    assert section.title in body and section.questions.first().text in body


# --- Actions call the services ------------------------------------------------------------------


def _take_step(client, issues, step, text="", revisions=None):
    """Choose the action on the list, then post its page as the manager would."""
    changelist = _url(Issue, "changelist")
    pks = [issue.pk for issue in issues]
    page = client.post(changelist, {"action": "take_step", "_selected_action": pks})
    assert page.status_code == 200
    form = page.context["form"]
    data = {
        "action": "take_step",
        "_selected_action": pks,
        "apply": "1",
        "step": step,
        "text": text,
    }
    for issue in issues:
        name = f"revision_{issue.pk}"
        data[name] = (revisions or {}).get(issue.pk, form[name].value())
    return client.post(changelist, data, follow=True)


def _trace(issue) -> dict:
    """What a step leaves: its event, its audit entry, the e-mail."""
    event = issue.events.order_by("pk").last()
    entry = AuditEntry.objects.filter(object_type="Issue", object_id=str(issue.pk)).last()
    return {
        "event": (event.kind, event.actor_id, event.text, event.shared_with_force),
        "audit": (entry.action, entry.actor_id),
        "mail": [(m.to, m.subject) for m in mail.outbox if f"/issues/{issue.pk}/" in m.body],
    }


def test_an_issue_step_in_the_admin_leaves_what_the_page_leaves(
    signed_in, db, django_capture_on_commit_callbacks
):
    by_page, by_admin = make_reported_issue(), make_reported_issue()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            reverse("issue-act", args=[by_page.pk]),
            {"action": "refer", "revision": by_page.revision, "text": "Please look"},
        )
    assert response.status_code == 302
    events = by_admin.events.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = _take_step(signed_in, [by_admin], "refer", text="Please look")
    assert "Refer to the force done" in response.content.decode()
    by_page.refresh_from_db()
    by_admin.refresh_from_db()
    assert by_admin.events.count() == events + 1
    assert (by_admin.status, by_admin.due_on) == (Issue.Status.REFERRED, by_page.due_on)
    assert by_admin.revision == by_page.revision
    page_trace, admin_trace = _trace(by_page), _trace(by_admin)
    assert admin_trace["event"] == page_trace["event"]
    assert admin_trace["event"][0] == IssueEvent.Kind.REFERRED
    assert admin_trace["audit"] == page_trace["audit"] == ("issue.refer", persona("manager").pk)
    assert admin_trace["mail"] == [(["force@example.org"], page_trace["mail"][0][1])]


def test_an_issue_step_on_a_stale_page_is_refused(signed_in, referred_issue):
    issue = referred_issue
    read_at = issue.revision
    act(actor=persona("force"), issue=issue, action="comment", text="On it", notify=False)
    issue.refresh_from_db()
    before, events = _row(issue), issue.events.count()
    response = _take_step(
        signed_in, [issue], "close", text="No action", revisions={issue.pk: read_at}
    )
    assert "Someone" in response.content.decode() or "changed" in response.content.decode()
    assert _row(issue) == before and issue.events.count() == events


def test_an_issue_step_the_workflow_does_not_allow_is_refused(signed_in, referred_issue):
    issue = referred_issue
    before, events = _row(issue), issue.events.count()
    response = _take_step(signed_in, [issue], "accept")  # nothing has been responded yet
    assert "is not possible now" in response.content.decode()
    response = _take_step(signed_in, [issue], "escalate")  # needs a few words
    assert "Write a few words" in response.content.decode()
    assert _row(issue) == before and issue.events.count() == events


def test_slot_actions_go_through_the_rota_service(signed_in, slot):
    changelist = _url(RotaSlot, "changelist")
    response = signed_in.post(
        changelist, {"action": "mark_cancelled", "_selected_action": [slot.pk]}, follow=True
    )
    assert response.status_code == 200
    slot.refresh_from_db()
    assert (slot.status, slot.revision) == (RotaSlot.Status.CANCELLED, 2)
    entry = AuditEntry.objects.filter(object_type="RotaSlot", object_id=str(slot.pk)).last()
    assert (entry.action, entry.actor_id) == ("rota.slot_cancelled", persona("manager").pk)

    # A slot a visit was recorded for is refused by the service's rule, and says why.
    RotaSlot.objects.filter(pk=slot.pk).update(status=RotaSlot.Status.DONE)
    response = signed_in.post(
        changelist, {"action": "mark_missed", "_selected_action": [slot.pk]}, follow=True
    )
    assert "A visit was recorded for this slot." in response.content.decode()
    slot.refresh_from_db()
    assert slot.status == RotaSlot.Status.DONE


def test_publishing_a_draft_rota_goes_through_the_rota_service(signed_in, db):
    period = make_draft_rota(actor=persona("manager"))
    signed_in.post(
        _url(RotaPeriod, "changelist"), {"action": "publish", "_selected_action": [period.pk]}
    )
    period.refresh_from_db()
    assert period.status == RotaPeriod.Status.PUBLISHED and period.published_at
    entry = AuditEntry.objects.filter(object_type="RotaPeriod", object_id=str(period.pk)).last()
    assert entry.action == "rota.published"


def test_a_draft_checklist_is_edited_in_the_admin_and_published_by_its_action(signed_in, db):
    old = _published()
    draft = _draft()
    question = Question.objects.filter(section__version=draft).first()
    data = editable_change(question, text="Reworded in the draft")
    response = signed_in.post(_url(Question, "change", question.pk), data)
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.text == "Reworded in the draft"
    signed_in.post(
        _url(ChecklistVersion, "changelist"), {"action": "publish", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    old.refresh_from_db()
    assert (draft.status, old.status) == ("published", "retired")
    entry = AuditEntry.objects.filter(
        object_type="ChecklistVersion", object_id=str(draft.pk)
    ).last()
    assert entry.action == "checklist.published"
    # Now published, the same change is refused.
    data = editable_change(question, would_save=False, text="Again")
    assert signed_in.post(_url(Question, "change", question.pk), data).status_code == 403
    question.refresh_from_db()
    assert question.text == "Reworded in the draft"


def test_a_checklist_template_keeps_its_scheme_and_kind(signed_in, db):
    template = ChecklistTemplate.objects.get(scheme__slug="norfolk", kind="detainee")
    before = _row(template)
    data = editable_change(template, would_save=False, name="Renamed", kind="suite")
    response = signed_in.post(_url(ChecklistTemplate, "change", template.pk), data)
    assert response.status_code == 302  # the name is the template's own to change
    after = _row(template)
    assert after == before | {"name": "Renamed"}
    entry = AuditEntry.objects.filter(
        object_type="ChecklistTemplate", object_id=str(template.pk)
    ).last()
    assert (entry.action, entry.detail) == ("admin.checklisttemplate_changed", {"fields": ["name"]})


# --- The model refuses, whatever the door -------------------------------------------------------


def test_a_published_question_refuses_save_and_delete(db):
    question = Question.objects.filter(section__version=_published()).first()
    before = _row(question)
    question.text = "Changed in a shell"
    with pytest.raises(ChecklistLocked, match="A published checklist never changes"):
        question.save()
    with pytest.raises(ChecklistLocked):
        question.delete()
    assert _row(question) == before


def test_nothing_is_added_to_a_published_version(db):
    version = _published()
    section = version.sections.first()
    with pytest.raises(ChecklistLocked):
        Question.objects.create(section=section, key="new", text="New")
    with pytest.raises(ChecklistLocked):
        Question.objects.bulk_create([Question(section=section, key="new", text="New")])
    with pytest.raises(ChecklistLocked):
        ChecklistSection.objects.create(version=version, title="New")
    with pytest.raises(ChecklistLocked):
        ChecklistSection.objects.bulk_create([ChecklistSection(version=version, title="New")])
    assert not Question.objects.filter(key="new").exists()
    assert not ChecklistSection.objects.filter(title="New").exists()


def test_moving_a_section_into_or_out_of_a_published_version_is_refused(db):
    draft, published = _draft(), _published()
    into = ChecklistSection.objects.filter(version=draft).first()
    into.version = published
    with pytest.raises(ChecklistLocked):
        into.save()
    out = ChecklistSection.objects.filter(version=published).first()
    out.version = draft
    with pytest.raises(ChecklistLocked):
        out.save()
    assert _row(into)["version_id"] == draft.pk and _row(out)["version_id"] == published.pk
    with pytest.raises(ChecklistLocked):
        ChecklistSection.objects.filter(pk=into.pk).update(version=published)
    with pytest.raises(ChecklistLocked):
        ChecklistSection.objects.filter(pk=out.pk).update(version_id=draft.pk)
    assert _row(into)["version_id"] == draft.pk and _row(out)["version_id"] == published.pk


def test_moving_a_question_into_or_out_of_a_published_version_is_refused(db):
    draft_section = ChecklistSection.objects.filter(version=_draft()).first()
    published_section = ChecklistSection.objects.filter(version=_published()).first()
    into = draft_section.questions.first()
    into.section = published_section
    with pytest.raises(ChecklistLocked):
        into.save()
    out = published_section.questions.first()
    out.section = draft_section
    with pytest.raises(ChecklistLocked):
        out.save()
    with pytest.raises(ChecklistLocked):
        Question.objects.filter(pk=into.pk).update(section=published_section)
    assert _row(into)["section_id"] == draft_section.pk
    assert _row(out)["section_id"] == published_section.pk


def test_queryset_writes_to_a_published_version_are_refused(db):
    version = _published()
    questions = Question.objects.filter(section__version=version)
    texts = list(questions.order_by("pk").values_list("text", flat=True))
    with pytest.raises(ChecklistLocked):
        questions.update(text="Changed in bulk")
    with pytest.raises(ChecklistLocked):
        questions.delete()
    rows = list(questions)
    for row in rows:
        row.text = "Changed in bulk"
    with pytest.raises(ChecklistLocked):
        Question.objects.bulk_update(rows, ["text"])
    with pytest.raises(ChecklistLocked):
        ChecklistSection.objects.filter(version=version).update(title="Changed")
    with pytest.raises(ChecklistLocked):
        ChecklistSection.objects.filter(version=version).delete()
    with pytest.raises(ChecklistLocked):
        ChecklistVersion.objects.filter(pk=version.pk).update(note="Changed")
    with pytest.raises(ChecklistLocked):
        ChecklistVersion.objects.filter(pk=version.pk).delete()
    # A mixed queryset is refused whole: the draft's rows are not changed either.
    draft = _draft()
    both = Question.objects.filter(section__version__in=[version, draft])
    with pytest.raises(ChecklistLocked):
        both.update(text="Changed in bulk")
    assert list(questions.order_by("pk").values_list("text", flat=True)) == texts
    assert not Question.objects.filter(text="Changed in bulk").exists()


def test_a_published_version_takes_one_change_only_being_retired(db):
    version = _published()
    before = _row(version)
    version.note = "Rewritten"
    with pytest.raises(ChecklistLocked):
        version.save()
    version.refresh_from_db()
    version.status = ChecklistVersion.Status.DRAFT
    with pytest.raises(ChecklistLocked):
        version.save()
    version.refresh_from_db()
    with pytest.raises(ChecklistLocked):
        version.delete()
    assert _row(version) == before
    with pytest.raises(ChecklistLocked, match="starts as a draft"):
        ChecklistVersion.objects.create(
            template=version.template, number=99, status=ChecklistVersion.Status.PUBLISHED
        )
    # Retiring is allowed; once retired, nothing more.
    version.status = ChecklistVersion.Status.RETIRED
    version.save()
    version.status = ChecklistVersion.Status.PUBLISHED
    with pytest.raises(ChecklistLocked):
        version.save()
    assert _row(version)["status"] == ChecklistVersion.Status.RETIRED


def test_a_draft_stays_editable_and_publishing_still_works(db, manager):
    old = _published()
    draft = _draft()
    assert draft.sections.count() == old.sections.count()  # copied from the published one
    section = draft.sections.first()
    question = section.questions.first()
    question.text = "Reworded"
    question.save()
    Question.objects.filter(pk=question.pk).update(help_text="Say it slowly")
    section.title = "Renamed"
    section.save()
    Question.objects.create(section=section, key="new_one", text="A new question", order=99)
    section.questions.filter(key="new_one").delete()
    extra = ChecklistSection.objects.create(version=draft, title="Extra", order=99)
    extra.delete()
    other_draft = _draft("suite")
    section.version = other_draft  # from one draft to another
    section.save()
    section.version = draft
    section.save()
    draft.note = "Reworded a question"
    draft.save()
    checklists.publish(actor=manager, version=draft)
    draft.refresh_from_db()
    old.refresh_from_db()
    assert (draft.status, old.status) == ("published", "retired")
    question.refresh_from_db()
    assert (question.text, question.help_text) == ("Reworded", "Say it slowly")
    # The old version's reports still show the old wording.
    assert Question.objects.filter(section__version=old, key=question.key).get().text != "Reworded"


def test_a_scheme_installs_its_default_checklists_published(db):
    from visits.models import Scheme

    scheme = Scheme.objects.create(name="Test scheme", slug="test-scheme", force_name="Test")
    checklists.install_defaults(scheme=scheme)
    versions = ChecklistVersion.objects.filter(template__scheme=scheme)
    assert {v.status for v in versions} == {ChecklistVersion.Status.PUBLISHED}
    assert Question.objects.filter(section__version__in=versions).count() > 20
    assert CustodySuite.objects.filter(scheme=scheme).count() == 0  # nothing else made


def test_a_new_draft_only_reads_the_published_version(db, manager):
    published = _published()
    before = list(Question.objects.filter(section__version=published).order_by("pk").values())
    draft = _draft()
    assert Question.objects.filter(section__version=draft).count() == len(before)
    after = list(Question.objects.filter(section__version=published).order_by("pk").values())
    assert after == before
