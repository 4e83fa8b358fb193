import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .checklists import ChecklistVersion, Question
from .schemes import CustodySuite, Scheme

# --- The words of a report, defined once ----------------------------------------------------
# Every door reads these: the step-by-step forms (visits.forms), the services, the API's
# serializers, the visit read model, the summaries, the PDF, and the record page's JavaScript
# (given them by the page in a JSON script tag, never a copy).

# Why people in custody were not visited, in the words the pages and the figures show
# (lower case: each place capitalises as it needs). The Visit's nv_* counts are these.
NOT_VISITED_LABELS = {
    "nv_asleep": _("asleep"),
    "nv_in_interview": _("in interview"),
    "nv_with_professional": _("with a solicitor, appropriate adult or health professional"),
    "nv_at_hospital": _("at hospital"),
    "nv_in_shower_or_medical": _("in the shower or medical room"),
    "nv_unsafe": _("unsafe to visit"),
    "nv_access_denied": _("access denied by an Inspector"),
    "nv_known_to_visitor": _("known to a visitor"),
    "nv_released": _("released or transferred during the visit"),
}
# As a heading or a figure's name shows them: "Asleep" (str.capitalize, as it always has been:
# "Access denied by an inspector"), in the reader's language.
NOT_VISITED_TITLES = {
    name: lazy(lambda label: str(label).capitalize(), str)(label)
    for name, label in NOT_VISITED_LABELS.items()
}

# A visit report's words, defined once: the read model (page, PDF, API), the forms, the
# services' rules and the phone's differences all take them from here.
# The figures at the time of the visit (the Visit's counts of these names), in the order the
# pages ask them and the report lists them; the not-visited counts follow (NOT_VISITED_LABELS).
NUMBER_LABELS = {
    "in_custody": _("In custody at the time of the visit"),
    "adults": _("Adults"),
    "under_18": _("Under 18"),
    "male": _("Male"),
    "female": _("Female"),
    "held_pace": _("Held under PACE"),
    "held_immigration": _("Held under immigration powers"),
    "held_tact": _("Held under the Terrorism Act"),
    "held_other": _("Held for another reason"),
    "offered": _("Offered a visit"),
    "visited": _("Visited (spoken to)"),
    "observed_only": _("Observed only"),
    "declined": _("Declined"),
}
# Every field of a report by the name a reader sees (an amendment's history, a phone's
# differences): the figures, the not-visited reasons, and the rest of the record.
REPORT_FIELD_LABELS = {
    **NUMBER_LABELS,
    **NOT_VISITED_TITLES,
    "arrived_at": _("Time arrived"),
    "admitted_at": _("Time let in"),
    "departed_at": _("Time left"),
    "delay_minutes": _("Minutes kept waiting"),
    "delay_reason": _("Reason given for the delay"),
    "delay_authorised_by": _("Officer who authorised the delay"),
    "nv_access_denied_reason": _("Reason the Inspector gave for denying access"),
    "outcome": _("Outcome"),
    "abandoned_reason": _("Why the visit was abandoned"),
    "sergeant_name": _("Custody sergeant"),
    "sergeant_comments": _("Sergeant's comments"),
    "good_practice": _("Good practice seen"),
}


@dataclass(frozen=True)
class DetaineeFlag:
    """A yes-or-no fact recorded of a detainee: a DetaineeRecord field of the same name."""

    name: str
    label: str  # as the recording pages ask it
    reported: str  # as a report (page and PDF) states it
    # Children and vulnerable adults are seen first, and asked about first (ICV-DOMAIN.md):
    # a vulnerability flag gathers their most telling questions at the top of the checklist.
    vulnerability: bool = False
    # The short tag the list of a visit's detainees shows beside one with this flag ("" none);
    # a vulnerability's tag is marked urgent.
    tag: str = ""


