"""The canary harness (issue 15): distinctive values planted in the test data, then every URL of
the URL conf fetched as every persona in every format, and the e-mails the actions sent, searched
for each value. tests/test_canary.py asserts on what this module collects.

How it works:

1. `build()` makes the canary data through the real services (visits, issues, rota), at the Norfolk
   suite Wymondham (outside the coordinator's Aylsham panel), plus a Suffolk visit, with the clock
   held at NOW and e-mails on; the e-mails are kept with the personas whose address they go to.
2. `plan()` walks the URL conf (tests.matrix.named_urls) and fills every path parameter with EVERY
   canary object of its kind (KWARGS_BY_NAME / KWARGS_BY_PREFIX below; the admin's by model). A
   named URL with parameters and no objects fails the plan, so a URL added tomorrow cannot be
   skipped without saying so (the admin's pages of models with no canary rows are named in
   ADMIN_MODELS_WITHOUT_CANARIES). API URLs are also asked for `?format=api` (the browsable HTML,
   where the JSON answered 200, 400 or 403) and lists for `?format=json`; the summaries for this
   quarter, the next, one suite, the coordinator's suite and another scheme.
3. `fetch()` sends each planned GET as every persona and anonymously, each request rolled back,
   following no redirect, and turns each body into text: HTML, JSON, CSV and ICS decoded, PDFs
   through pypdf, streaming responses joined. `probes()` adds the error probes of canary 8.
4. `analyse()` says, for each canary, which persona saw it where it must not, and which persona
   allowed to see it saw it nowhere (so the test cannot pass vacuously); and what the force learns
   of the rota from the summaries, and whether the summary counts only planned visits that count.

Everything happens in one transaction that is rolled back, so nothing is left behind.
"""

from __future__ import annotations

import datetime
import functools
import html
import inspect
import io
import json
import logging
import re
import uuid
import zoneinfo
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase, override_settings

from tests.conftest import PERSONAS, persona
from tests.factories import (
    keep_copy_photo,
    question_ids,
    sign_off_and_submit,
    suite,
    whole_report,
)
from tests.matrix import named_urls

LONDON = zoneinfo.ZoneInfo("Europe/London")
# "Today" for the whole run: after the visits (three days ago and less), before the planned time.
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=LONDON)
TODAY = NOW.date()
THIS_QUARTER, NEXT_QUARTER = "2026-Q4", "2027-Q1"
LAST_QUARTER = "2026-Q3"
WHO = (*PERSONAS, "anonymous")
NORFOLK_PERSONAS = tuple(p for p in PERSONAS if p != "outsider")

# --- The canaries -------------------------------------------------------------------------------

CUSTODY_NUMBER = "WY-80431-26"
ANSWER_NOTE = "Canary answer note kestrel"
PLANNED_FOR = datetime.datetime(2027, 1, 2, 3, 17, tzinfo=LONDON)  # a Saturday; UTC = local
PLANNED_WEEK = datetime.date(2026, 12, 28)
DRAFT_WEEK = datetime.date(2027, 3, 22)  # a Monday of the next quarter, in a draft rota only
TRIAGE_NOTE = "Canary triage note heron"
SHARED_NOTE = "Canary shared note plover"
UNREFERRED = "Canary unreferred issue bittern"
OTHER_NAME = ("Zebedee", "Quillfeather")
OTHER_NUMBER = "MH/80432/26"
TACT_NUMBER = "WY-80434-26"
TACT_COMMENT = "Canary TACT sergeant comment osprey"
DRAFT_NUMBER = "WY-80433-26"
DRAFT_PRACTICE = "Canary draft good practice grebe"
VETTING_REFERENCE = "NV-CANARY-80436"
LEAVING_REASON = "Canary leaving reason avocet"
TRAINING_NOTE = "Canary training note wren"
APPLICANT_MOTIVATION = "Canary applicant motivation dunlin"
REFEREE_NOTE = "Canary referee note sanderling"
EXPENSE_NOTE = "Canary expense claim curlew"
# ID cards (issue 22): the secret in Vera's card's QR code, and why Peter's card was revoked.
CARD_TOKEN = "CanaryCardToken-sandpiper-0000000000000000000"
CARD_REVOKED_REASON = "Canary card revoked lapwing"


@dataclass(frozen=True)
class Canary:
    key: str
    what: str
    allowed: frozenset
    patterns: tuple  # searched in every body
    ics_patterns: tuple = ()  # searched in calendar feeds only (too short to be safe elsewhere)

    def match(self, text: str, fmt: str) -> str | None:
        for pattern in self.patterns + (self.ics_patterns if fmt == "ics" else ()):
            found = pattern.search(text)
            if found:
                return found.group(0)
        return None


def _words(*patterns, flags=re.IGNORECASE) -> tuple:
    return tuple(re.compile(p, flags) for p in patterns)


def _date_forms(day: datetime.date) -> tuple:
    """A week's Monday as the app writes it: ISO (JSON, CSV), ICS, "22 Mar", "22 March",
    "w/c 22 Mar" (summaries), "Monday 22 March 2027" (e-mails)."""
    return _words(
        re.escape(day.isoformat()),
        day.strftime("%Y%m%d"),
        rf"\b{day.day} {day:%b}\b",
        rf"\b{day.day} {day:%B}\b",
        rf"\b{day:%d} {day:%b}\b",
        flags=0,
    )


