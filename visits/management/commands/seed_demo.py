"""Demo data: Norfolk and Suffolk schemes, the bilingual Dyfed-Powys scheme, their suites and
fictional people.

Idempotent: running it again updates the same rows (found by natural keys) and
resets the demo passwords. Every person here is fictional.
"""

import datetime
import io

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image

from visits.demo import rota as demo_rota
from visits.demo import visits as demo_visits
from visits.models import (
    Conflict,
    CustodySuite,
    ExpenseClaim,
    Membership,
    Panel,
    Role,
    Scheme,
    VisitorStatus,
)
from visits.services import checklists, rota, training

User = get_user_model()

NORFOLK_SUITES = [
    # name, address, cells
    ("Aylsham", "Aylsham Police Investigation Centre, Norwich Road, Aylsham NR11 6JN", 8),
    ("Wymondham", "Wymondham Police Investigation Centre, Gateway 11 Business Park, Wymondham", 24),
    ("King's Lynn", "King's Lynn Police Investigation Centre, Saddlebow, King's Lynn", 24),
    (
        "Great Yarmouth",
        "Great Yarmouth Police Investigation Centre, Thamesfield Way, Gorleston",
        24,
    ),
]
SUFFOLK_SUITES = [
    ("Martlesham", "Martlesham Police Investigation Centre, Martlesham Heath, Ipswich", 30),
    ("Bury St Edmunds", "Bury St Edmunds Police Investigation Centre, Bury St Edmunds", 24),
]

# A small bilingual Welsh scheme (issue 21, the Welsh Language Standards): suites and panel with
# their Welsh names, the default checklists in both languages, and a visitor who reads Welsh.
DYFED_POWYS_SUITES = [
    # name, Welsh name, address, cells
    ("Llanelli", "Llanelli", "Llanelli Police Station, Waun Lanyrafon, Llanelli SA15 3AE", 12),
    ("Aberystwyth", "Aberystwyth", "Aberystwyth Police Station, Boulevard St Brieuc, SY23 1PH", 10),
    ("Haverfordwest", "Hwlffordd", "Haverfordwest Police Station, Merlins Hill, SA61 1PF", 12),
    ("Newtown", "Y Drenewydd", "Newtown Police Station, Park Street, Newtown SY16 1EF", 8),
]
# username, first name, last name, role, language ("" = the browser's)
DYFED_POWYS_PEOPLE = [
    ("dyfed.manager", "Rhiannon", "Price", Role.MANAGER, ""),
    ("ymwelydd", "Dafydd", "Rees", Role.VISITOR, "cy"),
    ("dyfed.visitor", "Ffion", "Evans", Role.VISITOR, ""),
]

# username, first name, last name, scheme slug, role, status, panel (suite name)
DEMO_ACCOUNTS = [
    ("visitor", "Vera", "Holt", "norfolk", Role.VISITOR, VisitorStatus.ACTIVE, "Wymondham"),
    ("partner", "Peter", "Shaw", "norfolk", Role.VISITOR, VisitorStatus.ACTIVE, "Wymondham"),
    ("coordinator", "Carol", "Fenn", "norfolk", Role.COORDINATOR, VisitorStatus.ACTIVE, "Aylsham"),
    ("manager", "Maya", "Brook", "norfolk", Role.MANAGER, VisitorStatus.ACTIVE, None),
    ("pcc", "Paul", "Carver", "norfolk", Role.PCC, VisitorStatus.ACTIVE, None),
    ("force", "Frances", "Dale", "norfolk", Role.FORCE, VisitorStatus.ACTIVE, None),
    ("outsider", "Owen", "Marsh", "suffolk", Role.VISITOR, VisitorStatus.ACTIVE, "Martlesham"),
]

