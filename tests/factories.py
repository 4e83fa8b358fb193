"""Small helpers that make test data.

Visits, issues and rota slots are made as rows here until their services exist
(issues 3, 6 and 7); each helper then switches to the service, so tests keep
exercising the real rules.
"""

import datetime

from django.utils import timezone

from visits.models import CustodySuite, Issue, RotaPeriod, RotaSlot, Scheme, TimeBand, Visit


def suite(name: str) -> CustodySuite:
    return CustodySuite.objects.get(name=name)


def make_visit(*, suite_name="Wymondham", visitors=(), status=Visit.Status.SUBMITTED, **overrides):
    site = suite(suite_name)
    arrived = overrides.pop("arrived_at", timezone.now() - datetime.timedelta(days=3))
    values = {
        "scheme": site.scheme,
        "suite": site,
        "status": status,
        "created_by": visitors[0],
        "visit_date": timezone.localdate(arrived),
        "arrived_at": arrived,
        "outcome": Visit.Outcome.SATISFACTORY if status == Visit.Status.SUBMITTED else "",
        "submitted_at": arrived + datetime.timedelta(hours=2)
        if status == Visit.Status.SUBMITTED
        else None,
    }
    values.update(overrides)
    visit = Visit.objects.create(**values)
    for user in visitors:
        visit.visit_visitors.create(user=user)
    return visit


def make_issue(*, visit: Visit, raised_by, referred=False, **overrides) -> Issue:
    values = {
        "scheme": visit.scheme,
        "suite": visit.suite,
        "visit": visit,
        "category": "conditions",
        "description": "Cell 4 call bell not working.",
        "raised_by": raised_by,
    }
    if referred:
        values |= {
            "status": Issue.Status.REFERRED,
            "referred_at": timezone.now(),
            "due_on": timezone.localdate() + datetime.timedelta(days=28),
        }
    values.update(overrides)
    return Issue.objects.create(**values)


def make_period(
    scheme_slug="norfolk", status=RotaPeriod.Status.PUBLISHED, quarters_ahead=0
) -> RotaPeriod:
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday() - 91 * quarters_ahead)
    return RotaPeriod.objects.create(
        scheme=Scheme.objects.get(slug=scheme_slug),
        name="This quarter",
        starts_on=monday,
        ends_on=monday + datetime.timedelta(weeks=13, days=-1),
        availability_closes_on=monday - datetime.timedelta(days=14),
        status=status,
    )


def make_slot(*, period: RotaPeriod, suite_name: str, visitors, weeks_ahead=1) -> RotaSlot:
    slot = RotaSlot.objects.create(
        period=period,
        suite=suite(suite_name),
        week_starts_on=period.starts_on + datetime.timedelta(weeks=weeks_ahead),
        time_band=TimeBand.EVENING,
    )
    slot.visitors.set(visitors)
    return slot
