"""Small helpers that make test data through the real services, as the people would: visits
(started, counted, signed, submitted), issues raised on the draft before submission and
referred by the manager, rota periods opened and generated, slots given their pair by hand.

One kind of row is still written directly: a rota period starting this week with slots of
chosen visitors at their first revision (`make_period`, `make_slot`). The rota service opens
calendar quarters only, from the quarter's first Monday, and fills every slot of it through the
solver from a random seed; the tests of this week's slots (swaps, reminders, lapses, the home
page) need slots up to six weeks from today in one period, which crosses a quarter's end for
part of every quarter, with pairs they choose. Coming quarters go through the services:
`open_rota`, `make_draft_rota`, `assign_slot`.
"""

import datetime

from django.utils import timezone

from visits.models import CustodySuite, Issue, RotaPeriod, RotaSlot, Scheme, TimeBand, Visit
from visits.services import visits as service

SERGEANT = "PS 1234 Hart"  # who signs the factories' visits off: private, never published

CUSTODY_NUMBER_FORMATS = {
    "norfolk": "WY-{:05d}-26",
    "suffolk": "MH/{:05d}/26",
    "dyfed-powys": "DP/{:05d}/26",
}


def suite(name: str) -> CustodySuite:
    return CustodySuite.objects.get(name=name)


def custody_number(scheme_slug: str, n: int) -> str:
    return CUSTODY_NUMBER_FORMATS[scheme_slug].format(n)


def make_visit(
    *,
    suite_name="Wymondham",
    visitors,
    status=Visit.Status.SUBMITTED,
    tact=False,
    detainees=0,
    arrived_at=None,
    issues=(),
) -> Visit:
    """A visit made as the visitors would make it: started, admitted, counted, signed, submitted.

    `detainees` are seen and answer every question "yes"; `tact` adds one held under TACT.
    `issues` are raised on the draft by the lead visitor before sign-off, each a dict of
    `raise_issue`'s arguments (category "conditions" unless given) and, optionally,
    `referred=True`: the scheme manager refers it once the report is submitted."""
    site = suite(suite_name)
    arrived = arrived_at or timezone.now() - datetime.timedelta(days=3)
    lead = visitors[0]
    visit = service.start_visit(
        actor=lead, suite=site, co_visitors=visitors[1:], arrived_at=arrived
    )
    service.record_admission(
        actor=lead, visit=visit, admitted_at=arrived + datetime.timedelta(minutes=5)
    )
    seen = detainees + (1 if tact else 0)
    for n in range(seen):
        service.save_detainee(
            actor=lead,
            visit=visit,
            details=service.DetaineeDetails(
                custody_number=custody_number(site.scheme.slug, n + 1),
                tact=tact and n == seen - 1,
                answers=dict.fromkeys(question_ids(visit.detainee_checklist_id), ("yes", "")),
            ),
        )
    service.record_numbers(
        actor=lead,
        visit=visit,
        numbers={
            "in_custody": seen + 1,
            "offered": seen,
            "visited": seen,
            "nv_asleep": 1,
        },
    )
    to_refer = []
    for spec in issues:
        spec = {"category": "conditions"} | dict(spec)
        referred = spec.pop("referred", False)
        issue = service.raise_issue(actor=lead, visit=visit, **spec)
        if referred:
            to_refer.append(issue)
    if status == Visit.Status.SUBMITTED:
        sign_off_and_submit(visit, visitors)
        for issue in to_refer:
            _refer(issue)
    elif to_refer:
        raise ValueError("Only an issue on a submitted report can be referred.")
    visit.refresh_from_db()
    return visit