# 21 more fictional Norfolk volunteers, with the demo visitors, partner and coordinator: 24.
NORFOLK_VOLUNTEERS = [
    ("Abigail", "Reeve", VisitorStatus.ACTIVE),
    ("Ben", "Catchpole", VisitorStatus.ACTIVE),
    ("Chloe", "Gotts", VisitorStatus.TRAINEE),
    ("Daniel", "Howes", VisitorStatus.ACTIVE),
    ("Esther", "Larwood", VisitorStatus.ACTIVE),
    ("Farhan", "Qureshi", VisitorStatus.ACTIVE),
    ("Grace", "Bunn", VisitorStatus.TRAINEE),
    ("Harold", "Thrower", VisitorStatus.ACTIVE),
    ("Imogen", "Pegg", VisitorStatus.ACTIVE),
    ("Jacob", "Ringer", VisitorStatus.PAUSED),
    ("Kavita", "Sharma", VisitorStatus.ACTIVE),
    ("Liam", "Woodhouse", VisitorStatus.ACTIVE),
    ("Margaret", "Yaxley", VisitorStatus.ACTIVE),
    ("Nathan", "Bloomfield", VisitorStatus.TRAINEE),
    ("Olivia", "Kerrison", VisitorStatus.ACTIVE),
    ("Patrick", "Mulley", VisitorStatus.ACTIVE),
    ("Rosa", "Adeyemi", VisitorStatus.ACTIVE),
    ("Samuel", "Greengrass", VisitorStatus.ACTIVE),
    ("Tessa", "Nobbs", VisitorStatus.TRAINEE),
    ("Usha", "Patel", VisitorStatus.ACTIVE),
    ("Walter", "Clarke", VisitorStatus.LEFT),
]

SUFFOLK_PEOPLE = [
    ("suffolk.manager", "Sian", "Threadgold", Role.MANAGER),
    ("suffolk.force", "Gareth", "Pipe", Role.FORCE),
    ("suffolk.visitor1", "Helen", "Kemp", Role.VISITOR),
    ("suffolk.visitor2", "Ian", "Frost", Role.VISITOR),
]


