"""What the API's viewsets share: finding a row by its id in the path, and checking a request's
data with a serializer. (Viewset modules import these from here, never from one another.)"""

from django.http import Http404

from visits.services import visits as service


def row_id_or_404(value) -> int:
    """A row's id from the path: digits within the 64-bit range of its column, else 404 before
    any query (a visit's UUID is checked likewise by DRF's lookup, and by _uuid_or_404)."""
    text = str(value)
    if not (len(text) <= 19 and text.isascii() and text.isdigit()):
        raise Http404
    number = int(text)
    if not 0 < number <= service.MAX_ID:
        raise Http404
    return number


class RowIdLookup:
    """Viewsets whose objects are found by their numeric id in the path."""

    def get_object(self):
        row_id_or_404(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        return super().get_object()


class ValidatedDataMixin:
    def _validated(self, serializer_class) -> dict:
        """The request's data checked by `serializer_class` (400 with field errors if not)."""
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
