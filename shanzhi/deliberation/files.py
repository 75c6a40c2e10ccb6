"""Uploaded photos and attachments, checked by ``shanzhi.core.uploads`` before anything is written.

Files are stored under MEDIA_ROOT with a random name and served only through
``views.serve_file``, which applies the same scoping as the record they belong to.
"""

from __future__ import annotations

from shanzhi.core import uploads
from shanzhi.core.uploads import CheckedUpload

MAX_BYTES = 10 * 1024 * 1024


def check_file(upload, *, field: str, photo_only: bool) -> CheckedUpload:
    """Read ``upload`` and refuse what is empty, too large or not an accepted type (InvalidInput on ``field``)."""
    accept = uploads.PHOTOS if photo_only else uploads.PHOTOS_AND_PDF
    return uploads.check_file(upload, field=field, accept=accept, max_bytes=MAX_BYTES)
