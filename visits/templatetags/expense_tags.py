"""Money and a claim's occasion, as visits.services.expenses words them (issue 22)."""

from django import template

from visits.services import expenses

register = template.Library()


@register.filter
def pounds(pence: int) -> str:
    """1234 → "12.34"."""
    return f"{expenses.pounds(pence or 0):,}"


@register.filter
def what_for(claim) -> str:
    return expenses.what_for(claim)
