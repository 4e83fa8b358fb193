"""Datasets for the benchmarks: the demo data plus generated history at a chosen scale.

- "scheme": Norfolk over a year (about 200 visits, their issues and rota slots).
- "national": 43 schemes, about 1,300 visitors, 180 suites and ten years of visits.

Rows are bulk-inserted for speed; the figures measured are reads, which do not care how the
rows were made. Fictional names only.
"""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from visits.models import (
    CustodySuite,
    Issue,
    IssueCategory,
    Membership,
    Panel,
    Role,
    RotaPeriod,
    RotaSlot,
    Scheme,
    TimeBand,
    Visit,
    VisitorStatus,
    VisitVisitor,
)

User = get_user_model()


@dataclass(frozen=True)
class Scale:
    name: str
    extra_schemes: int
    suites_per_scheme: int
    visitors_per_scheme: int
    years: int
    norfolk_issues: int = 0  # top Norfolk's issues up to this many, for the board's budget


SCALES = {
    "scheme": Scale("scheme", extra_schemes=0, suites_per_scheme=0, visitors_per_scheme=0, years=1),
    # With Norfolk (4 suites) and Suffolk (2): 43 schemes, 6 + 41 × 4.25 ≈ 180 suites.
    "national": Scale(
        "national",
        extra_schemes=41,
        suites_per_scheme=4,
        visitors_per_scheme=31,
        years=10,
        norfolk_issues=10_000,
    ),
}


