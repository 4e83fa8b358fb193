"""Shapes and types only: validated data goes to the services in visits/, which hold the rules."""

from rest_framework import serializers

from visits import permissions
from visits.models import (
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
from visits.services import phone_reports
from visits.services.visits import AMENDABLE_FIELDS, NUMBER_FIELDS


class SuiteSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    panel = serializers.StringRelatedField()

    class Meta:
        model = CustodySuite
        fields = ["id", "scheme", "name", "address", "cells", "active", "visits_per_week", "panel"]


class MembershipSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Membership
        fields = ["scheme", "role", "status"]


class QuestionSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.title")

    class Meta:
        model = Question
        fields = [
            "id",
            "key",
            "section",
            "text",
            "answer_type",
            "choices",
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
    question = serializers.IntegerField()
    value = serializers.CharField(allow_blank=True, max_length=200)
    note = serializers.CharField(allow_blank=True, max_length=2000, default="")


def answers_dict(answers: list[dict]) -> dict[int, tuple[str, str]]:
    return {a["question"]: (a["value"], a.get("note", "")) for a in answers}


class AnswerOutSerializer(serializers.Serializer):
    """An answer as the report gives it (visits.reports.GivenAnswer)."""

    question = serializers.IntegerField()
    value = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class DetaineeSerializer(serializers.ModelSerializer):
    answers = AnswerSerializer(many=True, required=False, default=list, write_only=True)

    class Meta:
        model = DetaineeRecord
        fields = [
            "id",
            "custody_number",
            "consent_to_record_check",
            "under_18",
            "vulnerable",
            "appropriate_adult_needed",
            "appropriate_adult_present",
            "interpreter_needed",
            "interpreter_used",
            "mental_health_concern",
            "tact",
            "gender",
            "answers",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"custody_number": {"validators": []}}


class DetaineeOutSerializer(serializers.Serializer):
    """A detainee as the report gives it to a reader who may see them (visits.reports)."""

    id = serializers.IntegerField(source="pk")
    custody_number = serializers.CharField()
    consent_to_record_check = serializers.BooleanField(source="details.consent_to_record_check")
    under_18 = serializers.BooleanField(source="details.under_18")
    vulnerable = serializers.BooleanField(source="details.vulnerable")
    appropriate_adult_needed = serializers.BooleanField(source="details.appropriate_adult_needed")
    appropriate_adult_present = serializers.BooleanField(source="details.appropriate_adult_present")
    interpreter_needed = serializers.BooleanField(source="details.interpreter_needed")
    interpreter_used = serializers.BooleanField(source="details.interpreter_used")
    mental_health_concern = serializers.BooleanField(source="details.mental_health_concern")
    tact = serializers.BooleanField(source="details.tact")
    gender = serializers.ChoiceField(
        choices=DetaineeRecord.Gender.choices, allow_blank=True, source="details.gender"
    )
    answers = AnswerOutSerializer(many=True)


class IssueInSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=IssueCategory.choices)
    severity = serializers.ChoiceField(choices=Issue.Severity.choices, default="routine")
    description = serializers.CharField(max_length=4000)
    custody_number = serializers.CharField(required=False, allow_blank=True, default="")
    resolved_on_visit = serializers.BooleanField(default=False)
    recheck_next_visit = serializers.BooleanField(default=False)
    question_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class VisitStartSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(
        required=False,
        help_text="Made by the client; resending it returns the visit already stored.",
    )
    suite = serializers.IntegerField()
    co_visitors = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=True,
        help_text="User ids of the other visitors.",
    )
    arrived_at = serializers.DateTimeField()


def revision_read() -> serializers.IntegerField:
    """The `revision` a change names: the one the client read, so that it cannot overwrite a
    change it has not seen (see visits.services.revisions)."""
    return serializers.IntegerField(
        min_value=1,
        help_text="The revision you last read; 409 `stale_revision` if it has changed since.",
    )


class RevisionMixin(serializers.Serializer):
    revision = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The revision you last read; 409 if stale.",
    )


class AdmissionSerializer(RevisionMixin):
    admitted_at = serializers.DateTimeField()
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
    answers = AnswerSerializer(many=True)


class SignOffSerializer(RevisionMixin):
    departed_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(choices=Visit.Outcome.choices)
    abandoned_reason = serializers.CharField(allow_blank=True, max_length=300, default="")
    sergeant_name = serializers.CharField(allow_blank=True, max_length=120, default="")
    sergeant_comments = serializers.CharField(allow_blank=True, max_length=4000, default="")
    signature = serializers.CharField(
        allow_blank=True, default="", help_text="A PNG data URL of the drawn signature."
    )
    sergeant_confirmed = serializers.BooleanField(default=False)
    confirmed_by = serializers.ListField(
        child=serializers.IntegerField(),
        default=list,
        help_text="User ids of the visitors who confirm.",
    )


