from rest_framework import viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response

from api.serializers import MembershipSerializer, SuiteSerializer
from visits import permissions
from visits.models import CustodySuite


class SuiteViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SuiteSerializer

    def get_queryset(self):
        queryset = CustodySuite.objects.select_related("scheme", "panel").order_by("scheme", "name")
        return permissions.scope_suites(queryset, self.request.user)


@api_view(["GET"])
def me(request):
    user = request.user
    return Response(
        {
            "username": user.username,
            "name": user.get_full_name(),
            "memberships": MembershipSerializer(permissions.memberships_of(user), many=True).data,
        }
    )
