"""Recruitment over the API (issue 22), read only: the scheme manager lists and reads the
applications to their schemes (`/api/recruitment/applications/`), through the same scope as
the pages (visits.services.recruitment); anyone else finds an empty list, and 404 for any one.
The steps (interview, references, offer, accept) are the pages' for now."""

from rest_framework import serializers, viewsets

from api.mixins import RowIdLookup
from visits.models import Application, Reference
from visits.services import recruitment


class ReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reference
        fields = ["id", "referee_name", "relationship", "received_on", "satisfactory", "notes"]


class ApplicationSerializer(serializers.ModelSerializer):
    references = ReferenceSerializer(many=True, read_only=True)
    membership = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "scheme",
            "status",
            "first_name",
            "last_name",
            "email",
            "phone",
            "postcode_area",
            "motivation",
            "availability",
            "declares_adult",
            "declares_not_police",
            "declares_not_justice",
            "consented_at",
            "received_at",
            "status_changed_at",
            "closed_at",
            "interviewed_on",
            "interview_notes",
            "offered_at",
            "membership",
            "references",
        ]
        read_only_fields = fields


class ApplicationViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    """The applications to the schemes you manage, newest first."""

    serializer_class = ApplicationSerializer

    def get_queryset(self):
        return (
            recruitment.scope_applications(self.request.user)
            .prefetch_related("references")
            .order_by("-received_at", "-pk")
        )