# In the order the pages ask them and the report lists them: vulnerabilities first.
DETAINEE_FLAGS = (
    DetaineeFlag("under_18", _("Under 18"), _("Under 18"), vulnerability=True, tag=_("Under 18")),
    DetaineeFlag(
        "vulnerable",
        _("Vulnerable adult"),
        _("Vulnerable"),
        vulnerability=True,
        tag=_("Vulnerable"),
    ),
    DetaineeFlag(
        "mental_health_concern",
        _("Mental health concern"),
        _("Mental health concern"),
        vulnerability=True,
    ),
    DetaineeFlag(
        "appropriate_adult_needed",
        _("Appropriate adult needed"),
        _("Appropriate adult needed"),
        vulnerability=True,
    ),
    DetaineeFlag(
        "appropriate_adult_present",
        _("Appropriate adult present"),
        _("Appropriate adult present"),
        vulnerability=True,
    ),
    DetaineeFlag(
        "consent_to_record_check",
        _("Consents to us checking their custody record"),
        _("Consented to a custody record check"),
    ),
    DetaineeFlag("interpreter_needed", _("Interpreter needed"), _("Interpreter needed")),
    DetaineeFlag("interpreter_used", _("Interpreter used"), _("Interpreter used")),
    DetaineeFlag(
        "tact",
        _("Held under the Terrorism Act (TACT)"),
        _("Held under the Terrorism Act"),
        tag=_("TACT"),
    ),
)
DETAINEE_FLAG_NAMES = tuple(flag.name for flag in DETAINEE_FLAGS)
TAGGED_DETAINEE_FLAGS = tuple(flag for flag in DETAINEE_FLAGS if flag.tag)


class VisitQuerySet(models.QuerySet):
    def drafts(self):
        return self.filter(status=Visit.Status.DRAFT)

    def submitted(self):
        return self.filter(status=Visit.Status.SUBMITTED)

    def for_report(self):
        """What a report page needs alongside the visit, fetched with it (and whether a
        second record from the partner's phone is kept beside it, without a query of its own)."""
        copies = VisitCopy.objects.filter(visit=models.OuterRef("pk"))
        # Whether it has photos or amendments, so a report without them costs no query for them.
        photos = Attachment.objects.filter(visit=models.OuterRef("pk"))
        amended = Amendment.objects.filter(visit=models.OuterRef("pk"))
        return (
            self.select_related("suite", "scheme")
            .annotate(
                has_copies=models.Exists(copies),
                has_photos=models.Exists(photos),
                has_amendments=models.Exists(amended),
            )
            .prefetch_related(
                models.Prefetch(
                    "visit_visitors",
                    queryset=VisitVisitor.objects.select_related("user").order_by("pk"),
                )
            )
        )


