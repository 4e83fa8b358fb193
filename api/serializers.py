"""Shapes and types only: validated data goes to the services in visits/, which hold the rules."""

import base64
import binascii
from collections.abc import Mapping

from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from visits import permissions, rules
from visits.models import (
    DETAINEE_FLAG_NAMES,
    ChecklistVersion,
    CustodySuite,
    DetaineeRecord,
    Issue,
    IssueCategory,
    IssueEvent,
    Membership,
    Panel,
    Question,
    RotaPeriod,
    RotaSlot,
    SwapRequest,
    TimeBand,
    Visit,
)
from visits.rules import AMENDABLE, AMENDABLE_FIELDS, CHOICE, COUNT, MOMENT, NUMBER_FIELDS
from visits.services import amendments, phone_reports
from visits.services import visits as visit_service

# --- Bounds -------------------------------------------------------------------------------------
# Nothing a client sends reaches a query or the services unbounded. Every id is a positive
# number within its column: this project's rows have 64-bit keys (visit_service.MAX_ID), Django's
# users 32-bit ones. A larger number names nothing and is refused as not valid before any query
# (SQLite cannot even compare it). Dates run from rules.EARLIEST_DATE to rules.LATEST_DATE, lists
# are as long as a real report's, and the request itself is bounded in size and nesting
# (api/exceptions.py, docs/api.md "Limits").
USER_ID_MAX = 2**31 - 1
REVISION_MAX = 2**31 - 1  # revisions are PositiveIntegerField
MAX_VISITORS = 10  # on one visit: a pair, sometimes three
MAX_DETAINEES = 200  # seen on one visit
MAX_ANSWERS = 500  # one checklist's questions
MAX_ISSUES = 100  # raised on one visit
MAX_WEEKS = 53  # weeks in a rota period (a quarter has 13 or 14)
SIGNATURE_MAX = 1_400_000  # a 1 MB PNG as a data URL (visits.images.clean_signature)
MAX_REPORT_PHOTOS = 10  # sent with a whole report from a phone
REPORT_PHOTO_MAX = 5 * 1024 * 1024  # each, decoded: a phone's JPEG, already made smaller
REPORT_PHOTO_BASE64_MAX = 4 * ((REPORT_PHOTO_MAX + 2) // 3)


def row_id(**kwargs) -> serializers.IntegerField:
    """The id of one of this project's rows (a suite, question, checklist, slot...)."""
    return serializers.IntegerField(min_value=1, max_value=visit_service.MAX_ID, **kwargs)


def user_id(**kwargs) -> serializers.IntegerField:
    """The id of a person (Django's user table)."""
    return serializers.IntegerField(min_value=1, max_value=USER_ID_MAX, **kwargs)


class BoundedDateField(serializers.DateField):
    """A date from rules.EARLIEST_DATE to rules.LATEST_DATE."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        problem = rules.date_out_of_range(day)
        if problem:
            raise serializers.ValidationError(problem, code="date_out_of_range")
        return day


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time whose day (in the scheme's time zone) is from rules.EARLIEST_DATE to
    rules.LATEST_DATE. One beyond the calendar's ends is refused by DRF itself ("overflow")."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)  # aware, in the current time zone
        problem = rules.date_out_of_range(moment.date())
        if problem:
            raise serializers.ValidationError(problem, code="date_out_of_range")
        return moment


class SuiteSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    panel = serializers.StringRelatedField()

    class Meta:
        model = CustodySuite
        fields = [
            "id",
            "scheme",
            "name",
            "name_cy",
            "address",
            "cells",
            "active",
            "visits_per_week",
            "panel",
        ]


class MembershipSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Membership
        fields = ["scheme", "role", "status"]


class QuestionSerializer(serializers.ModelSerializer):
    """A question with both its texts: English (`text`, `section`, `help_text`, `choices`) and
    Welsh (`*_cy`, blank where the scheme wrote none; `choices_cy` in the order of `choices`).
    An answer to a choice is always sent as the English option."""

    section = serializers.CharField(source="section.title")
    section_cy = serializers.CharField(source="section.title_cy")

    class Meta:
        model = Question
        fields = [
            "id",
            "key",
            "section",
            "section_cy",
            "text",
            "text_cy",
            "help_text",
            "help_text_cy",
            "answer_type",
            "choices",
            "choices_cy",
            "no_suggests_issue",
            "issue_category",
        ]


class ChecklistVersionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="template.kind")
    questions = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistVersion
        fields = ["id", "kind", "number", "status", "published_at", "questions"]

    def get_questions(self, version) -> list[dict]:
        questions = Question.objects.filter(section__version=version).select_related("section")
        return QuestionSerializer(questions.order_by("section__order", "order"), many=True).data


class AnswerSerializer(serializers.Serializer):
    question = row_id()
    value = serializers.CharField(allow_blank=True, max_length=200)
    note = serializers.CharField(allow_blank=True, max_length=2000, default="")


def answers_dict(answers: list[dict]) -> dict[int, tuple[str, str]]:
    return {a["question"]: (a["value"], a.get("note", "")) for a in answers}


class AnswerOutSerializer(serializers.Serializer):
    """An answer as the report gives it (visits.visit_read_model.GivenAnswer)."""

    question = serializers.IntegerField()
    value = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class DetaineeSerializer(serializers.ModelSerializer):
    answers = AnswerSerializer(
        many=True, required=False, default=list, write_only=True, max_length=MAX_ANSWERS
    )

    class Meta:
        model = DetaineeRecord
        fields = [
            "id",
            "custody_number",
            *DETAINEE_FLAG_NAMES,
            "gender",
            "consent",
            "answers",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"custody_number": {"validators": []}}


class DetaineeOutSerializer(serializers.Serializer):
    """A detainee as the report gives it to a reader who may see them (visits.visit_read_model)."""

    id = serializers.IntegerField(source="pk")
    custody_number = serializers.CharField()
    # Then each of the DETAINEE_FLAGS (get_fields).
    gender = serializers.ChoiceField(
        choices=DetaineeRecord.Gender.choices, allow_blank=True, source="details.gender"
    )
    consent = serializers.ChoiceField(
        choices=DetaineeRecord.Consent.choices,
        source="details.consent",
        help_text=_(
            "Whether they agreed to speak to the visitors; one who declined has no answers."
        ),
    )
    answers = AnswerOutSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        flags = {
            name: serializers.BooleanField(source=f"details.{name}") for name in DETAINEE_FLAG_NAMES
        }
        # In the order a detainee is written: the custody number, the flags, then the rest.
        return {**dict(list(fields.items())[:2]), **flags, **dict(list(fields.items())[2:])}


class IssueInSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=IssueCategory.choices)
    severity = serializers.ChoiceField(choices=Issue.Severity.choices, default="routine")
    description = serializers.CharField(max_length=4000)
    custody_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=visit_service.CUSTODY_NUMBER_MAX
    )
    resolved_on_visit = serializers.BooleanField(default=False)
    recheck_next_visit = serializers.BooleanField(default=False)
    question_id = row_id(required=False, allow_null=True, default=None)
    names_checked = serializers.BooleanField(
        default=False,
        help_text=_(
            "The writer has checked that the description names no one; without it a "
            "description that may name someone is refused (400 `may_name_someone`)."
        ),
    )


class RecheckInSerializer(serializers.Serializer):
    issue = row_id(help_text=_("An issue awaiting a re-check at the visit's suite."))
    fixed = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True, max_length=2000, default="")


class VisitStartSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(
        required=False,
        help_text=_("Made by the client; resending it returns the visit already stored."),
    )
    suite = row_id()
    co_visitors = serializers.ListField(
        child=user_id(),
        allow_empty=True,
        max_length=MAX_VISITORS,
        help_text=_("User ids of the other visitors."),
    )
    arrived_at = BoundedDateTimeField()


def revision_read() -> serializers.IntegerField:
    """The `revision` a change names: the one the client read, so that it cannot overwrite a
    change it has not seen (see visits.services.revisions)."""
    return serializers.IntegerField(
        min_value=1,
        max_value=REVISION_MAX,
        help_text=_("The revision you last read; 409 `stale_revision` if it has changed since."),
    )


class RevisionMixin(serializers.Serializer):
    revision = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=REVISION_MAX,
        help_text=_("The revision you last read; 409 if stale."),
    )


class AdmissionSerializer(RevisionMixin):
    admitted_at = BoundedDateTimeField()
    delay_minutes = serializers.IntegerField(min_value=0, max_value=1440, default=0)
    delay_reason = serializers.CharField(allow_blank=True, max_length=300, default="")
    delay_authorised_by = serializers.CharField(allow_blank=True, max_length=120, default="")


class NumbersSerializer(RevisionMixin):
    nv_access_denied_reason = serializers.CharField(allow_blank=True, max_length=300, default="")

    def get_fields(self):
        fields = super().get_fields()
        for name in NUMBER_FIELDS:
            fields[name] = serializers.IntegerField(min_value=0, max_value=999, default=0)
        return fields


class SuiteAnswersSerializer(RevisionMixin):
    answers = AnswerSerializer(many=True, max_length=MAX_ANSWERS)


class SignOffSerializer(RevisionMixin):
    departed_at = BoundedDateTimeField()
    outcome = serializers.ChoiceField(choices=Visit.Outcome.choices)
    abandoned_reason = serializers.CharField(allow_blank=True, max_length=300, default="")
    sergeant_name = serializers.CharField(allow_blank=True, max_length=120, default="")
    sergeant_comments = serializers.CharField(allow_blank=True, max_length=4000, default="")
    signature = serializers.CharField(
        allow_blank=True,
        default="",
        max_length=SIGNATURE_MAX,
        help_text=_("A PNG data URL of the drawn signature."),
    )
    sergeant_confirmed = serializers.BooleanField(default=False)
    confirmed_by = serializers.ListField(
        child=user_id(),
        default=list,
        max_length=MAX_VISITORS,
        help_text=_("User ids of the visitors who confirm."),
    )


class PhotoSerializer(serializers.Serializer):
    """A photo of the suite's conditions as the reader may see it
    (visits.visit_read_model.VisiblePhoto). The images are served to a signed-in browser
    session at `url` and `thumbnail_url`."""

    id = serializers.IntegerField(source="pk")
    client_id = serializers.UUIDField(
        source="client_uuid", allow_null=True, help_text=_("The id its client made for it, if any.")
    )
    number = serializers.IntegerField(help_text=_("1, 2, ... in the order added."))
    caption = serializers.CharField(allow_blank=True)
    alt = serializers.CharField(help_text=_("The caption, or a description when there is none."))
    url = serializers.CharField()
    thumbnail_url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    added_at = serializers.DateTimeField(source="taken_at")
    added_by = serializers.CharField(source="taken_by")


class PhotoUploadSerializer(serializers.Serializer):
    """A photo of the suite's conditions (never of people), sent as multipart/form-data."""

    image = serializers.FileField(help_text=_("A JPEG, PNG or WebP photo, up to 10 MB."))
    caption = serializers.CharField(allow_blank=True, max_length=200, default="")
    id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("An id you make for the photo: sending it again returns the stored one (200)."),
    )


