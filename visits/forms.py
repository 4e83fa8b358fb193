import datetime

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from visits.errors import DomainError
from visits.models import (
    Answer,
    CustodySuite,
    Issue,
    IssueCategory,
    Panel,
    Question,
    TimeBand,
    Visit,
)
from visits.reports import NUMBER_LABELS
from visits.rules import NOT_VISITED_LABELS, date_out_of_range
from visits.services.amendments import (
    AMENDABLE,
    CHOICE,
    COUNT,
    MOMENT,
    REASON_MAX,
    TIME_FIELDS,
    AnswerAmendment,
    CustodyNumberAmendment,
)
from visits.services.visits import CUSTODY_NUMBER_MAX


class LoginForm(AuthenticationForm):
    """Django's login form with the attributes phones and password managers need."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Autofocus would skip the page's heading and skip link for screen reader users.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class SuiteForm(forms.ModelForm):
    class Meta:
        model = CustodySuite
        fields = ["name", "address", "cells", "visits_per_week", "panel", "active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"active": "Inactive suites are left off the rota."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = Panel.objects.filter(scheme_id=self.instance.scheme_id)


# --- The visit flow ---------------------------------------------------------------------------

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def within_dates(value) -> None:
    """A date, or a date and time (aware, in the current time zone), from rules.EARLIEST_DATE
    to rules.LATEST_DATE: the same bound as the API's."""
    day = value.date() if isinstance(value, datetime.datetime) else value
    problem = date_out_of_range(day)
    if problem:
        raise forms.ValidationError(problem, code="date_out_of_range")


class VisitDateTimeField(forms.DateTimeField):
    widget = DATETIME_WIDGET

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)


class _ChoicesFetchedOnce(forms.models.ModelChoiceIterator):
    """A select asks for its first choice before it renders them all (`required`), which would
    fetch the rows twice: iterate the field's own queryset, whose rows are kept after the first."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class StartVisitForm(forms.Form):
    suite = forms.ModelChoiceField(
        queryset=CustodySuite.objects.none(), empty_label=None, label="Custody suite"
    )
    co_visitors = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Who are you visiting with?",
        help_text="Visits are made in pairs: choose at least one other visitor.",
        error_messages={"required": "Choose the visitor you are with."},
    )
    arrived_at = VisitDateTimeField(label="Time you arrived", validators=[within_dates])

    def __init__(self, *args, suites, co_visitors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suite"].iterator = _ChoicesFetchedOnce
        self.fields["suite"].queryset = suites
        self.fields["co_visitors"].queryset = co_visitors
        self.fields["co_visitors"].label_from_instance = lambda u: u.get_full_name() or u.username


class AdmissionForm(forms.Form):
    admitted_at = VisitDateTimeField(label="Time you were let in", validators=[within_dates])
    delay_minutes = forms.IntegerField(
        min_value=0,
        max_value=1440,
        initial=0,
        label="Minutes you were kept waiting",
        help_text="Admission can be delayed, never refused, and only on safety grounds "
        "authorised by an Inspector or above. Enter 0 if you were let in straight away.",
    )
    delay_reason = forms.CharField(
        required=False, max_length=300, label="Reason given for the delay"
    )
    delay_authorised_by = forms.CharField(
        required=False, max_length=120, label="Rank and name of the officer who authorised it"
    )


class NumbersForm(forms.Form):
    """Figures at the time of the visit. Whether they add up is the service's rule."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A blank box counts as 0: quicker on a phone than typing every zero.
        labels = [
            *NUMBER_LABELS,
            *((name, text.capitalize()) for name, text in NOT_VISITED_LABELS.items()),
        ]
        for name, label in labels:
            self.fields[name] = forms.IntegerField(
                min_value=0, max_value=999, initial=0, required=False, label=label
            )
        self.fields["nv_access_denied_reason"] = forms.CharField(
            required=False, max_length=300, label="Reason the Inspector gave for denying access"
        )

    def group(self, names):
        return [self[name] for name in names]


