"""Which files a reply may bring: PDFs and pictures, recognised by their first bytes (a
declared type is not trusted), up to a size and a count; anything else is refused, with
the reason kept, and never stored."""

from __future__ import annotations

from typing import Final

from channels.webhooks import Attachment

MAX_BYTES: Final = 5 * 2**20
MAX_FILES: Final = 5
SIGNATURES: Final = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def checked(filename: str, data: bytes, position: int) -> Attachment:
    """The file as it may be kept (its type from its bytes), or refused with the reason."""
    name = (filename or "ek").replace("/", "_").replace("\\", "_")[-200:]
    if position >= MAX_FILES:
        return Attachment(name, "", refused=f"en fazla {MAX_FILES} ek / at most {MAX_FILES} files")
    if len(data) > MAX_BYTES:
        return Attachment(name, "", refused="5 MB'tan büyük / larger than 5 MB")
    for signature, content_type in SIGNATURES.items():
        if data.startswith(signature):
            return Attachment(name, content_type, data)
    return Attachment(name, "", refused="PDF, PNG ya da JPEG değil / not a PDF, PNG or JPEG")
