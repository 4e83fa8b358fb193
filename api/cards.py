"""ID cards over the API (issue 22), read only: the scheme manager reads the card status of each
of their volunteers (`/api/cards/`, `/api/cards/<volunteer id>/`). The same scope as the pages
(visits.services.volunteers.scope_volunteers) and the same record (visits.services.cards); the
check token is never sent. A force custody lead, a PCC reader or a visitor finds nothing (an
empty list, 404 for any one)."""

from rest_framework import serializers, viewsets

from api.mixins import RowIdLookup
from visits.services import cards, volunteers


class CardSerializer(serializers.Serializer):
    """A card's number and dates; `valid` is whether it is valid today."""

    number = serializers.CharField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField()
    revoked_on = serializers.DateField(allow_null=True)
    revoked_reason = serializers.CharField()


class CardStatusSerializer(serializers.Serializer):
    """One volunteer's card status: the current card (null if none is valid today), the earlier
    ones, whether a photo is on file, and why a card cannot be issued now (null if it can)."""

    volunteer = serializers.IntegerField(source="membership.pk")
    name = serializers.SerializerMethodField()
    scheme = serializers.IntegerField(source="membership.scheme_id")
    current = CardSerializer(allow_null=True)
    earlier = CardSerializer(many=True)
    has_photo = serializers.BooleanField()
    cannot_issue = serializers.CharField(allow_null=True)
    cannot_issue_code = serializers.CharField(allow_null=True)

    def get_name(self, record) -> str:
        user = record.membership.user
        return user.get_full_name() or user.username


class CardStatusViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    """The ID card status of each volunteer of the schemes you manage, by volunteer id."""

    serializer_class = CardStatusSerializer

    def get_queryset(self):
        return volunteers.scope_volunteers(self.request.user).order_by("pk")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else cards.records_of(page)

    def get_object(self):
        return cards.record_of(super().get_object())