VIS, PAR, _COORD, MAN, PCC, FOR, OUT = PERSONAS
CANARIES = (
    Canary(
        "CUSTODY",
        f"custody number {CUSTODY_NUMBER} on a submitted Wymondham visit and its referred issue",
        frozenset({VIS, PAR, MAN, FOR}),
        _words(re.escape(CUSTODY_NUMBER)),
    ),
    Canary(
        "ANSWER",
        f"a detainee checklist answer's note “{ANSWER_NOTE}”",
        frozenset({VIS, PAR, MAN, FOR}),
        _words(r"\bkestrel\b"),
    ),
    Canary(
        "PLANNED TIME",
        f"the pair's agreed time {PLANNED_FOR:%Y-%m-%d %H:%M} of a published Wymondham slot",
        frozenset({VIS, PAR, MAN}),
        _words(r"(?<![\d:])0?3:17(?!\d)"),
        _words("0317"),
    ),
    Canary(
        "DRAFT WEEK",
        f"the week of {DRAFT_WEEK} of a slot in a draft rota of the next quarter",
        frozenset({MAN}),
        _date_forms(DRAFT_WEEK),
    ),
    Canary(
        "TRIAGE NOTE",
        f"the manager's triage note “{TRIAGE_NOTE}” on a referred issue",
        frozenset({MAN, PCC}),
        _words(r"\bheron\b"),
    ),
    Canary(
        "SHARED NOTE",
        f"the manager's comment shared with the force “{SHARED_NOTE}”",
        frozenset({MAN, PCC, FOR}),
        _words(r"\bplover\b"),
    ),
    Canary(
        "UNREFERRED",
        f"the description “{UNREFERRED}” of an issue never referred",
        frozenset({VIS, PAR, MAN, PCC}),
        _words(r"\bbittern\b"),
    ),
    Canary(
        "OTHER SCHEME",
        f"the Suffolk visitor {' '.join(OTHER_NAME)} and the Suffolk custody number {OTHER_NUMBER}",
        frozenset({OUT}),
        _words(r"quillfeather", r"\bzebedee\b", re.escape(OTHER_NUMBER)),
    ),
    # Two more of the same kinds, beyond the issue's list: a TACT report is for its visitors
    # and the manager only; a draft for its visitors and the manager only. Each has a text the
    # PCC reader would see if the visit reached them (they never see custody numbers).
    Canary(
        "TACT",
        f"custody number {TACT_NUMBER} and the sergeant's comment “{TACT_COMMENT}” of a "
        "report with a detainee held under TACT",
        frozenset({VIS, PAR, MAN}),
        _words(re.escape(TACT_NUMBER), r"\bosprey\b"),
    ),
    Canary(
        "DRAFT VISIT",
        f"custody number {DRAFT_NUMBER} and the good practice “{DRAFT_PRACTICE}” of a draft "
        "(not submitted) visit",
        frozenset({VIS, PAR, MAN}),
        _words(re.escape(DRAFT_NUMBER), r"\bgrebe\b"),
    ),
    # Volunteers (issue 22): a vetting reference is the volunteer's own and the manager's; why
    # someone left is the manager's alone.
    Canary(
        "VETTING",
        f"Vera's vetting reference {VETTING_REFERENCE}",
        frozenset({VIS, MAN}),
        _words(re.escape(VETTING_REFERENCE)),
    ),
    Canary(
        "LEAVING",
        f"the reason “{LEAVING_REASON}” a Norfolk volunteer left",
        frozenset({MAN}),
        _words(r"\bavocet\b"),
    ),
    # Training (issue 22): a volunteer's training record is theirs and the manager's.
    Canary(
        "TRAINING",
        f"the note “{TRAINING_NOTE}” on Vera's training record",
        frozenset({VIS, MAN}),
        _words(r"\bwren\b"),
    ),
    # Recruitment (issue 22): an application and what a referee said are the manager's alone.
    Canary(
        "APPLICATION",
        f"a Norfolk application's motivation “{APPLICANT_MOTIVATION}” and its referee's note "
        f"“{REFEREE_NOTE}”",
        frozenset({MAN}),
        _words(r"\bdunlin\b", r"\bsanderling\b"),
    ),
    # Expenses (issue 22): a claim is its volunteer's and the scheme manager's, nobody else's.
    Canary(
        "EXPENSE",
        f"Vera's expense claim for “{EXPENSE_NOTE}”",
        frozenset({VIS, MAN}),
        _words(r"\bcurlew\b"),
    ),
    # ID cards (issue 22): a card's check token is only ever inside its QR code (not text in any
    # page, PDF, API answer or export, even its holder's or the manager's); why a card was
    # revoked is the manager's alone.
    Canary(
        "CARD TOKEN",
        f"Vera's ID card's check token {CARD_TOKEN}",
        frozenset(),
        _words(r"sandpiper"),
    ),
    Canary(
        "CARD REVOKED",
        f"the reason “{CARD_REVOKED_REASON}” Peter's ID card was revoked",
        frozenset({MAN}),
        _words(r"\blapwing\b"),
    ),
)
CANARY_KEYS = tuple(c.key for c in CANARIES)

# What the force must not learn from a summary: anything about when visits are planned.
FORCE_SUMMARY_FORBIDDEN = (
    ("planned", re.compile("planned", re.IGNORECASE)),
    ("w/c", re.compile(re.escape("w/c"))),
    ("visits on Mon", re.compile(re.escape("visits on Mon"), re.IGNORECASE)),
    ("by_day", re.compile("by_day")),
    ("by_week", re.compile("by_week")),
    ("by_band", re.compile("by_band")),
    ("Visits by day of the week", re.compile("Visits by day of the week", re.IGNORECASE)),
    ("Visits by time of day", re.compile("Visits by time of day", re.IGNORECASE)),
)
SUMMARY_URLS = {"page:summary", "page:summary-pdf", "page:summary-csv", "page:summary-return"}
SUMMARY_URLS |= {"api:api-summary"}
# The published figures (issue 20) are read by anyone, the force included: held to the same.
PUBLIC_FIGURE_URLS = {"page:public-figures", "page:public-quarter"}
PUBLIC_FIGURE_URLS |= {"page:public-csv", "page:public-json"}


# --- The data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """A value for a path parameter, with a stable name to show instead of an id."""

    value: str
    label: str


@dataclass
class World:
    kinds: dict = field(default_factory=dict)  # kind -> [{param: Obj}]
    admin: dict = field(default_factory=dict)  # model class -> [Obj]
    ids: dict = field(default_factory=dict)  # label -> value, for the probes and checks
    mails: list = field(default_factory=list)  # (personas, addresses, subject, hits)
    setup_problems: list = field(default_factory=list)
    expected_planned: int = 0

    def add(self, kind: str, **params: Obj) -> None:
        self.kinds.setdefault(kind, []).append(params)

    def register(self, kind: str, rows: dict) -> None:
        """Canary rows (by name) the admin's change, history and delete pages are asked for."""
        for label, row in rows.items():
            self.admin.setdefault(type(row), []).append(Obj(str(row.pk), f"{kind}:{label}"))


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format="PNG")
    return out.getvalue()


