"""Who does something: a signed-in user, or the operator at the server's terminal.

Every use case takes an ``Actor``: it names them in the audit log and bounds what they may
reach. Faces build one (``Actor.of(user)`` for a token or a session, ``Actor.operator()`` for
the CLI) and hand it over; no face decides what an actor may do.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from campaigns.core.errors import NotAllowedError
from campaigns.core.models import Campaign, Role, User
from campaigns.core.turkish_text import fold


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose students: one faculty, one advisor (by address), both, or neither (everyone)."""

    faculty: str | None = None
    advisor: str | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> Scope:
        return cls(campaign.scope_faculty, campaign.scope_advisor)

    @property
    def everyone(self) -> bool:
        return self.faculty is None and self.advisor is None

    def same_as(self, other: Scope) -> bool:
        """The same students, however the faculty and the address are spelled."""
        return (fold(self.faculty or ""), (self.advisor or "").lower()) == (
            fold(other.faculty or ""),
            (other.advisor or "").lower(),
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """A user's name, role and addresses, detached from any database session."""

    name: str
    role: Role
    faculty: str | None = None
    email: str | None = None
    phone: str | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.email, user.role, user.faculty, user.email, user.phone)

    @classmethod
    def operator(cls) -> Actor:
        """``cli:<operating system user>``: whoever runs commands on the server may do
        everything an administrator may."""
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no user name for this uid (e.g. some containers)
            name = "unknown"
        return cls(f"cli:{name}", Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def must_be_admin(self, refusal: str) -> None:
        """``NotAllowedError`` saying ``refusal`` unless this is an administrator."""
        if not self.is_admin:
            raise NotAllowedError(refusal)

    @property
    def scope(self) -> Scope | None:
        """The students this actor may reach (an advisor's own when no other role matches);
        None for a coordinator without a faculty, and for the desk, who reach nobody: the
        desk only looks students up by number (``conversions.desk``)."""
        if self.role is Role.DESK:
            return None
        if self.role is Role.ADMIN:
            return Scope()
        if self.role is Role.COORDINATOR:
            return Scope(faculty=self.faculty) if self.faculty else None
        if not self.email:
            return None
        return Scope(faculty=self.faculty, advisor=self.email.lower())
