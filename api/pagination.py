"""Keyset (cursor) pagination for the lists that grow without bound.

A page is "the next 50 rows after this one" in a fixed order that ends in the primary key, so
the database seeks to the row through an index instead of counting past every earlier row, and
the last page costs what the first does. The cursor is opaque to clients (base64 of the last
row's sort values); the API gives the `next` link, clients follow it. Rows added or removed
meanwhile neither repeat nor skip a row, as an offset would.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

CURSOR_PARAM = "cursor"
MAX_CURSOR_LENGTH = 400
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class Key:
    """One sort key: a model field (through relations with `__`), its direction, and whether it
    may be NULL (NULLs sort last in both directions, on every database)."""

    field: str
    descending: bool = False
    nullable: bool = False

    @classmethod
    def parse(cls, spec: str, model) -> "Key":
        name = spec.removeprefix("-")
        return cls(name, spec.startswith("-"), _model_field(model, name).null)


def _model_field(model, path: str):
    field = None
    for part in path.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        if field.is_relation and field.related_model is not None and part != path.split("__")[-1]:
            model = field.related_model
    return field


class KeysetPagination(BasePagination):
    """The view names its order in `keyset_ordering` (ending in a unique field, its pk)."""

    page_size = 50
    cursor_query_param = CURSOR_PARAM

    def paginate_queryset(self, queryset, request, view=None):
        keys = [Key.parse(spec, queryset.model) for spec in view.keyset_ordering]
        self.request = request
        self.keys = keys
        ordered = queryset.order_by(*[_order(key) for key in keys])
        after = self._decode(request.query_params.get(self.cursor_query_param), queryset.model)
        if after is not None:
            ordered = ordered.filter(_after(keys, after))
        rows = list(ordered[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        return self.page

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        cursor = cursor_after(self.page[-1], self.keys)
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, cursor
        )

    def get_first_link(self) -> str:
        return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)

    def _decode(self, cursor: str | None, model) -> list | None:
        """The last row's sort values from a cursor; a cursor we did not make is a 400."""
        if not cursor:  # absent or empty: the first page
            return None
        invalid = serializers.ValidationError(
            {
                self.cursor_query_param: [
                    gettext("Not a cursor from this list: follow the `next` link.")
                ]
            }
        )
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise invalid
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            raise invalid from None
        if not isinstance(values, list) or len(values) != len(self.keys):
            raise invalid
        try:
            parsed = [
                None if value is None else _model_field(model, key.field).to_python(value)
                for key, value in zip(self.keys, values, strict=True)
            ]
        except (DjangoValidationError, TypeError, ValueError, OverflowError):
            raise invalid from None
        # A number the column cannot hold would be the database's error, not the client's.
        if any(isinstance(v, int) and not -BIGINT_MAX <= v <= BIGINT_MAX for v in parsed):
            raise invalid
        if any(isinstance(v, float) for v in parsed):
            raise invalid
        # The database stores datetimes in UTC: one at the calendar's edge in a far zone
        # would overflow there (a 500), not here. PostgreSQL refuses NUL in text.
        for value in parsed:
            if isinstance(value, datetime.datetime):
                try:
                    value.astimezone(datetime.UTC)
                except (OverflowError, ValueError):
                    raise invalid from None
                if not 1 < value.year < 9999:
                    raise invalid
            if isinstance(value, str) and "\x00" in value:
                raise invalid
        return parsed

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": gettext(
                    "Where the page starts: the cursor in the previous page's "
                    "`next` link (opaque; absent for the first page)."
                ),
                "schema": {"type": "string", "maxLength": MAX_CURSOR_LENGTH},
            }
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": gettext("The next page; null on the last page."),
                },
                "results": schema,
            },
        }


def cursor_after(row, keys: list[Key]) -> str:
    """The cursor of the page that starts after `row`."""
    values = [_value_of(row, key.field) for key in keys]
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def last_page_cursor(queryset, ordering, page_size: int = KeysetPagination.page_size) -> str | None:
    """The cursor of a list's last page (None when the list has one page): for benchmarks,
    which measure the last page without walking a national table to it."""
    keys = [Key.parse(spec, queryset.model) for spec in ordering]
    backwards = [
        F(key.field).asc(nulls_first=True)
        if key.descending
        else F(key.field).desc(nulls_first=True)
        for key in keys
    ]
    before_last = queryset.order_by(*backwards)[page_size : page_size + 1]
    row = next(iter(before_last), None)
    return cursor_after(row, keys) if row is not None else None


def _order(key: Key, nulls_last: bool = True):
    expression = F(key.field)
    nulls = {"nulls_last": True} if nulls_last else {"nulls_first": True}
    return expression.desc(**nulls) if key.descending else expression.asc(**nulls)


def _after(keys: list[Key], values: list) -> Q:
    """Rows after the one with `values` in the keys' order: the first key beyond it, or equal
    on it and the rest beyond, and so on down to the unique last key."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= equal_so_far & _beyond(key, value)
        equal_so_far &= (
            Q(**{f"{key.field}__isnull": True}) if value is None else Q(**{key.field: value})
        )
    return condition


def _beyond(key: Key, value) -> Q:
    if value is None:  # NULLs come last: nothing is beyond a NULL on this key
        return Q(pk__in=[])
    beyond = Q(**{f"{key.field}__{'lt' if key.descending else 'gt'}": value})
    if key.nullable:
        beyond |= Q(**{f"{key.field}__isnull": True})
    return beyond


def _value_of(row, path: str):
    value = row
    for part in path.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