def reply_pdf() -> bytes:
    """The force's answer, as a real PDF (its text is searched like any other)."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Norfolk Constabulary: the call bell in cell 9 was repaired.")
    page.save()
    return out.getvalue()


def _detainee(actor, visit, number: str, note_on_first: str = "", tact: bool = False):
    from visits.services import visits as service

    answers = dict.fromkeys(question_ids(visit.detainee_checklist_id), ("yes", ""))
    if note_on_first:
        first = min(answers)
        answers[first] = ("yes", note_on_first)
    return service.save_detainee(
        actor=actor,
        visit=visit,
        details=service.DetaineeDetails(custody_number=number, tact=tact, answers=answers),
    )


def _visit(place, visitors, arrived, numbers):
    """Started, admitted, with each custody number seen; not yet signed off."""
    from visits.services import visits as service

    visit = service.start_visit(
        actor=visitors[0], suite=place, co_visitors=visitors[1:], arrived_at=arrived
    )
    service.record_admission(
        actor=visitors[0], visit=visit, admitted_at=arrived + datetime.timedelta(minutes=5)
    )
    detainees = [_detainee(visitors[0], visit, *detainee) for detainee in numbers]
    service.record_numbers(
        actor=visitors[0],
        visit=visit,
        numbers={
            "in_custody": len(numbers) + 1,
            "offered": len(numbers),
            "visited": len(numbers),
            "nv_asleep": 1,
        },
    )
    return visit, detainees


def build(world: World) -> None:
    """Every canary, made through the services. Run inside a transaction, with the clock at NOW
    and on_commit callbacks captured (the e-mails)."""
    from visits.images import clean_photo
    from visits.models import (
        Answer,
        ChecklistTemplate,
        Conflict,
        IssueEvent,
        Membership,
        Role,
        RotaPeriod,
        RotaSlot,
        Scheme,
        TimeBand,
        VisitCopy,
        VisitorStatus,
    )
    from visits.services import checklists, rota, tokens
    from visits.services import visits as service
    from visits.services.issues import act

    vera, peter, carol, maya, _paul, frances, owen = (persona(p) for p in PERSONAS)
    norfolk, suffolk = Scheme.objects.get(slug="norfolk"), Scheme.objects.get(slug="suffolk")
    wymondham, aylsham, martlesham = suite("Wymondham"), suite("Aylsham"), suite("Martlesham")
    pair = [vera, peter]

    # 8. A Suffolk visitor made for the test.
    zebedee = get_user_model().objects.create(
        username="zebedee.quillfeather",
        first_name=OTHER_NAME[0],
        last_name=OTHER_NAME[1],
        email="zebedee.quillfeather@example.org",
    )
    zebedee_membership = Membership.objects.create(
        user=zebedee,
        scheme=suffolk,
        role=Role.VISITOR,
        status=VisitorStatus.ACTIVE,
        panel=martlesham.panel,
        appointed_on=datetime.date(2025, 6, 2),
    )

    # 1, 2, 5, 6, 7. The submitted Wymondham visit, its detainee and its issues.
    report, (detainee,) = _visit(
        wymondham, pair, NOW - datetime.timedelta(days=3), [(CUSTODY_NUMBER, ANSWER_NOTE, False)]
    )
    photo = service.add_photo(actor=vera, visit=report, photo=clean_photo(png()))
    referred = service.raise_issue(
        actor=vera,
        visit=report,
        category="conditions",
        description="Cell 9 call bell not working.",
        custody_number=CUSTODY_NUMBER,
    )
    closed = service.raise_issue(
        actor=vera, visit=report, category="conditions", description="Cell 2 heating off."
    )
    unreferred = service.raise_issue(
        actor=vera, visit=report, category="conditions", description=UNREFERRED
    )
    sign_off_and_submit(report, pair, notify=True)
    act(actor=maya, issue=referred, action="triage", text=TRIAGE_NOTE)
    act(actor=maya, issue=referred, action="refer")
    if "shared_with_force" in inspect.signature(act).parameters:
        act(
            actor=maya,
            issue=referred,
            action="comment",
            text=SHARED_NOTE,
            shared_with_force=True,
        )
    else:
        world.setup_problems.append(
            "visits.services.issues.act has no `shared_with_force` keyword yet: the SHARED NOTE "
            "comment was made without it"
        )
        act(actor=maya, issue=referred, action="comment", text=SHARED_NOTE)
    reply = SimpleUploadedFile("reply.pdf", reply_pdf(), "application/pdf")
    act(
        actor=frances,
        issue=referred,
        action="respond",
        text="The call bell was repaired on 30 November.",
        attachment=reply,
    )
    act(actor=maya, issue=closed, action="refer")
    act(actor=maya, issue=closed, action="close", text="Heating repaired; no further action.")
    copy = VisitCopy.objects.create(
        visit=report, client_uuid=uuid.uuid4(), sent_by=peter, report={}
    )
    copy_photo = keep_copy_photo(copy)

    # Extra: a TACT report (its visitors and the manager only) and a draft (likewise).
    tact, (tact_detainee,) = _visit(
        wymondham, pair, NOW - datetime.timedelta(days=2), [(TACT_NUMBER, "", True)]
    )
    service.record_sign_off(
        actor=vera,
        visit=tact,
        sign_off=service.SignOff(
            departed_at=tact.arrived_at + datetime.timedelta(minutes=90),
            outcome="satisfactory",
            sergeant_name="PS 1234 Hart",
            sergeant_comments=TACT_COMMENT,
            sergeant_confirmed=True,
            confirmed_by=pair,
        ),
    )
    service.submit_visit(actor=vera, visit=tact, notify=True)
    draft, (draft_detainee,) = _visit(
        wymondham, pair, NOW - datetime.timedelta(hours=1), [(DRAFT_NUMBER, "", False)]
    )
    service.record_good_practice(actor=vera, visit=draft, text=DRAFT_PRACTICE)
    draft_issue = service.raise_issue(
        actor=vera, visit=draft, category="conditions", description="Cell 3 is cold."
    )

    # 8. The Suffolk visit of the outsider and Zebedee, with an issue on its detainee.
    other, (other_detainee,) = _visit(
        martlesham, [owen, zebedee], NOW - datetime.timedelta(days=3), [(OTHER_NUMBER, "", False)]
    )
    other_issue = service.raise_issue(
        actor=owen,
        visit=other,
        category="conditions",
        description="Cell 1 mattress torn.",
        custody_number=OTHER_NUMBER,
    )
    sign_off_and_submit(other, [owen, zebedee], notify=True)

    # 3, 9. This quarter's rota, published: two slots whose weeks have passed (they count as
    # planned), one cancelled, and three to come (they do not count yet), one of them with the
    # pair's agreed time and an offer of Peter's place.
    published = rota.open_period(
        actor=maya,
        scheme=norfolk,
        starts_on=datetime.date(2026, 10, 5),
        availability_closes_on=datetime.date(2026, 9, 21),
    )

    def slot(period, place, week, people):
        made = RotaSlot.objects.create(
            period=period, suite=place, week_starts_on=week, time_band=TimeBand.EVENING
        )
        made.visitors.set(people)
        return made

    abigail, ben = persona("abigail.reeve"), persona("ben.catchpole")
    past_slots = [
        slot(published, wymondham, datetime.date(2026, 10, 12), pair),
        slot(published, wymondham, datetime.date(2026, 11, 2), [abigail, ben]),
    ]
    cancelled = slot(published, wymondham, datetime.date(2026, 11, 9), [abigail, ben])
    coming = slot(published, wymondham, datetime.date(2026, 12, 14), pair)
    panel_slot = slot(published, aylsham, datetime.date(2026, 12, 7), [carol, abigail])
    planned = slot(published, wymondham, PLANNED_WEEK, pair)
    RotaPeriod.objects.filter(pk=published.pk).update(status=RotaPeriod.Status.DRAFT)
    published = rota.publish(actor=maya, period=published)
    cancelled, planned = (RotaSlot.objects.get(pk=s.pk) for s in (cancelled, planned))
    rota.end_slot(actor=maya, slot=cancelled, status=RotaSlot.Status.CANCELLED)
    swap = rota.offer(actor=peter, slot=planned, note="Away that week")
    planned.refresh_from_db()
    rota.set_planned_time(actor=vera, slot=planned, when=PLANNED_FOR)

    # 9. A draft re-plan overlapping this quarter, with a slot in a week that has passed: a
    # summary must not count it. 4. The next quarter's rota, still a draft, with one slot.
    replan = RotaPeriod.objects.create(
        scheme=norfolk,
        name="Re-plan of the rest of 2026",
        starts_on=datetime.date(2026, 11, 16),
        ends_on=datetime.date(2026, 12, 27),
        availability_closes_on=datetime.date(2026, 11, 2),
        status=RotaPeriod.Status.DRAFT,
    )
    replan_slot = slot(replan, wymondham, datetime.date(2026, 11, 16), [abigail, ben])
    upcoming = rota.open_period(
        actor=maya,
        scheme=norfolk,
        starts_on=datetime.date(2027, 1, 4),
        availability_closes_on=datetime.date(2026, 11, 23),
    )
    draft_slot = slot(upcoming, wymondham, DRAFT_WEEK, pair)
    RotaPeriod.objects.filter(pk=upcoming.pk).update(status=RotaPeriod.Status.DRAFT)
    upcoming.refresh_from_db()
    world.expected_planned = len(past_slots)

    # Calendar feeds, API tokens.
    feeds = {
        who: rota.feed_for(actor=user, membership=user.memberships.get())
        for who, user in (("visitor", vera), ("partner", peter), ("coordinator", carol))
    }
    feeds["outsider"] = rota.feed_for(actor=owen, membership=owen.memberships.get())
    token_v, _ = tokens.create_token(actor=vera, name="canary phone")
    token_m, _ = tokens.create_token(actor=maya, name="canary laptop")

    # --- What fills the path parameters ---------------------------------------------------------
    visits = {
        "V1-submitted": report,
        "V2-tact": tact,
        "V3-draft": draft,
        "V4-suffolk": other,
    }
    for label, visit in visits.items():
        world.add("visit", uuid=Obj(str(visit.uuid), f"visit:{label}"))
    for label, visit, row in (
        ("V1-submitted", report, detainee),
        ("V2-tact", tact, tact_detainee),
        ("V3-draft", draft, draft_detainee),
        ("V4-suffolk", other, other_detainee),
    ):
        world.add(
            "visit+detainee",
            uuid=Obj(str(visit.uuid), f"visit:{label}"),
            pk=Obj(str(row.pk), f"detainee:{row.custody_number}"),
        )
    world.add(
        "visit+photo",
        uuid=Obj(str(report.uuid), "visit:V1-submitted"),
        pk=Obj(str(photo.pk), "photo:V1"),
    )
    issues = {
        "I1-referred": referred,
        "I2-closed": closed,
        "I3-unreferred": unreferred,
        "I4-draft": draft_issue,
        "I5-suffolk": other_issue,
    }
    for label, issue in issues.items():
        world.add("issue", pk=Obj(str(issue.pk), f"issue:{label}"))
        owner = next(k for k, v in visits.items() if v.pk == issue.visit_id)
        world.add(
            "visit+issue",
            uuid=Obj(str(issue.visit.uuid), f"visit:{owner}"),
            pk=Obj(str(issue.pk), f"issue:{label}"),
        )
    events = list(IssueEvent.objects.filter(issue__in=issues.values()).order_by("pk"))
    for event in events:
        if event.attachment:
            for label, issue in issues.items():
                world.add(
                    "issue+file",
                    pk=Obj(str(issue.pk), f"issue:{label}"),
                    event_pk=Obj(str(event.pk), f"file:{event.kind}"),
                )
    world.add(
        "visit+copy",
        uuid=Obj(str(report.uuid), "visit:V1-submitted"),
        pk=Obj(str(copy.pk), "copy:V1"),
    )
    world.add(
        "visit+copy-photo",
        uuid=Obj(str(report.uuid), "visit:V1-submitted"),
        pk=Obj(str(copy_photo.pk), "copy-photo:V1"),
    )
    # Published figures (issue 20): Norfolk publishes the quarter before this one; this one
    # (where the canaries are) cannot be published yet; Suffolk has published nothing.
    from visits.services import publication

    publication.publish_quarter(actor=maya, scheme=norfolk, period=LAST_QUARTER)
    for slug in ("norfolk", "suffolk"):
        world.add("public-scheme", slug=Obj(slug, f"scheme:{slug}"))
        for key in (LAST_QUARTER, THIS_QUARTER):
            world.add("public-quarter", slug=Obj(slug, f"scheme:{slug}"), period=Obj(key, key))
    for label, place in (("Wymondham", wymondham), ("Martlesham", martlesham)):
        world.add("suite", pk=Obj(str(place.pk), f"suite:{label}"))
        world.add("panel", pk=Obj(str(place.panel_id), f"panel:{label}"))
    # Volunteers: Vera's vetting, and a leaver (through the services, as the manager does).
    from visits.services import volunteers

    volunteers.record_vetting(
        actor=maya,
        membership=vera.memberships.get(),
        vetting=volunteers.Vetting("nppv3", VETTING_REFERENCE, TODAY.replace(year=2025), None),
    )
    leaver = Membership.objects.get(user__username="samuel.greengrass", scheme=norfolk)
    volunteers.record_leaving(actor=maya, membership=leaver, left_on=TODAY, reason=LEAVING_REASON)
    world.add("membership", pk=Obj(str(leaver.pk), "person:Samuel-left"))
    # Training: a record of Vera's with a note, through the service as the manager makes it.
    from visits.models import TrainingModule
    from visits.services import training

    safeguarding = TrainingModule.objects.get(scheme=norfolk, key="safeguarding")
    record = training.record_completion(
        actor=maya,
        membership=vera.memberships.get(),
        module=safeguarding,
        completed_on=TODAY,
        note=TRAINING_NOTE,
    )
    world.add("training-record", pk=Obj(str(record.pk), "training:Vera"))
    world.add("training-module", pk=Obj(str(safeguarding.pk), "module:Norfolk"))
    suffolk_module = TrainingModule.objects.get(scheme__slug="suffolk", key="induction")
    world.add("training-module", pk=Obj(str(suffolk_module.pk), "module:Suffolk"))
    # Recruitment: an application taking up references, through the public form's service.
    from visits.services import recruitment

    application = recruitment.receive_application(
        scheme=norfolk,
        applicant=recruitment.Applicant(
            first_name="Canary",
            last_name="Applicant",
            email="canary.applicant@example.net",
            phone="01603 000000",
            postcode_area="NR2",
            motivation=APPLICANT_MOTIVATION,
            availability="Evenings.",
            declares_adult=True,
            declares_not_police=True,
            declares_not_justice=True,
            consented=True,
        ),
    )
    recruitment.move_status(actor=maya, application=application, to="shortlisted")
    recruitment.record_interview(
        actor=maya, application=application, interviewed_on=TODAY, notes="Interviewed."
    )
    recruitment.move_status(actor=maya, application=application, to="references")
    reference = recruitment.add_reference(
        actor=maya, application=application, referee_name="A Referee", relationship="Employer"
    )
    recruitment.record_reference(
        actor=maya, reference=reference, received_on=TODAY, satisfactory=True, notes=REFEREE_NOTE
    )
    world.add("application", pk=Obj(str(application.pk), "application:canary"))
    world.add(
        "application+reference",
        pk=Obj(str(application.pk), "application:canary"),
        ref=Obj(str(reference.pk), "reference:canary"),
    )
    # The welcome link's page with a link that does not work: it shows nobody's data.
    world.add("welcome-link", uidb64=Obj("MQ", "uid:1"), token=Obj("no-such-token", "token:bad"))
    # Expenses: Vera's claim for a meeting, with a receipt, queried by the manager.
    from decimal import Decimal

    from visits.images import clean_photo
    from visits.services import expenses

    claim = expenses.submit_claim(
        actor=vera,
        details=expenses.ClaimDetails(
            occasion="meeting",
            incurred_on=TODAY,
            description=EXPENSE_NOTE,
            miles=Decimal("12"),
            receipt=clean_photo(png()),
        ),
    )
    world.add("expense", pk=Obj(str(claim.pk), "expense:Vera"))
    # ID cards: Vera holds one (its token planted), Peter's was revoked.
    from visits.models import IdCard
    from visits.services import cards

    for holder in (vera, peter):
        cards.upload_photo(actor=maya, membership=holder.memberships.get(), raw=png())
    vera_card = cards.issue_card(actor=maya, membership=vera.memberships.get())
    IdCard.objects.filter(pk=vera_card.pk).update(token=CARD_TOKEN)
    peter_card = cards.issue_card(actor=maya, membership=peter.memberships.get())
    cards.revoke_card(actor=maya, card=peter_card, reason=CARD_REVOKED_REASON)
    world.add("card-token", token=Obj(CARD_TOKEN, "card:Vera"))
    world.add("card-token", token=Obj("no-such-card-token", "card:unknown"))
    people = {
        "Vera": vera.memberships.get(),
        "Peter": peter.memberships.get(),
        "Owen": owen.memberships.get(),
        "Zebedee": zebedee_membership,
    }
    for label, membership in people.items():
        world.add("membership", pk=Obj(str(membership.pk), f"person:{label}"))
    for who, feed in feeds.items():
        world.add("feed", token=Obj(feed.token, f"feed:{who}"))
        world.add("feed-membership", pk=Obj(str(feed.membership_id), f"feed-of:{who}"))
    for label, token in (("visitor", token_v), ("manager", token_m)):
        world.add("token", pk=Obj(str(token.pk), f"token:{label}"))
    for code, _name in settings.LANGUAGES:  # the scripts' catalogue, one address per language
        world.add("language", lang=Obj(code, f"language:{code}"))
    periods = {"P1-published": published, "P2-draft-replan": replan, "P3-draft-next": upcoming}
    for label, period in periods.items():
        world.add("period", pk=Obj(str(period.pk), f"period:{label}"))
    slots = {
        "S-oct": past_slots[0],
        "S-nov": past_slots[1],
        "S-cancelled": cancelled,
        "S-dec": coming,
        "S-aylsham": panel_slot,
        "S-planned": planned,
        "S-replan": replan_slot,
        "S-draft-week": draft_slot,
    }
    for label, row in slots.items():
        world.add("slot", pk=Obj(str(row.pk), f"slot:{label}"))
    world.add("swap", pk=Obj(str(swap.pk), "offer:S-planned"))
    checklist_ids = set()
    for scheme in (norfolk, suffolk):
        for version in checklists.current_versions(scheme.pk).values():
            if version.pk not in checklist_ids:
                checklist_ids.add(version.pk)
                world.add(
                    "checklist",
                    pk=Obj(str(version.pk), f"checklist:{scheme.slug}-{version.template.kind}"),
                )

    # The admin's rows, by the same names.
    world.register("visit", visits)
    world.register(
        "detainee",
        {r.custody_number: r for r in (detainee, tact_detainee, draft_detainee, other_detainee)},
    )
    world.register("answer", {"kestrel": Answer.objects.get(detainee=detainee, note=ANSWER_NOTE)})
    world.register("photo", {"V1": photo})
    world.register("issue", issues)
    labels = {issue.pk: label for label, issue in issues.items()}
    world.register("event", {f"{labels[e.issue_id]}/{e.kind}#{e.pk}": e for e in events})
    world.register("person", people)
    world.register("user", {"Vera": vera, "Zebedee": zebedee})
    world.register("period", periods)
    world.register("slot", slots)
    world.register("offer", {"S-planned": swap})
    world.register("feed", feeds)
    world.register("token", {"visitor": token_v, "manager": token_m})
    world.register("suite", {"Wymondham": wymondham, "Martlesham": martlesham})
    world.register("panel", {"Wymondham": wymondham.panel, "Martlesham": martlesham.panel})
    world.register("scheme", {"norfolk": norfolk, "suffolk": suffolk})
    world.register(
        "conflict",
        {f"Vera-{c.suite.name}": c for c in Conflict.objects.filter(membership__user=vera)},
    )
    world.register(
        "checklist",
        {f"suffolk-{t.kind}": t for t in ChecklistTemplate.objects.filter(scheme=suffolk)},
    )
    # The e-mails queued by all of the above (sent when the build's transaction commits): one
    # of each kind, on the manager's "E-mails" page and in the admin.
    from visits.models import Email

    emails = {}
    for email in Email.objects.order_by("pk"):
        emails.setdefault(f"{email.kind}:{email.to_address.split('@')[0]}", email)
    first_of_kind = {}
    for label, email in emails.items():
        first_of_kind.setdefault(email.kind, (label, email))
    for label, email in first_of_kind.values():
        world.add("email", pk=Obj(str(email.pk), f"email:{label}"))
    world.register("email", dict(first_of_kind.values()))
    # Norfolk's annual reports: this year's a draft (its figures hold the canary visits; only the
    # manager and the PCC reader may read it), last year's published (anyone may read it).
    from visits.services import annual_reports

    sections = annual_reports.Sections(
        findings="Cells were clean.",
        force_responses="The force answered in time.",
        examples_of_change="More blankets.",
        thanks="Thank you, visitors.",
    )
    for year in (TODAY.year, TODAY.year - 1):
        annual = annual_reports.save_annual_report(
            actor=persona("manager"),
            scheme=norfolk,
            year=year,
            sections=sections,
            expected_revision=0,
        )
        world.add("annual-year", year=Obj(str(year), f"year:{year}"))
        world.add(
            "annual-public",
            slug=Obj(norfolk.slug, "scheme:norfolk"),
            year=Obj(str(year), f"year:{year}"),
        )
    annual_reports.publish_annual_report(
        actor=persona("manager"), scheme=norfolk, year=annual.year, expected_revision=1
    )
    world.ids.update(
        zebedee=zebedee.pk,
        wymondham=wymondham.pk,
        aylsham=aylsham.pk,
        visit_ct=ContentType.objects.get_for_model(type(report)).pk,
        visits=[(label, v.pk) for label, v in visits.items()],
    )


# --- Which objects fill which URL ---------------------------------------------------------------

# "page:" for the app's pages, "api:" for the API; the value is a kind in World.kinds.
KWARGS_BY_NAME = {
    "page:suite-detail": "suite",
    "page:suite-edit": "suite",
    "page:token-revoke": "token",
    "page:js-catalogue": "language",
    "page:email-send-again": "email",
    "page:subject-access": "membership",
    "page:rota-availability": "period",
    "page:rota-period": "period",
    "page:rota-generate": "period",
    "page:rota-publish": "period",
    "page:rota-slot-plan": "slot",
    "page:rota-slot-offer": "slot",
    "page:rota-slot": "slot",
    "page:rota-slot-check": "slot",
    "page:rota-slot-move": "slot",
    "page:rota-slot-status": "slot",
    "page:rota-offer-take": "swap",
    "page:rota-offer-withdraw": "swap",
    "page:rota-feed-renew": "feed-membership",
    "page:calendar-feed": "feed",
    "page:issue-detail": "issue",
    "page:issue-act": "issue",
    "page:issue-file": "issue+file",
    "page:visit-copy-dealt-with": "visit+copy",
    "page:visit-copy-photo": "visit+copy-photo",
    "page:visit-copy-photo-thumb": "visit+copy-photo",
    "page:visit-detainee": "visit+detainee",
    "page:visit-detainee-remove": "visit+detainee",
    "page:visit-photo": "visit+photo",
    "page:visit-photo-thumb": "visit+photo",
    "page:visit-photo-remove": "visit+photo",
    "api:visit-photo-detail": "visit+photo",
    "page:visit-issue-withdraw": "visit+issue",
    "page:visit-issue-restore": "visit+issue",
    "api:suite-detail": "suite",
    "api:panel-detail": "panel",
    "api:person-detail": "membership",
    "page:volunteer-detail": "membership",
    "page:volunteer-vetting": "membership",
    "page:volunteer-appointment": "membership",
    "page:volunteer-leaving": "membership",
    "api:volunteer-record-detail": "membership",
    "page:volunteer-training": "membership",
    "page:volunteer-graduate": "membership",
    "page:training-completion-remove": "training-record",
    "page:training-module-retire": "training-module",
    "api:training-record-detail": "training-record",
    "api:training-module-detail": "training-module",
    "page:expense-edit": "expense",
    "page:expense-withdraw": "expense",
    "page:expense-receipt": "expense",
    "page:expense-approve": "expense",
    "page:expense-query": "expense",
    "api:expense-claim-detail": "expense",
    "page:volunteer-card": "membership",
    "page:volunteer-card-photo-upload": "membership",
    "page:volunteer-card-photo": "membership",
    "page:volunteer-card-issue": "membership",
    "page:volunteer-card-revoke": "membership",
    "page:volunteer-card-pdf": "membership",
    "page:card-check": "card-token",
    "api:id-card-detail": "membership",
    "api:checklist-detail": "checklist",
    "page:annual-report": "annual-year",
    "page:annual-report-edit": "annual-year",
    "page:annual-report-publish": "annual-year",
    "page:annual-report-pdf": "annual-year",
    "page:public-annual-report": "annual-public",
    "page:public-annual-report-pdf": "annual-public",
    "page:publication": "public-scheme",
    "page:public-figures": "public-scheme",
    "page:public-quarter": "public-quarter",
    "page:public-csv": "public-quarter",
    "page:public-json": "public-quarter",
    "page:apply": "public-scheme",
    "page:apply-thanks": "public-scheme",
    "page:application-detail": "application",
    "page:application-act": "application",
    "page:application-interview": "application",
    "page:application-reference-add": "application",
    "page:application-reference": "application+reference",
    "page:set-password": "welcome-link",
    "api:recruitment-application-detail": "application",
}
# A family of URLs whose only parameter is the same object (DRF's detail routes and actions,
# the visit's step pages): (prefix, parameter) -> kind.
KWARGS_BY_PREFIX = {
    ("page:visit-", "uuid"): "visit",
    ("api:visit-", "uuid"): "visit",
    ("api:issue-", "pk"): "issue",
    ("api:rota-period-", "pk"): "period",
    ("api:rota-slot-", "pk"): "slot",
    ("api:rota-swap-", "pk"): "swap",
}
# Admin models with no canary row: their change, history and delete pages are not asked for.
ADMIN_MODELS_WITHOUT_CANARIES = {
    "auth.group",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "visits.checklistversion",
    "visits.checklistsection",
    "visits.question",
    "visits.amendment",
    "visits.availability",
    "visits.auditentry",
    # The task queue's own rows (the immediate backend in tests keeps none): ids, no content.
    "django_tasks_database.dbtaskresult",
}

PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def params_of(path: str) -> set:
    return {a or b for a, b in PARAM.findall(path)}


def fill(path: str, kwargs: dict, shown: bool = False) -> str:
    """The URL of a pattern with its parameters filled (`shown`: with the objects' names)."""

    def one(match):
        obj = kwargs[match.group(1) or match.group(2)]
        return f"<{obj.label}>" if shown else obj.value

    text = PARAM.sub(one, path)
    return "/" + text.replace("^", "").replace("$", "").replace("\\.", ".")


def scope_of(path: str) -> str:
    if path.startswith("api/"):
        return "api"
    if path.startswith("admin/"):
        return "admin"
    return "page"


def kwargs_for(key: str, path: str, world: World) -> list[dict]:
    params = params_of(path)
    if not params:
        return [{}]
    if key.startswith("admin:"):
        return admin_kwargs(key, path, params, world)
    kind = KWARGS_BY_NAME.get(key)
    if kind is None and len(params) == 1:
        (param,) = params
        kind = next(
            (
                k
                for (prefix, p), k in KWARGS_BY_PREFIX.items()
                if key.startswith(prefix) and p == param
            ),
            None,
        )
    assert kind, (
        f"{key} ({path}) has parameters {sorted(params)} but no canary objects: add it to "
        "KWARGS_BY_NAME or KWARGS_BY_PREFIX in tests/canary.py"
    )
    found = world.kinds.get(kind, [])
    assert found, f"{key}: no canary objects of kind {kind!r}"
    for kwargs in found:
        assert set(kwargs) == params, f"{key}: kind {kind!r} fills {set(kwargs)}, not {params}"
    return found


ADMIN_NAME = re.compile(r"^admin:(\w+?)_([a-z0-9]+)_(change|history|delete)$")


def admin_kwargs(key: str, path: str, params: set, world: World) -> list[dict]:
    if params == {"app_label"}:
        labels = re.search(r"\(\?P<app_label>([^)]*)\)", path).group(1).split("|")
        return [{"app_label": Obj(label, label)} for label in labels]
    if params == {"content_type_id", "object_id"}:
        ct = str(world.ids["visit_ct"])
        return [
            {"content_type_id": Obj(ct, "ct:visit"), "object_id": Obj(str(pk), f"visit:{label}")}
            for label, pk in world.ids["visits"]
        ]
    if key == "admin:auth_user_password_change":
        return [{"id": o} for o in world.admin.get(get_user_model(), [])]
    if key.startswith("admin:otp_totp_totpdevice_"):
        assert "otp_totp.totpdevice" in ADMIN_MODELS_WITHOUT_CANARIES
        return []
    match = ADMIN_NAME.match(key)
    assert match and params == {"object_id"}, f"{key}: an admin URL the canary cannot fill"
    model = apps.get_model(match.group(1), match.group(2))
    label = model._meta.label_lower
    rows = world.admin.get(model, [])
    assert rows or label in ADMIN_MODELS_WITHOUT_CANARIES, (
        f"{key}: the admin has {label} but the canary made none; register some in build() or "
        "name the model in ADMIN_MODELS_WITHOUT_CANARIES"
    )
    return [{"object_id": o} for o in rows]


# --- The requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    key: str  # scope:name
    url: str
    where: str  # the URL with objects named, not numbered
    method: str = "GET"
    body: str | None = None


def summary_queries(world: World) -> list[tuple[str, str]]:
    """(query, how it is shown): this quarter, the next, one suite, the coordinator's suite,
    and another scheme's."""
    wy, ay = world.ids["wymondham"], world.ids["aylsham"]
    return [
        ("", ""),
        (f"?period={THIS_QUARTER}", f"?period={THIS_QUARTER}"),
        (f"?period={NEXT_QUARTER}", f"?period={NEXT_QUARTER}"),
        (f"?suite={wy}", "?suite=<suite:Wymondham>"),
        (f"?suite={ay}", "?suite=<suite:Aylsham>"),
        (f"?scheme=suffolk&period={THIS_QUARTER}", f"?scheme=suffolk&period={THIS_QUARTER}"),
    ]


def variants(key: str, world: World) -> list[tuple[str, str]]:
    """(query string, how it is shown) for one URL."""
    if key in SUMMARY_URLS:
        return summary_queries(world)
    if key.startswith("api:") and key not in ("api:api-schema", "api:api-docs"):
        found = [("", ""), ("?format=api", "?format=api")]
        if key.endswith("-list") or key in ("api:api-root", "api:api-me"):
            found.append(("?format=json", "?format=json"))
        return found
    return [("", "")]


def plan(world: World) -> list[Planned]:
    """Every named URL of the URL conf, each parameter filled with every canary object. The
    admin's pages of models without canary rows are noted in world.ids["skipped"]."""
    routes = named_urls()
    planned = []
    world.ids["skipped"] = set()
    for name, path, _pattern in routes:
        scope = scope_of(path)
        key = name if scope == "admin" else f"{scope}:{name}"
        filled = kwargs_for(key, path, world)
        if not filled:
            world.ids["skipped"].add(key)
        for kwargs in filled:
            url, where = fill(path, kwargs), fill(path, kwargs, shown=True)
            for query, shown in variants(key, world):
                planned.append(Planned(key, url + query, where + shown))
    return planned


def probes(world: World) -> list[Planned]:
    """Canary 8's error probes: starting a visit with, and sending a whole report naming, the
    Suffolk visitor as a co-visitor (sent as each Norfolk persona)."""
    zid = world.ids["zebedee"]
    start = {
        "suite": world.ids["wymondham"],
        "co_visitors": [zid],
        "arrived_at": (NOW - datetime.timedelta(hours=1)).isoformat(),
    }
    return [
        Planned("probe:visit-create", "/api/visits/", "/api/visits/", "POST", json.dumps(start)),
        Planned(
            "probe:visit-report",
            f"/api/visits/{uuid.uuid4()}/report/",
            "/api/visits/<new uuid>/report/",
            "PUT",
            "WHOLE_REPORT",
        ),
    ]


def whole_report_naming(who: str, zid: int) -> str:
    user = persona(who)
    report = whole_report(visitor=user, partner=user, co_visitors=[zid])
    report["sign_off"]["confirmed_by"] = [zid]
    return json.dumps(report)


@dataclass
class Fetched:
    who: str
    key: str
    method: str
    where: str
    status: int
    fmt: str
    hits: dict  # canary key (or "summary:<label>") -> the text around what was found
    text: str = ""  # kept for the API's summaries only (the planned count is read from it)
    seconds: float = 0.0
    # Whose view the answer is when not the asker's: a calendar feed's secret address shows its
    # owner's calendar to whoever holds it (calendar apps cannot sign in), so what it shows is
    # judged as the owner's (the pair's agreed time reaches the pair's feeds only).
    shows: str = ""

    @property
    def seen_by(self) -> str:
        return self.shows or self.who


def scan(text: str, fmt: str, key: str = "") -> dict:
    """What of each canary (and, in a summary, of the rota's planning) a text holds."""
    hits = {}
    for canary in CANARIES:
        found = canary.match(text, fmt)
        if found:
            hits[canary.key] = _context(text, found)
    if key in SUMMARY_URLS or key in PUBLIC_FIGURE_URLS:
        for label, pattern in FORCE_SUMMARY_FORBIDDEN:
            found = pattern.search(text)
            if found:
                hits[f"summary:{label}"] = _context(text, found.group(0))
    return hits


def _context(text: str, found: str) -> str:
    at = text.find(found)
    return text[max(0, at - 40) : at + len(found) + 40].replace("\n", " ").strip()


FORMATS = {
    "text/html": "html",
    "application/json": "json",
    "application/manifest+json": "json",
    "application/problem+json": "json",
    "text/csv": "csv",
    "application/pdf": "pdf",
    "text/calendar": "ics",
    "text/javascript": "js",
    "application/javascript": "js",
    "text/plain": "text",
    "application/vnd.oai.openapi": "yaml",
    "application/vnd.oai.openapi+json": "json",
}


@functools.lru_cache(maxsize=512)
def pdf_text(data: bytes) -> str:
    """The text of every page (the same PDF, made at the same frozen moment, is read once)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def as_text(response) -> tuple[str, str, list]:
    """(format, text, problems) of a response: bodies decoded, PDFs' text extracted."""
    problems = []
    if getattr(response, "streaming", False):
        # Joining runs the test client's own close (with the connection kept open); closing
        # again would fire request_finished and close the database connection mid-test.
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    ctype = response.get("Content-Type", "").split(";")[0].strip().lower()
    fmt = FORMATS.get(ctype, ctype or "none")
    if 300 <= response.status_code < 400:
        fmt = "redirect"
    if ctype == "application/pdf" and data:
        try:
            return fmt, pdf_text(data), problems
        except Exception as error:  # a PDF we cannot read could hide anything
            problems.append(f"unreadable PDF ({error})")
            return fmt, data.decode("latin-1"), problems
    if ctype.startswith("image/"):
        return fmt, "", problems
    return fmt, data.decode("utf-8", errors="replace"), problems


def searchable(text: str) -> str:
    """The text as written, HTML entities and %-escapes undone, white space made single."""
    forms = dict.fromkeys([text, html.unescape(text), unquote(text)])
    return "\n".join(re.sub(r"\s+", " ", form) for form in forms)


def fetch(planned: list[Planned], world: World) -> tuple[list[Fetched], list[str]]:
    """Each planned request as every persona (the probes as the Norfolk ones), rolled back."""
    import sys
    import time
    import traceback

    from django.core.signals import got_request_exception

    client = Client(raise_request_exception=False)
    found, problems, errors = [], [], []

    def keep(sender, request=None, **kwargs):
        kind, error, tb = sys.exc_info()
        if error is not None:
            where = traceback.extract_tb(tb)[-1]
            errors.append(f"{kind.__name__}: {error} ({where.filename}:{where.lineno})")

    got_request_exception.connect(keep)
    logging.disable(logging.WARNING)  # the 404s and 405s, by the thousand
    try:
        for who in WHO:
            client.logout()
            cache.clear()
            if who != "anonymous":
                client.force_login(persona(who))
            plain = {}  # url -> (status, format) as this persona got it without ?format=
            for item in planned:
                if item.key.startswith("probe:") and who not in NORFOLK_PERSONAS:
                    continue
                if item.url.endswith("?format=api"):
                    # The browsable API only where the JSON had something to show.
                    status, fmt = plain.get(item.url.removesuffix("?format=api"), (0, ""))
                    if fmt != "json" or status in (401, 404, 405):
                        continue
                body = item.body
                if body == "WHOLE_REPORT":
                    body = whole_report_naming(who, world.ids["zebedee"])
                errors.clear()
                started = time.perf_counter()
                with transaction.atomic():
                    if item.method == "GET":
                        response = client.get(item.url)
                    else:
                        response = client.generic(
                            item.method, item.url, body, content_type="application/json"
                        )
                    fmt, text, trouble = as_text(response)
                    transaction.set_rollback(True)
                elapsed = time.perf_counter() - started
                plain[item.url] = (response.status_code, fmt)
                where = f"{item.method} {item.where}"
                problems += [f"{who}: {t} from {where}" for t in trouble]
                if response.status_code >= 500:
                    problems.append(
                        f"{who}: {response.status_code} from {where}: {'; '.join(errors)}"
                    )
                text = searchable(text)
                found.append(
                    Fetched(
                        who,
                        item.key,
                        item.method,
                        where,
                        response.status_code,
                        fmt,
                        scan(text, fmt, item.key),
                        text if item.key == "api:api-summary" else "",
                        elapsed,
                        feed_owner(item),
                    )
                )
    finally:
        logging.disable(logging.NOTSET)
        got_request_exception.disconnect(keep)
        client.logout()
    return found, problems


def feed_owner(item: Planned) -> str:
    found = re.search(r"feed:(\w+)", item.where) if item.key == "page:calendar-feed" else None
    return found.group(1) if found else ""


def mail_text(message) -> str:
    parts = [message.subject, message.body]
    for content, _mimetype in getattr(message, "alternatives", []):
        parts.append(str(content))
    for attachment in message.attachments:
        if isinstance(attachment, tuple):
            name, content, mimetype = attachment
        else:
            name, content, mimetype = attachment.get_filename(), attachment.get_payload(), ""
        if isinstance(content, str):
            content = content.encode()
        if (mimetype or "").startswith("application/pdf") or str(name).endswith(".pdf"):
            parts.append(pdf_text(content))
        else:
            parts.append(content.decode("utf-8", errors="replace"))
    return searchable("\n".join(parts))


def collect_mails(world: World) -> None:
    addresses = {persona(p).email: p for p in PERSONAS}
    for message in mail.outbox:
        to = [*message.to, *message.cc, *message.bcc]
        who = sorted({addresses[a] for a in to if a in addresses})
        world.mails.append((who, to, message.subject, scan(mail_text(message), "mail")))


# --- The run ------------------------------------------------------------------------------------


@dataclass
class Corpus:
    world: World
    fetched: list
    problems: list  # 5xx, unreadable PDFs, setup
    planned_keys: set
    skipped_keys: set  # the admin's pages of models the canary has no rows of
    count: int


def collect(media_root) -> Corpus:
    """Build, fetch, and roll everything back."""
    import time_machine
    from django.conf import settings

    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"anon": "100000/minute", "user": "100000/minute"}
    world = World()
    with (
        time_machine.travel(NOW, tick=False),
        override_settings(
            ICV_TWO_FACTOR_REQUIRED=False, MEDIA_ROOT=str(media_root), REST_FRAMEWORK=rest
        ),
        transaction.atomic(),
    ):
        mail.outbox = []
        with TestCase.captureOnCommitCallbacks(execute=True):
            build(world)
        collect_mails(world)
        planned = plan(world)
        fetched, problems = fetch([*planned, *probes(world)], world)
        transaction.set_rollback(True)
    mail.outbox = []
    return Corpus(
        world=world,
        fetched=fetched,
        problems=world.setup_problems + problems,
        planned_keys={p.key for p in planned},
        skipped_keys=world.ids["skipped"],
        count=len(fetched),
    )


