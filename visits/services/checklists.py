"""Versioned checklists: a manager edits a draft, then publishes it; published ones never change
(the models refuse it: visits.models.checklists.ChecklistLocked)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from visits import checklist_defaults
from visits.errors import DomainError
from visits.models import ChecklistSection, ChecklistTemplate, ChecklistVersion, Question, Scheme
from visits.services import audit

NAMES = {
    ChecklistTemplate.Kind.DETAINEE: "Detainee rights and welfare",
    ChecklistTemplate.Kind.SUITE: "Suite conditions",
}


def current_version(scheme: Scheme | int, kind: str) -> ChecklistVersion | None:
    """The published version new visits are filled against."""
    scheme_id = scheme if isinstance(scheme, int) else scheme.pk
    return (
        ChecklistVersion.objects.filter(
            template__scheme_id=scheme_id,
            template__kind=kind,
            status=ChecklistVersion.Status.PUBLISHED,
        )
        .order_by("-number")
        .first()
    )


def current_versions(scheme: Scheme | int) -> dict[str, ChecklistVersion]:
    """The current version of each of the scheme's checklists, by kind, in one query."""
    scheme_id = scheme if isinstance(scheme, int) else scheme.pk
    published = ChecklistVersion.objects.filter(
        template__scheme_id=scheme_id, status=ChecklistVersion.Status.PUBLISHED
    ).select_related("template")
    current = {}
    for version in published.order_by("number"):  # the highest number wins, as above
        current[version.template.kind] = version
    return current


def version_for_visit(scheme: Scheme | int, kind: str, version_id: int | None):
    """The version a visit is filled against: the current one, or the one a phone filled in
    offline, which may have been replaced since (any version the scheme has published).

    Raises DomainError for a version that is not one of the scheme's published ones."""
    if version_id is None:
        return current_version(scheme, kind)
    scheme_id = scheme if isinstance(scheme, int) else scheme.pk
    version = ChecklistVersion.objects.filter(
        pk=version_id,
        template__scheme_id=scheme_id,
        template__kind=kind,
        published_at__isnull=False,
    ).first()
    if version is None:
        raise DomainError(
            gettext("The checklist this report was filled in against is not one of your scheme's."),
            code="checklist_unknown",
            field=f"{kind}_checklist",
        )
    return version


def install_defaults(*, scheme: Scheme) -> None:
    """Give a scheme the default detainee and suite checklists, published as version 1.

    Does nothing for a kind the scheme already has."""
    sources = {
        ChecklistTemplate.Kind.DETAINEE: checklist_defaults.DETAINEE,
        ChecklistTemplate.Kind.SUITE: checklist_defaults.SUITE,
    }
    not_applicable = checklist_defaults.EXPECTED_NOT_APPLICABLE
    with transaction.atomic():
        for kind, sections in sources.items():
            template, created = ChecklistTemplate.objects.get_or_create(
                scheme=scheme,
                kind=kind,
                defaults={"name": NAMES[kind], "name_cy": checklist_defaults.NAMES_CY[kind]},
            )
            if not created and template.versions.exists():
                continue
            # Filled in as a draft, then published: a published version takes no sections.
            version = ChecklistVersion.objects.create(
                template=template,
                number=1,
                note="Default checklist from PACE Code C and ICVA guidance.",
            )
            for s_order, (title, questions) in enumerate(sections):
                section = ChecklistSection.objects.create(
                    version=version,
                    title=title,
                    title_cy=checklist_defaults.SECTIONS_CY[title],
                    order=s_order,
                )
                Question.objects.bulk_create(
                    Question(
                        section=section,
                        key=key,
                        text=text,
                        text_cy=checklist_defaults.QUESTIONS_CY[key],
                        order=q_order,
                        no_suggests_issue=category is not None,
                        issue_category=category or "",
                        expected="na" if key in not_applicable else "yes",
                    )
                    for q_order, (key, text, category) in enumerate(questions)
                )
            version.status = ChecklistVersion.Status.PUBLISHED
            version.published_at = timezone.now()
            version.save(update_fields=["status", "published_at"])


def missing_welsh(version: ChecklistVersion) -> list[str]:
    """What of `version` (and its checklist's name) has no Welsh yet, each named for the person
    who will write it: empty when the version could be published by a bilingual scheme."""
    missing = []
    template = version.template
    if not template.name_cy.strip():
        missing.append(gettext("the checklist's name “%(name)s”") % {"name": template.name})
    sections = version.sections.order_by("order").prefetch_related("questions")
    for section in sections:
        if not section.title_cy.strip():
            missing.append(gettext("the section title “%(title)s”") % {"title": section.title})
        for question in sorted(section.questions.all(), key=lambda q: q.order):
            named = {"text": question.text}
            if not question.text_cy.strip():
                missing.append(gettext("the question “%(text)s”") % named)
            if question.help_text.strip() and not question.help_text_cy.strip():
                missing.append(gettext("the help text of “%(text)s”") % named)
            options = question.choices or []
            welsh = question.choices_cy or []
            if question.answer_type == Question.AnswerType.CHOICE and (
                len(welsh) != len(options) or not all(str(w).strip() for w in welsh)
            ):
                missing.append(
                    gettext("the options of “%(text)s” (one Welsh option for each English one)")
                    % named
                )
    return missing


def start_draft(*, actor, template: ChecklistTemplate) -> ChecklistVersion:
    """A draft copy of the latest version to edit; the existing draft if there is one.

    The latest version is only read; the copies are written into the draft."""
    with transaction.atomic():
        draft = template.versions.filter(status=ChecklistVersion.Status.DRAFT).first()
        if draft:
            return draft
        latest = template.versions.order_by("-number").first()
        draft = ChecklistVersion.objects.create(
            template=template, number=(latest.number + 1) if latest else 1
        )
        if latest:
            for section in latest.sections.prefetch_related("questions"):
                questions = list(section.questions.all())
                section.pk, section.version = None, draft
                section.save()
                for question in questions:
                    question.pk, question.section = None, section
                Question.objects.bulk_create(questions)
        audit.record(
            actor=actor, action="checklist.draft_started", obj=draft, scheme=template.scheme
        )
    return draft


def publish(*, actor, version: ChecklistVersion, note: str = "") -> ChecklistVersion:
    """Publish a draft: new visits use it, visits already made keep the version they had.

    Raises DomainError if the version is not a draft or has no questions."""
    with transaction.atomic():
        version = ChecklistVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != ChecklistVersion.Status.DRAFT:
            raise DomainError(gettext("Only a draft can be published."), code="checklist_not_draft")
        if not Question.objects.filter(section__version=version).exists():
            raise DomainError(
                gettext("A checklist needs at least one question."), code="checklist_empty"
            )
        if version.template.scheme.bilingual:
            missing = missing_welsh(version)
            if missing:
                raise DomainError(
                    ngettext(
                        "Your scheme is bilingual: this text needs its Welsh before the "
                        "checklist is published: %(missing)s.",
                        "Your scheme is bilingual: these %(count)d texts need their Welsh before "
                        "the checklist is published: %(missing)s.",
                        len(missing),
                    )
                    % {"count": len(missing), "missing": "; ".join(missing)},
                    code="welsh_text_missing",
                )
        version.template.versions.filter(status=ChecklistVersion.Status.PUBLISHED).update(
            status=ChecklistVersion.Status.RETIRED
        )
        version.status = ChecklistVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = actor
        version.note = note or version.note
        version.save()
        audit.record(
            actor=actor,
            action="checklist.published",
            obj=version,
            scheme=version.template.scheme,
            detail={"number": version.number},
        )
    return version
