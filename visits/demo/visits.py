"""A year of fictional Norfolk visits for the demo, made through the real services.

Deterministic (a fixed random seed, a UUID per visit derived from its number), so running
seed_demo again finds the visits already there and adds nothing.
"""

import datetime
import random
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from visits.models import (
    Conflict,
    Issue,
    IssueEvent,
    Membership,
    Question,
    RotaPeriod,
    RotaSlot,
    Scheme,
    Visit,
    VisitorStatus,
)
from visits.services import visits as service
from visits.services.issues import act
from visits.workdays import add_working_days, response_time

User = get_user_model()
NAMESPACE = uuid.UUID("6f1c1a52-55f4-4bb6-9d0b-0c1c3ad3c6a1")

SERGEANTS = [
    "PS 1402 Moore",
    "PS 2231 Patel",
    "PS 877 Hughes",
    "PS 1915 Crane",
    "PS 640 Doyle",
    "PS 2088 Fisher",
]
DELAYS = [
    ("Detainee being moved between cells", "Inspector Rowe"),
    ("Violent detainee in the corridor", "Inspector Ashby"),
    ("Fire alarm test in progress", "Inspector Rowe"),
]
ABANDONED = ["Suite closed for maintenance", "Staff shortage: no escort available"]
GOOD_PRACTICE = [
    "Detention officers knew every detainee's dietary needs without checking.",
    "A young detainee was given reading material and regular welfare checks.",
    "Interpreter arrived within the hour for a detainee who speaks Lithuanian.",
    "Cells were spotless and blankets well stocked.",
    "",
    "",
]
NOTES = [
    "Said they were still waiting",
    "Not yet, staff said within the hour",
    "Asked twice, no response",
    "Cell was cold; heating reported",
]
MISSED_SHARE = 0.04  # of rota slots the demo pair does not make
SUITES = {"Aylsham": "AY", "Wymondham": "WY", "King's Lynn": "KL", "Great Yarmouth": "GY"}


def make_year(scheme: Scheme, *, weeks: int = 52, today: datetime.date | None = None) -> int:
    """One visit a week to each active suite for `weeks` weeks up to last week. Returns how
    many visits were made (0 when they are already there)."""
    rng = random.Random(2026)
    today = today or timezone.localdate()
    last_monday = today - datetime.timedelta(days=today.weekday() + 7)
    suites = list(scheme.suites.filter(active=True).order_by("name"))
    members = list(
        Membership.objects.visiting()
        .filter(scheme=scheme)
        .exclude(status=VisitorStatus.PAUSED)
        .select_related("user")
        .order_by("user__username")
    )
    conflicts = set(
        Conflict.objects.filter(suite__scheme=scheme).values_list("membership__user_id", "suite_id")
    )
    experienced_ids = {m.user_id for m in members if m.status != VisitorStatus.TRAINEE}
    made = 0
    for week in range(weeks, 0, -1):
        monday = last_monday - datetime.timedelta(weeks=week - 1)
        for suite in suites:
            key = uuid.uuid5(NAMESPACE, f"{scheme.slug}/{suite.pk}/{monday}")
            if Visit.objects.filter(uuid=key).exists():
                continue
            slot = (
                RotaSlot.objects.filter(
                    suite=suite,
                    week_starts_on=monday,
                    period__status=RotaPeriod.Status.PUBLISHED,
                )
                .exclude(status=RotaSlot.Status.CANCELLED)
                .prefetch_related("visitors")
                .first()
            )
            if slot is not None and len(slot.visitors.all()) == 2:
                if random.Random(str(key)).random() < MISSED_SHARE:
                    continue  # the pair did not go: the slot ends missed
                # The rota's pair, the experienced visitor leading.
                pair = sorted(slot.visitors.all(), key=lambda u: u.pk not in experienced_ids)
            else:
                eligible = [m for m in members if (m.user_id, suite.pk) not in conflicts]
                experienced = [m for m in eligible if m.status != VisitorStatus.TRAINEE]
                first = rng.choice(experienced)
                second = rng.choice([m for m in eligible if m.user_id != first.user_id])
                pair = [first.user, second.user]
            _make_visit(rng, suite, pair, monday, key)
            made += 1
    return made


