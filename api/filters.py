"""Query parameters of list endpoints, with django-filter: a bad one is a 400 with
`code: invalid` naming the parameter (api.exceptions), never a 500. The issue list applies the
board's own visits.filters.IssueFilter; the lists only the API has declare theirs here, from
the same bounded building blocks. drf-spectacular documents every parameter, bounds included."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from rest_framework import serializers

from api import serializers as s
from visits.filters import BoundedDateFilter, FlagFilter, IssueFilter, RowIdFilter
from visits.models import RotaSlot, Visit
from visits.services.visits import MAX_ID


class ListFilterBackend(DjangoFilterBackend):
    """The view's filterset applied to its list only: one row (`retrieve`, actions) is found
    by its id whatever the query says."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)


class ListFilterSchema(DjangoFilterExtension):
    """drf-spectacular's reading of the filters, with the bounds an id is held to."""

    target_class = ListFilterBackend
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if isinstance(filter_field, RowIdFilter):
            for parameter in parameters:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        return parameters


class VisitFilter(django_filters.FilterSet):
    suite = RowIdFilter(field_name="suite_id")
    status = django_filters.ChoiceFilter(choices=Visit.Status.choices)
    locals()["from"] = BoundedDateFilter(
        field_name="visit_date", lookup_expr="gte", help_text=_("Visits on or after (YYYY-MM-DD)")
    )
    to = BoundedDateFilter(
        field_name="visit_date", lookup_expr="lte", help_text=_("Visits on or before (YYYY-MM-DD)")
    )

    class Meta:
        model = Visit
        fields: list[str] = []


class SlotFilter(django_filters.FilterSet):
    period = RowIdFilter(field_name="period_id")
    suite = RowIdFilter(field_name="suite_id")
    status = django_filters.ChoiceFilter(choices=RotaSlot.Status.choices)
    locals()["from"] = BoundedDateFilter(
        field_name="week_starts_on",
        lookup_expr="gte",
        help_text=_("Weeks from this date (YYYY-MM-DD)"),
    )
    to = BoundedDateFilter(
        field_name="week_starts_on",
        lookup_expr="lte",
        help_text=_("Weeks up to this date (YYYY-MM-DD)"),
    )
    mine = FlagFilter(method="filter_mine", help_text=_("Only your own slots"))

    class Meta:
        model = RotaSlot
        fields: list[str] = []

    def filter_mine(self, queryset, name, value):
        return queryset.filter(visitors=self.request.user) if value else queryset


__all__ = ["IssueFilter", "ListFilterBackend", "SlotFilter", "SummaryQuery", "VisitFilter"]


class SummaryQuery(serializers.Serializer):
    """The summary's parameters, only bounded here: the scope says what is wrong with a scheme
    or period in its own words (404 for a scheme not yours, 400 `period_invalid` for "last
    year")."""

    scheme = serializers.CharField(
        max_length=60, required=False, help_text=_("Scheme slug; your first if absent")
    )
    period = serializers.CharField(
        max_length=20, required=False, help_text=_("2026-Q3 or 2026; this quarter if absent")
    )
    suite = s.row_id(required=False, help_text=_("One suite's figures"))

    @classmethod
    def check(cls, request) -> None:
        cls(data=request.query_params).is_valid(raise_exception=True)