def answer_fields(form: forms.Form, sections, answers: dict | None = None) -> None:
    """Add a yes/no/n.a./not asked choice and a note for each question of a checklist."""
    answers = answers or {}
    for section in sections:
        for question in section.questions.all():
            value, note = answers.get(question.pk, ("", ""))
            if question.answer_type == Question.AnswerType.YES_NO:
                field = forms.ChoiceField(
                    choices=Answer.YesNo.choices,
                    required=False,
                    widget=forms.RadioSelect,
                    label=question.text,
                )
            elif question.answer_type == Question.AnswerType.NUMBER:
                field = forms.IntegerField(required=False, min_value=0, label=question.text)
            elif question.answer_type == Question.AnswerType.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "Not answered")] + [(c, c) for c in question.choices],
                    required=False,
                    label=question.text,
                )
            else:
                field = forms.CharField(required=False, max_length=200, label=question.text)
            field.initial = value
            form.fields[f"q_{question.pk}"] = field
            form.fields[f"note_{question.pk}"] = forms.CharField(
                required=False,
                max_length=2000,
                initial=note,
                label="Note",
                widget=forms.Textarea(attrs={"rows": 2}),
            )


def answers_from(form: forms.Form) -> dict[int, tuple[str, str]]:
    result = {}
    for name, value in form.cleaned_data.items():
        if name.startswith("q_"):
            qid = int(name[2:])
            result[qid] = (
                "" if value is None else str(value),
                form.cleaned_data.get(f"note_{qid}", ""),
            )
    return result


