"""Case attachments: photos (JPEG, PNG, WebP, HEIC) and PDFs, checked by ``shanzhi.core.uploads``."""

from __future__ import annotations

from shanzhi.cases import conf
from shanzhi.core.uploads import PHOTOS_AND_PDF, CheckedUpload, check_files, sniff

__all__ = ["ACCEPTED", "CheckedUpload", "check_uploads", "sniff"]

# Phones (iPhones in particular) send HEIC; the timeline links it for download.
ACCEPTED = PHOTOS_AND_PDF | {"image/heic"}


def check_uploads(files, field: str = "attachments") -> list[CheckedUpload]:
    """Read and check every file; raise one InvalidInput naming each bad file."""
    return check_files(
        files, field=field, accept=ACCEPTED, max_bytes=conf.MAX_ATTACHMENT_BYTES, max_count=conf.MAX_ATTACHMENTS
    )
