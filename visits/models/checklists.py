from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from visits.errors import ConflictError
from visits.models.base import Model

from .bilingual import Bilingual, pick
from .schemes import Scheme


class IssueCategory(models.TextChoices):
    """The categories published reports use (ICV-DOMAIN.md, "Issues and escalation")."""

    RIGHTS = "rights", _("Rights and entitlements")
    HEALTH = "health", _("Health and medication")
    WELFARE = "welfare", _("Welfare and care")
    DIGNITY = "dignity", _("Dignity and equality")
    VULNERABILITY = "vulnerability", _("Vulnerability")
    CONDITIONS = "conditions", _("Conditions and estate")
    SAFETY = "safety", _("Safety and security hazards")
    TREATMENT = "treatment", _("Treatment by staff")
    ACCESS = "access", _("Access")
    STAFFING = "staffing", _("Staffing")


class ChecklistTemplate(Bilingual, Model):
    class Kind(models.TextChoices):
        DETAINEE = "detainee", _("Detainee rights and welfare")
        SUITE = "suite", _("Suite conditions")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="checklists")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=120)
    name_cy = models.CharField(_("name in Welsh"), max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "kind"], name="one_checklist_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.scheme})"


# A published checklist never changes: every report filled in against it shows its sections and
# questions, in the page and the PDF, so a change would rewrite reports already submitted. The
# models refuse it whatever the door (the admin, a service, a shell): save() and delete() of a
# version that is not a draft, of a section or question of one, and moving a section or question
# into or out of one; and the querysets' update(), delete(), bulk_create() and bulk_update() for
# such rows. Raw SQL (and Django's private `_base_manager` / `_raw_delete`) can still do it; the
# audit trail and backups are the backstop there, not this code.


class ChecklistLocked(ConflictError):
    """A change to a checklist version that is no longer a draft (or to what is under it)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or gettext(
                "A published checklist never changes: reports were filled in against it. "
                "Start a new draft version and change that."
            ),
            code="checklist_locked",
        )


def _refuse_unless_drafts(versions) -> None:
    """Raise ChecklistLocked if any of `versions` (a ChecklistVersion queryset) is not a draft."""
    if versions.exclude(status=ChecklistVersion.Status.DRAFT).exists():
        raise ChecklistLocked()


def _versions(**lookups):
    """The versions matching any of `lookups` (ORed); those given None are left out."""
    conditions = [Q(**{name: value}) for name, value in lookups.items() if value is not None]
    if not conditions:
        return ChecklistVersion.objects.none()
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return ChecklistVersion.objects.filter(condition)


class ChecklistVersionQuerySet(models.QuerySet):
    """update() and delete() touch drafts only. The one change a published version takes is to
    be retired (`checklists.publish` retires the one it replaces)."""

    def update(self, **kwargs):
        retiring = set(kwargs) == {"status"} and kwargs["status"] == ChecklistVersion.Status.RETIRED
        kept = (
            [ChecklistVersion.Status.PUBLISHED, ChecklistVersion.Status.RETIRED]
            if retiring
            else [ChecklistVersion.Status.DRAFT]
        )
        if self.exclude(status__in=kept).exists():
            raise ChecklistLocked()
        return super().update(**kwargs)

    def delete(self):
        _refuse_unless_drafts(self)
        return super().delete()

    delete.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if any(obj.status != ChecklistVersion.Status.DRAFT for obj in objs):
            raise ChecklistLocked(gettext("A checklist version starts as a draft."))
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        _refuse_unless_drafts(self.model.objects.filter(pk__in=[obj.pk for obj in objs]))
        return super().bulk_update(objs, fields, *args, **kwargs)


class ChecklistVersion(Model):
    """One version of a checklist. Once published it never changes; visits point at it.

    A version starts as a draft; publishing (`services.checklists.publish`) is the draft's
    last change, and being retired the published one's only one (see ChecklistLocked)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", pgettext_lazy("a checklist version", "Retired")

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(max_length=200, blank=True, help_text=_("What changed, and why."))
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ChecklistVersionQuerySet.as_manager()

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        stored = self._stored()
        if stored is None:
            if self.status != self.Status.DRAFT:
                raise ChecklistLocked(gettext("A checklist version starts as a draft."))
        elif stored["status"] != self.Status.DRAFT:
            changed = {name for name, value in stored.items() if getattr(self, name) != value}
            retiring = (
                stored["status"] == self.Status.PUBLISHED and self.status == self.Status.RETIRED
            )
            if changed - {"status"} or (changed and not retiring):
                raise ChecklistLocked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = self._stored()
        if stored is not None and stored["status"] != self.Status.DRAFT:
            raise ChecklistLocked()
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def _stored(self) -> dict | None:
        """The row as the database holds it (every column by attribute name), or None."""
        if self.pk is None:
            return None
        names = [field.attname for field in self._meta.concrete_fields]
        return type(self)._base_manager.filter(pk=self.pk).values(*names).first()