# --- What it finds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    canary: str  # a canary's key, or "FORCE SUMMARY", "VISITS PLANNED", "RUN"
    text: str


def analyse(corpus: Corpus) -> list[Finding]:
    findings = [Finding("RUN", p) for p in corpus.problems]
    for canary in CANARIES:
        seen = dict.fromkeys(WHO, 0)
        for f in corpus.fetched:
            if canary.key not in f.hits:
                continue
            seen[f.seen_by] += 1
            if f.seen_by not in canary.allowed:
                findings.append(
                    Finding(
                        canary.key,
                        f"{f.seen_by} sees {canary.key} in {f.where} ({f.fmt}, {f.status}): "
                        f"“…{f.hits[canary.key]}…”",
                    )
                )
        for who in sorted(canary.allowed):
            if not seen[who]:
                findings.append(
                    Finding(
                        canary.key,
                        f"{who} may see {canary.key} ({canary.what}) but it is in none of "
                        f"their responses",
                    )
                )
        for who, _to, subject, hits in corpus.world.mails:
            for someone in who:
                if canary.key in hits and someone not in canary.allowed:
                    findings.append(
                        Finding(
                            canary.key,
                            f"{someone} gets {canary.key} in the e-mail “{subject}”: "
                            f"“…{hits[canary.key]}…”",
                        )
                    )
    findings += force_summary_findings(corpus)
    findings += planned_count_findings(corpus)
    return findings