class ReportPhotoSerializer(serializers.Serializer):
    """A photo sent inside a whole report, its bytes in base64."""

    id = serializers.UUIDField(help_text=_("The id the phone made for the photo."))
    caption = serializers.CharField(allow_blank=True, max_length=200, default="")
    image = serializers.CharField(
        max_length=REPORT_PHOTO_BASE64_MAX,
        trim_whitespace=False,
        help_text=_(
            "The JPEG or PNG file's bytes in base64 (no data: prefix), at most 5 MB decoded."
        ),
    )

    def validate_image(self, value: str) -> bytes:
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(
                gettext("This photo is not base64: send the file's bytes in base64.")
            ) from None
        if len(data) > REPORT_PHOTO_MAX:
            raise serializers.ValidationError(gettext("This photo is over 5 MB."))
        return data


class WholeReportSerializer(serializers.Serializer):
    """A whole visit from a phone's outbox: the step serializers' shapes, under one roof."""

    suite = row_id()
    co_visitors = serializers.ListField(
        child=user_id(), max_length=MAX_VISITORS, help_text=_("User ids of the other visitors.")
    )
    arrived_at = BoundedDateTimeField()
    detainee_checklist = row_id(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The checklist version the detainees were asked against (current if null)."),
    )
    suite_checklist = row_id(required=False, allow_null=True, default=None)
    admission = AdmissionSerializer(
        required=False, allow_null=True, default=None, help_text=_("Null if never let in.")
    )
    numbers = NumbersSerializer(required=False, default=dict)
    detainees = DetaineeSerializer(
        many=True, required=False, default=list, max_length=MAX_DETAINEES
    )
    suite_answers = AnswerSerializer(
        many=True, required=False, default=list, max_length=MAX_ANSWERS
    )
    issues = IssueInSerializer(many=True, required=False, default=list, max_length=MAX_ISSUES)
    rechecks = RecheckInSerializer(many=True, required=False, default=list, max_length=MAX_ISSUES)
    good_practice = serializers.CharField(allow_blank=True, max_length=4000, default="")
    good_practice_names_checked = serializers.BooleanField(
        default=False, help_text=_("As `names_checked` of an issue, for `good_practice`.")
    )
    photos = ReportPhotoSerializer(
        many=True,
        required=False,
        default=list,
        max_length=MAX_REPORT_PHOTOS,
        help_text=_("Photos of the suite's conditions, stored with the report (once)."),
    )
    sign_off = SignOffSerializer()


