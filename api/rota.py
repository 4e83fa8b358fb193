"""The rota over the API: the same services and scopes as the rota pages. A force custody lead
or a PCC reader finds nothing here (empty lists, 404 for any one item)."""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from api import filters
from api import serializers as s
from api.mixins import RowIdLookup, ValidatedDataMixin, row_id_or_404
from api.pagination import KeysetPagination
from visits import permissions
from visits.models import RotaPeriod, RotaSlot, Scheme, SwapRequest
from visits.services import rota


class RotaPeriodViewSet(RowIdLookup, ValidatedDataMixin, viewsets.ReadOnlyModelViewSet):
    """Rota periods of the schemes whose rota you are on or manage. Visitors see periods that
    collect availability or are published; drafts are the manager's."""

    serializer_class = s.RotaPeriodSerializer

    def get_queryset(self):
        queryset = RotaPeriod.objects.select_related("scheme").order_by("-starts_on")
        return permissions.scope_rota_periods(queryset, self.request.user)

    def _managed(self) -> RotaPeriod:
        period = self.get_object()
        if not permissions.can_manage_scheme(self.request.user, period.scheme_id):
            raise PermissionDenied(gettext("Only the scheme manager plans the rota."))
        return period

    @extend_schema(request=s.OpenPeriodSerializer, responses={201: s.RotaPeriodSerializer})
    def create(self, request):
        """Open the quarter that `starts_on` falls in (scheme managers)."""
        data = self._validated(s.OpenPeriodSerializer)
        scheme = Scheme.objects.filter(
            slug=data.pop("scheme"),
            pk__in=permissions.rota_schemes(request.user),
        ).first()
        if scheme is None:
            raise NotFound(gettext("No such scheme of yours."))
        period = rota.open_period(actor=request.user, scheme=scheme, **data)
        return Response(s.RotaPeriodSerializer(period).data, status=201)

    @extend_schema(request=None, responses=s.RotaPeriodSerializer)
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        """Make (or remake) the draft rota with the solver."""
        period = self._managed()
        rota.generate(actor=request.user, period=period)
        period.refresh_from_db()
        return Response(s.RotaPeriodSerializer(period).data)

    @extend_schema(request=None, responses=s.RotaPeriodSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the draft and e-mail each visitor their slots."""
        period = rota.publish(actor=request.user, period=self._managed())
        return Response(s.RotaPeriodSerializer(period).data)

    @extend_schema(request=s.AvailabilitySerializer, responses=s.AvailabilitySerializer)
    @action(detail=True, methods=["put"])
    def availability(self, request, pk=None):
        """Give your availability for the period (a manager may give anyone's with `user`)."""
        period = self.get_object()
        data = self._validated(s.AvailabilitySerializer)
        person = request.user
        revision = data.pop("revision")
        if "user" in data:
            person = get_object_or_404(
                rota.rostered_members(period.scheme_id), user_id=data.pop("user")
            ).user
        saved = rota.set_availability(
            actor=request.user,
            period=period,
            user=person,
            data=rota.AvailabilityInput(**data),
            expected_revision=revision,
        )
        return Response(
            s.AvailabilitySerializer(
                {
                    "user": saved.user_id,
                    "unavailable_weeks": saved.unavailable_weeks,
                    "preferred_days": saved.preferred_days,
                    "preferred_bands": saved.preferred_bands,
                    "nights_ok": saved.nights_ok,
                    "nights_a_year": saved.nights_a_year,
                    "max_visits_per_month": saved.max_visits_per_month,
                    "max_visits_per_period": saved.max_visits_per_period,
                    "revision": saved.revision,
                }
            ).data
        )


class RotaSlotViewSet(RowIdLookup, ValidatedDataMixin, viewsets.ReadOnlyModelViewSet):
    """Slots you may see: your own, your panel's (coordinators), all of the scheme (managers)."""

    serializer_class = s.RotaSlotSerializer
    pagination_class = KeysetPagination
    keyset_ordering = ("week_starts_on", "suite__name", "pk")
    filter_backends = [filters.ListFilterBackend]
    filterset_class = filters.SlotFilter

    def get_queryset(self):
        queryset = (
            permissions.scope_rota_slots(RotaSlot.objects.all(), self.request.user)
            .select_related("suite", "period", "visit")
            .prefetch_related("visitors")
        )
        return queryset.order_by(*self.keyset_ordering)

    def _managed_slot(self) -> RotaSlot:
        """The slot, 404 if not visible, 403 unless the user manages its scheme."""
        slot = self.get_object()
        if not permissions.can_manage_scheme(self.request.user, slot.period.scheme_id):
            raise PermissionDenied(gettext("Only the scheme manager changes the rota."))
        return slot

    def _answer(self, slot):
        slot = self.get_queryset().get(pk=slot.pk)
        return Response(self.get_serializer(slot).data)

    @extend_schema(request=s.SlotVisitorsSerializer, responses=s.RotaSlotSerializer)
    @action(detail=True, methods=["put"])
    def visitors(self, request, pk=None):
        """Put visitors on the slot by hand (managers). 409 `rota_rule_broken` lists the rules
        it breaks, unless `accept_warnings` is true."""
        slot = self._managed_slot()
        data = self._validated(s.SlotVisitorsSerializer)
        rota.assign(
            actor=request.user,
            slot=slot,
            visitor_ids=data["visitors"],
            accept_warnings=data["accept_warnings"],
            expected_revision=data["revision"],
        )
        return self._answer(slot)

    @extend_schema(request=s.PlannedTimeSerializer, responses=s.RotaSlotSerializer)
    @action(detail=True, methods=["put"])
    def plan(self, request, pk=None):
        """The pair's agreed day and time, seen only by the pair and the manager."""
        slot = self.get_object()
        data = self._validated(s.PlannedTimeSerializer)
        rota.set_planned_time(
            actor=request.user,
            slot=slot,
            when=data["planned_for"],
            expected_revision=data["revision"],
        )
        return self._answer(slot)

    @extend_schema(request=s.OfferSerializer, responses={201: s.SwapSerializer})
    @action(detail=True, methods=["post"])
    def offer(self, request, pk=None):
        """Offer your place for a swap; you stay on the slot until someone takes it."""
        slot = self.get_object()
        data = self._validated(s.OfferSerializer)
        swap = rota.offer(actor=request.user, slot=slot, note=data["note"])
        return Response(s.SwapSerializer(swap, context=self.get_serializer_context()).data, 201)

    @extend_schema(request=s.SlotStatusSerializer, responses=s.RotaSlotSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Mark a slot missed or cancelled, or planned again (managers)."""
        slot = self._managed_slot()
        data = self._validated(s.SlotStatusSerializer)
        slot = rota.end_slot(
            actor=request.user,
            slot=slot,
            status=data["status"],
            expected_revision=data["revision"],
        )
        return self._answer(slot)


class SwapViewSet(RowIdLookup, ValidatedDataMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Open offers on published rotas of your schemes, and your own offers."""

    serializer_class = s.SwapSerializer
    pagination_class = KeysetPagination
    keyset_ordering = ("slot__week_starts_on", "pk")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return SwapRequest.objects.none()
        user = self.request.user
        slots = RotaSlot.objects.select_related("suite", "period", "visit").prefetch_related(
            "visitors"
        )
        queryset = (
            SwapRequest.objects.filter(
                Q(status=SwapRequest.Status.OPEN) | Q(offered_by=user) | Q(taken_by=user)
            )
            .select_related("offered_by", "taken_by")
            .prefetch_related(Prefetch("slot", queryset=slots))
            .order_by("slot__week_starts_on", "pk")
        )
        return permissions.scope_swaps(queryset, user)

    def _one(self, pk) -> SwapRequest:
        return get_object_or_404(self.get_queryset(), pk=row_id_or_404(pk))

    @extend_schema(request=None, responses=s.SwapSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """Take an offered place. 409 `cannot_take` says which rota rule stops you."""
        swap = rota.take(actor=request.user, swap=self._one(pk))
        return Response(self.get_serializer(self._one(swap.pk)).data)

    @extend_schema(request=None, responses=s.SwapSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw your own offer."""
        swap = rota.withdraw(actor=request.user, swap=self._one(pk))
        return Response(self.get_serializer(self._one(swap.pk)).data)
