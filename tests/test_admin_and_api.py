"""The admin is usable by a scheme manager, within their scheme only; the API is scoped alike."""

import pytest
from django.urls import reverse

from tests.conftest import persona
from visits.models import CustodySuite


def test_manager_admin_lists_only_their_schemes_suites(client, db):
    client.force_login(persona("manager"))
    page = client.get(reverse("admin:visits_custodysuite_changelist")).content.decode()
    assert "Aylsham" in page and "Martlesham" not in page


def test_manager_cannot_open_another_schemes_suite_in_admin(client, db):
    client.force_login(persona("manager"))
    martlesham = CustodySuite.objects.get(name="Martlesham")
    response = client.get(reverse("admin:visits_custodysuite_change", args=[martlesham.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert "Martlesham" not in client.get(response["Location"]).content.decode()


def test_manager_panel_choices_are_narrowed_to_their_scheme(client, db):
    client.force_login(persona("manager"))
    aylsham = CustodySuite.objects.get(name="Aylsham")
    response = client.get(reverse("admin:visits_custodysuite_change", args=[aylsham.pk]))
    panels = response.context["adminform"].form.fields["panel"].queryset
    assert set(panels.values_list("scheme__slug", flat=True)) == {"norfolk"}


def test_manager_admin_index_works_and_history_cannot_be_deleted(client, db):
    client.force_login(persona("manager"))
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:visits_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:visits_auditentry_add")).status_code == 403


def test_manager_sees_only_people_of_their_scheme(client, db):
    client.force_login(persona("manager"))
    page = client.get(reverse("admin:auth_user_changelist") + "?all=1").content.decode()
    assert "visitor" in page and "outsider" not in page


@pytest.mark.parametrize("username", ["visitor", "pcc", "force", "outsider"])
def test_other_roles_cannot_use_the_admin(client, db, username):
    client.force_login(persona(username))
    response = client.get(reverse("admin:visits_custodysuite_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("username", "expected"),
    [("manager", 4), ("force", 4), ("outsider", 2), ("pcc", 4)],
)
def test_api_suites_are_scoped(client, db, username, expected):
    client.force_login(persona(username))
    response = client.get("/api/suites/")
    assert response.status_code == 200
    assert response.json()["count"] == expected


def test_api_outsider_gets_404_for_a_norfolk_suite(client, db):
    client.force_login(persona("outsider"))
    aylsham = CustodySuite.objects.get(name="Aylsham")
    assert client.get(f"/api/suites/{aylsham.pk}/").status_code == 404


def test_api_needs_authentication(client, db):
    for path in ("/api/suites/", "/api/me/"):
        response = client.get(path)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json()["code"] == "not_authenticated"


def test_api_me_lists_memberships(client, db):
    client.force_login(persona("force"))
    assert client.get("/api/me/").json()["memberships"] == [
        {"scheme": "norfolk", "role": "force", "status": "active"}
    ]


def test_a_published_checklist_cannot_be_changed_in_the_admin(client, db):
    from visits.models import ChecklistTemplate, Question
    from visits.services import checklists

    client.force_login(persona("manager"))
    version = checklists.current_version(persona("manager").memberships.get().scheme, "suite")
    question = Question.objects.filter(section__version=version).first()
    url = reverse("admin:visits_question_change", args=[question.pk])
    response = client.post(
        url,
        {
            "text": "Changed",
            "key": question.key,
            "order": 0,
            "answer_type": "yes_no",
            "section": question.section_id,
        },
    )
    question.refresh_from_db()
    assert question.text != "Changed"
    assert response.status_code == 403  # shown read-only, never saved

    template = ChecklistTemplate.objects.get(pk=version.template_id)
    client.post(
        reverse("admin:visits_checklisttemplate_changelist"),
        {"action": "start_draft", "_selected_action": [template.pk]},
    )
    draft = template.versions.get(status="draft")
    draft_question = Question.objects.filter(section__version=draft).first()
    client.post(
        reverse("admin:visits_question_change", args=[draft_question.pk]),
        {
            "text": "Changed in the draft",
            "key": draft_question.key,
            "order": 0,
            "answer_type": "yes_no",
            "section": draft_question.section_id,
            "choices": "[]",
            "issue_category": "conditions",
            "no_suggests_issue": "on",
        },
    )
    draft_question.refresh_from_db()
    assert draft_question.text == "Changed in the draft"
    client.post(
        reverse("admin:visits_checklistversion_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    version.refresh_from_db()
    assert (draft.status, version.status) == ("published", "retired")