class GoodPracticeSerializer(serializers.Serializer):
    good_practice = serializers.CharField(allow_blank=True, max_length=4000)
    names_checked = serializers.BooleanField(
        default=False,
        help_text=_(
            "The writer has checked that the text names no one (else 400 "
            "`may_name_someone` if it may)."
        ),
    )


class _KnownKeysOnly(serializers.Serializer):
    """Refuses keys it does not know (400, by name), so a misspelt change is never ignored."""

    def unknown_message(self) -> str:
        return gettext("There is no such field here: check its name.")

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                message = self.unknown_message()
                raise serializers.ValidationError({key: [message] for key in unknown})
        return super().to_internal_value(data)


class AmendedFieldsSerializer(_KnownKeysOnly):
    """The report's own fields an amendment may change, each optional and typed and bounded as
    its step takes it (visits.rules.AMENDABLE)."""

    def unknown_message(self) -> str:
        return gettext("This cannot be amended.")

    def get_fields(self):
        fields = super().get_fields()
        for name, spec in AMENDABLE.items():
            if spec.kind == MOMENT:
                field = BoundedDateTimeField(required=False, allow_null=spec.nullable)
            elif spec.kind == COUNT:
                field = serializers.IntegerField(
                    required=False, min_value=0, max_value=spec.maximum
                )
            elif spec.kind == CHOICE:
                field = serializers.ChoiceField(required=False, choices=Visit.Outcome.choices)
            else:
                field = serializers.CharField(
                    required=False, allow_blank=True, max_length=spec.maximum
                )
            fields[name] = field
        return fields