class DetaineeForm(forms.Form):
    custody_number = forms.CharField(
        max_length=40,
        label="Custody record number",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    consent_to_record_check = forms.BooleanField(
        required=False, label="Consents to us checking their custody record"
    )
    under_18 = forms.BooleanField(required=False, label="Under 18")
    vulnerable = forms.BooleanField(required=False, label="Vulnerable adult")
    appropriate_adult_needed = forms.BooleanField(required=False, label="Appropriate adult needed")
    appropriate_adult_present = forms.BooleanField(
        required=False, label="Appropriate adult present"
    )
    interpreter_needed = forms.BooleanField(required=False, label="Interpreter needed")
    interpreter_used = forms.BooleanField(required=False, label="Interpreter used")
    mental_health_concern = forms.BooleanField(required=False, label="Mental health concern")
    tact = forms.BooleanField(required=False, label="Held under the Terrorism Act (TACT)")

    FLAG_FIELDS = (
        "consent_to_record_check",
        "under_18",
        "vulnerable",
        "appropriate_adult_needed",
        "appropriate_adult_present",
        "interpreter_needed",
        "interpreter_used",
        "mental_health_concern",
        "tact",
    )

    def __init__(self, *args, sections, scheme, answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = sections
        self.fields[
            "custody_number"
        ].help_text = f"For example {scheme.custody_number_example}. Never a name."
        answer_fields(self, sections, answers)


class SuiteChecklistForm(forms.Form):
    def __init__(self, *args, sections, answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = sections
        answer_fields(self, sections, answers)


class IssueForm(forms.Form):
    category = forms.ChoiceField(choices=IssueCategory.choices)
    severity = forms.ChoiceField(
        choices=Issue.Severity.choices, initial="routine", widget=forms.RadioSelect
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="What you found. No names: custody numbers only.",
    )
    custody_number = forms.CharField(
        required=False, max_length=40, label="Custody record number, if it concerns one detainee"
    )
    resolved_on_visit = forms.BooleanField(
        required=False, label="Resolved with the sergeant during the visit"
    )
    recheck_next_visit = forms.BooleanField(required=False, label="Re-check on the next visit")
    question_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    no_names = forms.BooleanField(
        required=False,
        label="I have checked: this names no one",
        help_text="Tick this if the warning above is wrong (a place, not a person).",
    )

    def clean(self):
        from visits.rules import may_contain_a_name

        data = super().clean()
        description = data.get("description") or ""
        if may_contain_a_name(description) and not data.get("no_names"):
            self.add_error(
                "description",
                "This may contain a person's name. Detainees are custody numbers and staff are "
                "ranks or roles: take any name out, or tick the box below if there is none.",
            )
            self.show_no_names = True
        return data


class GoodPracticeForm(forms.Form):
    good_practice = forms.CharField(
        required=False,
        max_length=4000,
        label="Good practice seen",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SignOffForm(forms.Form):
    departed_at = VisitDateTimeField(label="Time you left", validators=[within_dates])
    outcome = forms.ChoiceField(
        choices=Visit.Outcome.choices, widget=forms.RadioSelect, label="Outcome of the visit"
    )
    abandoned_reason = forms.CharField(
        required=False, max_length=300, label="If abandoned, why (suite closed, staffing...)"
    )
    sergeant_name = forms.CharField(
        required=False, max_length=120, label="Custody sergeant's rank and name"
    )
    sergeant_comments = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Sergeant's comments",
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    sergeant_confirmed = forms.BooleanField(
        required=False, label="The sergeant has read this report and signs it"
    )

    def __init__(self, *args, visitors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed_by"] = forms.ModelMultipleChoiceField(
            queryset=visitors,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Each visitor confirms the report is accurate",
        )
        self.fields["confirmed_by"].label_from_instance = lambda u: (
            f"I, {u.get_full_name() or u.username}, confirm this report"
        )


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label="Photo of suite conditions",
        help_text="Conditions only: never photograph a person. JPEG, PNG or WebP, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(required=False, max_length=200)


def _reason_field() -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX,
        label=_("Why is the report being amended?"),
        help_text=_("Kept with the change for everyone who reads the report. No names."),
    )


def _revision_field() -> forms.IntegerField:
    # The revision the page was drawn from (RevisionForm): a form without it is out of date.
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class _AmendmentFormMixin:
    """What both amendment forms share: the revision they were drawn from, required; and how
    the service's problems, named by their path in the amendment, find their fields here."""

    def clean(self):
        data = super().clean()
        self.errors.pop("revision", None)  # a hidden field's error is said above the form
        if data.get("revision") is None:
            raise forms.ValidationError(
                _("This form is out of date. Reload the page and make your changes again.")
            )
        return data

    def field_for(self, path: str) -> str | None:
        return path

    def place(self, error: DomainError) -> None:
        """Show each of the service's problems by its field, or above the form."""
        for path, message in error.fields.items():
            name = self.field_for(path)
            if name in self.fields and not self.fields[name].widget.is_hidden:
                self.add_error(name, message)
            else:
                self.add_error(None, message)
        if not error.fields:
            self.add_error(None, error.message)


_AMENDMENT_LABELS = {
    "arrived_at": _("Time you arrived"),
    "admitted_at": _("Time you were let in"),
    "departed_at": _("Time you left"),
    "delay_minutes": _("Minutes you were kept waiting"),
    "delay_reason": _("Reason given for the delay"),
    "delay_authorised_by": _("Rank and name of the officer who authorised it"),
    "nv_access_denied_reason": _("Reason the Inspector gave for denying access"),
    "outcome": _("Outcome of the visit"),
    "abandoned_reason": _("If abandoned, why (suite closed, staffing...)"),
    "sergeant_name": _("Custody sergeant's rank and name"),
    "sergeant_comments": _("Sergeant's comments"),
    "good_practice": _("Good practice seen"),
}
_AMENDMENT_HELP = {
    "arrived_at": _("On the day of the visit."),
    "admitted_at": _("Leave blank only if you were never let in (an abandoned visit)."),
    "delay_minutes": _("0 if you were let in straight away."),
}


class AmendmentForm(_AmendmentFormMixin, forms.Form):
    """The report's own fields, each holding what is recorded now: times, the delay, the
    numbers, the outcome and sign-off, good practice. Shape and type only, from the service's
    AMENDABLE; whether the amended report keeps the steps' rules is amend_visit's to say."""

    def __init__(self, *args, visit, **kwargs):
        initial = {"revision": visit.revision}
        for name, spec in AMENDABLE.items():
            value = getattr(visit, name)
            if spec.kind == MOMENT and value is not None:
                value = timezone.localtime(value).replace(second=0, microsecond=0)
            initial[name] = value
        super().__init__(*args, initial=initial, **kwargs)
        labels = {
            **_AMENDMENT_LABELS,
            **dict(NUMBER_LABELS),
            **{name: text.capitalize() for name, text in NOT_VISITED_LABELS.items()},
        }
        self.fields["revision"] = _revision_field()
        for name, spec in AMENDABLE.items():
            label, help_text = labels[name], _AMENDMENT_HELP.get(name, "")
            if spec.kind == MOMENT:
                field = VisitDateTimeField(required=not spec.nullable)
            elif spec.kind == COUNT:
                # A blank box counts as 0, as on the numbers step.
                field = forms.IntegerField(min_value=0, max_value=spec.maximum, required=False)
            elif spec.kind == CHOICE:
                field = forms.ChoiceField(choices=Visit.Outcome.choices, widget=forms.RadioSelect)
            else:
                widget = forms.Textarea(attrs={"rows": 3}) if spec.maximum > 300 else None
                field = forms.CharField(required=False, max_length=spec.maximum, widget=widget)
            field.label, field.help_text = label, help_text
            self.fields[name] = field
        self.fields["reason"] = _reason_field()

    def changes(self) -> dict:
        """The fields changed from what is recorded, typed for amend_visit."""
        changed = {}
        for name, spec in AMENDABLE.items():
            if name in self.changed_data:
                value = self.cleaned_data[name]
                changed[name] = 0 if spec.kind == COUNT and value is None else value
        return changed

    def groups(self) -> list:
        """(title, fields, whether they are figures) in the order of the report's steps."""
        return [
            (_("Times"), [self[n] for n in TIME_FIELDS], False),
            (
                _("Delay to admission"),
                [self[n] for n in ("delay_minutes", "delay_reason", "delay_authorised_by")],
                False,
            ),
            *((title, [self[n] for n in names], True) for title, names in NUMBER_GROUPS),
            (
                _("Outcome and sign-off"),
                [
                    self[n]
                    for n in ("outcome", "abandoned_reason", "sergeant_name", "sergeant_comments")
                ],
                False,
            ),
            (_("Good practice"), [self["good_practice"]], False),
        ]

    def field_for(self, path: str) -> str | None:
        return path.removeprefix("changes.")


class AmendAnswersForm(_AmendmentFormMixin, forms.Form):
    """A checklist's answers on a submitted report, each holding what is recorded now: the
    suite checks, or one detainee's answers with their custody number."""

    def __init__(self, *args, visit, sections, answers, detainee=None, **kwargs):
        super().__init__(*args, initial={"revision": visit.revision}, **kwargs)
        self.fields["revision"] = _revision_field()
        self.sections = sections
        self.detainee = detainee
        if detainee is not None:
            self.fields["custody_number"] = forms.CharField(
                max_length=CUSTODY_NUMBER_MAX,
                initial=detainee.custody_number,
                label=_("Custody record number"),
                help_text=_("For example %(example)s. Never a name.")
                % {"example": visit.scheme.custody_number_example},
                widget=forms.TextInput(
                    attrs={
                        "autocomplete": "off",
                        "autocapitalize": "characters",
                        "spellcheck": "false",
                    }
                ),
            )
        answer_fields(self, sections, answers)
        self.fields["reason"] = _reason_field()
        self._asked: list[int] = []  # the question of each answer sent, in order

    def answer_changes(self) -> list[AnswerAmendment]:
        """The answers changed from what is recorded (value and note), for amend_visit."""
        changed = set(self.changed_data)
        detainee = self.detainee.pk if self.detainee is not None else None
        amended = []
        self._asked = []
        for question, (value, note) in answers_from(self).items():
            if {f"q_{question}", f"note_{question}"} & changed:
                amended.append(AnswerAmendment(question, value, note, detainee))
                self._asked.append(question)
        return amended

    def custody_number_changes(self) -> list[CustodyNumberAmendment]:
        if self.detainee is None or "custody_number" not in self.changed_data:
            return []
        return [CustodyNumberAmendment(self.detainee.pk, self.cleaned_data["custody_number"])]

    def field_for(self, path: str) -> str | None:
        parts = path.split(".")
        if parts[0] == "custody_numbers":
            return "custody_number"
        if parts[0] == "answers" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self._asked):
                kind = "note" if parts[-1] == "note" else "q"
                return f"{kind}_{self._asked[index]}"
        return path


# --- Issues ---------------------------------------------------------------------------------


class IssueFilterForm(forms.Form):
    suite = forms.ModelChoiceField(
        queryset=CustodySuite.objects.none(), required=False, empty_label="All suites"
    )
    category = forms.ChoiceField(
        choices=[("", "All categories"), *IssueCategory.choices], required=False
    )
    severity = forms.ChoiceField(
        choices=[("", "Any severity"), *Issue.Severity.choices], required=False
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), ("open", "Open"), *Issue.Status.choices], required=False
    )
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, suites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suite"].iterator = _ChoicesFetchedOnce
        self.fields["suite"].queryset = suites