def force_summary_findings(corpus: Corpus) -> list[Finding]:
    findings, answered = [], set()
    for f in corpus.fetched:
        if f.who != "force" or f.key not in SUMMARY_URLS | PUBLIC_FIGURE_URLS:
            continue
        if f.status == 200:
            answered.add(f.fmt)
        for hit, context in f.hits.items():
            if hit.startswith("summary:"):
                findings.append(
                    Finding(
                        "FORCE SUMMARY",
                        f"force sees “{hit.removeprefix('summary:')}” in {f.where} "
                        f"({f.fmt}, {f.status}): “…{context}…”",
                    )
                )
    for fmt in ("html", "csv", "pdf", "json"):
        if fmt not in answered:
            findings.append(Finding("FORCE SUMMARY", f"force got no {fmt} summary to check"))
    return findings


def planned_count_findings(corpus: Corpus) -> list[Finding]:
    """As the manager, this quarter's visits_planned counts only published slots (not
    cancelled) whose week has begun."""
    wanted = f"GET /api/summaries/?period={THIS_QUARTER}"
    answers = [
        f for f in corpus.fetched if f.who == "manager" and f.where == wanted and f.fmt == "json"
    ]
    if not answers or answers[0].status != 200:
        return [Finding("VISITS PLANNED", f"manager: no JSON answer from {wanted}")]
    figures = json.loads(answers[0].text.split("\n")[0])["current"]
    expected = corpus.world.expected_planned
    if figures.get("visits_planned") != expected:
        return [
            Finding(
                "VISITS PLANNED",
                f"manager: {wanted} says visits_planned {figures.get('visits_planned')}, "
                f"expected {expected} (published slots, not cancelled, of weeks begun by "
                f"{TODAY}; not the draft re-plan's slot of 16 Nov, not the weeks of 7, 14 and "
                "28 December)",
            )
        ]
    return []
