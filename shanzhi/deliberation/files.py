"""Uploaded photos and attachments, checked by their content before anything is written.

Files are stored under MEDIA_ROOT with a random name and served only through
``views.serve_file``, which applies the same scoping as the record they belong to.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from shanzhi.core.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
ATTACHMENT_TYPES = {**PHOTO_TYPES, "application/pdf": ".pdf"}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


@dataclass
class CheckedFile:
    name: str
    content: bytes
    content_type: str

    @property
    def size(self) -> int:
        return len(self.content)

    def as_django_file(self) -> ContentFile:
        extension = ATTACHMENT_TYPES[self.content_type]
        return ContentFile(self.content, name=f"{uuid.uuid4().hex}{extension}")


def check_file(upload, *, field: str, photo_only: bool) -> CheckedFile:
    """Read ``upload`` and refuse what is empty, too large or not an accepted type (InvalidInput on ``field``)."""
    allowed = PHOTO_TYPES if photo_only else ATTACHMENT_TYPES
    name = ((getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1])[:120]
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(MAX_BYTES + 1)
    if not content:
        raise InvalidInput(fields={field: _("The file %(name)s is empty.") % {"name": name}})
    if len(content) > MAX_BYTES:
        raise InvalidInput(
            fields={field: _("The file %(name)s is larger than %(mb)d MB.") % {"name": name, "mb": MAX_BYTES >> 20}}
        )
    content_type = sniff(content[:16])
    if content_type not in allowed:
        message = (
            _("%(name)s is not a photo: please upload a JPEG, PNG or WebP image.")
            if photo_only
            else _("%(name)s is not an accepted file: please upload a photo (JPEG, PNG, WebP) or a PDF.")
        )
        raise InvalidInput(fields={field: message % {"name": name}})
    return CheckedFile(name=name, content=content, content_type=content_type)
