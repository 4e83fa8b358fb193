"""Expense claims over the API (issue 22): a volunteer lists and makes their own
(`/api/me/expenses/`), the scheme manager lists their schemes' (`/api/expenses/`). The same scope
and the same service as the pages (visits.services.expenses); its domain errors become 400/409
with their code in api.exceptions. A force custody lead or a PCC reader finds nothing."""

from decimal import Decimal

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api.exceptions import JSONParser
from api.mixins import RowIdLookup
from api.pagination import KeysetPagination
from visits.images import MAX_UPLOAD_BYTES, ImageRejected, clean_photo
from visits.models import ExpenseClaim
from visits.services import expenses


class ExpenseClaimSerializer(serializers.ModelSerializer):
    """A claim as stored; amounts in pence, worked out by the service."""

    scheme = serializers.IntegerField(source="membership.scheme_id")
    claimant = serializers.SerializerMethodField()
    date = serializers.DateField(source="incurred_on")
    what_for = serializers.SerializerMethodField()
    has_receipt = serializers.SerializerMethodField()

    class Meta:
        model = ExpenseClaim
        fields = [
            "id",
            "scheme",
            "claimant",
            "occasion",
            "visit",
            "date",
            "description",
            "what_for",
            "miles",
            "pence_per_mile",
            "mileage_pence",
            "other_pence",
            "other_description",
            "total_pence",
            "status",
            "query",
            "paid_on",
            "has_receipt",
            "submitted_at",
        ]
        read_only_fields = fields

    def get_claimant(self, claim) -> str:
        user = claim.membership.user
        return user.get_full_name() or user.username

    def get_what_for(self, claim) -> str:
        return expenses.what_for(claim)

    def get_has_receipt(self, claim) -> bool:
        return bool(claim.receipt)


class ClaimInputSerializer(serializers.Serializer):
    """A new claim: `visit` for a visit; `date` and `description` for a meeting or training.
    Send it as multipart to attach a receipt photo. Shape only; the rules are the service's."""

    occasion = serializers.ChoiceField(choices=ExpenseClaim.Occasion.choices)
    visit = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    date = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    miles = serializers.DecimalField(
        max_digits=7, decimal_places=1, required=False, default=Decimal(0)
    )
    other_pence = serializers.IntegerField(required=False, default=0)
    other_description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    scheme = serializers.IntegerField(required=False, allow_null=True)
    receipt = serializers.FileField(required=False, allow_null=True)

    def validate_receipt(self, upload):
        if not upload:
            return None
        try:
            return clean_photo(upload.read(MAX_UPLOAD_BYTES + 1))
        except ImageRejected as rejected:
            raise serializers.ValidationError(str(rejected)) from None

    def details(self) -> expenses.ClaimDetails:
        data = self.validated_data
        return expenses.ClaimDetails(
            occasion=data["occasion"],
            visit_id=data.get("visit"),
            incurred_on=data.get("date"),
            description=data.get("description", ""),
            miles=data["miles"],
            other_pence=data["other_pence"],
            other_description=data.get("other_description", ""),
            receipt=data.get("receipt"),
            scheme_id=data.get("scheme"),
        )


class OwnExpenseViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Your own expense claims, newest first; POST makes one."""

    serializer_class = ExpenseClaimSerializer
    pagination_class = KeysetPagination
    keyset_ordering = ("-incurred_on", "-pk")
    # JSON, or multipart to send a receipt photo with the claim.
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        return expenses.own_claims(self.request.user).order_by(*self.keyset_ordering)

    def get_serializer_class(self):
        return ClaimInputSerializer if self.action == "create" else ExpenseClaimSerializer

    def create(self, request, *args, **kwargs):
        given = ClaimInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        claim = expenses.submit_claim(actor=request.user, details=given.details())
        claim = expenses.own_claims(request.user).get(pk=claim.pk)
        return Response(ExpenseClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ExpenseViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    """The expense claims of the schemes you manage, oldest first; `?status=` filters
    (`awaiting` is submitted or resubmitted)."""

    serializer_class = ExpenseClaimSerializer
    pagination_class = KeysetPagination
    keyset_ordering = ("incurred_on", "pk")

    def get_queryset(self):
        claims = expenses.managed_claims(self.request.user)
        if self.action == "list":
            claims = expenses.status_filter(claims, self.request.query_params.get("status"))
        return claims.order_by(*self.keyset_ordering)