def _make_visit(rng, suite, visitors, monday, key) -> Visit:
    hour = rng.choice([9, 11, 14, 16, 19, 21, 23])
    day = monday + datetime.timedelta(days=rng.randrange(7))
    arrived = timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour, rng.randrange(60)))
    )
    lead = visitors[0]
    visit = service.start_visit(
        actor=lead, suite=suite, co_visitors=visitors[1:], arrived_at=arrived, client_uuid=key
    )
    abandoned = rng.random() < 0.03
    delay = rng.random() < 0.1
    minutes = rng.choice([10, 15, 25, 40]) if delay and not abandoned else 0
    if not abandoned:
        reason, officer = rng.choice(DELAYS)
        service.record_admission(
            actor=lead,
            visit=visit,
            admitted_at=arrived + datetime.timedelta(minutes=minutes + 2),
            delay_minutes=minutes,
            delay_reason=reason if delay else "",
            delay_authorised_by=officer if delay else "",
        )
        _record_people(rng, suite, visit, lead)
    stayed = rng.choice([20, 75, 95, 120, 150])
    departed = arrived + datetime.timedelta(minutes=minutes + 2 + stayed)
    service.record_sign_off(
        actor=lead,
        visit=visit,
        sign_off=service.SignOff(
            departed_at=departed,
            outcome=visit.Outcome.ABANDONED
            if abandoned
            else rng.choice([visit.Outcome.SATISFACTORY] * 9 + [visit.Outcome.UNSATISFACTORY]),
            abandoned_reason=rng.choice(ABANDONED) if abandoned else "",
            sergeant_name=rng.choice(SERGEANTS),
            sergeant_confirmed=not abandoned,
            sergeant_comments=rng.choice(["", "", "Thank you for your visit."]),
            confirmed_by=visitors,
        ),
    )
    if not abandoned:
        service.record_good_practice(actor=lead, visit=visit, text=rng.choice(GOOD_PRACTICE))
    visit = service.submit_visit(actor=lead, visit=visit, notify=False)
    Visit.objects.filter(pk=visit.pk).update(submitted_at=departed + datetime.timedelta(minutes=5))
    return visit


def _record_people(rng, suite, visit, lead) -> None:
    in_custody = rng.randrange(0, 15 if suite.cells > 10 else 7)
    offered = rng.randrange(0, in_custody + 1) if in_custody else 0
    declined = rng.randrange(0, offered + 1) // 2
    observed = rng.randrange(0, offered - declined + 1) // 3
    visited = offered - declined - observed
    not_visited = in_custody - offered
    asleep = rng.randrange(0, not_visited + 1)
    interview = rng.randrange(0, not_visited - asleep + 1)
    under_18 = 1 if in_custody and rng.random() < 0.15 else 0
    female = rng.randrange(0, in_custody + 1) // 3
    questions = list(
        Question.objects.filter(section__version_id=visit.detainee_checklist_id).order_by(
            "section__order", "order"
        )
    )
    prefix = SUITES.get(suite.name, "WY")
    for n in range(visited):
        answers = {}
        for question in questions:
            roll = rng.random()
            value = "no" if roll < 0.04 else ("na" if roll < 0.1 else "yes")
            note = rng.choice(NOTES) if value == "no" else ""
            answers[question.pk] = (value, note)
        service.save_detainee(
            actor=lead,
            visit=visit,
            details=service.DetaineeDetails(
                custody_number=f"{prefix}-{rng.randrange(1, 99999):05d}-{visit.visit_date:%y}",
                under_18=n < under_18,
                consent_to_record_check=rng.random() < 0.4,
                interpreter_needed=rng.random() < 0.08,
                mental_health_concern=rng.random() < 0.12,
                appropriate_adult_needed=n < under_18,
                appropriate_adult_present=n < under_18,
                answers=answers,
            ),
        )
    service.record_numbers(
        actor=lead,
        visit=visit,
        numbers={
            "in_custody": in_custody,
            "adults": in_custody - under_18,
            "under_18": under_18,
            "female": female,
            "male": in_custody - female,
            "held_pace": in_custody,
            "offered": offered,
            "visited": visited,
            "declined": declined,
            "observed_only": observed,
            "nv_asleep": asleep,
            "nv_in_interview": interview,
            "nv_with_professional": not_visited - asleep - interview,
        },
    )
    suite_questions = Question.objects.filter(section__version_id=visit.suite_checklist_id)
    service.save_suite_answers(
        actor=lead,
        visit=visit,
        answers={q.pk: ("no" if rng.random() < 0.05 else "yes", "") for q in suite_questions},
    )
    for suggestion in service.suggested_issues(visit)[:2]:
        service.raise_issue(
            actor=lead,
            visit=visit,
            category=suggestion.category,
            description=suggestion.description,
            custody_number=suggestion.custody_number,
            question_id=suggestion.question_id,
            resolved_on_visit=rng.random() < 0.5,
            recheck_next_visit=rng.random() < 0.2,
        )


