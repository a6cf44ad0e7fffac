"""Drafting a campaign: check a definition for an actor, or store it as a draft.

The same rules for every face: a campaign is declared for its creator's scope (an
administrator may choose one with a ``scope`` table, or reach everyone), its audience values
are matched among that scope's students only, and storing it is audited in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.access import scopes
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import InvalidDefinitionError, NotFoundError, Problem
from campaigns.core.models import Campaign, Role, Student
from campaigns.core.settings import Settings
from campaigns.definitions import lifecycle
from campaigns.students.audience import audience_condition, count_campaign_audience
from campaigns.students.choices import AudienceChoices, audience_choices

Source = str | Mapping[str, Any]
"""A campaign file's text (TOML) or its keys as data (JSON)."""


@dataclass(frozen=True, slots=True)
class Validation:
    """A definition checked for an actor: every problem, and how many students the campaign
    would reach (within its scope) when it is valid."""

    problems: list[Problem] = field(default_factory=list)
    audience_size: int | None = None

    @property
    def valid(self) -> bool:
        return not self.problems


def draft(session: Session, actor: Actor, source: Source, *, settings: Settings) -> Campaign:
    """The campaign ``actor`` would create, built but not stored; ``InvalidDefinitionError``
    lists every problem at once."""
    scope = actor.scope
    if scope is None:
        raise NotFoundError("kapsamınız yok / you have no scope")
    caller = None if actor.is_admin else scope
    definition = lifecycle.check_definition(session, source, settings=settings, scope=caller)
    campaign = lifecycle.build_campaign(session, definition, settings=settings, scope=caller)
    campaign.created_by = actor.name
    campaign.creator_role = actor.role.value
    if actor.role is Role.ADVISOR and campaign.scope_faculty is None:
        campaign.scope_faculty = _only_faculty(session, actor)
    return campaign


def _only_faculty(session: Session, actor: Actor) -> str | None:
    """The one faculty all of an advisor's students are in, if there is one: their campaign
    is declared for it too, so that the faculty's coordinator sees (and approves) it."""
    within = scopes.student_condition(session, actor)
    faculties = session.scalars(
        select(Student.faculty).where(within, Student.faculty.is_not(None)).distinct().limit(2)
    ).all()
    return faculties[0] if len(faculties) == 1 else None


def validate(session: Session, actor: Actor, source: Source, *, settings: Settings) -> Validation:
    """Check a definition as ``create`` would; nothing is stored."""
    try:
        campaign = draft(session, actor, source, settings=settings)
    except InvalidDefinitionError as exc:
        return Validation(problems=exc.problems)
    return Validation(audience_size=count_campaign_audience(session, campaign))


def create(session: Session, actor: Actor, source: Source, *, settings: Settings) -> Campaign:
    """Store a definition as a draft created by ``actor``, and audit it."""
    campaign = draft(session, actor, source, settings=settings)
    session.add(campaign)
    session.flush()
    audit.record(
        session,
        actor.name,
        audit.CAMPAIGN_CREATE,
        audit.campaign_target(campaign.id),
        {"name": campaign.name, "waves": len(campaign.waves)},
    )
    return campaign


def audience_size(session: Session, actor: Actor, audience: Mapping[str, list[str]]) -> int:
    """How many of ``actor``'s students an audience of stored values covers (the builder's
    live count as its filters change)."""
    within = scopes.student_condition(session, actor)
    return (
        session.scalar(
            select(func.count()).select_from(Student).where(within, audience_condition(audience))
        )
        or 0
    )


def choices(session: Session, actor: Actor) -> AudienceChoices:
    """The audience values ``actor`` can choose from."""
    return audience_choices(session, scopes.student_condition(session, actor))