def sign_off_and_submit(
    visit: Visit, visitors, notify=False, *, minutes=90, abandoned=False
) -> Visit:
    """The sergeant's sign-off `minutes` after arrival, confirmed by `visitors`, and the
    report submitted by the first of them."""
    service.record_sign_off(
        actor=visitors[0],
        visit=visit,
        sign_off=service.SignOff(
            departed_at=visit.arrived_at + datetime.timedelta(minutes=minutes),
            outcome=Visit.Outcome.ABANDONED if abandoned else Visit.Outcome.SATISFACTORY,
            abandoned_reason="Suite closed" if abandoned else "",
            sergeant_name=SERGEANT,
            sergeant_confirmed=True,
            confirmed_by=list(visitors),
        ),
    )
    return service.submit_visit(actor=visitors[0], visit=visit, notify=notify)


def record_visit(
    suite_name,
    arrived,
    numbers,
    *,
    visitors,
    delay=0,
    detainees=(),
    abandoned=False,
    minutes=90,
    issues=(),
    first_custody_number=100,
) -> Visit:
    """A visit through the services with exactly the figures given, as its lead visitor (the
    first of `visitors`) records it: admission, `detainees` (each a dict of DetaineeDetails'
    fields, `answers_in_order` for the checklist's questions in order; numbered from
    `first_custody_number` unless it names its own), `numbers`, `issues`
    (descriptions, or dicts of raise_issue's category and description) raised on the draft,
    sign-off and submission. An abandoned visit records only the issues and its sign-off."""
    lead = visitors[0]
    visit = service.start_visit(
        actor=lead, suite=suite(suite_name), co_visitors=visitors[1:], arrived_at=arrived
    )
    if not abandoned:
        service.record_admission(
            actor=lead,
            visit=visit,
            admitted_at=arrived + datetime.timedelta(minutes=delay),
            delay_minutes=delay,
            delay_reason="Moving a detainee" if delay else "",
            delay_authorised_by="Inspector Rowe" if delay else "",
        )
        questions = question_ids(visit.detainee_checklist_id)
        for n, fields in enumerate(detainees):
            numbered = custody_number("norfolk", first_custody_number + n)
            fields = {"custody_number": numbered} | fields
            if "answers_in_order" in fields:  # values for the checklist's first questions
                in_order = fields.pop("answers_in_order")
                fields["answers"] = {q: (v, "") for q, v in zip(questions, in_order, strict=False)}
            service.save_detainee(
                actor=lead, visit=visit, details=service.DetaineeDetails(**fields)
            )
        service.record_numbers(actor=lead, visit=visit, numbers=numbers)
    for issue in issues:
        issue = issue if isinstance(issue, dict) else {"description": issue}
        service.raise_issue(actor=lead, visit=visit, **({"category": "conditions"} | issue))
    return sign_off_and_submit(visit, visitors, minutes=minutes, abandoned=abandoned)


def question_ids(version_id) -> list[int]:
    from visits.models import Question

    return list(
        Question.objects.filter(section__version_id=version_id).values_list("pk", flat=True)
    )


def make_issue(
    *,
    visit: Visit,
    raised_by,
    category="conditions",
    description="Cell 4 call bell not working.",
    severity="routine",
) -> Issue:
    """An issue raised by `raised_by` on a draft report, as the visitors raise them. An issue
    on a submitted report was raised before submission: `make_visit(issues=[...])`."""
    if not visit.is_draft:
        raise ValueError("Issues are raised on a draft: use make_visit(issues=[...]).")
    return service.raise_issue(
        actor=raised_by,
        visit=visit,
        category=category,
        description=description,
        severity=severity,
    )


def _refer(issue: Issue) -> Issue:
    """The scheme manager refers the issue to the force (the issue workflow)."""
    from visits.services.issues import act

    return act(actor=_manager_of(issue.scheme), issue=issue, action="refer", notify=False)


def _manager_of(scheme):
    from visits.models import Membership, Role

    return Membership.objects.filter(scheme=scheme, role=Role.MANAGER).first().user


def make_period(
    scheme_slug="norfolk", status=RotaPeriod.Status.PUBLISHED, quarters_ahead=0
) -> RotaPeriod:
    """A period of thirteen weeks from this Monday, written directly (see the module's
    docstring); a coming quarter's is `open_rota` or `make_draft_rota`."""
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


