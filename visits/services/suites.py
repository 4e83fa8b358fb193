"""Changes to custody suites."""

from django.db import transaction
from django.utils.translation import gettext

from visits.errors import DomainError
from visits.models import CustodySuite
from visits.services import audit

EDITABLE_FIELDS = (
    "name",
    "name_cy",
    "address",
    "cells",
    "active",
    "visits_per_week",
    "panel",
    "custody_number_prefix",
)


def update_suite(
    *, actor, suite: CustodySuite, changes: dict, ip: str | None = None
) -> CustodySuite:
    """Apply `changes` (a subset of EDITABLE_FIELDS) and record them in the audit trail.

    Raises DomainError if the panel belongs to another scheme or the name is taken.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            gettext("These fields cannot be changed: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            code="field_not_editable",
        )
    panel = changes.get("panel")
    if panel is not None and panel.scheme_id != suite.scheme_id:
        raise DomainError(
            gettext("That panel belongs to another scheme."),
            code="panel_not_in_scheme",
            field="panel",
        )
    name = changes.get("name", suite.name)
    taken = CustodySuite.objects.filter(scheme_id=suite.scheme_id, name=name).exclude(pk=suite.pk)
    if taken.exists():
        raise DomainError(
            gettext("Another suite in this scheme already has that name."),
            code="suite_name_taken",
            field="name",
        )
    if suite.scheme.bilingual and not str(changes.get("name_cy", suite.name_cy)).strip():
        raise DomainError(
            gettext("Your scheme is bilingual: give the suite its Welsh name too."),
            code="welsh_text_missing",
            field="name_cy",
        )
    with transaction.atomic():
        before = {field: str(getattr(suite, field)) for field in changes}
        for field, value in changes.items():
            setattr(suite, field, value)
        suite.save()
        diff = {
            f: [before[f], str(getattr(suite, f))]
            for f in changes
            if before[f] != str(getattr(suite, f))
        }
        if diff:
            audit.record(
                actor=actor,
                action="suite.updated",
                obj=suite,
                scheme=suite.scheme,
                detail=diff,
                ip=ip,
            )
    return suite
