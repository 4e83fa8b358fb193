"""Django admin for every model, usable by a scheme manager.

A manager (is_staff) sees and edits only the rows of the schemes they manage. Every model's
admin says how its rows reach their scheme (`SchemeScopedAdmin.scope`), and that one rule also
narrows everything a page offers to choose from (`ScopedChoicesMixin`): foreign-key and
many-to-many choices, inlines included, the list filters' choices, and the answers of the
autocomplete and raw-id look-ups, which Django takes from the related model's admin. A
superuser sees everything.

The admin is for looking, and for what has no domain rule. Whatever has one (reports, issues,
the rota, published checklists) is read-only here (`ReadOnlyAdmin`, `ReadOnlyInline`): no add,
change or delete, every field read-only. The changes it offers are admin actions that call the
same services as the pages, with the same rules, events, audit entries and e-mails. What stays
editable, and why, is listed in docs/architecture.md ("The admin").
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import get_fields_from_path, reverse_field_path
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, FileField, OuterRef, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from visits import models, permissions
from visits.errors import DomainError
from visits.issue_workflow import TRANSITIONS
from visits.models import Role
from visits.services import audit, checklists, rota, training
from visits.services.issues import act

User = get_user_model()


def managed_scheme_ids(request) -> list[int]:
    return permissions.schemes_where(request.user, Role.MANAGER)


def may_use_admin(request) -> bool:
    """A superuser, or a scheme manager (the pages each admin shows are then scoped)."""
    return request.user.is_active and (
        request.user.is_superuser or bool(managed_scheme_ids(request))
    )


def scoped(queryset, request, site=admin.site):
    """`queryset` narrowed to the rows its model's admin shows the user: those of the schemes
    they manage. Everything for a superuser; nothing of a model without a scheme-scoped admin
    (Django's groups and permissions, the sign-in and two-factor records)."""
    if request.user.is_superuser:
        return queryset
    model_admin = site._registry.get(queryset.model)
    if isinstance(model_admin, SchemeScopedAdmin):
        return model_admin.scope(queryset, request)
    return queryset.none()


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter on a relation offers only the related rows the user may see."""

    def field_choices(self, field, request, model_admin):
        rows = field.related_model._default_manager.all()
        if hasattr(field, "get_limit_choices_to"):
            rows = rows.complex_filter(field.get_limit_choices_to())
        rows = scoped(rows, request, model_admin.admin_site)
        return field.get_choices(
            include_blank=False,
            ordering=self.field_admin_ordering(field, request, model_admin),
            limit_choices_to={"pk__in": rows.values("pk")},
        )


class ScopedAllValuesFieldListFilter(admin.AllValuesFieldListFilter):
    """A list filter on a field across a relation (`suite__name`) offers only the values of
    the related rows the user may see; Django's own would read every row."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        parent_model, _ = reverse_field_path(model, field_path)
        if parent_model is not model:
            rows = scoped(parent_model._default_manager.all(), request, model_admin.admin_site)
            self.lookup_choices = (
                rows.distinct().order_by(field.name).values_list(field.name, flat=True)
            )


def scoped_list_filter(model, entry):
    """The scoped filter for a `list_filter` entry given by its field path; a filter class
    given explicitly is kept as it is."""
    if not isinstance(entry, str):
        return entry
    fields = get_fields_from_path(model, entry)
    if fields[-1].is_relation:
        return (entry, ScopedRelatedFieldListFilter)
    if len(fields) > 1:
        return (entry, ScopedAllValuesFieldListFilter)
    return entry  # a field of the model itself: Django takes its values from get_queryset


class ScopedChoicesMixin:
    """For every ModelAdmin and inline here: whatever a page offers to choose from holds only
    rows of the schemes the user manages (`scoped`, so the related model's own admin decides).

    Foreign-key and many-to-many choices are narrowed after the form field is made, so a
    queryset given by a subclass is narrowed too, and a posted id from elsewhere is refused as
    an invalid choice. List filters on relations take their choices the same way. Autocompletes
    and raw-id look-ups ask the related model's admin, whose `get_queryset` is scoped."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._scoped_field(field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._scoped_field(field, request)

    def _scoped_field(self, field, request):
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped(field.queryset, request, self.admin_site)
        return field

    def get_list_filter(self, request):
        entries = super().get_list_filter(request)
        return [scoped_list_filter(self.model, entry) for entry in entries]


class SchemeScopedTabularInline(ScopedChoicesMixin, admin.TabularInline):
    pass


class SchemeScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Rows reach their scheme through `scheme_path`; managers see only their schemes."""

    scheme_path = "scheme"
    deletable = True

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.scope(queryset, request)

    def scope(self, queryset, request):
        """The rows of `queryset` in the schemes the (non-superuser) user manages."""
        return queryset.filter(**{f"{self.scheme_path}__in": managed_scheme_ids(request)})

    def _allowed(self, request) -> bool:
        return may_use_admin(request)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self.deletable and self._allowed(request)

    # Changes made here join the audit trail like those made through the pages.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _audit(request, obj, "changed" if change else "added", sorted(form.changed_data))

    def delete_model(self, request, obj):
        _audit(request, obj, "deleted", [])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            _audit(request, obj, "deleted", [])
        super().delete_queryset(request, queryset)


def _audit(request, obj, verb: str, fields: list[str]) -> None:
    scheme = getattr(obj, "scheme", None) if hasattr(obj, "scheme_id") else None
    audit.record(
        actor=request.user,
        action=f"admin.{type(obj).__name__.lower()}_{verb}"[:40],
        obj=obj,
        scheme=scheme,
        detail={"fields": fields},
    )


def editable_fields(model, declared=(), exclude=None, parent_model=None) -> list[str]:
    """Every field a form of `model` would offer (less `exclude`, and the link to an inline's
    parent), after the read-only fields already `declared`: all of them shown read-only."""
    names = list(declared)
    for field in [*model._meta.fields, *model._meta.many_to_many]:
        if not field.editable or field.auto_created or field.name in (exclude or ()):
            continue
        if isinstance(field, FileField):  # see without_files
            continue
        if parent_model is not None and field.is_relation and field.related_model is parent_model:
            continue
        if field.name not in names:
            names.append(field.name)
    return names


def without_files(model, exclude) -> list[str]:
    """`exclude` and the model's files: the admin would link a file to the storage's own URL (a
    signed address in the bucket); media is served only by the app's views, after their
    permission check."""
    files = [field.name for field in model._meta.fields if isinstance(field, FileField)]
    return [*(exclude or ()), *files]


class ReadOnlyAdmin(SchemeScopedAdmin):
    """Shown, never changed here: no add, change or delete, every field read-only. Changes go
    through the services: the app's pages, or this admin's actions."""

    deletable = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        declared = super().get_readonly_fields(request, obj)
        return editable_fields(self.model, declared, self.exclude)

    def get_exclude(self, request, obj=None):
        return without_files(self.model, super().get_exclude(request, obj))

    # Never reached through the admin's own views (they ask the permissions above first);
    # refused anyway, should a page or a subclass ever call them.
    def save_model(self, request, obj, form, change):
        raise PermissionDenied

    def delete_model(self, request, obj):
        raise PermissionDenied

    def delete_queryset(self, request, queryset):
        raise PermissionDenied


class ReadOnlyInline(SchemeScopedTabularInline):
    """An inline shown on its parent's page (to whoever may open that page), never changed."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        declared = super().get_readonly_fields(request, obj)
        return editable_fields(self.model, declared, self.exclude, self.parent_model)

    def get_exclude(self, request, obj=None):
        return without_files(self.model, super().get_exclude(request, obj))


def _report_errors(model_admin, request, obj, error: DomainError) -> None:
    model_admin.message_user(request, f"{obj}: {error.message}", messages.ERROR)


@admin.register(models.Scheme)
class SchemeAdmin(SchemeScopedAdmin):
    scheme_path = "pk"
    list_display = [
        "name",
        "force_name",
        "bilingual",
        "response_days_routine",
        "response_days_urgent",
    ]
    prepopulated_fields = {"slug": ["name"]}
    deletable = False

    def has_add_permission(self, request):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # a new scheme starts with the standard training (induction, TACT...)
            training.install_default_modules(scheme=obj)


class SuiteInline(SchemeScopedTabularInline):
    model = models.CustodySuite
    extra = 0
    fields = ["name", "name_cy", "cells", "active", "visits_per_week"]


@admin.register(models.Panel)
class PanelAdmin(SchemeScopedAdmin):
    list_display = ["name", "scheme"]
    list_filter = ["scheme"]


@admin.register(models.CustodySuite)
class CustodySuiteAdmin(SchemeScopedAdmin):
    list_display = ["name", "scheme", "panel", "cells", "active", "visits_per_week"]
    list_filter = ["scheme", "active"]
    search_fields = ["name", "address"]
    list_select_related = ["scheme", "panel"]


class ConflictInline(SchemeScopedTabularInline):
    model = models.Conflict
    extra = 0


@admin.register(models.Membership)
class MembershipAdmin(SchemeScopedAdmin):
    list_display = ["user", "scheme", "role", "panel", "status", "appointed_on"]
    list_filter = ["scheme", "role", "status", "panel"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user", "scheme", "panel"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["suites"]
    inlines = [ConflictInline]
    # Vetting, appointment term and leaving have rules and side effects (slots cleared, the
    # managers told, the audit trail): they change only on the volunteer's page, its services.
    readonly_fields = [
        "subject_access",
        "volunteer_page",
        "vetting_level",
        "vetting_reference",
        "vetting_granted_on",
        "vetting_expires_on",
        "appointment_ends_on",
        "appointment_renewed_on",
        "left_on",
        "leaving_reason",
    ]

    def get_readonly_fields(self, request, obj=None):
        # Leaving has its service (rota slots cleared, offers withdrawn, the managers told):
        # a leaver's status stays as the service set it, and nobody is made one here.
        # A trainee becomes experienced through `graduate` (mentored visits and training
        # checked, or the manager's reason recorded), on the volunteer's page.
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status in (
            models.VisitorStatus.LEFT,
            models.VisitorStatus.TRAINEE,
        ):
            fields.append("status")
        return fields

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["choices"] = [
                choice
                for choice in models.VisitorStatus.choices
                if choice[0] != models.VisitorStatus.LEFT
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.display(description=_("Vetting, appointment and leaving"))
    def volunteer_page(self, obj):
        if obj.pk is None or not obj.is_visiting:
            return "-"
        url = reverse("volunteer-detail", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a>', url, gettext("Record them on the volunteer's page")
        )

    @admin.display(description=_("Subject access"))
    def subject_access(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("subject-access", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a>', url, gettext("Everything held about this person (JSON)")
        )


@admin.register(models.Conflict)
class ConflictAdmin(SchemeScopedAdmin):
    scheme_path = "membership__scheme"
    list_display = ["membership", "suite", "reason"]
    list_select_related = ["membership__user", "membership__scheme", "suite"]


def _is_draft(version) -> bool:
    return version is not None and version.status == models.ChecklistVersion.Status.DRAFT


# A draft checklist is edited here: that is what it is for. Once published, a version and
# everything under it are shown read-only (and the models refuse any change whatever the door:
# visits.models.checklists.ChecklistLocked). Moving a draft's section or question into a
# published version is refused by the model's clean(), as a message on the form.


class SectionInline(SchemeScopedTabularInline):
    model = models.ChecklistSection
    extra = 0
    show_change_link = True

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request)

    def has_change_permission(self, request, obj=None):
        return obj is None or _is_draft(obj)

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(models.ChecklistTemplate)
class ChecklistTemplateAdmin(SchemeScopedAdmin):
    list_display = ["name", "kind", "scheme"]
    list_filter = ["scheme", "kind"]
    actions = ["start_draft"]

    def get_readonly_fields(self, request, obj=None):
        # Its versions' reports were filled in as this scheme's checklist of this kind.
        return ["scheme", "kind"] if obj is not None else []

    @admin.action(description=_("Start a new draft version (a copy of the latest)"))
    def start_draft(self, request, queryset):
        for template in queryset:
            draft = checklists.start_draft(actor=request.user, template=template)
            self.message_user(
                request, gettext("Draft %(draft)s is ready to edit.") % {"draft": draft}
            )


@admin.register(models.ChecklistVersion)
class ChecklistVersionAdmin(SchemeScopedAdmin):
    """Only a draft can be edited; publishing it makes it the version new visits use."""

    scheme_path = "template__scheme"
    list_display = ["template", "number", "status", "published_at", "note"]
    list_filter = ["status"]
    inlines = [SectionInline]
    deletable = False
    readonly_fields = ["template", "number", "status", "published_at", "published_by"]
    actions = ["publish"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or _is_draft(obj))

    def has_add_permission(self, request):
        return False  # new versions start from a template's "start a new draft" action

    def get_readonly_fields(self, request, obj=None):
        declared = super().get_readonly_fields(request, obj)
        return declared if _is_draft(obj) else editable_fields(self.model, declared)

    @admin.action(description=_("Publish the selected draft"))
    def publish(self, request, queryset):
        for version in queryset:
            try:
                checklists.publish(actor=request.user, version=version)
            except DomainError as error:
                _report_errors(self, request, version, error)
            else:
                self.message_user(
                    request, gettext("%(version)s is published.") % {"version": version}
                )


class QuestionInline(SchemeScopedTabularInline):
    model = models.Question
    extra = 0
    fields = [
        "order",
        "key",
        "text",
        "text_cy",
        "answer_type",
        "no_suggests_issue",
        "issue_category",
        "expected",
    ]

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request)

    def has_change_permission(self, request, obj=None):
        return obj is None or _is_draft(obj.version)

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(models.ChecklistSection)
class ChecklistSectionAdmin(SchemeScopedAdmin):
    scheme_path = "version__template__scheme"
    list_display = ["title", "version", "order"]
    inlines = [QuestionInline]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _is_draft(obj.version))

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        declared = super().get_readonly_fields(request, obj)
        return declared if obj is None or _is_draft(obj.version) else editable_fields(self.model)


@admin.register(models.Question)
class QuestionAdmin(SchemeScopedAdmin):
    scheme_path = "section__version__template__scheme"
    list_display = ["text", "key", "answer_type", "no_suggests_issue", "issue_category"]
    list_filter = ["answer_type", "no_suggests_issue", "issue_category"]
    search_fields = ["text", "key"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _is_draft(obj.section.version))

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        declared = super().get_readonly_fields(request, obj)
        if obj is None or _is_draft(obj.section.version):
            return declared
        return editable_fields(self.model)


# Reports are recorded, signed off, submitted and amended through the visit services only
# (visits/services/visits.py): a report is a record of what two people saw, and an amendment
# keeps who changed what and why. Here they are read-only; the report's page links to the
# amendment form.


class VisitVisitorInline(ReadOnlyInline):
    model = models.VisitVisitor
    autocomplete_fields = ["user"]


@admin.register(models.Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["suite", "visit_date", "status", "outcome", "in_custody", "visited"]
    list_filter = ["scheme", "status", "outcome", "suite"]
    date_hierarchy = "visit_date"
    list_select_related = ["suite"]
    inlines = [VisitVisitorInline]
    readonly_fields = ["report_page", "uuid", "revision", "submitted_at", "submitted_by"]

    @admin.display(description=_("Report"))
    def report_page(self, obj):
        if obj.pk is None or obj.is_draft:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("visit-report", args=[obj.uuid]),
            gettext("The report's page (amendments are made there, with a reason)"),
        )


@admin.register(models.DetaineeRecord)
class DetaineeRecordAdmin(ReadOnlyAdmin):
    scheme_path = "visit__scheme"
    list_display = ["custody_number", "visit", "under_18", "tact"]
    list_select_related = ["visit__suite"]


@admin.register(models.Answer)
class AnswerAdmin(ReadOnlyAdmin):
    scheme_path = "visit__scheme"
    list_display = ["visit", "detainee", "question", "value"]
    list_select_related = ["visit__suite", "detainee", "question"]


@admin.register(models.Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    scheme_path = "visit__scheme"
    list_display = ["visit", "caption", "created_at"]


@admin.register(models.Amendment)
class AmendmentAdmin(ReadOnlyAdmin):
    scheme_path = "visit__scheme"
    list_display = ["visit", "actor", "created_at", "reason"]


# The rota has rules (conflicts, pairs, nights, trainees, the secret agreed time) and tells
# visitors of changes: its pages in the app make every change through visits/services/rota.py.
# Here it is read-only, with the slot and period steps that need no form as actions.


@admin.register(models.RotaPeriod)
class RotaPeriodAdmin(ReadOnlyAdmin):
    list_display = ["name", "scheme", "starts_on", "ends_on", "status"]
    list_filter = ["scheme", "status"]
    actions = ["publish"]

    @admin.action(description=_("Publish the selected draft rota (e-mails each visitor)"))
    def publish(self, request, queryset):
        for period in queryset:
            try:
                rota.publish(actor=request.user, period=period)
            except DomainError as error:
                _report_errors(self, request, period, error)
            else:
                self.message_user(request, gettext("%(period)s is published.") % {"period": period})


@admin.register(models.RotaSlot)
class RotaSlotAdmin(ReadOnlyAdmin):
    scheme_path = "period__scheme"
    list_display = ["suite", "week_starts_on", "time_band", "status"]
    list_filter = ["status", "time_band", "suite"]
    list_select_related = ["suite", "period"]
    actions = ["mark_cancelled", "mark_missed", "mark_planned"]

    def _end(self, request, queryset, status: str) -> None:
        for slot in queryset.select_related("period__scheme", "suite"):
            try:
                rota.end_slot(actor=request.user, slot=slot, status=status)
            except DomainError as error:
                _report_errors(self, request, slot, error)
            else:
                self.message_user(
                    request,
                    gettext("%(slot)s: %(status)s.")
                    % {"slot": slot, "status": slot.get_status_display()},
                )

    @admin.action(description=_("Mark the selected slots cancelled"))
    def mark_cancelled(self, request, queryset):
        self._end(request, queryset, models.RotaSlot.Status.CANCELLED)

    @admin.action(description=_("Mark the selected slots missed"))
    def mark_missed(self, request, queryset):
        self._end(request, queryset, models.RotaSlot.Status.MISSED)

    @admin.action(description=_("Put the selected slots back to planned"))
    def mark_planned(self, request, queryset):
        self._end(request, queryset, models.RotaSlot.Status.PLANNED)


@admin.register(models.Availability)
class AvailabilityAdmin(ReadOnlyAdmin):
    scheme_path = "period__scheme"
    list_display = [
        "user",
        "period",
        "nights_ok",
        "nights_a_year",
        "max_visits_per_month",
        "max_visits_per_period",
    ]


@admin.register(models.SwapRequest)
class SwapRequestAdmin(ReadOnlyAdmin):
    scheme_path = "slot__period__scheme"
    list_display = ["slot", "offered_by", "taken_by", "status"]


# An issue moves only through its workflow (visits/issue_workflow.py, enforced by
# visits.services.issues.act): each step an event, an audit entry and, where the workflow says,
# e-mails. Here issues and their events are read-only; a step is taken with the action below.


class IssueEventInline(ReadOnlyInline):
    model = models.IssueEvent
    readonly_fields = ["kind", "actor", "text", "file_name", "shared_with_force", "created_at"]

    @admin.display(description=_("File"))
    def file_name(self, event):
        # Its name only: the file is served by the issue's page, to those who may see it.
        return event.attachment.name.rsplit("/", 1)[-1] if event.attachment else ""


class IssueStepForm(forms.Form):
    """A workflow step for the selected issues, with the revision each was read at."""

    step = forms.ChoiceField(label=_("Step"))
    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Steps that need a few words say so if they are missing."),
    )
    shared_with_force = forms.BooleanField(
        label=_("Share this note with the force custody lead"), required=False
    )

    def __init__(self, *args, issues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [
            (t.action, t.label) for t in TRANSITIONS.values() if Role.MANAGER in t.roles
        ]
        for issue in issues:
            self.fields[f"revision_{issue.pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=0
            )


@admin.register(models.Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "severity", "status", "due_on", "created_at"]
    list_filter = ["scheme", "status", "severity", "category", "suite"]
    search_fields = ["description"]
    list_select_related = ["suite"]
    inlines = [IssueEventInline]
    readonly_fields = ["issue_page"]
    actions = ["take_step"]

    @admin.display(description=_("Issue page"))
    def issue_page(self, obj):
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("issue-detail", args=[obj.pk]), gettext("Open it")
        )

    @admin.action(description=_("Take a workflow step (triage, refer, escalate, close…)"))
    def take_step(self, request, queryset):
        """A page to choose the step and write its text; then `act` on each selected issue,
        refused for one changed since that page was drawn (its revision)."""
        issues = list(queryset.select_related("suite"))
        applying = "apply" in request.POST
        form = IssueStepForm(
            request.POST if applying else None,
            issues=issues,
            initial={f"revision_{issue.pk}": issue.revision for issue in issues},
        )
        if applying and form.is_valid():
            data = form.cleaned_data
            for issue in issues:
                try:
                    act(
                        actor=request.user,
                        issue=issue,
                        action=data["step"],
                        text=data["text"],
                        shared_with_force=data["shared_with_force"],
                        expected_revision=data[f"revision_{issue.pk}"],
                    )
                except DomainError as error:
                    _report_errors(self, request, issue, error)
                else:
                    self.message_user(
                        request,
                        gettext("%(issue)s: %(step)s done.")
                        % {"issue": issue, "step": TRANSITIONS[data["step"]].label},
                    )
            return None  # back to the list, with a message per issue
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Take a workflow step"),
            "opts": self.model._meta,
            "issues": issues,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/visits/issue/take_step.html", context)


@admin.register(models.IssueEvent)
class IssueEventAdmin(ReadOnlyAdmin):
    scheme_path = "issue__scheme"
    list_display = ["issue", "kind", "actor", "created_at"]


@admin.register(models.AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens belong to their users; a manager may see those of their scheme's people."""

    scheme_path = "user__memberships__scheme"
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]

    def scope(self, queryset, request):
        return super().scope(queryset, request).distinct()


