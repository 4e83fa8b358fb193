from django import template

from visits.models.visits import REPORT_FIELD_LABELS, TAGGED_DETAINEE_FLAGS

register = template.Library()


@register.filter
def field(form, question_id):
    """The answer field of a checklist question: `form|field:question.pk`."""
    return form[f"q_{question_id}"]


@register.filter
def note(form, question_id):
    """The note field of a checklist question: `form|note:question.pk`."""
    return form[f"note_{question_id}"]


@register.filter
def getfield(form, name):
    """A form's bound field by name: `form|getfield:"under_18"`."""
    return form[name]


@register.filter
def detainee_tags(detainee):
    """The DETAINEE_FLAGS with a tag that a detainee has, in their order:
    `{% for flag in d|detainee_tags %}{{ flag.tag }}{% endfor %}`."""
    return [flag for flag in TAGGED_DETAINEE_FLAGS if getattr(detainee, flag.name)]


@register.filter
def report_label(name):
    """A report field's name as the report states it (REPORT_FIELD_LABELS), in the reader's
    language: `{{ "sergeant_name"|report_label }}`."""
    return REPORT_FIELD_LABELS[name]