class WholeReportSerializer(serializers.Serializer):
    """A whole visit from a phone's outbox: the step serializers' shapes, under one roof."""

    suite = serializers.IntegerField()
    co_visitors = serializers.ListField(
        child=serializers.IntegerField(), help_text="User ids of the other visitors."
    )
    arrived_at = serializers.DateTimeField()
    detainee_checklist = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The checklist version the detainees were asked against (current if null).",
    )
    suite_checklist = serializers.IntegerField(required=False, allow_null=True, default=None)
    admission = AdmissionSerializer(
        required=False, allow_null=True, default=None, help_text="Null if never let in."
    )
    numbers = NumbersSerializer(required=False, default=dict)
    detainees = DetaineeSerializer(many=True, required=False, default=list)
    suite_answers = AnswerSerializer(many=True, required=False, default=list)
    issues = IssueInSerializer(many=True, required=False, default=list)
    good_practice = serializers.CharField(allow_blank=True, max_length=4000, default="")
    sign_off = SignOffSerializer()


class GoodPracticeSerializer(serializers.Serializer):
    good_practice = serializers.CharField(allow_blank=True, max_length=4000)


class AmendmentSerializer(RevisionMixin):
    reason = serializers.CharField(max_length=2000)
    changes = serializers.DictField(
        help_text="Field name to new value. Amendable: " + ", ".join(AMENDABLE_FIELDS)
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
        allow_blank=True, help_text='"(hidden)" for a reader who may not see it.'
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
    """A visit's facts (visits.reports.VisitFacts): what every reader of the visit may see."""

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
            "visit_date",
            "arrived_at",
            "admitted_at",
            "departed_at",
            "delay_minutes",
            "delay_reason",
            "delay_authorised_by",
            *NUMBER_FIELDS,
            "nv_access_denied_reason",
            "outcome",
            "abandoned_reason",
            "good_practice",
            "involves_tact",
            "sergeant_name",
            "sergeant_comments",
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
    """A visit report as the reader may see it (visits.reports.visible_report): detainees only
    for those who may see them, custody numbers hidden from the PCC reader, the issues the
    reader may read."""

    detainees = DetaineeOutSerializer(many=True, read_only=True)
    suite_answers = AnswerOutSerializer(many=True, read_only=True)
    issues = IssueSerializer(many=True, read_only=True)

    class Meta(VisitSerializer.Meta):
        fields = [*VisitSerializer.Meta.fields, "detainees", "suite_answers", "issues"]
        read_only_fields = fields

    def to_representation(self, report):
        data = super().to_representation(report.visit)
        data["detainees"] = DetaineeOutSerializer(report.detainees, many=True).data
        data["suite_answers"] = AnswerOutSerializer(report.suite_answers, many=True).data
        data["issues"] = IssueSerializer(report.issues, many=True).data
        return data


class ReceiptSerializer(serializers.Serializer):
    """What became of a whole report sent from a phone (visits.services.phone_reports)."""

    outcome = serializers.ChoiceField(
        choices=phone_reports.OUTCOMES,
        help_text="created (201); already_stored: sent before and stored once; kept_as_copy: "
        "the other visitor had sent this visit first, and this report is kept beside theirs.",
    )
    message = serializers.CharField()
    visit = VisitDetailSerializer(help_text="The stored visit (the other visitor's, if a copy).")


class IssueActionSerializer(serializers.Serializer):
    action = serializers.CharField(
        help_text="triage, refer, respond, accept, escalate, close, reopen or comment"
    )
    text = serializers.CharField(allow_blank=True, max_length=4000, default="")
    severity = serializers.ChoiceField(
        choices=Issue.Severity.choices, required=False, allow_null=True, default=None
    )
    shared_with_force = serializers.BooleanField(
        default=False,
        help_text="A manager's note is internal to the scheme unless shared with the force "
        "(referrals, escalations and acceptances always are).",
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
    scheme = serializers.SlugField(help_text="The scheme's slug; you must manage it.")
    starts_on = serializers.DateField(help_text="Any day in the quarter to plan.")
    availability_closes_on = serializers.DateField()


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
    user = serializers.IntegerField(
        required=False, help_text="Managers only: whose availability (default: yours)."
    )
    unavailable_weeks = serializers.ListField(child=serializers.DateField(), default=list)
    preferred_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), default=list
    )
    preferred_bands = serializers.ListField(
        child=serializers.ChoiceField(choices=TimeBand.choices), default=list
    )
    nights_ok = serializers.BooleanField(default=False)
    max_visits_per_month = serializers.IntegerField(min_value=0, max_value=8, default=2)
    revision = serializers.IntegerField(
        min_value=0,
        help_text="The revision you last read, 0 if none was given yet; 409 `stale_revision` "
        "if it has changed since.",
    )


class SlotVisitorsSerializer(serializers.Serializer):
    visitors = serializers.ListField(child=serializers.IntegerField(), max_length=2)
    accept_warnings = serializers.BooleanField(
        default=False, help_text="Keep the change although it breaks rota rules (409 otherwise)."
    )
    revision = revision_read()


class PlannedTimeSerializer(serializers.Serializer):
    planned_for = serializers.DateTimeField(allow_null=True)
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