def open_rota(*, actor, quarters_ahead=1, closes_in_days=3, scheme_slug="norfolk") -> RotaPeriod:
    """A coming quarter's rota period, opened through the rota service by `actor` (the scheme
    manager) and collecting availability for `closes_in_days` more days."""
    from visits.services import rota

    today = timezone.localdate()
    first, _last, _name = rota.quarter_of(today + datetime.timedelta(days=92 * quarters_ahead))
    return rota.open_period(
        actor=actor,
        scheme=Scheme.objects.get(slug=scheme_slug),
        starts_on=first,
        availability_closes_on=today + datetime.timedelta(days=closes_in_days),
    )


def make_draft_rota(*, actor, closes_in_days=3, scheme_slug="norfolk") -> RotaPeriod:
    """Next quarter's rota, opened and generated through the rota services by `actor` (the
    scheme manager); availability still open for `closes_in_days` days."""
    from visits.services import rota

    period = open_rota(actor=actor, closes_in_days=closes_in_days, scheme_slug=scheme_slug)
    rota.generate(actor=actor, period=period)
    period.refresh_from_db()
    return period


def assign_slot(*, actor, period: RotaPeriod, suite_name: str, visitors, weeks_ahead=1) -> RotaSlot:
    """The generated slot of `suite_name` in the period's week `weeks_ahead`, given to these
    visitors by hand by `actor` (the scheme manager) through `rota.assign`, accepting any
    rule it breaks: one revision after the generated slot."""
    from visits.services import rota

    slot = (
        period.slots.filter(
            suite=suite(suite_name),
            week_starts_on=period.starts_on + datetime.timedelta(weeks=weeks_ahead),
        )
        .order_by("pk")
        .first()
    )
    rota.assign(actor=actor, slot=slot, visitor_ids=[v.pk for v in visitors], accept_warnings=True)
    slot.refresh_from_db()
    return slot


def make_slot(*, period: RotaPeriod, suite_name: str, visitors, weeks_ahead=1) -> RotaSlot:
    """A slot of `make_period`'s, written directly at its first revision; a generated slot
    given its pair by hand is `assign_slot`."""
    slot = RotaSlot.objects.create(
        period=period,
        suite=suite(suite_name),
        week_starts_on=period.starts_on + datetime.timedelta(weeks=weeks_ahead),
        time_band=TimeBand.EVENING,
    )
    slot.visitors.set(visitors)  # as generated: a first revision, unchanged by hand
    return slot


def make_reported_issue(severity="routine", resolved=False, recheck=False):
    """An issue raised on a visit by `visitor` and `partner`, whose report is submitted."""
    from tests.conftest import persona

    visitors = [persona("visitor"), persona("partner")]
    visit = make_visit(visitors=visitors, status=Visit.Status.DRAFT)
    issue = service.raise_issue(
        actor=visitors[0],
        visit=visit,
        category="conditions",
        severity=severity,
        description="Cell 4 call bell not working.",
        resolved_on_visit=resolved,
        recheck_next_visit=recheck,
    )
    sign_off_and_submit(visit, visitors)
    return issue