def build(scale: Scale, seed: int = 1) -> None:
    rng = random.Random(seed)
    call_command("seed_demo", force=True, verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    with transaction.atomic():
        for n in range(scale.extra_schemes):
            _make_scheme(n, scale, rng)
        for scheme in Scheme.objects.all():
            _make_history(scheme, scale.years, rng)
        _top_up_issues(Scheme.objects.get(slug="norfolk"), scale.norfolk_issues, rng)


def _make_scheme(n: int, scale: Scale, rng: random.Random) -> None:
    scheme = Scheme.objects.create(
        name=f"Scheme {n + 1:02d}", slug=f"scheme-{n + 1:02d}", force_name=f"Force {n + 1:02d}"
    )
    suites = 5 if n % 4 == 0 else scale.suites_per_scheme
    for s in range(suites):
        panel = Panel.objects.create(scheme=scheme, name=f"Suite {s + 1}")
        CustodySuite.objects.create(scheme=scheme, panel=panel, name=f"Suite {s + 1}", cells=20)
    panels = list(scheme.panels.all())
    users = User.objects.bulk_create(
        User(username=f"s{n + 1:02d}-v{v:03d}", first_name="Visitor", last_name=f"{n}-{v}")
        for v in range(scale.visitors_per_scheme)
    )
    Membership.objects.bulk_create(
        Membership(
            user=user,
            scheme=scheme,
            role=Role.VISITOR,
            panel=panels[i % len(panels)],
            status=VisitorStatus.TRAINEE if i % 9 == 0 else VisitorStatus.ACTIVE,
        )
        for i, user in enumerate(users)
    )
    manager = User.objects.create(username=f"s{n + 1:02d}-manager")
    Membership.objects.create(user=manager, scheme=scheme, role=Role.MANAGER)


def _make_history(scheme: Scheme, years: int, rng: random.Random) -> None:
    """Weekly visits to every suite for `years`, with issues and a rota slot for each."""
    suites = list(scheme.suites.all())
    visitor_ids = list(
        Membership.objects.visiting().filter(scheme=scheme).values_list("user_id", flat=True)
    )
    if len(visitor_ids) < 2 or not suites:
        return
    today = timezone.localdate()
    first_monday = today - datetime.timedelta(days=today.weekday() + 7 * 52 * years)
    categories = list(IssueCategory.values)
    for year in range(years):
        start = first_monday + datetime.timedelta(weeks=52 * year)
        period = RotaPeriod.objects.create(
            scheme=scheme,
            name=f"Year from {start:%d %b %Y}",
            starts_on=start,
            ends_on=start + datetime.timedelta(weeks=52, days=-1),
            availability_closes_on=start - datetime.timedelta(days=14),
            status=RotaPeriod.Status.CLOSED,
        )
        visits, slots, pairs = [], [], []
        for week in range(52):
            monday = start + datetime.timedelta(weeks=week)
            for suite in suites:
                pair = rng.sample(visitor_ids, 2)
                arrived = timezone.make_aware(
                    datetime.datetime.combine(
                        monday + datetime.timedelta(days=rng.randrange(7)),
                        datetime.time(rng.choice([10, 14, 19, 23]), rng.randrange(60)),
                    )
                )
                in_custody = rng.randrange(0, 16)
                offered = rng.randrange(0, in_custody + 1)
                visited = rng.randrange(0, offered + 1)
                slots.append(
                    RotaSlot(
                        period=period,
                        suite=suite,
                        week_starts_on=monday,
                        time_band=rng.choice(TimeBand.values),
                        status=RotaSlot.Status.DONE,
                    )
                )
                visits.append(
                    Visit(
                        scheme=scheme,
                        suite=suite,
                        status=Visit.Status.SUBMITTED,
                        created_by_id=pair[0],
                        visit_date=arrived.date(),
                        arrived_at=arrived,
                        admitted_at=arrived + datetime.timedelta(minutes=rng.choice([2, 5, 30])),
                        departed_at=arrived + datetime.timedelta(minutes=90),
                        in_custody=in_custody,
                        adults=in_custody,
                        offered=offered,
                        visited=visited,
                        declined=offered - visited,
                        nv_asleep=in_custody - offered,
                        outcome=Visit.Outcome.SATISFACTORY,
                        submitted_at=arrived + datetime.timedelta(minutes=95),
                        submitted_by_id=pair[0],
                    )
                )
                pairs.append(pair)
        slots = RotaSlot.objects.bulk_create(slots)
        for visit, slot in zip(visits, slots, strict=True):
            visit.rota_slot_id = slot.pk
        visits = Visit.objects.bulk_create(visits)
        RotaSlot.visitors.through.objects.bulk_create(
            RotaSlot.visitors.through(rotaslot_id=slot.pk, user_id=user_id)
            for slot, pair in zip(slots, pairs, strict=True)
            for user_id in pair
        )
        VisitVisitor.objects.bulk_create(
            VisitVisitor(visit_id=visit.pk, user_id=user_id)
            for visit, pair in zip(visits, pairs, strict=True)
            for user_id in pair
        )
        Issue.objects.bulk_create(
            Issue(
                scheme=scheme,
                suite_id=visit.suite_id,
                visit_id=visit.pk,
                category=rng.choice(categories),
                description="Generated issue for benchmarking.",
                status=rng.choice(Issue.Status.values),
                raised_by_id=pair[0],
                due_on=visit.visit_date + datetime.timedelta(days=28),
                referred_at=visit.arrived_at,
            )
            for visit, pair in zip(visits, pairs, strict=True)
            if rng.random() < 0.3
        )


def _top_up_issues(scheme: Scheme, target: int, rng: random.Random) -> None:
    """Add issues on the scheme's past visits until it has `target` of them."""
    missing = target - Issue.objects.filter(scheme=scheme).count()
    if missing <= 0:
        return
    visits = list(
        Visit.objects.filter(scheme=scheme, status=Visit.Status.SUBMITTED).values_list(
            "pk", "suite_id", "created_by_id", "visit_date"
        )
    )
    categories = list(IssueCategory.values)
    Issue.objects.bulk_create(
        Issue(
            scheme=scheme,
            suite_id=suite_id,
            visit_id=visit_id,
            raised_by_id=raised_by,
            category=rng.choice(categories),
            description="Generated issue for benchmarking.",
            status=rng.choice(Issue.Status.values),
            referred_at=timezone.now(),
            due_on=visit_date + datetime.timedelta(days=28),
        )
        for visit_id, suite_id, raised_by, visit_date in (
            visits[n % len(visits)] for n in range(missing)
        )
    )
