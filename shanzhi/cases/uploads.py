"""Check uploaded attachments by their content, not their name, before anything is written."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from shanzhi.cases import conf
from shanzhi.core.errors import InvalidInput

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


class CheckedUpload:
    """An upload that passed the checks: its bytes, type, size and digest."""

    def __init__(self, name: str, content: bytes, content_type: str):
        self.name = name
        self.content = content
        self.content_type = content_type
        self.size = len(content)
        self.sha256 = hashlib.sha256(content).hexdigest()


def check_uploads(files, field: str = "attachments") -> list[CheckedUpload]:
    """Read and check every file; raise one InvalidInput naming each bad file."""
    files = [f for f in (files or ()) if f is not None]
    if len(files) > conf.MAX_ATTACHMENTS:
        raise InvalidInput(
            _("Too many files: at most %(count)d per submission.") % {"count": conf.MAX_ATTACHMENTS},
            code="too_many_files",
            fields={field: _("At most %(count)d files.") % {"count": conf.MAX_ATTACHMENTS}},
        )
    checked, problems = [], []
    limit_mb = conf.MAX_ATTACHMENT_BYTES // (1024 * 1024)
    for upload in files:
        name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
        size = getattr(upload, "size", None)
        if size is not None and size > conf.MAX_ATTACHMENT_BYTES:
            problems.append(_("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": limit_mb})
            continue
        if hasattr(upload, "seek"):
            upload.seek(0)
        content = upload.read(conf.MAX_ATTACHMENT_BYTES + 1)
        if len(content) > conf.MAX_ATTACHMENT_BYTES:
            problems.append(_("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": limit_mb})
            continue
        if not content:
            problems.append(_("%(name)s is empty.") % {"name": name})
            continue
        content_type = sniff(content[:32])
        if content_type is None:
            problems.append(
                _("%(name)s is not an accepted file type (JPEG, PNG, WebP, HEIC photos or PDF).") % {"name": name}
            )
            continue
        checked.append(CheckedUpload(name, content, content_type))
    if problems:
        raise InvalidInput(" ".join(problems), code="bad_upload", fields={field: problems})
    return checked
