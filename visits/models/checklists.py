from django.conf import settings
from django.db import models
from django.db.models import Prefetch

from .schemes import Scheme


class IssueCategory(models.TextChoices):
    """The categories published reports use (ICV-DOMAIN.md, "Issues and escalation")."""

    RIGHTS = "rights", "Rights and entitlements"
    HEALTH = "health", "Health and medication"
    WELFARE = "welfare", "Welfare and care"
    DIGNITY = "dignity", "Dignity and equality"
    VULNERABILITY = "vulnerability", "Vulnerability"
    CONDITIONS = "conditions", "Conditions and estate"
    SAFETY = "safety", "Safety and security hazards"
    TREATMENT = "treatment", "Treatment by staff"
    ACCESS = "access", "Access"
    STAFFING = "staffing", "Staffing"


class ChecklistTemplate(models.Model):
    class Kind(models.TextChoices):
        DETAINEE = "detainee", "Detainee rights and welfare"
        SUITE = "suite", "Suite conditions"

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="checklists")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "kind"], name="one_checklist_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.scheme})"


class ChecklistVersion(models.Model):
    """One version of a checklist. Once published it never changes; visits point at it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(max_length=200, blank=True, help_text="What changed, and why.")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number} ({self.get_status_display()})"


class ChecklistSection(models.Model):
    version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class AnswerType(models.TextChoices):
        YES_NO = "yes_no", "Yes / no / not applicable / not asked"
        NUMBER = "number", "Number"
        TEXT = "text", "Short text"
        CHOICE = "choice", "Choice"

    section = models.ForeignKey(
        ChecklistSection, on_delete=models.CASCADE, related_name="questions"
    )
    # Stable across versions, so figures can follow "the same question" through revisions.
    key = models.SlugField(max_length=60)
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    answer_type = models.CharField(
        max_length=10, choices=AnswerType.choices, default=AnswerType.YES_NO
    )
    choices = models.JSONField(default=list, blank=True, help_text="Options, for a choice.")
    no_suggests_issue = models.BooleanField(
        default=False, help_text="A 'no' pre-fills an issue of the category below."
    )
    issue_category = models.CharField(max_length=20, choices=IssueCategory.choices, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["section", "order"]

    def __str__(self) -> str:
        return self.text


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
