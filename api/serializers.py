from rest_framework import serializers

from visits.models import CustodySuite, Membership


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