MAX_RESPONSE_FILE = 10 * 1024 * 1024


class RevisionForm(forms.Form):
    """Carries the revision the page was drawn from, so that saving over a change someone made
    since is refused instead of silently overwriting it (visits.services.revisions)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class IssueActionForm(RevisionForm):
    action = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(
        required=False, max_length=4000, label="Text", widget=forms.Textarea(attrs={"rows": 3})
    )
    severity = forms.ChoiceField(
        choices=[("", "Keep as it is"), *Issue.Severity.choices], required=False
    )
    shared_with_force = forms.BooleanField(required=False)
    attachment = forms.FileField(
        required=False,
        label="A file to go with it (optional)",
        help_text="PDF, JPEG or PNG, up to 10 MB.",
    )

    def clean_attachment(self):
        """Keep PDFs as they are and re-encode images; refuse anything else."""
        from django.core.files.base import ContentFile

        from visits.images import ImageRejected, clean_photo

        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        if upload.size > MAX_RESPONSE_FILE:
            raise forms.ValidationError("The file is over 10 MB.")
        data = upload.read()
        if data.startswith(b"%PDF-"):
            return ContentFile(data, name="response.pdf")
        try:
            return ContentFile(clean_photo(data).data, name="response.jpg")
        except ImageRejected as rejected:
            raise forms.ValidationError(f"Attach a PDF or a photo. {rejected}") from None


class RecheckForm(forms.Form):
    issue = forms.IntegerField(widget=forms.HiddenInput)
    fixed = forms.TypedChoiceField(
        choices=[("yes", "Fixed"), ("no", "Not fixed")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Is it fixed?",
    )
    note = forms.CharField(required=False, max_length=2000)


# --- Rota ---------------------------------------------------------------------------------------

WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")]
WEEKDAYS += [(5, "Saturday"), (6, "Sunday")]


class AvailabilityForm(RevisionForm):
    unavailable_weeks = forms.TypedMultipleChoiceField(
        choices=[],
        coerce=datetime.date.fromisoformat,
        required=False,
        label="Weeks you cannot do",
        help_text="Tick every week you are away or busy.",
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        label="Days that suit you best",
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_bands = forms.MultipleChoiceField(
        choices=TimeBand.choices,
        required=False,
        label="Times that suit you best",
        widget=forms.CheckboxSelectMultiple,
    )
    nights_ok = forms.BooleanField(
        required=False,
        label="I can do a night visit (22:00 to 06:00)",
        help_text="Schemes ask each willing visitor for one night visit a year.",
    )
    max_visits_per_month = forms.IntegerField(
        min_value=0,
        max_value=8,
        initial=2,
        label="Most visits a month",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, weeks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unavailable_weeks"].choices = [
            (w.isoformat(), f"Week of {w:%d %B}") for w in weeks
        ]


class OpenPeriodForm(forms.Form):
    starts_on = forms.DateField(
        validators=[within_dates],
        label="A day in the quarter to plan",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The rota covers every week whose Monday falls in that quarter.",
    )
    availability_closes_on = forms.DateField(
        validators=[within_dates],
        label="Availability closes on",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class SlotForm(RevisionForm):
    first = forms.TypedChoiceField(coerce=int, required=False, label="First visitor")
    second = forms.TypedChoiceField(coerce=int, required=False, label="Second visitor")
    accept_warnings = forms.BooleanField(
        required=False, label="I know this breaks the rules above; keep it anyway"
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Nobody"), *((m.user_id, m.user.get_full_name()) for m in people)]
        self.fields["first"].choices = choices
        self.fields["second"].choices = choices

    def visitor_ids(self) -> list[int]:
        return [v for v in (self.cleaned_data["first"], self.cleaned_data["second"]) if v]


class MovePairForm(RevisionForm):
    target = forms.TypedChoiceField(coerce=int, label="Swap this pair with the pair in")
    accept_warnings = forms.BooleanField(
        required=False, label="I know this breaks the rules above; keep it anyway"
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            (s.pk, f"{s.suite.name}, week of {s.week_starts_on:%d %b}") for s in slots
        ]


class PlannedTimeForm(RevisionForm):
    planned_for = forms.DateTimeField(
        required=False,
        validators=[within_dates],
        label="Day and time you have agreed",
        help_text="Only you, your partner and the scheme manager see this.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class OfferForm(forms.Form):
    note = forms.CharField(
        required=False, max_length=200, label="A note for whoever takes it (optional)"
    )


def apply_error(form, error: DomainError) -> None:
    """Show a domain error on the form: each named field's message by its field."""
    placed = False
    for name, message in error.fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


# The numbers step shows its fields in these groups, on the step page and the phone page.
NUMBER_GROUPS = [
    ("At the time of the visit", ["in_custody"]),
    ("By age", ["adults", "under_18"]),
    ("By sex", ["male", "female"]),
    ("Held under", ["held_pace", "held_immigration", "held_tact", "held_other"]),
    ("Seen", ["offered", "visited", "observed_only", "declined"]),
    ("Not visited, by reason", [*NOT_VISITED_LABELS, "nv_access_denied_reason"]),
]


def number_groups(form: NumbersForm) -> list:
    return [(title, form.group(names)) for title, names in NUMBER_GROUPS]