def make_draft_in_progress(scheme: Scheme, visitor, partner, suite) -> Visit:
    """The `visitor` account's unfinished report: arrived, admitted, counted, one detainee."""
    key = uuid.uuid5(NAMESPACE, f"{scheme.slug}/draft/{visitor.username}")
    existing = Visit.objects.filter(uuid=key).first()
    if existing:
        return existing
    arrived = timezone.localtime().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(
        hours=1
    )
    visit = service.start_visit(
        actor=visitor, suite=suite, co_visitors=[partner], arrived_at=arrived, client_uuid=key
    )
    service.record_admission(
        actor=visitor, visit=visit, admitted_at=arrived + datetime.timedelta(minutes=4)
    )
    service.record_numbers(
        actor=visitor,
        visit=visit,
        numbers={
            "in_custody": 6,
            "adults": 6,
            "offered": 4,
            "visited": 3,
            "declined": 1,
            "nv_asleep": 2,
        },
    )
    service.save_detainee(
        actor=visitor,
        visit=visit,
        details=service.DetaineeDetails(
            custody_number=f"WY-04211-{arrived:%y}", consent_to_record_check=True
        ),
    )
    return visit


RESPONSES = [
    "The heating engineer attended and replaced the thermostat.",
    "Stocks reordered; the custody manager will check them weekly.",
    "Staff reminded at the morning briefing; the sergeant has spoken to the officer.",
    "Repair booked with the estates contractor.",
]


def progress_issues(scheme: Scheme, manager, force, today: datetime.date | None = None) -> None:
    """Move the demo's raised issues along the workflow, so the board shows every state,
    then date each step back to a plausible time after its visit. Some end up overdue."""
    rng = random.Random(7)
    today = today or timezone.localdate()
    # Issues resolved on a visit were raised then, not when the demo was made.
    for issue in Issue.objects.filter(
        scheme=scheme, status=Issue.Status.RESOLVED_ON_VISIT, visit__isnull=False
    ).select_related("visit"):
        _date_back(issue)
    raised = list(
        Issue.objects.filter(
            scheme=scheme, status=Issue.Status.RAISED, visit__status=Visit.Status.SUBMITTED
        )
        .select_related("visit")
        .order_by("visit__visit_date", "pk")
    )
    for issue in raised:
        age = (today - issue.visit.visit_date).days
        roll = rng.random()
        if age > 60:
            steps = [("refer", manager), ("respond", force), ("accept", manager)]
            if roll < 0.15:
                steps = [
                    ("refer", manager),
                    ("escalate", manager),
                    ("respond", force),
                    ("accept", manager),
                ]
            elif roll < 0.25:
                steps = [("triage", manager), ("close", manager)]
        elif age > 30:
            steps = [("refer", manager)]
            if roll < 0.5:
                steps.append(("respond", force))
            elif roll < 0.75:
                steps.append(("escalate", manager))
        elif age > 10:
            steps = [("refer", manager)] if roll < 0.6 else [("triage", manager)]
        else:
            steps = []  # still waiting for the manager
        for action, actor in steps:
            text = {
                "respond": rng.choice(RESPONSES),
                "escalate": "No response in time.",
                "close": "Resolved locally; no referral needed.",
            }.get(action, "")
            act(actor=actor, issue=issue, action=action, text=text, notify=False)
        _date_back(issue)


def _date_back(issue) -> None:
    """Give each step of a demo issue a date a few days after the one before it."""
    issue.refresh_from_db()
    start = timezone.make_aware(datetime.datetime.combine(issue.visit.visit_date, datetime.time(9)))
    moment = start
    changes = {}
    days = issue.scheme.response_days_routine
    for event in issue.events.order_by("pk"):
        IssueEvent.objects.filter(pk=event.pk).update(created_at=moment)
        if event.kind in ("referred", "escalated"):
            changes.setdefault("referred_at", moment)
            changes["due_on"] = add_working_days(moment.date(), days)
        elif event.kind == "responded":
            changes["responded_at"] = moment
        elif event.kind in ("accepted", "closed"):
            changes["closed_at"] = moment
        moment += datetime.timedelta(days=3 + event.pk % 9)
    changes["responded_on"], changes["response_working_days"] = response_time(
        changes.get("referred_at", issue.referred_at),
        changes.get("responded_at", issue.responded_at),
    )
    type(issue).objects.filter(pk=issue.pk).update(created_at=start, **changes)