def make_one_of_each() -> dict:
    """One object of each kind the API acts on, for the Norfolk personas: a visit with a
    referred issue, a slot of Vera and Peter with Peter's place offered; their ids by kind."""
    from tests.conftest import persona
    from visits.models import TrainingCompletion, TrainingModule
    from visits.services import checklists, rota
    from visits.services.issues import act

    issue = make_reported_issue()
    issue = act(actor=persona("manager"), issue=issue, action="refer", notify=False)
    visit = issue.visit
    slot = make_slot(
        period=make_period(),
        suite_name="Wymondham",
        visitors=[persona("visitor"), persona("partner")],
    )
    swap = rota.offer(actor=persona("partner"), slot=slot)
    # Expenses (issue 22): Vera's claim for the visit.
    from decimal import Decimal

    from visits.services import expenses

    claim = expenses.submit_claim(
        actor=persona("visitor"),
        details=expenses.ClaimDetails(occasion="visit", visit_id=visit.pk, miles=Decimal("9")),
    )
    return {
        "uuid": str(visit.uuid),
        "pk": {
            "suite": suite("Wymondham").pk,
            "visit": visit.pk,
            "issue": issue.pk,
            "rota-period": slot.period_id,
            "rota-slot": slot.pk,
            "rota-swap": swap.pk,
            "panel": suite("Wymondham").panel_id,
            "person": persona("visitor").memberships.get().pk,
            "volunteer-record": persona("visitor").memberships.get().pk,
            "id-card": persona("visitor").memberships.get().pk,
            "checklist": checklists.current_version(visit.scheme_id, "detainee").pk,
            # Training (issue 22): Norfolk's induction module and Vera's record of it.
            "training-module": TrainingModule.objects.get(scheme=visit.scheme, key="induction").pk,
            "training-record": TrainingCompletion.objects.get(
                membership__user=persona("visitor"), module__key="induction"
            ).pk,
            # seed_demo's Norfolk application taking up references (issue 22)
            "recruitment-application": _seeded_application().pk,
            "expense-claim": claim.pk,
        },
    }


def _seeded_application():
    from visits.models import Application

    return Application.objects.get(email="ellen.thirtle@example.org")


def whole_report(
    *,
    visitor,
    partner,
    suite_name="Wymondham",
    arrived_at=None,
    detainees=("WY-00401-26",),
    **overrides,
) -> dict:
    """The JSON a phone's outbox sends for a finished visit (PUT /api/visits/{uuid}/report/)."""
    from visits.services import checklists

    place = suite(suite_name)
    arrived = arrived_at or (timezone.now() - datetime.timedelta(hours=2)).replace(microsecond=0)
    detainee_list = checklists.current_version(place.scheme_id, "detainee")
    suite_list = checklists.current_version(place.scheme_id, "suite")
    report = {
        "suite": place.pk,
        "co_visitors": [partner.pk],
        "arrived_at": arrived.isoformat(),
        "detainee_checklist": detainee_list.pk,
        "suite_checklist": suite_list.pk,
        "admission": {"admitted_at": (arrived + datetime.timedelta(minutes=5)).isoformat()},
        "numbers": {
            "in_custody": len(detainees),
            "adults": len(detainees),
            "male": len(detainees),
            "held_pace": len(detainees),
            "offered": len(detainees),
            "visited": len(detainees),
        },
        "detainees": [
            {
                "custody_number": number,
                "consent_to_record_check": True,
                "answers": [
                    {"question": q, "value": "yes", "note": ""}
                    for q in question_ids(detainee_list.pk)
                ],
            }
            for number in detainees
        ],
        "suite_answers": [
            {"question": q, "value": "yes", "note": ""} for q in question_ids(suite_list.pk)
        ],
        "issues": [],
        "good_practice": "Cells clean and warm.",
        "sign_off": {
            "departed_at": (arrived + datetime.timedelta(hours=1)).isoformat(),
            "outcome": "satisfactory",
            "sergeant_name": "PS 123 Patel",
            "sergeant_confirmed": True,
            "confirmed_by": [visitor.pk, partner.pk],
        },
    }
    return report | overrides


def keep_copy_photo(copy, caption="Cell 4 from the second record"):
    """A photo kept with a second record of a visit (CopyPhoto), as a phone's report brings it."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from visits.images import clean_photo
    from visits.models import CopyPhoto

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 80, 40)).save(buffer, "JPEG")
    clean = clean_photo(buffer.getvalue())
    photo = CopyPhoto(copy=copy, caption=caption)
    photo.image.save("copy.jpg", ContentFile(clean.data), save=False)
    photo.thumbnail.save("copy-thumb.jpg", ContentFile(clean.thumbnail), save=False)
    photo.save()
    return photo