class Visit(Model):
    """One unannounced visit to a custody suite by a pair (or more) of visitors."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    class Outcome(models.TextChoices):
        SATISFACTORY = "satisfactory", _("Satisfactory")
        UNSATISFACTORY = "unsatisfactory", _("Unsatisfactory")
        ABANDONED = "abandoned", _("Abandoned")

    # Made by the client (the phone), so a repeated submission finds the visit already stored.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="visits")
    suite = models.ForeignKey(CustodySuite, on_delete=models.PROTECT, related_name="visits")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Bumped on every change; a client sending an older one gets a conflict, not an overwrite.
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="VisitVisitor", related_name="visits"
    )
    detainee_checklist = models.ForeignKey(
        ChecklistVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    suite_checklist = models.ForeignKey(
        ChecklistVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Times
    visit_date = models.DateField()
    arrived_at = models.DateTimeField()
    admitted_at = models.DateTimeField(null=True, blank=True)
    departed_at = models.DateTimeField(null=True, blank=True)
    delay_minutes = models.PositiveSmallIntegerField(default=0)
    delay_reason = models.CharField(max_length=300, blank=True)
    delay_authorised_by = models.CharField(
        max_length=120, blank=True, help_text=_("Rank and name of the Inspector who authorised it.")
    )

    # Numbers at the time of the visit (NUMBER_LABELS)
    in_custody = models.PositiveSmallIntegerField(NUMBER_LABELS["in_custody"], default=0)
    adults = models.PositiveSmallIntegerField(NUMBER_LABELS["adults"], default=0)
    under_18 = models.PositiveSmallIntegerField(NUMBER_LABELS["under_18"], default=0)
    male = models.PositiveSmallIntegerField(NUMBER_LABELS["male"], default=0)
    female = models.PositiveSmallIntegerField(NUMBER_LABELS["female"], default=0)
    held_pace = models.PositiveSmallIntegerField(NUMBER_LABELS["held_pace"], default=0)
    held_immigration = models.PositiveSmallIntegerField(
        NUMBER_LABELS["held_immigration"], default=0
    )
    held_tact = models.PositiveSmallIntegerField(NUMBER_LABELS["held_tact"], default=0)
    held_other = models.PositiveSmallIntegerField(NUMBER_LABELS["held_other"], default=0)
    offered = models.PositiveSmallIntegerField(NUMBER_LABELS["offered"], default=0)
    visited = models.PositiveSmallIntegerField(NUMBER_LABELS["visited"], default=0)
    observed_only = models.PositiveSmallIntegerField(NUMBER_LABELS["observed_only"], default=0)
    declined = models.PositiveSmallIntegerField(NUMBER_LABELS["declined"], default=0)
    # Not visited, by reason (NOT_VISITED_LABELS)
    nv_asleep = models.PositiveSmallIntegerField(NOT_VISITED_LABELS["nv_asleep"], default=0)
    nv_in_interview = models.PositiveSmallIntegerField(
        NOT_VISITED_LABELS["nv_in_interview"], default=0
    )
    nv_with_professional = models.PositiveSmallIntegerField(
        NOT_VISITED_LABELS["nv_with_professional"], default=0
    )
    nv_at_hospital = models.PositiveSmallIntegerField(
        NOT_VISITED_LABELS["nv_at_hospital"], default=0
    )
    nv_in_shower_or_medical = models.PositiveSmallIntegerField(
        NOT_VISITED_LABELS["nv_in_shower_or_medical"], default=0
    )
    nv_unsafe = models.PositiveSmallIntegerField(NOT_VISITED_LABELS["nv_unsafe"], default=0)
    nv_access_denied = models.PositiveSmallIntegerField(
        NOT_VISITED_LABELS["nv_access_denied"], default=0
    )
    nv_access_denied_reason = models.CharField(max_length=300, blank=True)
    nv_known_to_visitor = models.PositiveSmallIntegerField(
        NOT_VISITED_LABELS["nv_known_to_visitor"], default=0
    )
    nv_released = models.PositiveSmallIntegerField(NOT_VISITED_LABELS["nv_released"], default=0)

    # Outcome and sign-off
    outcome = models.CharField(max_length=15, choices=Outcome.choices, blank=True)
    abandoned_reason = models.CharField(max_length=300, blank=True)
    good_practice = models.TextField(blank=True)
    involves_tact = models.BooleanField(
        default=False,
        help_text=_("A Terrorism Act detainee was seen: only the manager may read it."),
    )
    sergeant_name = models.CharField(max_length=120, blank=True)
    sergeant_comments = models.TextField(blank=True)
    sergeant_signature = models.ImageField(upload_to="signatures/%Y/", blank=True)
    # Set when the sergeant signs, by drawing (signature above) or, without a drawing, by
    # confirming on the phone that they have read the report.
    sergeant_signed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rota_slot = models.OneToOneField(
        "visits.RotaSlot", on_delete=models.SET_NULL, null=True, blank=True, related_name="visit"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()

    NOT_VISITED_FIELDS = tuple(NOT_VISITED_LABELS)
    # What the visitors record of a visit, in the report's order: the read model hands these
    # out (visit_read_model.VisitFacts) and the API serves them (api.serializers).
    RECORDED_FIELDS = (
        "visit_date",
        "arrived_at",
        "admitted_at",
        "departed_at",
        "delay_minutes",
        "delay_reason",
        "delay_authorised_by",
        *NUMBER_LABELS,
        *NOT_VISITED_LABELS,
        "nv_access_denied_reason",
        "outcome",
        "abandoned_reason",
        "good_practice",
        "involves_tact",
        "sergeant_name",
        "sergeant_comments",
    )

    class Meta:
        ordering = ["-visit_date", "-arrived_at"]
        indexes = [
            models.Index(fields=["scheme", "status", "visit_date"]),
            models.Index(fields=["suite", "visit_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.suite} on {self.visit_date:%d %b %Y}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def not_visited(self) -> int:
        return sum(getattr(self, name) for name in self.NOT_VISITED_FIELDS)

    def has_visitor(self, user) -> bool:
        """Whether `user` is on this visit (uses prefetched visit_visitors when there are)."""
        return any(vv.user_id == user.pk for vv in self.visit_visitors.all())


class VisitVisitor(Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="visit_visitors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visit_roles"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visit", "user"], name="visitor_once_per_visit")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.visit}"


class DetaineeRecord(Model):
    """A detainee seen on a visit, known only by custody record number; never by name."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")
        OTHER = "other", _("Other or not said")

    class Consent(models.TextChoices):
        # As the numbers step counts them: visited (spoken to), declined, observed only.
        AGREED = "agreed", _("Agreed to speak to the visitors")
        DECLINED = "declined", _("Declined to speak to the visitors")
        OBSERVED_ONLY = "observed_only", _("Could not be asked (observed only)")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="detainees")
    custody_number = models.CharField(max_length=40)
    order = models.PositiveSmallIntegerField(default=0)
    # Whether they agreed to speak to the visitors. A detainee who declined has no checklist.
    consent = models.CharField(max_length=15, choices=Consent.choices, default=Consent.AGREED)
    # The DETAINEE_FLAGS, each a field of its name.
    consent_to_record_check = models.BooleanField(default=False)
    under_18 = models.BooleanField(default=False)
    vulnerable = models.BooleanField(default=False)
    appropriate_adult_needed = models.BooleanField(default=False)
    appropriate_adult_present = models.BooleanField(default=False)
    interpreter_needed = models.BooleanField(default=False)
    interpreter_used = models.BooleanField(default=False)
    mental_health_concern = models.BooleanField(default=False)
    tact = models.BooleanField(default=False)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    ethnicity = models.CharField(max_length=60, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["visit", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "custody_number"], name="custody_number_once_per_visit"
            )
        ]

    def __str__(self) -> str:
        return self.custody_number


