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


class MinifiedCompressedManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def _save(self, name, content):
        # collectstatic copies each file through here before post_process hashes it, so the
        # hash and the compressed copies are of the minified script.
        if name.startswith(OUR_SCRIPTS) and name.endswith(".js"):
            content.seek(0)
            content = ContentFile(minified(content.read().decode()).encode())
        return super()._save(name, content)