class Command(BaseCommand):
    help = (
        "Load fictional demo data (Norfolk and Suffolk schemes, bilingual Dyfed-Powys). "
        "Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even though DEBUG is off (not in production!)"
        )
        parser.add_argument(
            "--without-history",
            action="store_true",
            help="Only schemes, suites, people and checklists: no past visits (for tests).",
        )

    def handle(self, *args, force: bool = False, without_history: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo writes fictional people and known passwords. It runs only with "
                "ICV_DEBUG=true, or with --force if you really mean it."
            )
        with transaction.atomic():
            self.seed(history=not without_history)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in as:"))
        for username, first, last, slug, role, _status, _panel in DEMO_ACCOUNTS:
            label = Role(role).label
            self.stdout.write(f"  {username:<12} {first} {last}, {label} ({slug.title()})")
        for username, first, last, role, language in DYFED_POWYS_PEOPLE:
            label = Role(role).label
            reads = ", in Welsh" if language == "cy" else ""
            self.stdout.write(f"  {username:<12} {first} {last}, {label} (Dyfed-Powys{reads})")
        self.stdout.write(f"Password for every demo account: {settings.DEMO_PASSWORD}")

    def seed(self, history: bool) -> None:
        norfolk = self.scheme(
            "norfolk",
            "Norfolk Independent Custody Visiting Scheme",
            "Norfolk Constabulary",
            pattern=r"^(AY|WY|KL|GY)-\d{5}-\d{2}$",
            example="WY-01234-26",
        )
        suffolk = self.scheme(
            "suffolk",
            "Suffolk Independent Custody Visiting Scheme",
            "Suffolk Constabulary",
            pattern=r"^(MH|BSE)/\d{4,6}/\d{2}$",
            example="MH/12345/26",
        )
        suites = {**self.suites(norfolk, NORFOLK_SUITES), **self.suites(suffolk, SUFFOLK_SUITES)}
        for scheme in (norfolk, suffolk):
            checklists.install_defaults(scheme=scheme)

        for username, first, last, slug, role, status, panel in DEMO_ACCOUNTS:
            scheme = norfolk if slug == "norfolk" else suffolk
            user = self.user(username, first, last, is_staff=role == Role.MANAGER)
            membership = self.membership(
                user, scheme, role, status, suites[panel].panel if panel else None, years=4
            )
            if role == Role.FORCE:
                membership.suites.set([s for s in suites.values() if s.scheme_id == scheme.pk])

        norfolk_panels = [suites[name].panel for name, _a, _c in NORFOLK_SUITES]
        for index, (first, last, status) in enumerate(NORFOLK_VOLUNTEERS):
            username = f"{first}.{last}".lower()
            user = self.user(username, first, last)
            years = 0 if status == VisitorStatus.TRAINEE else 1 + index % 8
            self.membership(user, norfolk, Role.VISITOR, status, norfolk_panels[index % 4], years)

        for username, first, last, role in SUFFOLK_PEOPLE:
            user = self.user(username, first, last, is_staff=role == Role.MANAGER)
            membership = self.membership(
                user, suffolk, role, VisitorStatus.ACTIVE, suites["Martlesham"].panel, years=3
            )
            if role == Role.FORCE:
                membership.suites.set([suites["Martlesham"], suites["Bury St Edmunds"]])

        dyfed_powys = self.dyfed_powys()

        self.conflicts(norfolk, suites)
        self.vetting_and_appointments()
        self.training(norfolk, suffolk, dyfed_powys)
        if history:
            self.history(norfolk, suites)
        # After the year of visits: lapses and leaving are what happened lately.
        self.lapses_and_leavers(norfolk)
        self.applications(norfolk)
        if history:
            self.id_cards(norfolk)

    def history(self, norfolk, suites) -> None:
        manager = User.objects.get(username="manager")
        periods = demo_rota.make_rotas(norfolk, manager, timezone.localdate())
        made = demo_visits.make_year(norfolk)
        rota.mark_missed(timezone.localdate())
        if periods:
            self.stdout.write(f"Made {periods} Norfolk rota periods: last, this and next quarter.")
        demo_visits.make_draft_in_progress(
            norfolk,
            User.objects.get(username="visitor"),
            User.objects.get(username="partner"),
            suites["Wymondham"],
        )
        if made:
            demo_visits.progress_issues(
                norfolk, User.objects.get(username="manager"), User.objects.get(username="force")
            )
            self.stdout.write(f"Made {made} past Norfolk visits, their issues in every state.")
            self.expense_claims(norfolk)

    def expense_claims(self, norfolk) -> None:
        """Expense claims at every status (issue 22), through the services as a volunteer and
        the manager would make them; once (a second run finds them)."""
        from decimal import Decimal

        from visits.images import clean_photo
        from visits.services import expenses

        if ExpenseClaim.objects.filter(membership__scheme=norfolk).exists():
            return
        manager = User.objects.get(username="manager")
        today = timezone.localdate()

        def claim(username, miles, visit=True, **more):
            person = User.objects.get(username=username)
            details = expenses.ClaimDetails(occasion="meeting", miles=Decimal(miles), **more)
            if visit:
                recent = expenses.claimable_visits(person).first()
                if recent is None:
                    return None
                details.occasion, details.visit_id = "visit", recent.pk
            return expenses.submit_claim(actor=person, details=details)

        receipt = io.BytesIO()
        Image.new("RGB", (240, 320), "white").save(receipt, format="PNG")
        claim(
            "visitor",
            "23.4",
            other_pence=450,
            other_description="Car park",
            receipt=clean_photo(receipt.getvalue()),
        )
        queried = claim("partner", "31.0")
        resubmitted = claim("visitor", "18.2")
        approved = claim("partner", "27.5")
        paid = claim(
            "coordinator",
            "14.0",
            visit=False,
            incurred_on=today - datetime.timedelta(days=40),
            description="Quarterly panel meeting",
        )
        withdrawn = claim(
            "visitor",
            "6.0",
            visit=False,
            incurred_on=today - datetime.timedelta(days=20),
            description="Refresher training",
        )
        if queried:
            expenses.query_claim(
                actor=manager, claim=queried, question="Was that there and back, from home?"
            )
        if resubmitted:
            expenses.query_claim(actor=manager, claim=resubmitted, question="Which suite?")
            resubmitted.refresh_from_db()
            expenses.edit_claim(
                actor=resubmitted.membership.user,
                claim=resubmitted,
                details=expenses.ClaimDetails(
                    occasion="visit", visit_id=resubmitted.visit_id, miles=Decimal("19.2")
                ),
            )
        if approved:
            expenses.approve_claim(actor=manager, claim=approved)
        expenses.approve_claim(actor=manager, claim=paid)
        expenses.mark_paid(actor=manager, claims=[paid], paid_on=today - datetime.timedelta(days=7))
        expenses.withdraw_claim(actor=withdrawn.membership.user, claim=withdrawn)
        made = ExpenseClaim.objects.filter(membership__scheme=norfolk).count()
        self.stdout.write(f"Made {made} Norfolk expense claims, at every status.")

    def vetting_and_appointments(self) -> None:
        """Every visiting member vetted and appointed, for a term that covers the demo's year
        of visits and lasts beyond the next quarter (none is flagged: see lapses_and_leavers)."""
        today = datetime.date.today()
        visiting = Membership.objects.filter(role__in=[Role.VISITOR, Role.COORDINATOR])
        for index, m in enumerate(visiting.order_by("pk")):
            granted = today - datetime.timedelta(days=400 + index * 53 % 300)
            m.vetting_level = "nppv2" if index % 3 else "nppv3"
            m.vetting_reference = f"NV-{2023 + index % 3}-{4100 + index * 37}"
            m.vetting_granted_on = granted
            # Beyond any rota the demo or the tests plan (a year ahead at most).
            m.vetting_expires_on = granted + datetime.timedelta(days=5 * 365)
            m.appointment_ends_on = today + datetime.timedelta(days=400 + index * 41 % 900)
            m.appointment_renewed_on = None
            m.save()

    def dyfed_powys(self) -> Scheme:
        """The bilingual scheme: Welsh names for the scheme, its panel and suites; the default
        checklists with their Welsh; its manager and two visitors, `ymwelydd` reading Welsh."""
        from visits.services import languages

        scheme = self.scheme(
            "dyfed-powys",
            "Dyfed-Powys Independent Custody Visiting Scheme",
            "Dyfed-Powys Police",
            pattern=r"^[A-Z0-9][A-Z0-9/\-]{3,23}$",
            example="DP/12345/26",
        )
        scheme.name_cy = "Cynllun Ymweld Annibynnol â'r Ddalfa Dyfed-Powys"
        scheme.bilingual = True
        scheme.save(update_fields=["name_cy", "bilingual"])
        panel, _ = Panel.objects.update_or_create(
            scheme=scheme, name="West Wales", defaults={"name_cy": "Gorllewin Cymru"}
        )
        for name, name_cy, address, cells in DYFED_POWYS_SUITES:
            CustodySuite.objects.update_or_create(
                scheme=scheme,
                name=name,
                defaults={
                    "name_cy": name_cy,
                    "address": address,
                    "cells": cells,
                    "panel": panel,
                    "active": True,
                },
            )
        checklists.install_defaults(scheme=scheme)
        for username, first, last, role, language in DYFED_POWYS_PEOPLE:
            user = self.user(username, first, last, is_staff=role == Role.MANAGER)
            self.membership(user, scheme, role, VisitorStatus.ACTIVE, panel, years=2)
            languages.choose_language(actor=user, language=language)
        return scheme

    def training(self, norfolk, suffolk, dyfed_powys) -> None:
        """The standard modules, and records made as the manager makes them: experienced
        visitors trained (TACT too, but for Harold, so the rule shows), Liam's refresher due
        within the month, Chloe a trainee ready to graduate (her mentored visits were made
        before the app), Grace a trainee still to do safeguarding."""
        today = datetime.date.today()
        for scheme in (norfolk, suffolk, dyfed_powys):
            training.install_default_modules(scheme=scheme)
            manager = Membership.objects.filter(scheme=scheme, role=Role.MANAGER).first().user
            modules = {m.key: m for m in scheme.training_modules.active()}
            visiting = Membership.objects.filter(
                scheme=scheme, role__in=[Role.VISITOR, Role.COORDINATOR]
            ).select_related("user")
            for index, m in enumerate(visiting.order_by("pk")):
                done = {"induction": m.appointed_on or today - datetime.timedelta(days=400)}
                if m.status != VisitorStatus.TRAINEE:
                    done["safeguarding"] = today - datetime.timedelta(days=100 + index * 29 % 700)
                    done["refresher"] = today - datetime.timedelta(days=30 + index * 17 % 300)
                    if m.user.username != "harold.thrower":
                        done["tact"] = today - datetime.timedelta(days=200 + index * 31 % 800)
                if m.user.username == "liam.woodhouse":
                    done["refresher"] = today - datetime.timedelta(days=350)
                if m.user.username == "chloe.gotts":
                    done["safeguarding"] = today - datetime.timedelta(days=20)
                    m.visits_before_app = scheme.trainee_mentored_visits
                    m.save(update_fields=["visits_before_app"])
                for key, on in done.items():
                    if not m.training_completions.filter(module=modules[key]).exists():
                        training.record_completion(
                            actor=manager, membership=m, module=modules[key], completed_on=on
                        )

    def lapses_and_leavers(self, norfolk) -> None:
        """The volunteers page's flags: vetting and an appointment expiring soon, a vetting
        lapsed (Jacob, paused meanwhile: he cannot be rostered or visit until it is renewed),
        and a leaver. The lapse is a paused visitor's so the rota's pool stays the demo's."""
        today = datetime.date.today()
        changes = {
            "liam.woodhouse": {"vetting_expires_on": today + datetime.timedelta(days=45)},
            "olivia.kerrison": {"appointment_ends_on": today + datetime.timedelta(days=10)},
            "jacob.ringer": {"vetting_expires_on": today - datetime.timedelta(days=12)},
            "walter.clarke": {
                "left_on": today - datetime.timedelta(days=150),
                "leaving_reason": "Moved away from Norfolk",
                "status": VisitorStatus.LEFT,
            },
        }
        for username, fields in changes.items():
            Membership.objects.filter(user__username=username, scheme=norfolk).update(**fields)

    def applications(self, norfolk) -> None:
        """Applications to Norfolk at every stage (issue 22), rows only: no e-mail, no audit.
        The accepted one is Tessa Nobbs's, who is a trainee; the rest belong to nobody."""
        from visits.models import Application, ApplicationStatus, Reference

        S = ApplicationStatus
        now = timezone.now()
        Application.objects.filter(scheme=norfolk, email__endswith="@example.org").delete()
        rows = [
            ("Aisha", "Begum", S.RECEIVED, 2, 0),
            ("Tom", "Larwood", S.RECEIVED, 6, 0),
            ("Ruth", "Ellery", S.SHORTLISTED, 20, 0),
            ("Marcus", "Oduya", S.INTERVIEWED, 35, 0),
            ("Ellen", "Thirtle", S.REFERENCES, 50, 1),
            ("Priya", "Nair", S.OFFERED, 70, 2),
            ("Tessa", "Nobbs", S.ACCEPTED, 150, 2),
            ("Hugh", "Spratt", S.DECLINED, 120, 2),
            ("Dora", "Mace", S.WITHDRAWN, 80, 0),
            ("Kevin", "Blyth", S.REJECTED, 60, 0),
            # Closed 14 months ago: the next retention run deletes it.
            ("Ivy", "Colk", S.REJECTED, 430, 0),
        ]
        order = list(S.values)
        for first, last, status, days_ago, received_refs in rows:
            received = now - datetime.timedelta(days=days_ago)
            reached = order.index(status)
            interviewed = status not in (S.RECEIVED, S.SHORTLISTED, S.WITHDRAWN, S.REJECTED)
            closed = status in (S.ACCEPTED, S.DECLINED, S.WITHDRAWN, S.REJECTED)
            changed = received + datetime.timedelta(days=min(days_ago - 1, 10 + reached * 5))
            username = f"{first}.{last}".lower()
            membership = None
            if status == S.ACCEPTED:
                membership = Membership.objects.filter(
                    user__username=username, scheme=norfolk
                ).first()
            application = Application.objects.create(
                scheme=norfolk,
                status=status,
                first_name=first,
                last_name=last,
                email=f"{username}@example.org",
                phone="01603 " + str(400000 + days_ago * 37),
                postcode_area=("NR2", "NR14", "PE30", "NR30", "IP22")[days_ago % 5],
                motivation=(
                    "I want to help make sure people held in custody are treated fairly, "
                    "and I have evenings and some weekends free."
                ),
                availability="Weekday evenings, and one weekend day a month.",
                declares_adult=True,
                declares_not_police=True,
                declares_not_justice=True,
                consented_at=received,
                received_at=received,
                status_changed_at=changed,
                closed_at=changed if closed else None,
                interviewed_on=(received + datetime.timedelta(days=10)).date()
                if interviewed
                else None,
                interview_notes="Thoughtful answers on confidentiality and on working in pairs."
                if interviewed
                else "",
                offered_at=changed if status in (S.OFFERED, S.ACCEPTED, S.DECLINED) else None,
                user=membership.user if membership else None,
                membership=membership,
            )
            for n in range(2 if received_refs or status == S.REFERENCES else 0):
                back = n < received_refs
                Reference.objects.create(
                    application=application,
                    referee_name=("Jane Cutting", "Rev. Alan Pell")[n],
                    relationship=("Employer", "Known for ten years")[n],
                    received_on=(received + datetime.timedelta(days=20)).date() if back else None,
                    satisfactory=True if back else None,
                )

    def id_cards(self, norfolk) -> None:
        """ID cards (issue 22), made through the services: Vera, Carol and a few more hold one
        (with a drawn placeholder photo), Peter's was reissued (his first revoked as replaced),
        Harold's was revoked as lost, and Liam has a photo but no card yet."""
        from visits.models import IdCard
        from visits.services import cards

        if IdCard.objects.filter(membership__scheme=norfolk).exists():
            return  # seeded before: a second run adds no second set of cards
        manager = User.objects.get(username="manager")
        for username in (
            "visitor",
            "partner",
            "coordinator",
            "harold.thrower",
            "kavita.sharma",
            "liam.woodhouse",
        ):
            membership = Membership.objects.select_related("user", "scheme").get(
                user__username=username, scheme=norfolk
            )
            cards.upload_photo(
                actor=manager, membership=membership, raw=placeholder_photo(membership.user)
            )
            if username == "liam.woodhouse":
                continue
            cards.issue_card(actor=manager, membership=membership)
            if username == "partner":
                cards.reissue_card(actor=manager, membership=membership)
            if username == "harold.thrower":
                card = membership.id_cards.get()
                cards.revoke_card(actor=manager, card=card, reason="Reported lost")
        self.stdout.write("Made ID cards for five Norfolk visitors, one reissued, one revoked.")

    def conflicts(self, norfolk, suites) -> None:
        # Conflicts: a visitor whose brother-in-law is a detention officer at King's Lynn, etc.
        for username, suite, reason in [
            ("visitor", "King's Lynn", "Relative works as a detention officer there"),
            ("harold.thrower", "Great Yarmouth", "Former custody sergeant at this suite"),
            ("kavita.sharma", "Aylsham", "Neighbour is a custody inspector there"),
        ]:
            membership = Membership.objects.get(user__username=username, scheme=norfolk)
            Conflict.objects.update_or_create(
                membership=membership, suite=suites[suite], defaults={"reason": reason}
            )

    def scheme(self, slug, name, force_name, pattern, example) -> Scheme:
        scheme, _ = Scheme.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "force_name": force_name,
                "custody_number_pattern": pattern,
                "custody_number_example": example,
            },
        )
        return scheme

    def suites(self, scheme, rows) -> dict[str, CustodySuite]:
        result = {}
        for name, address, cells in rows:
            panel, _ = Panel.objects.get_or_create(scheme=scheme, name=name)
            suite, _ = CustodySuite.objects.update_or_create(
                scheme=scheme,
                name=name,
                defaults={"address": address, "cells": cells, "panel": panel, "active": True},
            )
            result[name] = suite
        return result

    def user(self, username, first, last, is_staff=False):
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                "is_staff": is_staff,
                "is_active": True,
            },
        )
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
        return user

    def membership(self, user, scheme, role, status, panel, years) -> Membership:
        today = datetime.date.today()
        appointed = today - datetime.timedelta(days=365 * years + 40 + years * 9)
        membership, _ = Membership.objects.update_or_create(
            user=user,
            scheme=scheme,
            role=role,
            defaults={
                "status": status,
                "panel": panel if role in (Role.VISITOR, Role.COORDINATOR) else None,
                "appointed_on": appointed if role in (Role.VISITOR, Role.COORDINATOR) else None,
                "visits_before_app": 0 if status == VisitorStatus.TRAINEE else years * 14,
            },
        )
        return membership


def placeholder_photo(user) -> bytes:
    """A drawn head-and-shoulders in the person's own colours, with their initials: the demo's
    stand-in for a real photo (no real face in the demo)."""
    import io
    import zlib

    from PIL import Image, ImageDraw

    hue = zlib.crc32(user.username.encode()) % 360
    image = Image.new("HSV", (600, 800), (hue * 255 // 360, 40, 225)).convert("RGB")
    draw = ImageDraw.Draw(image)
    skin = [(241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36)][hue % 4]
    draw.ellipse((180, 150, 420, 450), fill=skin)
    draw.rounded_rectangle((90, 470, 510, 900), radius=120, fill=(45, 55, 80))
    initials = (user.first_name[:1] + user.last_name[:1]).upper() or "?"
    draw.text((300, 700), initials, fill="white", anchor="mm", font_size=120)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()
