"""Training on the volunteer pages whose views belong to visits.views.volunteers: the part asks
the core (visits.services.training) for the record, so those views need not know about it."""

from django import template

from visits.services import training
from visits.training_forms import training_part

register = template.Library()


@register.simple_tag(takes_context=True)
def training_part_of(context, membership):
    """The context of volunteers/_training.html: the one the training views passed, or a fresh
    one (with empty forms) on the volunteer's page."""
    given = context.get("training_part")
    if given is not None:
        return given
    return training_part(membership)


@register.simple_tag
def own_training_of(membership):
    return training.training_of(membership)


@register.simple_tag
def ready_to_graduate(records):
    """The ids of the memberships among the volunteers list's records ready to graduate."""
    return training.ready_to_graduate([r.membership for r in records])
