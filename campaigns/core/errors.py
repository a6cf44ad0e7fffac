"""Errors a user can act on. Faces print them (stderr, HTTP 4xx); they are never stack traces."""

from __future__ import annotations

from dataclasses import dataclass


class CampaignsError(Exception):
    """A problem with the user's input or request; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class NotFoundError(CampaignsError):
    """The thing asked for does not exist."""


class NotAllowedError(CampaignsError):
    """The actor's role may not do this (the API answers 403)."""


class UnreadableFileError(CampaignsError):
    """An input file cannot be read at all (wrong format, a required column missing)."""

    exit_code = 2


class FieldProblem(CampaignsError):
    """One field of a form or request body that cannot be used; the message names it (the
    API answers it at ``body.<field>``, the web app at the field)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        self.location = ("body", field)
        super().__init__(f"{field}: {reason}")


class StateError(CampaignsError):
    """The action does not fit the current state (e.g. launching a cancelled campaign)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located by a key path such as ``waves[1].channels``."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class InvalidDefinitionError(CampaignsError):
    """A campaign definition has problems; all of them are listed, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"kampanya tanımı geçersiz / invalid campaign definition:\n{lines}")
