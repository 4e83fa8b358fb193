"""Volunteers' vetting, appointment and leaving over the API (issue 22), read only: the scheme
manager reads their volunteers (`/api/volunteers/`), a volunteer their own record
(`/api/me/record/`). The same scope and the same record (visits.services.volunteers) as the
pages; a force custody lead or a PCC reader finds nothing (an empty list, 404 for any one)."""

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.mixins import RowIdLookup
from visits.services import volunteers


class VolunteerSerializer(serializers.Serializer):
    """One volunteer's record; `cannot_visit_today` is why not (null when they may)."""

    id = serializers.IntegerField(source="membership.pk")
    name = serializers.SerializerMethodField()
    scheme = serializers.IntegerField(source="membership.scheme_id")
    role = serializers.CharField(source="membership.role")
    status = serializers.CharField(source="membership.status")
    vetting_level = serializers.CharField(source="membership.vetting_level")
    vetting_reference = serializers.CharField(source="membership.vetting_reference")
    vetting_granted_on = serializers.DateField(
        source="membership.vetting_granted_on", allow_null=True
    )
    vetting_expires_on = serializers.DateField(
        source="membership.vetting_expires_on", allow_null=True
    )
    appointed_on = serializers.DateField(source="membership.appointed_on", allow_null=True)
    appointment_ends_on = serializers.DateField(
        source="membership.appointment_ends_on", allow_null=True
    )
    appointment_renewed_on = serializers.DateField(
        source="membership.appointment_renewed_on", allow_null=True
    )
    left_on = serializers.DateField(source="membership.left_on", allow_null=True)
    leaving_reason = serializers.CharField(source="membership.leaving_reason")
    cannot_visit_today = serializers.SerializerMethodField()
    cannot_visit_code = serializers.SerializerMethodField()
    expiring = serializers.ListField(child=serializers.CharField())

    def get_name(self, record) -> str:
        user = record.membership.user
        return user.get_full_name() or user.username

    def get_cannot_visit_today(self, record) -> str | None:
        return record.bar_today.message if record.bar_today else None

    def get_cannot_visit_code(self, record) -> str | None:
        return record.bar_today.code if record.bar_today else None


class VolunteerViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    """The volunteers of the schemes you manage, leavers included."""

    serializer_class = VolunteerSerializer

    def get_queryset(self):
        return volunteers.scope_volunteers(self.request.user).order_by("pk")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else [volunteers.record_of(m) for m in page]

    def get_object(self):
        return volunteers.record_of(super().get_object())


@extend_schema(responses=VolunteerSerializer(many=True))
@api_view(["GET"])
def own_record(request):
    """Your own vetting, appointment and leaving, one per scheme you visit in."""
    records = [volunteers.record_of(m) for m in volunteers.own_records(request.user)]
    if not records:
        raise NotFound(gettext("You have no volunteer record."))
    return Response(VolunteerSerializer(records, many=True).data)