@admin.register(models.CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    scheme_path = "membership__scheme"
    list_display = ["membership", "created_at", "revoked_at"]
    exclude = ["token"]


# Users: a manager works with the people of their schemes (and new accounts not yet in one).
admin.site.unregister(User)


@admin.register(User)
class SchemeUserAdmin(SchemeScopedAdmin, UserAdmin):
    scheme_path = "memberships__scheme"
    deletable = False

    def scope(self, queryset, request):
        memberships = models.Membership.objects.filter(user=OuterRef("pk"))
        in_scheme = Exists(memberships.filter(scheme__in=managed_scheme_ids(request)))
        unattached = ~Exists(memberships) & Q(is_superuser=False)
        return queryset.filter(in_scheme | unattached)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Only a superuser hands out staff or superuser powers.
        return [
            (
                name,
                {
                    **opts,
                    "fields": [
                        f
                        for f in opts["fields"]
                        if f not in ("is_superuser", "groups", "user_permissions", "is_staff")
                    ],
                },
            )
            for name, opts in fieldsets
        ]


@admin.register(models.Email)
class EmailAdmin(ReadOnlyAdmin):
    """The mail queue, to look at; the scheme's "E-mails" page sends a failed one again."""

    list_display = ["created_at", "kind", "to_address", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_address", "subject"]
