"""A list uploaded for its check page, held until it is confirmed: a file under a random
name in the system's temporary folder, readable only by the person who uploaded it, gone
after an hour or once imported."""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

HOLD_SECONDS: Final = 3600
_TOKEN_LENGTH: Final = 43


@dataclass(frozen=True, slots=True)
class Held:
    name: str
    data: bytes


def _folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "campaigns-uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _paths(token: str) -> tuple[Path, Path]:
    stem = hashlib.sha256(token.encode()).hexdigest()
    return _folder() / f"{stem}.data", _folder() / f"{stem}.json"


def hold(data: bytes, name: str, owner: str) -> str:
    """Keep ``data`` for ``owner``; the token that finds it again."""
    _forget_old()
    token = secrets.token_urlsafe(32)
    data_path, meta_path = _paths(token)
    data_path.write_bytes(data)
    meta_path.write_text(json.dumps({"name": name, "owner": owner}), encoding="utf-8")
    return token


def take(token: str, owner: str) -> Held | None:
    """The file held under ``token`` for ``owner`` (None when unknown, expired or someone
    else's); it is no longer held afterwards."""
    if len(token) != _TOKEN_LENGTH or not token.replace("-", "").replace("_", "").isalnum():
        return None
    data_path, meta_path = _paths(token)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        fresh = time.time() - meta_path.stat().st_mtime < HOLD_SECONDS
        if meta.get("owner") != owner or not fresh:
            return None
        held = Held(str(meta.get("name", "")), data_path.read_bytes())
    except (OSError, ValueError):
        return None
    data_path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
    return held


def _forget_old() -> None:
    cutoff = time.time() - HOLD_SECONDS
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue
