"""What every CLI command needs: the settings and a migrated database."""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from campaigns.cli.output import err_console
from campaigns.core.db import Database, alembic_config, database
from campaigns.core.errors import CampaignsError
from campaigns.core.settings import Settings, get_settings


def settings() -> Settings:
    return get_settings()


def db(*, migrate: bool = True) -> Database:
    """The configured database, checked to be at the latest schema.

    A SQLite database (the embedded default) is migrated on first use; PostgreSQL must be
    migrated explicitly with ``campaigns db upgrade``, as production schemas should be.
    """
    instance = database(settings().database_url)
    path = instance.engine.url.database
    if instance.dialect == "sqlite" and path and not Path(path).exists():
        # Said aloud: run from another folder, a command would otherwise work on an empty one.
        err_console.print(
            f"yeni veritabanı oluşturuldu / a new database was created: {Path(path).resolve()} "
            "(başka biri için / for another: CAMPAIGNS_DATABASE_URL)",
            highlight=False,
            markup=False,
        )
    if migrate and not is_current(instance):
        if instance.dialect != "sqlite":
            raise CampaignsError(
                "veritabanı şeması güncel değil; önce `campaigns db upgrade` çalıştırın / "
                "the database schema is not current: run `campaigns db upgrade` first"
            )
        instance.upgrade()
    return instance


def is_current(instance: Database) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with instance.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