class AnswerAmendmentSerializer(_KnownKeysOnly):
    """A new answer to a question of the report's checklists; `value` or `note` left out keeps
    what is recorded, both blank takes the answer off."""

    detainee = row_id(
        allow_null=True,
        default=None,
        help_text=_("The detainee's id on this report; null for the suite checks."),
    )
    question = row_id()
    value = serializers.CharField(
        required=False, allow_blank=True, max_length=amendments.ANSWER_VALUE_MAX
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=amendments.ANSWER_NOTE_MAX
    )


class CustodyNumberAmendmentSerializer(_KnownKeysOnly):
    detainee = row_id()
    custody_number = serializers.CharField(max_length=visit_service.CUSTODY_NUMBER_MAX)


class AmendmentSerializer(_KnownKeysOnly):
    """A correction to a submitted report, with its reason and the revision it was read at.
    Every change is checked by the rules of the step that records it (400 naming the path, as
    `changes.delay_minutes` or `answers.0.value`); nothing is changed unless all are right."""

    reason = serializers.CharField(max_length=amendments.REASON_MAX)
    revision = revision_read()
    changes = AmendedFieldsSerializer(
        required=False,
        help_text=format_lazy(
            "{} {}",
            _("The report's own fields to change, each to its new value. Amendable:"),
            ", ".join(AMENDABLE_FIELDS),
        ),
    )
    answers = AnswerAmendmentSerializer(
        many=True,
        required=False,
        max_length=MAX_ANSWERS,
        help_text=_("New answers: [{detainee: id or null, question: id, value, note}]."),
    )
    custody_numbers = CustodyNumberAmendmentSerializer(
        many=True,
        required=False,
        max_length=MAX_DETAINEES,
        help_text=_("Corrected custody record numbers: [{detainee: id, custody_number}]."),
    )
    names_checked = serializers.BooleanField(
        default=False,
        help_text=_(
            "The writer has checked that the amended good practice names no one "
            "(400 `may_name_someone` otherwise, if it looks as if it does)."
        ),
    )


