"""Custody suite pages: every member of a scheme sees its suites; only the manager changes them."""

import pytest
from django.urls import reverse

from tests.conftest import PERSONAS, persona
from visits.models import AuditEntry, CustodySuite


def aylsham():
    return CustodySuite.objects.get(name="Aylsham")


# What each persona gets for a Norfolk suite: (detail page, edit page).
EXPECTED = {
    "visitor": (200, 403),
    "partner": (200, 403),
    "coordinator": (200, 403),
    "manager": (200, 200),
    "pcc": (200, 403),
    "force": (200, 403),
    "outsider": (404, 404),
}


@pytest.mark.parametrize("username", PERSONAS)
def test_suite_pages_permission_matrix(client, db, username):
    client.force_login(persona(username))
    suite = aylsham()
    detail = client.get(reverse("suite-detail", args=[suite.pk]))
    edit = client.get(reverse("suite-edit", args=[suite.pk]))
    assert (detail.status_code, edit.status_code) == EXPECTED[username]
    post = client.post(
        reverse("suite-edit", args=[suite.pk]), {"name": "Hacked", "cells": 1, "visits_per_week": 1}
    )
    assert post.status_code in (EXPECTED[username][1], 302)
    suite.refresh_from_db()
    assert suite.name == ("Hacked" if username == "manager" else "Aylsham")


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(reverse("suite-detail", args=[aylsham().pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outsider_list_shows_only_suffolk(client, db):
    client.force_login(persona("outsider"))
    page = client.get(reverse("suite-list")).content.decode()
    assert "Martlesham" in page and "Aylsham" not in page


def test_manager_changes_a_suite_and_it_is_audited(client, db):
    client.force_login(persona("manager"))
    suite = aylsham()
    response = client.post(
        reverse("suite-edit", args=[suite.pk]),
        {
            "name": "Aylsham",
            "address": "Norwich Road",
            "cells": 10,
            "visits_per_week": 2,
            "panel": suite.panel_id,
            "active": "on",
        },
    )
    assert response.status_code == 302
    suite.refresh_from_db()
    assert (suite.cells, suite.visits_per_week, suite.address) == (10, 2, "Norwich Road")
    entry = AuditEntry.objects.get(action="suite.updated", object_id=str(suite.pk))
    assert entry.actor.username == "manager"
    assert entry.detail["cells"] == ["8", "10"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"name": "Wymondham", "cells": 8, "visits_per_week": 1},
            "name",
            "Another suite in this scheme already has that name.",
        ),
        (
            {"name": "Aylsham", "cells": -1, "visits_per_week": 1},
            "cells",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"name": "Aylsham", "cells": 8, "visits_per_week": 0},
            "visits_per_week",
            "Ensure this value is greater than or equal to 1.",
        ),
        ({"name": "", "cells": 8, "visits_per_week": 1}, "name", "This field is required."),
        (
            {"name": "Aylsham", "cells": "many", "visits_per_week": 1},
            "cells",
            "Enter a whole number.",
        ),
    ],
)
def test_bad_suite_input_gets_a_form_error_and_changes_nothing(client, db, data, field, message):
    client.force_login(persona("manager"))
    suite = aylsham()
    response = client.post(reverse("suite-edit", args=[suite.pk]), data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert "There is a problem" in response.content.decode()
    suite.refresh_from_db()
    assert (suite.name, suite.cells, suite.visits_per_week) == ("Aylsham", 8, 1)
    assert not AuditEntry.objects.filter(action="suite.updated").exists()


def test_panel_from_another_scheme_is_refused(client, db):
    from visits.models import Panel

    client.force_login(persona("manager"))
    suffolk_panel = Panel.objects.get(name="Martlesham")
    response = client.post(
        reverse("suite-edit", args=[aylsham().pk]),
        {"name": "Aylsham", "cells": 8, "visits_per_week": 1, "panel": suffolk_panel.pk},
    )
    assert response.status_code == 200
    assert "panel" in response.context["form"].errors
    assert aylsham().panel.name == "Aylsham"


def test_suite_list_queries_do_not_grow(client, db, django_assert_num_queries):
    client.force_login(persona("manager"))
    client.get("/")
    # session, user, memberships, suites with scheme and panel
    with django_assert_num_queries(4):
        client.get(reverse("suite-list"))
    for n in range(10):
        CustodySuite.objects.create(scheme=aylsham().scheme, name=f"Extra {n}")
    with django_assert_num_queries(4):
        client.get(reverse("suite-list"))
