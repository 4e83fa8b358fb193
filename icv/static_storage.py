"""Static files as production serves them: our scripts minified, then named by their hash and
compressed (WhiteNoise).

The scripts carry the comments that explain them; a phone need not download those. rjsmin
removes comments and spaces only (never renames), so what runs is what we wrote. Only our own
scripts (static/js/) are minified: the admin's and the API browser's come as their authors ship
them. Development and the tests serve the sources as they are (settings: DEBUG or TESTING).
"""

import rjsmin
from django.core.files.base import ContentFile
from whitenoise.storage import CompressedManifestStaticFilesStorage

OUR_SCRIPTS = "js/"


def minified(script: str) -> str:
    return rjsmin.jsmin(script, keep_bang_comments=True)


def _ours(name: str) -> bool:
    return bool(name) and name.startswith(OUR_SCRIPTS) and name.endswith(".js")


def _minified_file(content) -> ContentFile:
    content.seek(0)
    return ContentFile(minified(content.read().decode()).encode())


class MinifiedCompressedManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    # Both the copy under the plain name and the one under the hashed name are written through
    # _save; the hash is taken from the source (Django rereads it), so file_hash minifies
    # too: the name changes whenever the bytes served do, a new rjsmin included.

    def _save(self, name, content):
        return super()._save(name, _minified_file(content) if _ours(name) else content)

    def file_hash(self, name, content=None):
        if content is not None and _ours(name):
            content = _minified_file(content)
        return super().file_hash(name, content)