class IssueEventSerializer(serializers.Serializer):
    """A step of an issue the reader may read (visits.visible_issues.VisibleEvent)."""

    kind = serializers.ChoiceField(choices=IssueEvent.Kind.choices)
    actor = serializers.CharField(source="actor_name")
    text = serializers.CharField(allow_blank=True)
    has_attachment = serializers.BooleanField()
    shared_with_force = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class IssueSerializer(serializers.Serializer):
    """An issue as the reader may read it (visits.visible_issues.VisibleIssue)."""

    id = serializers.IntegerField()
    suite = serializers.IntegerField()
    suite_name = serializers.CharField()
    visit = serializers.UUIDField(allow_null=True)
    category = serializers.ChoiceField(choices=IssueCategory.choices)
    severity = serializers.ChoiceField(choices=Issue.Severity.choices)
    status = serializers.ChoiceField(choices=Issue.Status.choices)
    escalation_level = serializers.ChoiceField(
        choices=Issue.EscalationLevel.choices, allow_blank=True
    )
    description = serializers.CharField()
    custody_number = serializers.CharField(
        allow_blank=True, help_text=_('"(hidden)" for a reader who may not see it.')
    )
    recheck_next_visit = serializers.BooleanField()
    revision = serializers.IntegerField()
    referred_at = serializers.DateTimeField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class IssueDetailSerializer(IssueSerializer):
    events = IssueEventSerializer(many=True)


class VisitSerializer(serializers.ModelSerializer):
    """A visit's facts (visits.visit_read_model.VisitFacts): what every reader of the visit
    may see."""

    suite = serializers.IntegerField(source="suite_id", read_only=True)
    # Blank until the visitors sign off: say so in the schema.
    outcome = serializers.ChoiceField(
        choices=Visit.Outcome.choices, allow_blank=True, read_only=True
    )
    suite_name = serializers.CharField(source="suite.name", read_only=True)
    detainee_checklist = serializers.IntegerField(
        source="detainee_checklist_id", read_only=True, allow_null=True
    )
    suite_checklist = serializers.IntegerField(
        source="suite_checklist_id", read_only=True, allow_null=True
    )
    visitors = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "uuid",
            "suite",
            "suite_name",
            "status",
            "revision",
            *Visit.RECORDED_FIELDS,
            "sergeant_signed_at",
            "submitted_at",
            "detainee_checklist",
            "suite_checklist",
            "visitors",
        ]
        read_only_fields = fields

    def get_visitors(self, facts) -> list[dict]:
        return [
            {"id": user_id, "name": name, "confirmed_at": confirmed_at}
            for user_id, name, confirmed_at in facts.visitors
        ]


class VisitDetailSerializer(VisitSerializer):
    """A visit report as the reader may see it (visits.visit_read_model.visible_report):
    detainees only for those who may see them, custody numbers hidden from the PCC reader,
    the issues the reader may read."""

    detainees = DetaineeOutSerializer(many=True, read_only=True)
    suite_answers = AnswerOutSerializer(many=True, read_only=True)
    issues = IssueSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta(VisitSerializer.Meta):
        fields = [*VisitSerializer.Meta.fields, "detainees", "suite_answers", "issues", "photos"]
        read_only_fields = fields

    def to_representation(self, report):
        data = super().to_representation(report.visit)
        data["detainees"] = DetaineeOutSerializer(report.detainees, many=True).data
        data["suite_answers"] = AnswerOutSerializer(report.suite_answers, many=True).data
        data["issues"] = IssueSerializer(report.issues, many=True).data
        data["photos"] = PhotoSerializer(report.photos, many=True).data
        return data


class ReceiptSerializer(serializers.Serializer):
    """What became of a whole report sent from a phone (visits.services.phone_reports)."""

    outcome = serializers.ChoiceField(
        choices=phone_reports.OUTCOMES,
        help_text=_(
            "created (201); already_stored: sent before and stored once; kept_as_copy: "
            "the other visitor had sent this visit first, and this report is kept beside theirs."
        ),
    )
    message = serializers.CharField()
    visit = VisitDetailSerializer(help_text=_("The stored visit (the other visitor's, if a copy)."))


class IssueActionSerializer(serializers.Serializer):
    action = serializers.CharField(
        max_length=40,
        help_text=_("triage, refer, respond, accept, escalate, close, reopen or comment"),
    )
    text = serializers.CharField(allow_blank=True, max_length=4000, default="")
    severity = serializers.ChoiceField(
        choices=Issue.Severity.choices, required=False, allow_null=True, default=None
    )
    shared_with_force = serializers.BooleanField(
        default=False,
        help_text=_(
            "A manager's note is internal to the scheme unless shared with the force "
            "(referrals, escalations and acceptances always are)."
        ),
    )
    revision = revision_read()


# --- Rota ---------------------------------------------------------------------------------------


class RotaPeriodSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = RotaPeriod
        fields = [
            "id",
            "scheme",
            "name",
            "starts_on",
            "ends_on",
            "availability_closes_on",
            "status",
            "published_at",
        ]


