from django import template

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
