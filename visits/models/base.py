"""The base of every model of the domain (abstract: it adds no table and no migration)."""

import functools

from django.db import models
from django.utils.encoding import force_str


@functools.cache
def _labels_of(field) -> dict:
    return dict(field.flatchoices)


class Model(models.Model):
    """`get_<field>_display()` in constant time. Django's own builds a dict of the field's
    choices on every call and hashes each label, and a lazy label is translated to be hashed:
    an issue list of 50 rows translated ten thousand labels (twice the time of the whole
    request). Here each field's choices are read once; the one label shown is translated."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _labels_of(field).get(value, value)
        except TypeError:  # an unhashable value (a list, a dict): Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