class Answer(Model):
    """An answer to one checklist question: for a detainee, or (detainee empty) for the suite."""

    class YesNo(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        NOT_APPLICABLE = "na", _("Not applicable")
        NOT_ASKED = "not_asked", _("Not asked")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="answers")
    detainee = models.ForeignKey(
        DetaineeRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "detainee", "question"], name="one_answer_per_question"
            ),
            models.UniqueConstraint(
                fields=["visit", "question"],
                condition=models.Q(detainee__isnull=True),
                name="one_suite_answer_per_question",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.value}"


class Attachment(Model):
    """A photo of suite conditions (never of people), re-encoded and stripped of metadata."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="attachments")
    image = models.ImageField(upload_to="photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="photos/%Y/%m/thumbs/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    caption = models.CharField(max_length=200, blank=True)
    # The id the phone or API client made for the photo: sending it again finds this one.
    client_uuid = models.UUIDField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "client_uuid"], name="photo_client_uuid_once_per_visit"
            )
        ]

    def __str__(self) -> str:
        return self.caption or f"Photo {self.pk}"


class Amendment(Model):
    """A change to a submitted report: who, when, why, and each value's before and after.

    `changes` maps a path to [before, after]: a field of the report (`delay_minutes`; times in
    ISO 8601), `suite_answers.<question id>.value|note`,
    `detainees.<detainee id>.answers.<question id>.value|note` or
    `detainees.<detainee id>.custody_number`. Readers get them through
    visits.visit_read_model, which hides the detainees' parts from those who may not see them."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="amendments")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    changes = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The report's revision this amendment made.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Amendment by {self.actor} on {self.created_at:%d %b %Y}"


class VisitCopy(Model):
    """A second report of the same visit, sent from the other visitor's phone after the first.

    Both visitors of a pair may record the visit offline; whichever arrives second is kept whole
    beside the first as a proposed amendment, with where the two differ, so that neither's
    input is lost and neither silently overwrites the other."""

    class Status(models.TextChoices):
        OPEN = "open", _("To look at")
        DEALT_WITH = "dealt_with", _("Dealt with")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="copies")
    # The phone's UUID for its report: sending it again finds this copy.
    client_uuid = models.UUIDField(unique=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    report = models.JSONField(help_text=_("The report as the phone sent it."))
    differences = models.JSONField(default=list, help_text=_("[label, in the report, in the copy]"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    dealt_with_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Copy of {self.visit} from {self.sent_by}"


class CopyPhoto(Model):
    """A photo that came with a second record of a visit (VisitCopy): kept with the copy, not on
    the report, until the visitors and the manager settle the copy. Re-encoded and stripped of
    metadata like any photo (visits.images.clean_photo)."""

    copy = models.ForeignKey(VisitCopy, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="photos/%Y/%m/copies/")
    thumbnail = models.ImageField(upload_to="photos/%Y/%m/copies/thumbs/")
    caption = models.CharField(max_length=200, blank=True)
    client_uuid = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.caption or f"Photo {self.pk} of {self.copy}"
