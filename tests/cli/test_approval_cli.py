"""``campaigns campaign submit|waiting|approve|return``: the alumni office at the terminal
reviews an advisor's campaign by the same rules as the web app and the API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from campaigns.cli import app, output
from campaigns.core.actors import Actor
from campaigns.core.db import Database, database
from campaigns.core.models import AuditEntry, Role
from campaigns.core.settings import Settings
from campaigns.definitions import drafts
from campaigns.governance.approval import CommentRequired
from campaigns.planning.launching import PreflightFailed
from tests.support.api import ADVISOR_A, DEFINITION, add_cohort

ADVISOR = Actor(ADVISOR_A, Role.ADVISOR, email=ADVISOR_A)


@pytest.fixture
def drafted(cli_env: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An advisor's draft, in an installation where every faculty asks for approval."""
    monkeypatch.setenv("CAMPAIGNS_APPROVAL_REQUIRED", "*")
    monkeypatch.setattr(output.console, "_width", 200)
    add_cohort(db)
    with db.session() as session:
        campaign_id = drafts.create(session, ADVISOR, DEFINITION, settings=cli_env).id
    yield campaign_id
    database(cli_env.database_url).dispose()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["campaign", *args])


def test_the_office_reviews_an_advisors_campaign(drafted: int, db: Database) -> None:
    number = str(drafted)
    launched = run("launch", number, "--yes")
    assert isinstance(launched.exception, PreflightFailed)
    assert "önce onaya gönderin" in str(launched.exception)

    assert run("submit", number).exit_code == 0
    waiting = run("waiting", "--format", "json")
    assert [(row["id"], row["created_by"]) for row in json.loads(waiting.stdout)] == [
        (drafted, ADVISOR_A)
    ]
    shown = run("show", number)
    assert "onay bekliyor" in shown.stdout

    no_comment = run("return", number, "--comment", " ")
    assert isinstance(no_comment.exception, CommentRequired)
    returned = run("return", number, "--comment", "Hatırlatma dalgası çok erken")
    assert returned.exit_code == 0, returned.output
    assert "geri gönderildi" in returned.stdout
    assert run("waiting", "--format", "json").stdout.strip() == "[]"

    assert run("submit", number).exit_code == 0
    approved = run("approve", number, "--yes", "--format", "json")
    assert approved.exit_code == 0, approved.output
    review = json.loads(approved.stdout)["review"]
    assert (review["state"], review["approved"], review["reviewed_by"]) == (
        "approved",
        True,
        Actor.operator().name,
    )
    assert run("launch", number, "--yes").exit_code == 0
    with db.session() as session:
        steps = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert steps[-5:] == [
        "campaign.submit",
        "campaign.return",
        "campaign.submit",
        "campaign.approve",
        "campaign.launch",
    ]


def test_approving_shows_the_campaign_and_asks_first(drafted: int) -> None:
    assert run("submit", str(drafted)).exit_code == 0
    declined = CliRunner().invoke(app, ["campaign", "approve", str(drafted)], input="n\n")
    assert declined.exit_code != 0
    assert "Kitle / audience: 2" in declined.stdout
    assert "onaylansın mı" in declined.stdout
    assert "onay bekliyor" in run("show", str(drafted)).stdout  # nothing changed
