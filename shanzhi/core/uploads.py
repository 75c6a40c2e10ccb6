"""Uploaded files, checked by their content before anything is written.

Every capability that takes photos or documents (case attachments, visit photos,
venue photos, meeting sign-in sheets, points evidence, shop goods) reads them
through here: the type is proven by the file's first bytes, never by its name or
the browser's word; the size is bounded while reading; an empty file is refused.
Each app sets its own limits (how many, how large, photos only or PDF too) and
stores the checked bytes itself.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from shanzhi.core.errors import InvalidInput

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}
PHOTOS = frozenset({"image/jpeg", "image/png", "image/webp"})
PHOTOS_AND_PDF = PHOTOS | {"application/pdf"}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _kinds(accept: frozenset[str]) -> str:
    names = {
        "image/jpeg": "JPEG",
        "image/png": "PNG",
        "image/webp": "WebP",
        "image/gif": "GIF",
        "image/heic": "HEIC",
        "application/pdf": "PDF",
    }
    return "、".join(names[t] for t in EXTENSIONS if t in accept)


class CheckedUpload:
    """An upload that passed the checks: its name, bytes, proven type, size and digest."""

    def __init__(self, name: str, content: bytes, content_type: str):
        self.name = name
        self.content = content
        self.content_type = content_type
        self.size = len(content)
        self.sha256 = hashlib.sha256(content).hexdigest()

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    def as_django_file(self) -> ContentFile:
        """The bytes under a random name with the extension of the proven type."""
        return ContentFile(self.content, name=f"{uuid.uuid4().hex}{self.extension}")


def _display_name(upload) -> str:
    return ((getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1])[:120]


def _problem(upload, *, accept: frozenset[str], max_bytes: int) -> tuple[CheckedUpload | None, str]:
    name = _display_name(upload)
    limit_mb = max_bytes // (1024 * 1024)
    too_large = _("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": limit_mb}
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        return None, too_large
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        return None, too_large
    if not content:
        return None, _("%(name)s is empty.") % {"name": name}
    content_type = sniff(content[:32])
    if content_type not in accept:
        if accept <= PHOTOS | {"image/gif", "image/heic"}:
            message = _("%(name)s is not a photo: please upload %(kinds)s.")
        else:
            message = _("%(name)s is not an accepted file: please upload %(kinds)s.")
        return None, message % {"name": name, "kinds": _kinds(accept)}
    return CheckedUpload(name, content, content_type), ""


def check_file(upload, *, field: str, accept: frozenset[str] = PHOTOS, max_bytes: int) -> CheckedUpload:
    """One file, checked; InvalidInput on ``field`` saying what is wrong with it."""
    checked, problem = _problem(upload, accept=accept, max_bytes=max_bytes)
    if checked is None:
        raise InvalidInput(problem, code="bad_upload", fields={field: [problem]})
    return checked


def check_files(
    files, *, field: str, accept: frozenset[str] = PHOTOS, max_bytes: int, max_count: int
) -> list[CheckedUpload]:
    """Every file, checked; one InvalidInput on ``field`` naming each bad file (or too many files)."""
    files = [f for f in (files or ()) if f is not None]
    if len(files) > max_count:
        raise InvalidInput(
            _("Too many files: at most %(count)d per submission.") % {"count": max_count},
            code="too_many_files",
            fields={field: [_("At most %(count)d files.") % {"count": max_count}]},
        )
    checked, problems = [], []
    for upload in files:
        one, problem = _problem(upload, accept=accept, max_bytes=max_bytes)
        if one is None:
            problems.append(problem)
        else:
            checked.append(one)
    if problems:
        raise InvalidInput(" ".join(problems), code="bad_upload", fields={field: problems})
    return checked
