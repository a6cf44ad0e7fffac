"""The options shared by the URLs that name a mail server (``CAMPAIGNS_SMTP_URL``,
``CAMPAIGNS_IMAP_URL``): on/off switches and how the server's certificate is trusted."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from urllib.parse import parse_qs

from channels.base import ConfigurationError

TLS_OPTIONS = frozenset({"starttls", "verify", "cafile"})
_ON = {"on", "true", "yes", "1"}
_OFF = {"off", "false", "no", "0"}


def url_options(variable: str, query: str) -> dict[str, list[str]]:
    """The URL's query options; one the URL may not carry is a configuration error."""
    options = parse_qs(query, keep_blank_values=True)
    unknown = set(options) - TLS_OPTIONS
    if unknown:
        raise ConfigurationError(f"{variable} has unknown options: {', '.join(sorted(unknown))}")
    return options


def switch(variable: str, options: Mapping[str, list[str]], name: str, default: bool) -> bool:
    if name not in options:
        return default
    value = options[name][-1].strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigurationError(f"{variable} option {name} must be on or off: {value!r}")


def tls_context(what: str, *, verify: bool, cafile: str | None) -> ssl.SSLContext:
    """Verifying against the system's CAs, or ``cafile``'s, or (``verify`` off, for a
    self-signed internal server) not at all."""
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"cannot load {what} cafile {cafile!r}: {exc}") from exc
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
