"""The REST API: viewsets over the scoped querysets of visits/permissions.py, with every change
made by the services in visits/services/ (the same ones the pages call)."""

import dataclasses
import uuid as uuid_module

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api import filters
from api import serializers as s
from api.mixins import RowIdLookup, ValidatedDataMixin, row_id_or_404
from api.pagination import KeysetPagination
from visits import permissions
from visits.errors import DomainError
from visits.images import ImageRejected, clean_photo, clean_signature
from visits.models import (
    ChecklistTemplate,
    ChecklistVersion,
    CustodySuite,
    Membership,
    Panel,
    Visit,
)
from visits.pdf import render_visit_report
from visits.services import amendments, checklists, phone_reports
from visits.services import issues as issue_service
from visits.services import visits as service
from visits.visible_issues import read_issue, readable_issues, visible_issue, visible_issues
from visits.visit_read_model import VisitFacts, read_report, visible_photos, visible_report

User = get_user_model()


class SuiteViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SuiteSerializer

    def get_queryset(self):
        queryset = CustodySuite.objects.select_related("scheme", "panel").order_by("scheme", "name")
        return permissions.scope_suites(queryset, self.request.user)


class PanelViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    """Panels of the schemes you belong to (a force custody lead: none)."""

    serializer_class = s.PanelSerializer

    def get_queryset(self):
        schemes = permissions.reference_schemes(self.request.user)
        return Panel.objects.filter(scheme_id__in=schemes).select_related("scheme").order_by("pk")


class PersonViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    """People, as memberships: the manager sees everyone in the scheme (with contact details),
    visitors and coordinators the visiting members, everyone themselves."""

    serializer_class = s.PersonInSchemeSerializer

    def get_queryset(self):
        queryset = Membership.objects.current().select_related("user", "scheme", "panel")
        return permissions.scope_memberships(queryset, self.request.user).order_by("pk")

    def get_serializer_context(self):
        managed = set(permissions.managed_schemes(self.request.user))
        return super().get_serializer_context() | {"managed_schemes": managed}


class ChecklistVersionViewSet(RowIdLookup, viewsets.ReadOnlyModelViewSet):
    """Checklist versions of your schemes: published and retired ones, and drafts for the
    manager. One version's detail has its questions."""

    def get_queryset(self):
        user = self.request.user
        schemes = permissions.reference_schemes(user)
        managed = permissions.managed_schemes(user)
        return (
            ChecklistVersion.objects.filter(template__scheme_id__in=schemes)
            .exclude(Q(status=ChecklistVersion.Status.DRAFT) & ~Q(template__scheme_id__in=managed))
            .select_related("template__scheme")
            .order_by("template__scheme_id", "template__kind", "-number")
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.ChecklistVersionSerializer
        return s.ChecklistVersionSummarySerializer


@extend_schema(
    responses=OpenApiTypes.OBJECT,
    description=_(
        "Who you are and your memberships; for a browser session, also the "
        "`csrf_token` its changes must carry (the phone's outbox asks here before it sends)."
    ),
)
@api_view(["GET"])
def me(request):
    user = request.user
    body = {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name(),
        "memberships": s.MembershipSerializer(permissions.memberships_of(user), many=True).data,
    }
    if not request.auth:  # a browser session, not a token
        body["csrf_token"] = get_token(request)
    return Response(body)


@extend_schema(responses=s.ChecklistVersionSerializer(many=True))
@api_view(["GET"])
def current_checklists(request):
    """The published checklists new visits are filled against, per scheme of the user."""
    result = []
    for scheme_id in permissions.recording_schemes(request.user):
        versions = checklists.current_versions(scheme_id)
        for kind in ChecklistTemplate.Kind.values:
            if kind in versions:
                result.append(s.ChecklistVersionSerializer(versions[kind]).data)
    return Response(result)


def _uuid_or_404(value: str) -> uuid_module.UUID:
    try:
        return uuid_module.UUID(value)
    except ValueError:
        raise Http404 from None


class VisitViewSet(
    ValidatedDataMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Visits the user may see. A draft changes through its step actions; a submitted report
    only through `amend`."""

    lookup_field = "uuid"
    pagination_class = KeysetPagination
    keyset_ordering = ("-visit_date", "-arrived_at", "-pk")
    filter_backends = [filters.ListFilterBackend]
    filterset_class = filters.VisitFilter

    def get_queryset(self):
        queryset = permissions.scope_visits(Visit.objects.all(), self.request.user).for_report()
        return queryset.order_by(*self.keyset_ordering)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        facts = [VisitFacts(visit) for visit in page]
        return self.get_paginated_response(self.get_serializer(facts, many=True).data)

    serializer_class = s.VisitSerializer

    def _draft(self) -> Visit:
        visit = self.get_object()
        if not permissions.can_edit_visit(self.request.user, visit):
            if not visit.is_draft and visit.has_visitor(self.request.user):
                raise DomainError(
                    gettext(
                        "This report has been submitted and can no longer be edited. "
                        "Make an amendment, with a reason, instead."
                    ),
                    code="visit_submitted",
                )
            raise PermissionDenied(
                gettext("Only the visitors on this visit can fill in its report.")
            )
        return visit

    def _report(self, visit):
        """The visit as stored now, as the user may read it
        (visits.visit_read_model.visible_report)."""
        return visible_report(self.request.user, self.get_queryset().get(pk=visit.pk))

    def _done(self, visit, code=status.HTTP_200_OK):
        return Response(s.VisitDetailSerializer(self._report(visit)).data, status=code)

    def _sign_off(self, data: dict) -> service.SignOff:
        """A sign-off from its validated data: the drawn signature re-encoded; the service
        checks who confirms, refusing anyone not on the visit as it refuses nobody."""
        signature = clean_signature(data["signature"]) if data["signature"] else None
        return service.SignOff.from_data(
            data, signature_png=signature, confirmed_by=data["confirmed_by"]
        )

    @extend_schema(responses=s.VisitDetailSerializer)
    def retrieve(self, request, uuid=None):
        report = read_report(request.user, self.get_object(), via="api")
        return Response(s.VisitDetailSerializer(report).data)

    @extend_schema(
        request=s.VisitStartSerializer,
        responses={201: s.VisitDetailSerializer, 200: s.VisitDetailSerializer},
    )
    def create(self, request):
        """Start a visit. Idempotent on `uuid`: 201 when new, 200 with the stored visit."""
        data = self._validated(s.VisitStartSerializer)
        if not permissions.can_record_visits(request.user):
            raise PermissionDenied(gettext("Only custody visitors record visits."))
        existing = data.get("uuid") and Visit.objects.filter(uuid=data["uuid"]).exists()
        suite = get_object_or_404(
            permissions.scope_suites(CustodySuite.objects.all(), request.user), pk=data["suite"]
        )
        visit = service.start_visit(
            actor=request.user,
            suite=suite,
            co_visitors=data["co_visitors"],  # ids: the service refuses alike who it cannot use
            arrived_at=data["arrived_at"],
            client_uuid=data.get("uuid"),
        )
        return self._done(visit, status.HTTP_200_OK if existing else status.HTTP_201_CREATED)

    @extend_schema(request=s.AdmissionSerializer, responses=s.VisitDetailSerializer)
    @action(detail=True, methods=["post"])
    def admission(self, request, uuid=None):
        visit = self._draft()  # 404 or 403 before the body is looked at
        data = self._validated(s.AdmissionSerializer)
        revision = data.pop("revision")
        visit = service.record_admission(
            actor=request.user, visit=visit, expected_revision=revision, **data
        )
        return self._done(visit)

    @extend_schema(request=s.NumbersSerializer, responses=s.VisitDetailSerializer)
    @action(detail=True, methods=["post"])
    def numbers(self, request, uuid=None):
        visit = self._draft()
        data = self._validated(s.NumbersSerializer)
        revision = data.pop("revision")
        visit = service.record_numbers(
            actor=request.user, visit=visit, numbers=data, expected_revision=revision
        )
        return self._done(visit)

    @extend_schema(request=s.DetaineeSerializer, responses={201: s.VisitDetailSerializer})
    @action(detail=True, methods=["post"])
    def detainees(self, request, uuid=None):
        """Add a detainee seen, with their checklist answers."""
        visit = self._draft()
        data = self._validated(s.DetaineeSerializer)
        answers = s.answers_dict(data.pop("answers", []))
        details = service.DetaineeDetails(answers=answers, **data)
        service.save_detainee(actor=request.user, visit=visit, details=details)
        return self._done(visit, status.HTTP_201_CREATED)

    @extend_schema(request=s.SuiteAnswersSerializer, responses=s.VisitDetailSerializer)
    @action(detail=True, methods=["put"], url_path="suite-answers")
    def suite_answers(self, request, uuid=None):
        visit = self._draft()
        data = self._validated(s.SuiteAnswersSerializer)
        visit = service.save_suite_answers(
            actor=request.user,
            visit=visit,
            answers=s.answers_dict(data["answers"]),
            expected_revision=data["revision"],
        )
        return self._done(visit)

    @extend_schema(request=s.IssueInSerializer, responses={201: s.VisitDetailSerializer})
    @action(detail=True, methods=["post"])
    def issues(self, request, uuid=None):
        visit = self._draft()
        service.raise_issue(actor=request.user, visit=visit, **self._validated(s.IssueInSerializer))
        return self._done(visit, status.HTTP_201_CREATED)

    @extend_schema(request=s.GoodPracticeSerializer, responses=s.VisitDetailSerializer)
    @action(detail=True, methods=["post"], url_path="good-practice")
    def good_practice(self, request, uuid=None):
        visit = self._draft()
        data = self._validated(s.GoodPracticeSerializer)
        visit = service.record_good_practice(
            actor=request.user,
            visit=visit,
            text=data["good_practice"],
            names_checked=data["names_checked"],
        )
        return self._done(visit)

    @extend_schema(request=s.SignOffSerializer, responses=s.VisitDetailSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request, uuid=None):
        visit = self._draft()
        data = self._validated(s.SignOffSerializer)
        visit = service.record_sign_off(
            actor=request.user,
            visit=visit,
            expected_revision=data["revision"],
            sign_off=self._sign_off(data),
        )
        return self._done(visit)

    @extend_schema(request=None, responses=s.VisitDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, uuid=None):
        """Submit the report. Submitting again returns the stored report (200)."""
        visit = self.get_object()
        if not visit.has_visitor(request.user):
            raise PermissionDenied(gettext("Only the visitors on this visit submit its report."))
        return self._done(service.submit_visit(actor=request.user, visit=visit))

    @extend_schema(
        request=s.WholeReportSerializer,
        responses={201: s.ReceiptSerializer, 200: s.ReceiptSerializer},
    )
    @action(detail=True, methods=["put"])
    def report(self, request, uuid=None):
        """Send a whole report at once, from a phone's outbox: stored and submitted, or nothing
        stored and the first broken rule named by its place (`detainees.1.custody_number`).

        The `uuid` in the path is the phone's: 201 the first time, then 200 with the report
        already stored, however often it is sent. If the other visitor sent this visit first,
        this report is kept beside theirs (`kept_as_copy`)."""
        client_uuid = _uuid_or_404(uuid)
        if not permissions.can_record_visits(request.user):
            raise PermissionDenied(gettext("Only custody visitors record visits."))
        data = self._validated(s.WholeReportSerializer)
        receipt = phone_reports.receive(
            actor=request.user, client_uuid=client_uuid, report=self._whole_report(data)
        )
        body = s.ReceiptSerializer(
            {
                "outcome": receipt.outcome,
                "message": receipt.message,
                "visit": self._report(receipt.visit),
            }
        ).data
        created = receipt.outcome == phone_reports.Receipt.CREATED
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _whole_report(self, data: dict) -> phone_reports.WholeReport:
        suite = get_object_or_404(
            permissions.scope_suites(CustodySuite.objects.all(), self.request.user),
            pk=data["suite"],
        )
        admission = data["admission"]
        if admission:
            admission = {k: v for k, v in admission.items() if k != "revision"}
        detainees = []
        for detainee in data["detainees"]:
            answers = s.answers_dict(detainee.pop("answers", []))
            detainees.append(service.DetaineeDetails(answers=answers, **detainee))
        versions = {"detainee": data["detainee_checklist"], "suite": data["suite_checklist"]}
        return phone_reports.WholeReport(
            suite=suite,
            co_visitors=data["co_visitors"],
            arrived_at=data["arrived_at"],
            checklist_versions={kind: pk for kind, pk in versions.items() if pk},
            admission=admission,
            numbers={k: v for k, v in data["numbers"].items() if k != "revision"},
            detainees=detainees,
            suite_answers=s.answers_dict(data["suite_answers"]),
            issues=data["issues"],
            rechecks=data["rechecks"],
            good_practice=data["good_practice"],
            good_practice_names_checked=data["good_practice_names_checked"],
            photos=[
                phone_reports.PhonePhoto(
                    client_uuid=photo["id"], caption=photo["caption"], data=photo["image"]
                )
                for photo in data["photos"]
            ],
            sign_off=self._sign_off(data["sign_off"]),
            as_sent=self.request.data,
        )

    @extend_schema(
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.PhotoSerializer, 200: s.PhotoSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photos(self, request, uuid=None):
        """Add a photo of the suite's conditions (never of people) to a draft: re-encoded, its
        metadata (place, time, camera) dropped. 201, or 200 with the stored photo when its `id`
        was sent before; 400 `image_rejected` naming `image` for a file that is not a photo."""
        visit = self._draft()
        data = self._validated(s.PhotoUploadSerializer)
        sent_before = (
            data["id"] is not None and visit.attachments.filter(client_uuid=data["id"]).exists()
        )
        upload = data["image"]
        try:
            clean = clean_photo(upload.read(upload.size + 1))
        except ImageRejected as rejected:
            raise DomainError(str(rejected), code="image_rejected", field="image") from None
        photo = service.add_photo(
            actor=request.user,
            visit=visit,
            photo=clean,
            caption=data["caption"],
            client_uuid=data["id"],
        )
        shown = next(p for p in visible_photos(request.user, visit) if p.pk == photo.pk)
        return Response(
            s.PhotoSerializer(shown).data,
            status=status.HTTP_200_OK if sent_before else status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True, methods=["delete"], url_path=r"photos/(?P<pk>[0-9]+)", url_name="photo-detail"
    )
    def photo(self, request, uuid=None, pk=None):
        """Take a photo off a draft: 204."""
        visit = self._draft()
        row = get_object_or_404(visit.attachments.all(), pk=row_id_or_404(pk))
        service.remove_photo(actor=request.user, visit=visit, photo=row)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.AmendmentSerializer, responses=s.VisitDetailSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, uuid=None):
        """Correct a submitted report: its own fields (`changes`), checklist `answers` and
        `custody_numbers`, with a `reason` and the `revision` you read (409 `stale_revision` if
        it has changed since). 400 names each problem by its path; nothing is changed then."""
        visit = self.get_object()
        if not permissions.can_amend_visit(request.user, visit):
            raise PermissionDenied(
                gettext("Only the visitors on this visit and the scheme manager amend it.")
            )
        data = self._validated(s.AmendmentSerializer)
        amendments.amend_visit(
            actor=request.user,
            visit=visit,
            reason=data["reason"],
            changes=data.get("changes", {}),
            answers=[amendments.AnswerAmendment(**a) for a in data.get("answers", [])],
            custody_numbers=[
                amendments.CustodyNumberAmendment(**c) for c in data.get("custody_numbers", [])
            ],
            expected_revision=data["revision"],
            names_checked=data["names_checked"],
        )
        return self._done(visit)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, uuid=None):
        report = read_report(request.user, self.get_object(), as_pdf=True, via="api")
        data = render_visit_report(report)
        return HttpResponse(data, content_type="application/pdf")


class IssueViewSet(
    RowIdLookup,
    ValidatedDataMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Issues the user may see (a force lead: those referred for their suites). Every change is
    a workflow step through `act`."""

    serializer_class = s.IssueSerializer
    pagination_class = KeysetPagination
    # Those due soonest first (issues without a due date last), the newest first within a day.
    keyset_ordering = ("due_on", "-created_at", "pk")
    filter_backends = [filters.ListFilterBackend]
    filterset_class = filters.IssueFilter

    def get_queryset(self):
        queryset = readable_issues(self.request.user)
        return queryset.order_by(*self.keyset_ordering)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        issues = visible_issues(request.user, page)
        return self.get_paginated_response(self.get_serializer(issues, many=True).data)

    @extend_schema(responses=s.IssueDetailSerializer)
    def retrieve(self, request, pk=None):
        issue = self.get_object()
        return Response(s.IssueDetailSerializer(read_issue(request.user, issue, via="api")).data)

    @extend_schema(request=s.IssueActionSerializer, responses=s.IssueDetailSerializer)
    @action(detail=True, methods=["post"], url_path="act")
    def act(self, request, pk=None):
        """Take a workflow step, naming the `revision` you read. 409 when the issue's state
        does not allow it or it changed since, 403 when the role does not."""
        issue = self.get_object()
        data = self._validated(s.IssueActionSerializer)
        revision = data.pop("revision")
        issue = issue_service.act(
            actor=request.user, issue=issue, expected_revision=revision, **data
        )
        issue = self.get_queryset().get(pk=issue.pk)
        return Response(s.IssueDetailSerializer(visible_issue(request.user, issue)).data)


@extend_schema(responses=OpenApiTypes.OBJECT, parameters=[filters.SummaryQuery])
@api_view(["GET"])
def summary(request):
    """The figures of a period (?scheme=slug&period=2026-Q4 or 2026&suite=id) and the period
    before, as the dashboard, PDF and CSV show them."""
    from visits.summaries import read_summary, summary_scope

    filters.SummaryQuery.check(request)  # types and bounds; the scope reads the rest
    scope = summary_scope(request.user, request.query_params)
    if scope.error:
        raise DomainError(scope.error, code="period_invalid", field="period")
    result = read_summary(request.user, scope, form="api")
    return Response(
        {
            "scheme": scope.scheme.slug,
            "period": scope.period.key,
            # A period not yet ended is summarised so far, to up_to, and compared with the
            # same part of the period before (to previous_up_to).
            "complete": result.complete,
            "up_to": result.up_to,
            "previous_period": result.previous_period.key,
            "previous_up_to": result.previous_up_to,
            "suites": result.suite_names,
            "headline": result.sentences(),
            "current": result.current.given(),
            "previous": result.previous.given(),
            # Every single-number figure with its label, as the page, PDF and CSV show it.
            "figures": [
                {"key": key, "label": label, "current": now, "previous": before}
                for key, label, now, before in result.labelled()
            ],
            "question_rates": [
                dataclasses.asdict(rate) | {"rate": rate.rate, "previous_rate": rate.previous_rate}
                for rate in result.question_rates
            ],
            "trend_quarters": result.trend_quarters,
            "by_suite": [dataclasses.asdict(row) for row in result.suites],
        }
    )
