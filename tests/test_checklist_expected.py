"""Fewer taps: "all as expected" on a checklist (the form, and the step pages without
JavaScript), and the start of a visit filled in from the rota."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_period, make_slot, make_visit, suite
from visits.checklist_defaults import EXPECTED_NOT_APPLICABLE
from visits.forms import SuiteChecklistForm
from visits.models import Answer, DetaineeRecord, Visit
from visits.models.checklists import sections_by_version
from visits.services import rota

pytestmark = pytest.mark.django_db

ARRIVED = (timezone.now() - datetime.timedelta(hours=2)).replace(second=0, microsecond=0)


@pytest.fixture
def draft():
    # Vera (visitor) with Peter (partner): both may fill in the report.
    return make_visit(
        visitors=[persona("visitor"), persona("partner")],
        status=Visit.Status.DRAFT,
        arrived_at=ARRIVED,
    )


def url(name, visit, *args):
    return reverse(name, args=[visit.uuid, *args])


def sections_of(version_id):
    return sections_by_version([version_id])[version_id]


def questions_of(sections):
    return [q for section in sections for q in section.questions.all()]


def checked(html: str, prefix: str = "") -> dict[int, str]:
    """The answer each yes/no question shows as chosen on the page."""
    found = {}
    for tag in re.findall(r'<input type="radio"[^>]*checked[^>]*>', html):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag).group(1)
        if name.startswith(f"{prefix}q_"):
            found[int(name.removeprefix(f"{prefix}q_"))] = value
    return found


# --- The form -----------------------------------------------------------------------------------


def test_the_default_questions_that_apply_to_few_are_expected_not_applicable(draft):
    questions = questions_of(sections_of(draft.detainee_checklist_id))
    expected = {q.key: q.expected for q in questions}
    assert {key for key, value in expected.items() if value == "na"} == EXPECTED_NOT_APPLICABLE
    assert expected["told_rights"] == expected["no_complaint_of_force"] == "yes"


def test_fill_expected_marks_only_the_unanswered(draft):
    sections = sections_of(draft.suite_checklist_id)
    first, second, *rest = questions_of(sections)
    form = SuiteChecklistForm(
        {f"q_{first.pk}": "no", f"note_{first.pk}": "Graffiti in cell 4"}, sections=sections
    )
    marked = form.fill_expected("all")
    assert marked == len(rest) + 1
    assert form.data[f"q_{first.pk}"] == "no"
    assert form.data[f"note_{first.pk}"] == "Graffiti in cell 4"
    assert all(form.data[f"q_{q.pk}"] == q.expected for q in [second, *rest])
    assert not form.errors  # shown again filled in, not refused
    assert form.is_bound


def test_fill_expected_for_a_section_leaves_the_others_alone(draft):
    sections = sections_of(draft.suite_checklist_id)
    form = SuiteChecklistForm({}, sections=sections)
    marked = form.fill_expected(str(sections[1].pk))
    assert marked == sections[1].questions.count()
    assert not any(f"q_{q.pk}" in form.data for q in sections[0].questions.all())


def test_a_question_with_no_expected_answer_is_left_to_ask(draft):
    sections = sections_of(draft.suite_checklist_id)
    asked = questions_of(sections)[0]
    asked.expected = ""  # as a manager may set it (on a draft version)
    form = SuiteChecklistForm({}, sections=sections)
    form.fill_expected("all")
    assert f"q_{asked.pk}" not in form.data
    assert form.expected_marked == len(questions_of(sections)) - 1


def test_an_unknown_scope_marks_nothing(draft):
    form = SuiteChecklistForm({}, sections=sections_of(draft.suite_checklist_id))
    assert form.fill_expected("no-such-section") == 0


# --- The step pages without JavaScript --------------------------------------------------------


def test_all_as_expected_on_a_detainee_fills_the_page_and_saves_nothing(client, draft):
    client.force_login(persona("visitor"))
    questions = questions_of(sections_of(draft.detainee_checklist_id))
    told_rights = questions[0]
    response = client.post(
        url("visit-detainee-new", draft),
        {
            "custody_number": "WY-00042-26",
            "under_18": "on",
            f"q_{told_rights.pk}": "no",
            f"note_{told_rights.pk}": "Not given the written notice",
            "expected": "all",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    shown = checked(html)
    assert shown[told_rights.pk] == "no"
    assert {q.pk: q.expected for q in questions[1:]} == {
        pk: value for pk, value in shown.items() if pk != told_rights.pk
    }
    assert "na" in shown.values()  # e.g. the consulate: not applicable to most
    assert f"{len(questions) - 1} questions marked as expected." in html
    # What was typed is all still there, and nothing was refused or saved.
    assert 'value="WY-00042-26"' in html
    assert re.search(r'<input[^>]*name="under_18"[^>]*checked', html)
    assert "Not given the written notice" in html
    assert "There is a problem" not in html and "error-message" not in html
    assert not DetaineeRecord.objects.filter(visit=draft).exists()
    # The "no" is marked, and says it will suggest an issue (told_rights is flagged).
    assert "Not as expected: an issue will be suggested" in html


def test_a_no_after_all_as_expected_is_kept(client, draft):
    client.force_login(persona("visitor"))
    questions = questions_of(sections_of(draft.detainee_checklist_id))
    data = {"custody_number": "WY-00043-26", "expected": "all"}
    html = client.post(url("visit-detainee-new", draft), data).content.decode()
    answers = {f"q_{pk}": value for pk, value in checked(html).items()}
    drinks = next(q for q in questions if q.key == "offered_drinks")
    answers[f"q_{drinks.pk}"] = "no"  # the exception, answered after "all as expected"
    answers[f"note_{drinks.pk}"] = "Asked twice, nothing brought"
    response = client.post(
        url("visit-detainee-new", draft), {"custody_number": "WY-00043-26", **answers}
    )
    assert response.status_code == 302
    detainee = DetaineeRecord.objects.get(visit=draft, custody_number="WY-00043-26")
    stored = {a.question_id: (a.value, a.note) for a in detainee.answers.all()}
    assert stored[drinks.pk] == ("no", "Asked twice, nothing brought")
    assert len(stored) == len(questions)
    assert sum(1 for value, _ in stored.values() if value == "no") == 1
    consulate = next(q for q in questions if q.key == "consulate_contacted")
    assert stored[consulate.pk][0] == Answer.YesNo.NOT_APPLICABLE


def test_all_as_expected_for_one_section_of_the_suite(client, draft):
    client.force_login(persona("visitor"))
    sections = sections_of(draft.suite_checklist_id)
    first_section, second_section = sections[0], sections[1]
    kept = second_section.questions.all()[0]
    response = client.post(
        url("visit-suite", draft),
        {f"q_{kept.pk}": "no", "expected": str(first_section.pk)},
    )
    assert response.status_code == 200
    shown = checked(response.content.decode())
    assert shown == {
        **{q.pk: "yes" for q in first_section.questions.all()},
        kept.pk: "no",
    }
    assert not draft.answers.exists()  # not saved until "Save and continue"


def test_the_steps_offer_the_buttons_to_pages_without_javascript(client, draft):
    client.force_login(persona("visitor"))
    sections = sections_of(draft.suite_checklist_id)
    html = client.get(url("visit-suite", draft)).content.decode()
    assert '<button type="submit" class="button button--secondary" name="expected" value="all"' in (
        html
    )
    for section in sections:
        assert f'name="expected" value="{section.pk}"' in html
        assert f"The rest of “{section.title}” as expected" in html
    assert "js/checklist" in html
    detainee = client.get(url("visit-detainee-new", draft)).content.decode()
    assert 'name="expected" value="all"' in detainee and "js/checklist" in detainee


def test_the_record_page_has_the_buttons_and_the_script(client):
    client.force_login(persona("visitor"))
    html = client.get(reverse("visit-record")).content.decode()
    assert html.count('data-expected-scope="all"') == 2  # the suite's, the detainee template's
    # Plain buttons here: "Send the report" stays the form's submit button (Enter, record.js).
    assert 'type="submit" class="button button--secondary" name="expected"' not in html
    assert html.count('type="button" class="button button--secondary" name="expected"') == 2
    assert "js/checklist" in html
    assert 'data-expected-answer="na"' in html


def test_the_service_worker_keeps_the_checklist_script(client):
    body = client.get("/sw.js").content.decode()
    assert "checklist" in body


def test_the_steps_of_the_suite_stay_within_the_query_budget(
    client, draft, django_assert_max_num_queries
):
    client.force_login(persona("visitor"))
    section = sections_of(draft.suite_checklist_id)[0]
    client.get(url("visit-suite", draft))  # the session's first touch is not the page's cost
    with django_assert_max_num_queries(10):
        client.post(url("visit-suite", draft), {"expected": str(section.pk)})


# --- The start, from the rota -------------------------------------------------------------------


@pytest.fixture
def slot_this_week():
    # Vera and Jon (not her usual partner) are on the rota at Aylsham this week.
    period = make_period()
    jon = next(
        u
        for u in rota.rostered_members(suite("Aylsham").scheme_id)
        if u.user.username not in ("visitor", "partner")
    ).user
    slot = make_slot(
        period=period, suite_name="Aylsham", visitors=[persona("visitor"), jon], weeks_ahead=0
    )
    slot.planned_for = timezone.localtime().replace(hour=0, minute=1, second=0, microsecond=0)
    slot.save(update_fields=["planned_for"])
    return slot, jon


def test_the_start_is_filled_in_from_the_rota_slot(client, slot_this_week):
    slot, jon = slot_this_week
    client.force_login(persona("visitor"))
    html = client.get(reverse("visit-start")).content.decode()
    assert re.search(rf'<option value="{slot.suite_id}" selected>Aylsham', html)
    assert re.search(rf'value="{jon.pk}"[^>]*checked', html)
    assert "Filled in from your rota: Aylsham" in html
    # Jon first (the rota), then Peter (her usual partner: no visits in the test data, so by
    # name among the rest), with the reason said.
    labels = re.findall(r'<label for="id_co_visitors_\d+">.*?</label>', html, re.S)
    assert f"{jon.get_full_name()} (on the rota with you)" in labels[0]
    planned = timezone.localtime(slot.planned_for).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{planned}"' in html


def test_usual_partners_come_next(client, slot_this_week):
    _slot, jon = slot_this_week
    make_visit(visitors=[persona("visitor"), persona("partner")])
    client.force_login(persona("visitor"))
    html = client.get(reverse("visit-start")).content.decode()
    labels = re.findall(r'<label for="id_co_visitors_\d+">.*?</label>', html, re.S)
    assert jon.get_full_name() in labels[0]
    assert "Peter Shaw" in labels[1]


def test_without_a_slot_nothing_is_chosen_for_the_visitor(client):
    client.force_login(persona("visitor"))
    html = client.get(reverse("visit-start")).content.decode()
    assert "selected" not in re.search(r'<select name="suite".*?</select>', html, re.S).group(0)
    assert not re.search(r'name="co_visitors"[^>]*checked', html)
    assert "Filled in from your rota" not in html


def test_a_slot_already_done_fills_nothing(client, slot_this_week):
    slot, _jon = slot_this_week
    slot.status = slot.Status.DONE
    slot.save(update_fields=["status"])
    client.force_login(persona("visitor"))
    assert "Filled in from your rota" not in client.get(reverse("visit-start")).content.decode()


def test_the_record_page_is_filled_in_from_the_rota_slot(client, slot_this_week):
    slot, jon = slot_this_week
    client.force_login(persona("visitor"))
    html = client.get(reverse("visit-record")).content.decode()
    assert re.search(rf'<option value="{slot.suite_id}" selected>Aylsham', html)
    assert re.search(rf'name="start-co_visitors" value="{jon.pk}"[^>]*checked', html)
    # The visitors' confirmations are never ticked for them.
    assert not re.search(r'name="sign_off-confirmed_by"[^>]*checked', html)


def test_the_start_stays_within_the_query_budget(
    client, slot_this_week, django_assert_max_num_queries
):
    client.force_login(persona("visitor"))
    client.get(reverse("visit-start"))
    with django_assert_max_num_queries(10):
        client.get(reverse("visit-start"))


def test_the_others_wait_behind_someone_else(client, slot_this_week):
    _slot, jon = slot_this_week
    client.force_login(persona("visitor"))
    html = client.get(reverse("visit-start")).content.decode()
    shown, hidden = html.split("<summary>Someone else", 1)
    assert jon.get_full_name() in shown and "Peter Shaw" not in shown  # no visits together yet
    assert "Peter Shaw" in hidden.split("</details>")[0]
    assert not re.search(r"<details[^>]*open[^>]*><summary>Someone else", html)


def test_a_partner_ticked_among_the_others_is_shown(client, slot_this_week):
    client.force_login(persona("visitor"))
    peter = persona("partner")
    response = client.post(reverse("visit-start"), {"co_visitors": [peter.pk]})  # no suite
    assert response.status_code == 400  # refused: no suite
    html = response.content.decode()
    assert re.search(r"<details[^>]*open[^>]*><summary>Someone else", html)
    assert re.search(rf'value="{peter.pk}"[^>]*checked', html)


def test_without_a_rota_or_history_everyone_is_listed_plainly(client):
    client.force_login(persona("visitor"))
    html = client.get(reverse("visit-start")).content.decode()
    assert "Someone else" not in html
    assert "Peter Shaw" in html