class _UnderVersionQuerySet(models.QuerySet):
    """update(), delete() and the bulk methods touch rows of draft versions only, and move none
    under a version that is not a draft. A subclass names the way from a version to its rows
    (`from_version`) and the row's parent (`parent`, with `to_parent`: the way from a version
    to that parent)."""

    from_version: str
    parent: str
    to_parent: str

    def _refuse_rows(self, pks) -> None:
        _refuse_unless_drafts(_versions(**{f"{self.from_version}__in": pks}))

    def _refuse_parents(self, parent_ids) -> None:
        _refuse_unless_drafts(_versions(**{f"{self.to_parent}__in": list(parent_ids)}))

    def update(self, **kwargs):
        self._refuse_rows(self.values("pk"))
        target = kwargs.get(self.parent, kwargs.get(f"{self.parent}_id"))
        if target is not None:
            self._refuse_parents([getattr(target, "pk", target)])
        return super().update(**kwargs)

    def delete(self):
        self._refuse_rows(self.values("pk"))
        return super().delete()

    delete.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        self._refuse_parents(getattr(obj, f"{self.parent}_id") for obj in objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        self._refuse_rows([obj.pk for obj in objs])
        self._refuse_parents(getattr(obj, f"{self.parent}_id") for obj in objs)
        return super().bulk_update(objs, fields, *args, **kwargs)


class _UnderVersion(Model):
    """A row that belongs to a checklist version (a section, a question): saved, deleted or
    moved only while every version it touches is a draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        _refuse_unless_drafts(self._versions_touched())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_unless_drafts(_versions(**{self._paths().from_version: self.pk}))
        return super().delete(*args, **kwargs)

    def clean(self):
        # For forms (the admin): the same refusal as save(), as a message on the form.
        try:
            _refuse_unless_drafts(self._versions_touched())
        except ChecklistLocked as error:
            raise ValidationError(error.message) from None

    def _versions_touched(self):
        """The version it is in now (as stored) and the one it is being saved under."""
        paths = self._paths()
        parent_id = getattr(self, f"{paths.parent}_id")
        return _versions(**{paths.from_version: self.pk, paths.to_parent: parent_id})

    @classmethod
    def _paths(cls) -> _UnderVersionQuerySet:
        return cls.objects.none()  # the queryset class names the paths


class ChecklistSectionQuerySet(_UnderVersionQuerySet):
    from_version, parent, to_parent = "sections", "version", "pk"


class ChecklistSection(Bilingual, _UnderVersion):
    version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=120)
    title_cy = models.CharField(_("title in Welsh"), max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ChecklistSectionQuerySet.as_manager()

    class Meta:
        ordering = ["version", "order"]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        return self.localised("title")


class QuestionQuerySet(_UnderVersionQuerySet):
    from_version, parent, to_parent = "sections__questions", "section", "sections"


class Question(Bilingual, _UnderVersion):
    class AnswerType(models.TextChoices):
        YES_NO = "yes_no", _("Yes / no / not applicable / not asked")
        NUMBER = "number", _("Number")
        TEXT = "text", _("Short text")
        CHOICE = "choice", _("Choice")

    section = models.ForeignKey(
        ChecklistSection, on_delete=models.CASCADE, related_name="questions"
    )
    # Stable across versions, so figures can follow "the same question" through revisions.
    key = models.SlugField(max_length=60)
    text = models.CharField(max_length=300)
    text_cy = models.CharField(_("text in Welsh"), max_length=300, blank=True)
    help_text = models.CharField(max_length=300, blank=True)
    help_text_cy = models.CharField(_("help text in Welsh"), max_length=300, blank=True)
    answer_type = models.CharField(
        max_length=10, choices=AnswerType.choices, default=AnswerType.YES_NO
    )
    choices = models.JSONField(default=list, blank=True, help_text=_("Options, for a choice."))
    # The Welsh of each option, in the same order. An answer stores the English option (the
    # stored value is the same whatever the language it was answered in); a Welsh reader sees
    # the Welsh option in its place (shown_choices, choice_label).
    choices_cy = models.JSONField(
        _("options in Welsh"),
        default=list,
        blank=True,
        help_text=_("The Welsh of each option, in the same order as the options."),
    )
    no_suggests_issue = models.BooleanField(
        default=False, help_text=_("A 'no' pre-fills an issue of the category below.")
    )
    issue_category = models.CharField(max_length=20, choices=IssueCategory.choices, blank=True)
    # What "all as expected" marks for a yes/no question not yet answered: "yes" for most (the
    # questions are worded so that yes is the good answer), "not applicable" for one that only
    # applies now and then ("... if a foreign national wants it"), blank to ask it every time.
    expected = models.CharField(
        max_length=10,
        choices=[("yes", _("Yes")), ("na", _("Not applicable"))],
        default="yes",
        blank=True,
        help_text=_("Marked by “all as expected” when unanswered; blank: always asked."),
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["section", "order"]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        return self.localised("text")

    @property
    def shown_help_text(self) -> str:
        return self.localised("help_text")

    @property
    def shown_choices(self) -> list[tuple[str, str]]:
        """(stored value, label the reader sees) for each option, in order."""
        return [(value, self.choice_label(value)) for value in self.choices or []]

    def choice_label(self, value: str, language: str | None = None) -> str:
        """The option stored as `value` as the reader reads it: its Welsh, found by position,
        for a Welsh reader when there is one; else `value` itself (an answer to an option
        since removed included)."""
        options = list(self.choices or [])
        welsh = list(self.choices_cy or [])
        if value in options:
            index = options.index(value)
            return pick(value, welsh[index] if index < len(welsh) else "", language)
        return value


def sections_by_version(version_ids) -> dict[int, list["ChecklistSection"]]:
    """The sections of several checklist versions with their questions, in two queries."""
    sections = (
        ChecklistSection.objects.filter(version_id__in=version_ids)
        .order_by("order")
        .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("order")))
    )
    found: dict[int, list[ChecklistSection]] = {}
    for section in sections:
        found.setdefault(section.version_id, []).append(section)
    return found
