"""Filters declared once (django-filter) for a page and its API list: the issue board and
GET /api/issues/ apply the same IssueFilter. A bad value is the field's error (the page shows
it beside the field, the API answers 400 `invalid` naming the parameter), never a 500; ids are
held within their column and dates within rules' range before any query."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from visits.models import Issue, IssueCategory
from visits.rules import date_out_of_range
from visits.services.visits import MAX_ID

# --- Building blocks (the API's other lists use them too) -------------------------------------


class RowIdField(forms.IntegerField):
    """The id of one of this project's rows: 1 to the column's largest."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class RowIdFilter(django_filters.NumberFilter):
    """Rows pointing at the row with this id (a suite, a rota period...)."""

    field_class = RowIdField


class BoundedDateField(forms.DateField):
    """A date (YYYY-MM-DD) from rules.EARLIEST_DATE to rules.LATEST_DATE."""

    input_formats = ["%Y-%m-%d"]

    def validate(self, value):
        super().validate(value)
        problem = value and date_out_of_range(value)
        if problem:
            raise forms.ValidationError(problem, code="date_out_of_range")


class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"", "0", "false", "off", "no"}


def _flag(value) -> bool | None:
    """True, False, or None for a value that is neither."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


class _FlagCheckbox(forms.CheckboxInput):
    """A checkbox on a page; the raw value given, so that the field can refuse "maybe"
    (Django's checkbox reads any unknown text as ticked)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: _flag(value) is True)

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class FlagField(forms.Field):
    """Yes or no: 1/true/on/yes or 0/false/off/no (or absent); anything else is refused."""

    widget = _FlagCheckbox

    def to_python(self, value):
        if value is None:
            return False
        flag = _flag(value)
        if flag is None:
            raise forms.ValidationError(_("Enter yes or no."), code="invalid")
        return flag


class FlagFilter(django_filters.BooleanFilter):
    """A tick, read by its `method` (which narrows the rows when it is true)."""

    field_class = FlagField


# --- Issues: the board and GET /api/issues/ -------------------------------------------------


class IssueFilter(django_filters.FilterSet):
    """The issues narrowed by suite, category, severity, status ("open" or one state), overdue,
    and the day raised. Applied to issues the user may already read (readable_issues)."""

    suite = RowIdFilter(field_name="suite_id", label=_("Suite"))
    category = django_filters.ChoiceFilter(
        choices=IssueCategory.choices, empty_label=_("All categories"), label=_("Category")
    )
    severity = django_filters.ChoiceFilter(
        choices=Issue.Severity.choices, empty_label=_("Any severity"), label=_("Severity")
    )
    status = django_filters.ChoiceFilter(
        choices=[("open", _("Open")), *Issue.Status.choices],
        empty_label=_("Any status"),
        label=_("Status"),
        method="filter_status",
    )
    overdue = FlagFilter(
        label=_("Overdue only"),
        method="filter_overdue",
    )
    # `from` is a Python keyword: declared through the class namespace.
    locals()["from"] = BoundedDateFilter(
        field_name="created_at__date",
        lookup_expr="gte",
        help_text=_("Raised on or after (YYYY-MM-DD)"),
    )
    to = BoundedDateFilter(
        field_name="created_at__date",
        lookup_expr="lte",
        help_text=_("Raised on or before (YYYY-MM-DD)"),
    )

    class Meta:
        model = Issue
        fields: list[str] = []

    # What the board shows: the day raised is the API's alone.
    BOARD_FIELDS = ("suite", "category", "severity", "status", "overdue")

    def filter_status(self, queryset, name, value):
        return queryset.open() if value == "open" else queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(timezone.localdate()) if value else queryset

    @classmethod
    def for_board(cls, data, queryset, *, suites) -> "IssueFilter":
        """The board's filters: its fields only, the suite chosen from `suites` (fetched once,
        when drawn), a blank value meaning "all"."""
        filterset = cls(data or None, queryset)
        for name in set(filterset.filters) - set(cls.BOARD_FIELDS):
            del filterset.filters[name]

        def choices():  # when the select is drawn (an htmx swap of the list draws none)
            return [("", _("All suites")), *((suite.pk, suite.shown_name) for suite in suites)]

        filterset.form.fields["suite"].widget = forms.Select(choices=choices)
        return filterset