class OpenPeriodSerializer(serializers.Serializer):
    scheme = serializers.SlugField(
        max_length=60, help_text=_("The scheme's slug; you must manage it.")
    )
    starts_on = BoundedDateField(help_text=_("Any day in the quarter to plan."))
    availability_closes_on = BoundedDateField()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")


class RotaSlotSerializer(serializers.ModelSerializer):
    """`planned_for` (the pair's agreed day and time) is null unless you are one of the pair or
    the scheme manager."""

    suite = serializers.PrimaryKeyRelatedField(read_only=True)
    suite_name = serializers.CharField(source="suite.name", read_only=True)
    visitors = PersonSerializer(many=True, read_only=True)
    planned_for = serializers.SerializerMethodField()
    visit = serializers.SerializerMethodField()

    class Meta:
        model = RotaSlot
        fields = [
            "id",
            "period",
            "suite",
            "suite_name",
            "week_starts_on",
            "time_band",
            "visitors",
            "status",
            "planned_for",
            "unfilled_reason",
            "revision",
            "visit",
        ]

    def get_planned_for(self, slot) -> str | None:
        if slot.planned_for and permissions.can_plan_slot(self.context["request"].user, slot):
            return serializers.DateTimeField().to_representation(slot.planned_for)
        return None

    def get_visit(self, slot) -> str | None:
        visit = getattr(slot, "visit", None)
        return str(visit.uuid) if visit else None


class AvailabilitySerializer(serializers.Serializer):
    user = user_id(
        required=False, help_text=_("Managers only: whose availability (default: yours).")
    )
    unavailable_weeks = serializers.ListField(
        child=BoundedDateField(), default=list, max_length=MAX_WEEKS
    )
    preferred_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), default=list, max_length=7
    )
    preferred_bands = serializers.ListField(
        child=serializers.ChoiceField(choices=TimeBand.choices),
        default=list,
        max_length=len(TimeBand.choices),
    )
    nights_ok = serializers.BooleanField(default=False)
    nights_a_year = serializers.IntegerField(
        min_value=1,
        max_value=4,
        default=1,
        help_text=_("At most this many night visits a year, when nights_ok (the promise: one)."),
    )
    max_visits_per_month = serializers.IntegerField(min_value=0, max_value=8, default=2)
    max_visits_per_period = serializers.IntegerField(
        min_value=0,
        max_value=26,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Most visits in the whole period; null: only the monthly maximum applies."),
    )
    revision = serializers.IntegerField(
        min_value=0,
        max_value=REVISION_MAX,
        help_text=_(
            "The revision you last read, 0 if none was given yet; 409 `stale_revision` "
            "if it has changed since."
        ),
    )


class SlotVisitorsSerializer(serializers.Serializer):
    visitors = serializers.ListField(child=user_id(), max_length=2)
    accept_warnings = serializers.BooleanField(
        default=False, help_text=_("Keep the change although it breaks rota rules (409 otherwise).")
    )
    revision = revision_read()


class PlannedTimeSerializer(serializers.Serializer):
    planned_for = BoundedDateTimeField(allow_null=True)
    revision = revision_read()


class OfferSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


class SlotStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["planned", "missed", "cancelled"])
    revision = revision_read()


class SwapSerializer(serializers.ModelSerializer):
    slot = RotaSlotSerializer(read_only=True)
    offered_by = PersonSerializer(read_only=True)
    taken_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SwapRequest
        fields = ["id", "slot", "offered_by", "taken_by", "status", "note", "created_at"]


# --- Panels, people, checklists -----------------------------------------------------------------


class PanelSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Panel
        fields = ["id", "scheme", "name"]


class PersonInSchemeSerializer(serializers.ModelSerializer):
    """A membership. Contact details only for the scheme's manager."""

    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.get_full_name")
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    panel = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "user", "name", "scheme", "role", "status", "panel", "email", "phone"]

    def get_panel(self, membership) -> str | None:
        return membership.panel.name if membership.panel else None

    def _manages(self, membership) -> bool:
        return membership.scheme_id in self.context["managed_schemes"]

    def get_email(self, membership) -> str | None:
        return membership.user.email if self._manages(membership) else None

    def get_phone(self, membership) -> str | None:
        return membership.phone if self._manages(membership) else None


class ChecklistVersionSummarySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="template.kind")
    scheme = serializers.SlugRelatedField(
        source="template.scheme", slug_field="slug", read_only=True
    )

    class Meta:
        model = ChecklistVersion
        fields = ["id", "scheme", "kind", "number", "status", "published_at"]
