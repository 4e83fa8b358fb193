import datetime
import hashlib
import threading
from collections import OrderedDict

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.forms.utils import ErrorDict
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from visits.errors import DomainError, NotFound, NotPermitted
from visits.images import ImageRejected, clean_photo
from visits.models import (
    DETAINEE_FLAG_NAMES,
    DETAINEE_FLAGS,
    NOT_VISITED_LABELS,
    NOT_VISITED_TITLES,
    NUMBER_LABELS,
    Answer,
    CustodySuite,
    DetaineeRecord,
    Email,
    Issue,
    IssueCategory,
    Panel,
    Question,
    TimeBand,
    VettingLevel,
    Visit,
)
from visits.rules import (
    AMENDABLE,
    CHOICE,
    COUNT,
    MOMENT,
    TIME_FIELDS,
    date_out_of_range,
    suite_custody_number_example,
)
from visits.services import cards
from visits.services.amendments import REASON_MAX, AnswerAmendment, CustodyNumberAmendment
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
        fields = [
            "name",
            "name_cy",
            "address",
            "cells",
            "visits_per_week",
            "panel",
            "active",
            "custody_number_prefix",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"active": _("Inactive suites are left off the rota.")}

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


def _on_rota_slot(option) -> bool:
    # Annotated by services.rota.recording_start, as is visits_together.
    return bool(getattr(getattr(option["value"], "instance", None), "on_rota_slot", 0))


def _likely_partner(option) -> bool:
    """On the user's rota slot, or visited with lately."""
    instance = getattr(option["value"], "instance", None)
    return _on_rota_slot(option) or bool(getattr(instance, "visits_together", 0))


class PartnerCheckboxes(forms.CheckboxSelectMultiple):
    """The likely partners shown (the choices come most likely first: the rota slot's, then
    the usual ones), everyone else behind "Someone else" (a <details>, opened if one of them is
    ticked): on a phone a few lines and Tab stops instead of twenty names."""

    usual_shown = 3  # beside the rota slot's partners

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        groups = context["widget"]["optgroups"]
        options = [option for _name, group, _index in groups for option in group]
        on_slot = sum(1 for option in options if _on_rota_slot(option))
        shown = 0
        while (
            shown < len(options)
            and shown < on_slot + self.usual_shown
            and _likely_partner(options[shown])
        ):
            shown += 1
        if not shown or shown == len(options):
            return self._render(self.template_name, context, renderer)  # one query, not two
        likely, others = options[:shown], options[shown:]

        def boxes(chosen):
            return format_html_join(
                "",
                '<div><label for="{}"><input type="checkbox" name="{}" value="{}" id="{}"{}> {}'
                "</label></div>",
                (
                    (
                        option["attrs"]["id"],
                        option["name"],
                        option["value"],
                        option["attrs"]["id"],
                        mark_safe(" checked") if option["selected"] else "",
                        option["label"],
                    )
                    for option in chosen
                ),
            )

        return format_html(
            '<div id="{}">{}<details class="note"{}><summary>{}</summary>{}</details></div>',
            context["widget"]["attrs"].get("id", ""),
            boxes(likely),
            mark_safe(" open") if any(option["selected"] for option in others) else "",
            ngettext("Someone else (%(count)d more)", "Someone else (%(count)d more)", len(others))
            % {"count": len(others)},
            boxes(others),
        )


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
        queryset=CustodySuite.objects.none(),
        empty_label=None,
        label=_("Custody suite"),
    )
    co_visitors = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=PartnerCheckboxes,
        label=_("Who are you visiting with?"),
        help_text=_("Visits are made in pairs: choose at least one other visitor."),
        error_messages={"required": _("Choose the visitor you are with.")},
    )
    arrived_at = VisitDateTimeField(label=_("Time you arrived"), validators=[within_dates])

    def __init__(self, *args, suites, co_visitors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suite"].iterator = _ChoicesFetchedOnce
        self.fields["suite"].queryset = suites
        self.fields["suite"].label_from_instance = lambda suite: suite.shown_name
        self.fields["co_visitors"].queryset = co_visitors
        self.fields["co_visitors"].label_from_instance = self.partner_label

    @staticmethod
    def partner_label(user) -> str:
        name = user.get_full_name() or user.username
        # Annotated by services.rota.recording_start: the partner the rota pairs them with.
        if getattr(user, "on_rota_slot", 0):
            return _("%(name)s (on the rota with you)") % {"name": name}
        return name


class AdmissionForm(forms.Form):
    admitted_at = VisitDateTimeField(label=_("Time you were let in"), validators=[within_dates])
    delay_minutes = forms.IntegerField(
        min_value=0,
        max_value=1440,
        initial=0,
        label=_("Minutes you were kept waiting"),
        help_text=_(
            "Admission can be delayed, never refused, and only on safety grounds "
            "authorised by an Inspector or above. Enter 0 if you were let in straight away."
        ),
    )
    delay_reason = forms.CharField(
        required=False, max_length=300, label=_("Reason given for the delay")
    )
    delay_authorised_by = forms.CharField(
        required=False, max_length=120, label=_("Rank and name of the officer who authorised it")
    )


class NumbersForm(forms.Form):
    """Figures at the time of the visit. Whether they add up is the service's rule."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A blank box counts as 0: quicker on a phone than typing every zero.
        labels = [
            *NUMBER_LABELS.items(),
            *NOT_VISITED_TITLES.items(),
        ]
        for name, label in labels:
            self.fields[name] = forms.IntegerField(
                min_value=0, max_value=999, initial=0, required=False, label=label
            )
        self.fields["nv_access_denied_reason"] = forms.CharField(
            required=False, max_length=300, label=_("Reason the Inspector gave for denying access")
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
                    label=question.shown_text,
                )
            elif question.answer_type == Question.AnswerType.NUMBER:
                field = forms.IntegerField(required=False, min_value=0, label=question.shown_text)
            elif question.answer_type == Question.AnswerType.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", _("Not answered"))] + question.shown_choices,
                    required=False,
                    label=question.shown_text,
                )
            else:
                field = forms.CharField(required=False, max_length=200, label=question.shown_text)
            field.initial = value
            field.help_text = question.shown_help_text
            form.fields[f"q_{question.pk}"] = field
            form.fields[f"note_{question.pk}"] = forms.CharField(
                required=False,
                max_length=2000,
                initial=note,
                label=_("Note"),
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class ExpectedAnswers:
    """For a checklist form (one with `sections` and answer_fields): "all as expected".

    The no-JavaScript twin of static/js/checklist.js: a button named `expected` ("all", or a
    section's id) sends the form back filled, not saved, so only the exceptions are left to
    answer. Only unanswered yes/no questions with an expected answer are filled; nothing
    answered is changed."""

    EXPECTED_ALL = "all"
    expected_marked = None  # how many the last fill_expected marked, for the page to say

    @property
    def expected_button_type(self) -> str:
        """A submit button on a step page (which fills the form in without JavaScript); a plain
        button where the form is a prefixed part of the phone's record page, which needs
        JavaScript anyway and whose own submit button must stay the form's first (Enter in a
        text box sends the report, and record.js finds its button by [type=submit])."""
        return "button" if self.prefix else "submit"

    @cached_property
    def expected_section_ids(self) -> set[int]:
        """The sections with a question "all as expected" can answer (they get a button)."""
        return {question.section_id for question in self.expected_questions(self.EXPECTED_ALL)}

    def expected_questions(self, scope: str) -> list:
        """The yes/no questions with an expected answer in `scope` ("all" or a section's id)."""
        return [
            question
            for section in self.sections
            if scope == self.EXPECTED_ALL or scope == str(section.pk)
            for question in section.questions.all()
            if question.answer_type == Question.AnswerType.YES_NO and question.expected
        ]

    def fill_expected(self, scope: str) -> int:
        """Fill the unanswered questions of `scope` with their expected answer in the bound
        data; return how many. The form shows the filled data with no errors (nothing has
        been saved or refused yet)."""
        data = self.data.copy()
        marked = 0
        for question in self.expected_questions(scope):
            name = self.add_prefix(f"q_{question.pk}")
            if not data.get(name):
                data[name] = question.expected
                marked += 1
        self.data = data
        self._errors = ErrorDict()  # the page shows the answers, not a refusal
        self.cleaned_data = {}
        self.expected_marked = marked
        return marked


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


class LinkableRadioSelect(forms.RadioSelect):
    """Radios whose field is known by its first radio's id, so that the error summary's link
    for the field goes to it (Django's RadioSelect gives none)."""

    def id_for_label(self, id_, index=None):
        return super().id_for_label(id_, 0 if index is None else index)


class DetaineeForm(ExpectedAnswers, forms.Form):
    custody_number = forms.CharField(
        max_length=40,
        label=_("Custody record number"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    # Most detainees seen agreed to speak: that is the default, also for a form sent without it.
    consent = forms.TypedChoiceField(
        choices=DetaineeRecord.Consent.choices,
        initial=DetaineeRecord.Consent.AGREED,
        required=False,
        empty_value=DetaineeRecord.Consent.AGREED,
        widget=LinkableRadioSelect,
        label=_("Did they agree to speak to you?"),
        help_text=_("If they declined, leave the checklist: nothing of it is kept."),
    )
    # Its yes-or-no facts (DETAINEE_FLAGS) are added by __init__, each a tick-box.
    VULNERABILITY_FIELDS = tuple(flag.name for flag in DETAINEE_FLAGS if flag.vulnerability)
    OTHER_FLAG_FIELDS = tuple(flag.name for flag in DETAINEE_FLAGS if not flag.vulnerability)
    FLAG_FIELDS = DETAINEE_FLAG_NAMES
    # Everything of a detainee but the checklist, as DetaineeDetails names it.
    DETAIL_FIELDS = ("consent", *FLAG_FIELDS)
    # The detainee checklist's questions to answer first for a vulnerable detainee.
    PRIORITY_QUESTIONS = (
        "appropriate_adult",
        "mental_health_referred",
        "seen_by_healthcare",
        "medical_needs_met",
        "girl_cared_for_by_woman",
    )

    def __init__(self, *args, sections, scheme, answers=None, suite=None, **kwargs):
        super().__init__(*args, **kwargs)
        example = (
            suite_custody_number_example(scheme, suite) if suite else scheme.custody_number_example
        )
        self.fields["custody_number"].help_text = _("For example %(example)s. Never a name.") % {
            "example": example
        }
        for flag in DETAINEE_FLAGS:
            self.fields[flag.name] = forms.BooleanField(required=False, label=flag.label)
        self.sections = self._vulnerable_first(sections)
        answer_fields(self, sections, answers)

    def is_vulnerable(self) -> bool:
        """Whether a vulnerability is marked, as sent or as recorded."""
        if self.is_bound:
            return any(self[name].data for name in self.VULNERABILITY_FIELDS)
        return any(self.initial.get(name) for name in self.VULNERABILITY_FIELDS)

    def shows_other_flags(self) -> bool:
        """Whether "More about this detainee" is drawn open: one of its flags is set, as sent
        or as recorded, or refused."""
        return any(self[name].value() or self[name].errors for name in self.OTHER_FLAG_FIELDS)

    def _vulnerable_first(self, sections) -> list:
        """The checklist's sections, with the questions that matter most for a vulnerable
        detainee gathered in a first section of their own when one is marked (no JavaScript:
        the page shows them first once the flags are saved or sent)."""
        if not sections or not self.is_vulnerable():
            return sections
        first = [q for s in sections for q in s.questions.all() if q.key in self.PRIORITY_QUESTIONS]
        if not first:
            return sections
        rest = [
            _SectionView(s.shown_title, [q for q in s.questions.all() if q not in first], s)
            for s in sections
        ]
        return [
            _SectionView(_("First, for a vulnerable detainee"), first, None, priority=True),
            *(s for s in rest if s.questions.all()),
        ]


class _QuestionList(list):
    def all(self):
        return self


class _SectionView:
    """A checklist section as the templates read it (title, questions.all), regrouped; `title`
    is already the reader's (ChecklistSection.shown_title)."""

    def __init__(self, title, questions, section, priority=False):
        self.title = self.shown_title = title
        self.questions = _QuestionList(questions)
        self.section = section
        self.pk = section.pk if section is not None else None
        self.priority = priority


class SuiteChecklistForm(ExpectedAnswers, forms.Form):
    def __init__(self, *args, sections, answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = sections
        answer_fields(self, sections, answers)


def _names_checked_field() -> forms.BooleanField:
    return forms.BooleanField(
        required=False,
        label=_("I have checked: this names no one"),
        help_text=_("Tick this if the warning above is wrong (a place or a role, not a person)."),
    )


class IssueForm(forms.Form):
    category = forms.ChoiceField(choices=IssueCategory.choices, label=_("Category"))
    severity = forms.ChoiceField(
        choices=Issue.Severity.choices,
        initial="routine",
        widget=forms.RadioSelect,
        label=_("Severity"),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("What you found. No names: custody numbers only."),
    )
    custody_number = forms.CharField(
        required=False, max_length=40, label=_("Custody record number, if it concerns one detainee")
    )
    resolved_on_visit = forms.BooleanField(
        required=False, label=_("Resolved with the sergeant during the visit")
    )
    recheck_next_visit = forms.BooleanField(required=False, label=_("Re-check on the next visit"))
    question_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    names_checked = _names_checked_field()

    # Whether the no-names box is shown: once the service has warned (see NamesCheckedForm).
    show_names_checked = False


class GoodPracticeForm(forms.Form):
    good_practice = forms.CharField(
        required=False,
        max_length=4000,
        label=_("Good practice seen"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    names_checked = _names_checked_field()

    show_names_checked = False


def warn_of_names(form, error: DomainError) -> None:
    """After refuse has shown the domain error on the form: the no-names box too, if the text
    may name someone (the rule is the service's: visits.rules.name_in)."""
    if error.code == "may_name_someone" or form["names_checked"].data:
        form.show_names_checked = True


class SignOffForm(forms.Form):
    departed_at = VisitDateTimeField(label=_("Time you left"), validators=[within_dates])
    outcome = forms.ChoiceField(
        choices=Visit.Outcome.choices, widget=forms.RadioSelect, label=_("Outcome of the visit")
    )
    abandoned_reason = forms.CharField(
        required=False, max_length=300, label=_("If abandoned, why (suite closed, staffing...)")
    )
    sergeant_name = forms.CharField(
        required=False, max_length=120, label=_("Custody sergeant's rank and name")
    )
    sergeant_comments = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Sergeant's comments"),
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    sergeant_confirmed = forms.BooleanField(
        required=False, label=_("The sergeant has read this report and signs it")
    )

    def __init__(self, *args, visitors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed_by"] = forms.ModelMultipleChoiceField(
            queryset=visitors,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label=_("Each visitor confirms the report is accurate"),
        )
        self.fields["confirmed_by"].label_from_instance = lambda u: (
            gettext("I, %(name)s, confirm this report") % {"name": u.get_full_name() or u.username}
        )


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo of suite conditions"),
        help_text=_("Conditions only: never photograph a person. JPEG, PNG or WebP, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(required=False, max_length=200, label=_("Caption"))


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
            **NUMBER_LABELS,
            **NOT_VISITED_TITLES,
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
        self.fields["names_checked"] = _names_checked_field()
        self.fields["reason"] = _reason_field()

    # The no-names box shows once the service has said the good practice may name someone.
    show_names_checked = False

    def place(self, error: DomainError) -> None:
        super().place(error)
        if "changes.good_practice" in error.fields or self["names_checked"].data:
            self.show_names_checked = True

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
            (
                _("Good practice"),
                [self["good_practice"]]
                + ([self["names_checked"]] if self.show_names_checked else []),
                False,
            ),
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
                % {"example": suite_custody_number_example(visit.scheme, visit.suite)},
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


MAX_RESPONSE_FILE = 10 * 1024 * 1024


class RevisionForm(forms.Form):
    """Carries the revision the page was drawn from, so that saving over a change someone made
    since is refused instead of silently overwriting it (visits.services.revisions)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class IssueActionForm(RevisionForm):
    action = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(
        required=False, max_length=4000, label=_("Text"), widget=forms.Textarea(attrs={"rows": 3})
    )
    severity = forms.ChoiceField(
        choices=[("", _("Keep as it is")), *Issue.Severity.choices],
        required=False,
        label=_("Severity"),
    )
    shared_with_force = forms.BooleanField(required=False, label=_("Shared with force"))
    attachment = forms.FileField(
        required=False,
        label=_("A file to go with it (optional)"),
        help_text=_("PDF, JPEG or PNG, up to 10 MB."),
    )

    def clean_attachment(self):
        """Keep PDFs as they are and re-encode images; refuse anything else."""
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        if upload.size > MAX_RESPONSE_FILE:
            raise forms.ValidationError(_("The file is over 10 MB."))
        data = upload.read()
        if data.startswith(b"%PDF-"):
            return ContentFile(data, name="response.pdf")
        try:
            return ContentFile(clean_photo(data).data, name="response.jpg")
        except ImageRejected as rejected:
            raise forms.ValidationError(
                gettext("Attach a PDF or a photo. %(problem)s") % {"problem": rejected}
            ) from None


class RecheckForm(forms.Form):
    """Every earlier issue awaiting a re-check at this suite, in one form with one button:
    fixed, not fixed or (as it starts) not looked at, and a note, for each."""

    FIXED, NOT_FIXED, NOT_LOOKED = "fixed", "not_fixed", ""
    OUTCOMES = [
        (FIXED, _("Fixed")),
        (NOT_FIXED, _("Not fixed")),
        (NOT_LOOKED, _("Not looked at")),
    ]

    def __init__(self, *args, issues, **kwargs):
        super().__init__(*args, **kwargs)
        self.issues = list(issues)
        for issue in self.issues:
            self.fields[f"recheck_{issue.pk}"] = forms.ChoiceField(
                choices=self.OUTCOMES,
                required=False,
                initial=self.NOT_LOOKED,
                widget=LinkableRadioSelect,
                label=_("%(category)s, raised %(date)s: %(description)s")
                % {
                    "category": issue.get_category_display(),
                    "date": date_format(timezone.localtime(issue.created_at), "j M Y"),
                    "description": issue.description,
                },
            )
            self.fields[f"recheck_note_{issue.pk}"] = forms.CharField(
                required=False, max_length=2000, label=_("Note (optional)")
            )

    def rows(self) -> list:
        """(issue, its outcome field, its note field), in the order listed."""
        return [
            (issue, self[f"recheck_{issue.pk}"], self[f"recheck_note_{issue.pk}"])
            for issue in self.issues
        ]

    def clean(self):
        data = super().clean()
        for issue in self.issues:
            outcome = data.get(f"recheck_{issue.pk}") or self.NOT_LOOKED
            if outcome == self.NOT_LOOKED and (data.get(f"recheck_note_{issue.pk}") or "").strip():
                self.add_error(
                    f"recheck_{issue.pk}",
                    _("Say whether it is fixed, or take the note out if you did not look at it."),
                )
        return data

    def outcomes(self) -> dict[int, tuple[bool | None, str]]:
        """issue id -> (fixed, note) for record_rechecks; None where not looked at."""
        fixed = {self.FIXED: True, self.NOT_FIXED: False, self.NOT_LOOKED: None}
        return {
            issue.pk: (
                fixed[self.cleaned_data.get(f"recheck_{issue.pk}") or self.NOT_LOOKED],
                self.cleaned_data.get(f"recheck_note_{issue.pk}", ""),
            )
            for issue in self.issues
        }


# --- Rota ---------------------------------------------------------------------------------------

WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday"))]
WEEKDAYS += [(4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))]


class AvailabilityForm(RevisionForm):
    unavailable_weeks = forms.TypedMultipleChoiceField(
        choices=[],
        coerce=datetime.date.fromisoformat,
        required=False,
        label=_("Weeks you cannot do"),
        help_text=_("Tick every week you are away or busy."),
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        label=_("Days that suit you best"),
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_bands = forms.MultipleChoiceField(
        choices=TimeBand.choices,
        required=False,
        label=_("Times that suit you best"),
        widget=forms.CheckboxSelectMultiple,
    )
    nights_ok = forms.BooleanField(
        required=False,
        label=_("I can do a night visit (22:00 to 06:00)"),
        help_text=_("Schemes ask each willing visitor for one night visit a year."),
    )
    nights_a_year = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 5)],
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,
        label=_("Night visits a year, at most (if you do nights)"),
        help_text=_("One is what the scheme asks; choose more if you are happy to do more."),
    )
    max_visits_per_month = forms.IntegerField(
        min_value=0,
        max_value=8,
        initial=2,
        label=_("Most visits a month"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    max_visits_per_period = forms.IntegerField(
        min_value=0,
        max_value=26,
        required=False,
        label=_("Most visits in this period (optional)"),
        help_text=_("Leave empty if the monthly maximum is enough."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, weeks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unavailable_weeks"].choices = [
            (w.isoformat(), gettext("Week of %(date)s") % {"date": date_format(w, "j F")})
            for w in weeks
        ]


class OpenPeriodForm(forms.Form):
    starts_on = forms.DateField(
        validators=[within_dates],
        label=_("A day in the quarter to plan"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The rota covers every week whose Monday falls in that quarter."),
    )
    availability_closes_on = forms.DateField(
        validators=[within_dates],
        label=_("Availability closes on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class SlotForm(RevisionForm):
    first = forms.TypedChoiceField(coerce=int, required=False, label=_("First visitor"))
    second = forms.TypedChoiceField(coerce=int, required=False, label=_("Second visitor"))
    accept_warnings = forms.BooleanField(
        required=False, label=_("I know this breaks the rules above; keep it anyway")
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Nobody")), *((m.user_id, m.user.get_full_name()) for m in people)]
        self.fields["first"].choices = choices
        self.fields["second"].choices = choices

    def visitor_ids(self) -> list[int]:
        return [v for v in (self.cleaned_data["first"], self.cleaned_data["second"]) if v]


class MovePairForm(RevisionForm):
    target = forms.TypedChoiceField(coerce=int, label=_("Swap this pair with the pair in"))
    accept_warnings = forms.BooleanField(
        required=False, label=_("I know this breaks the rules above; keep it anyway")
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            (
                s.pk,
                gettext("%(suite)s, week of %(date)s")
                % {"suite": s.suite.name, "date": date_format(s.week_starts_on, "d M")},
            )
            for s in slots
        ]


class PlannedTimeForm(RevisionForm):
    planned_for = forms.DateTimeField(
        required=False,
        validators=[within_dates],
        label=_("Day and time you have agreed"),
        help_text=_("Only you, your partner and the scheme manager see this."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class OfferForm(forms.Form):
    note = forms.CharField(
        required=False, max_length=200, label=_("A note for whoever takes it (optional)")
    )


def page_exception(error: DomainError) -> Exception | None:
    """The Django exception a page answers `error` with: PermissionDenied (403) for one the
    person may not make, Http404 for one about something they may not see; None for any other
    refusal, which the page shows. The one mapping: refuse, refusal_of and the middleware that
    answers an uncaught one (icv.middleware.DomainErrorMiddleware) all ask it."""
    if isinstance(error, NotPermitted):
        return PermissionDenied(error.message)
    if isinstance(error, NotFound):
        return Http404(error.message)
    return None


def refuse(request, error: DomainError, form=None) -> None:
    """What every page does with the core's refusal: one the person may not make is a 403 and
    one about something they may not see a 404 (raised here); any other is shown on `form`,
    each message by its field (or above the form), or, with no form, in the page's messages.
    (The API's counterpart is api.exceptions.)"""
    message = refusal_of(error)  # a 403 or a 404 is raised there
    if form is None:
        messages.error(request, message)
    elif hasattr(form, "place"):
        form.place(error)
    else:
        apply_error(form, error)


def refusal_of(error: DomainError) -> str:
    """The message a page shows in its own refusal box (a card section, a list's notice):
    refuse's 403 or 404 is raised first, so neither is ever shown as a mere message."""
    exception = page_exception(error)
    if exception is not None:
        raise exception
    return error.message


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
    (_("At the time of the visit"), ["in_custody"]),
    (_("By age"), ["adults", "under_18"]),
    (_("By sex"), ["male", "female"]),
    (_("Held under"), ["held_pace", "held_immigration", "held_tact", "held_other"]),
    (_("Seen"), ["offered", "visited", "observed_only", "declined"]),
    (_("Not visited, by reason"), [*NOT_VISITED_LABELS, "nv_access_denied_reason"]),
]


def number_groups(form: NumbersForm) -> list:
    return [(title, form.group(names)) for title, names in NUMBER_GROUPS]


# --- E-mails (the manager's page of the mail queue) --------------------------------------------


class EmailFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Email.Status.choices],
        required=False,
    )


# --- Publishing the rota (issue 19) -------------------------------------------------------------


class PublishForm(forms.Form):
    """The confirmation page's answer: the fingerprint of the list the manager was shown, so
    that publishing sends what they saw or nothing (visits.services.rota.publish)."""

    confirm = forms.CharField(widget=forms.HiddenInput, max_length=64)


# --- Volunteers: vetting, appointment, leaving (issue 22; visits.services.volunteers) ----------

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def date_field(label, help_text="", required=False):
    """A date the app accepts (rules.EARLIEST_DATE to LATEST_DATE: a slip of year 2206 is the
    form's error, never a 500)."""
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=required,
        widget=DATE_WIDGET,
        validators=[within_dates],
    )


class VettingForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Vetting level"),
        choices=[("", _("Not recorded")), *VettingLevel.choices],
        required=False,
    )
    reference = forms.CharField(label=_("Vetting reference"), max_length=60, required=False)
    granted_on = date_field(_("Granted on"))
    expires_on = date_field(
        _("Expires on"), _("From this day they cannot be put on the rota or start a visit.")
    )


class AppointmentForm(forms.Form):
    appointed_on = date_field(_("Appointed on"))
    ends_on = date_field(
        _("Term ends on"), _("From this day they cannot be put on the rota or start a visit.")
    )
    renewed_on = date_field(_("Last renewed on"))


class LeavingForm(forms.Form):
    left_on = date_field(
        _("Leaving date"),
        _("From this day they have no access, and they come off the rota."),
        required=True,
    )
    reason = forms.CharField(label=_("Reason for leaving"), max_length=200)


# --- ID cards (issue 22) ------------------------------------------------------------------------


class CardPhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo for the ID card"),
        help_text=_(
            "A recent head-and-shoulders photo. It is cropped to a portrait and stripped of "
            "everything but the picture. JPEG, PNG or WebP, up to 10 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"required": _("Choose a photo to upload.")},
    )


class RevokeCardForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking the card"),
        help_text=_("For example: lost, stolen, or suspended while something is looked into."),
        max_length=200,
        error_messages={"required": _("Say why the card is revoked.")},
    )


def card_section(
    membership, *, photo_form=None, revoke_form=None, saved: str = "", issue_error: str = ""
) -> dict:
    """The context of the ID card section (templates/volunteers/_card.html), the one builder for
    the volunteer's page, the card page and its htmx part, so they cannot drift."""
    return {
        "card": cards.record_of(membership),
        "card_photo_form": photo_form or CardPhotoForm(prefix="card"),
        "card_revoke_form": revoke_form or RevokeCardForm(prefix="revoke"),
        "card_saved": saved,
        "card_issue_error": issue_error,
        "card_error_forms": [f for f in (photo_form, revoke_form) if f is not None and f.errors],
    }


# --- Blank forms rendered once -------------------------------------------------------------------
# A blank checklist form is the same for every visitor until what it is made of changes, and
# rendering its hundreds of widgets was most of a recording page's time (bench/RESULTS.md).
# Kept per process, under a digest of what it is made of, so a changed checklist, example custody
# number or language is a new entry, never a stale one.
_RENDERED: OrderedDict[str, object] = OrderedDict()
_RENDERED_KEPT = 64
_RENDERED_LOCK = threading.Lock()  # a server's threads share it


def question_key(question) -> tuple:
    """Everything a question is (its text, kind, order, ...), as part of a blank form's key."""
    return tuple(getattr(question, field.attname) for field in question._meta.concrete_fields)


def sections_key(sections) -> tuple:
    return tuple(
        (
            s.pk,
            s.version_id,
            s.title,
            s.title_cy,
            s.order,
            *(question_key(q) for q in s.questions.all()),
        )
        for s in sections
    )


def rendered_once(made_of: list, render):
    """`render()`'s result for what `made_of` lists (with the language), made once per process."""
    key = hashlib.sha256(repr([get_language(), *made_of]).encode()).hexdigest()
    with _RENDERED_LOCK:
        if key in _RENDERED:
            _RENDERED.move_to_end(key)
            return _RENDERED[key]
    value = render()
    with _RENDERED_LOCK:
        _RENDERED[key] = value
        while len(_RENDERED) > _RENDERED_KEPT:
            _RENDERED.popitem(last=False)
    return value
