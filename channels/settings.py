"""Adapter settings: a pydantic-settings model per adapter, under the adapter's own prefix.

An adapter reads its settings from the mapping the host hands it (or ``os.environ``); a
missing or malformed value is a ``ConfigurationError`` that names the variable, so a check
can list it for a person to fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import AfterValidator, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.base import ConfigurationError


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    url = value.strip().rstrip("/")
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("http", "https") or not host or any(c in url for c in " \t?#"):
        raise ValueError("must be an http(s) URL")
    return url


HttpUrl = Annotated[str | None, AfterValidator(_http_url)]
"""An http(s) base URL, without a trailing slash."""


class AdapterSettings(BaseSettings):
    """Settings under ``model_config["env_prefix"]``, one variable per field."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> Self:
        """The settings in ``env`` (``os.environ`` when None); blank values count as unset."""
        env = os.environ if env is None else env
        values = {
            name: env[variable]
            for name in cls.model_fields
            if (env.get(variable := cls.variable(name)) or "").strip()
        }
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = [cls._problem(error) for error in exc.errors()]
            raise ConfigurationError("; ".join(problems)) from None

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable of field ``name``."""
        return f"{cls.model_config.get('env_prefix', '')}{name}".upper()

    @classmethod
    def _problem(cls, error: Any) -> str:
        name = str(error["loc"][0]) if error["loc"] else ""
        variable = cls.variable(name)
        if error["type"] == "missing":
            return f"{variable} is not set"
        field = cls.model_fields.get(name)
        secret = field is not None and field.annotation is SecretStr
        shown = "" if secret else f": {error.get('input')!r}"
        reason = str(error["msg"]).removeprefix("Value error, ")
        return f"{variable} {reason[:1].lower()}{reason[1:]}{shown}"
