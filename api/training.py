"""Training over the API (issue 22): the scheme manager reads the modules of their schemes
(`/api/training/modules/`) and their volunteers' training records, records one or removes one
made in error (`/api/training/records/`); a volunteer reads their own training and what is due
(`/api/me/training/`). The same scope and services as the pages (visits.services.training); a
force custody lead or a PCC reader finds nothing (an empty list, 404 for any one)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.mixins import RowIdLookup, ValidatedDataMixin
from visits.models import TrainingCompletion, TrainingModule
from visits.services import training, volunteers


class TrainingModuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingModule
        fields = [
            "id",
            "scheme",
            "key",
            "name",
            "description",
            "required_for",
            "renew_every_months",
            "retired_at",
        ]


class TrainingCompletionSerializer(serializers.ModelSerializer):
    volunteer = serializers.IntegerField(source="membership_id", read_only=True)
    module_name = serializers.CharField(source="module.name", read_only=True)
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = TrainingCompletion
        fields = ["id", "volunteer", "module", "module_name", "completed_on", "note", "recorded_by"]

    def get_recorded_by(self, completion) -> str | None:
        user = completion.recorded_by
        return (user.get_full_name() or user.username) if user else None


class NewCompletionSerializer(serializers.Serializer):
    volunteer = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    module = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    completed_on = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DueSerializer(serializers.Serializer):
    module = serializers.IntegerField(source="module.pk")
    module_name = serializers.CharField(source="module.name")
    last_done = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(allow_null=True, help_text=_("null: never done, due now"))


class TrainingModuleViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    """The training modules of the schemes you manage, retired ones included."""

    serializer_class = TrainingModuleSerializer

    def get_queryset(self):
        return training.modules_for(self.request.user).order_by("pk")


class TrainingCompletionViewSet(
    RowIdLookup,
    ValidatedDataMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your volunteers' training records. POST records one (400 with a code for a module of
    another scheme, a date in the future, the same record twice); DELETE removes one made in
    error."""

    serializer_class = TrainingCompletionSerializer

    def get_queryset(self):
        return training.completions_for(self.request.user).order_by("pk")

    @extend_schema(request=NewCompletionSerializer, responses=TrainingCompletionSerializer)
    def create(self, request):
        data = self._validated(NewCompletionSerializer)
        membership = volunteers.scope_volunteers(request.user).filter(pk=data["volunteer"]).first()
        if membership is None:
            raise NotFound(gettext("No such volunteer."))
        module = get_object_or_404(training.modules_for(request.user), pk=data["module"])
        completion = training.record_completion(
            actor=request.user,
            membership=membership,
            module=module,
            completed_on=data["completed_on"],
            note=data["note"],
        )
        completion = self.get_queryset().get(pk=completion.pk)
        return Response(self.get_serializer(completion).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        training.remove_completion(actor=self.request.user, completion=instance)


class OwnTrainingSerializer(serializers.Serializer):
    scheme = serializers.IntegerField(source="membership.scheme_id")
    completed = TrainingCompletionSerializer(source="completions", many=True)
    due = DueSerializer(many=True)
    holds_tact = serializers.BooleanField()
    mentored_visits = serializers.SerializerMethodField()

    def get_mentored_visits(self, record) -> dict | None:
        g = record.graduation
        if g is None:
            return None
        return {"done": g.visits_done, "needed": g.visits_needed, "ready": g.ready}


@extend_schema(responses=OwnTrainingSerializer(many=True))
@api_view(["GET"])
def own_training(request):
    """Your own training, what is due, and (as a trainee) your mentored visits, per scheme."""
    records = [training.training_of(m) for m in volunteers.own_records(request.user)]
    if not records:
        raise NotFound(gettext("You have no volunteer record."))
    return Response(OwnTrainingSerializer(records, many=True).data)
