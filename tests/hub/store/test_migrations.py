from __future__ import annotations

import os
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub.store.engine import MIGRATIONS_DIR, alembic_config, downgrade, head_revision, make_engine, migrate
from hub.store.models import Base

REPO_ROOT = Path(__file__).resolve().parents[3]
MODEL_TABLES = set(Base.metadata.tables)


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _diff(url: str, metadata: sa.MetaData) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_upgrade_creates_every_model_table(blank_db_url: str) -> None:
    migrate(blank_db_url)
    assert _tables(blank_db_url) == MODEL_TABLES | {"alembic_version"}
    assert _revision(blank_db_url) == head_revision()


def test_models_and_migrations_agree(blank_db_url: str) -> None:
    migrate(blank_db_url)
    assert _diff(blank_db_url, Base.metadata) == []
    # The same check `alembic check` runs, through our env.py.
    command.check(alembic_config(blank_db_url))


def test_the_comparison_sees_a_model_the_migrations_lack(blank_db_url: str) -> None:
    migrate(blank_db_url)
    drifted = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["contacts"].append_column(sa.Column("nickname", sa.String(50)))
    diff = _diff(blank_db_url, drifted)
    assert [(op[0], op[3].name) for op in diff if isinstance(op, tuple)] == [("add_column", "nickname")]


def test_downgrade_to_base_then_upgrade_to_head(blank_db_url: str) -> None:
    migrate(blank_db_url)
    engine = make_engine(blank_db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO locations (id, name, timezone, quiet_hours_start, quiet_hours_end, "
                "rate_limit_per_10s, created_at) VALUES ('L1', 'Oak', 'UTC', '21:00', '08:00', 100, "
                "'2026-09-10 00:00:00')"
            )
        )
    engine.dispose()

    downgrade(blank_db_url, "base")
    assert _tables(blank_db_url) & MODEL_TABLES == set()
    assert _revision(blank_db_url) is None

    migrate(blank_db_url)
    assert _tables(blank_db_url) >= MODEL_TABLES
    engine = make_engine(blank_db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM locations")).scalar() == 0
    engine.dispose()
    assert _diff(blank_db_url, Base.metadata) == []


def test_a_failing_migration_changes_nothing(blank_db_url: str, tmp_path: Path) -> None:
    migrate(blank_db_url)
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_broken.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        "revision = '9999'\n"
        f"down_revision = {head_revision()!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n"
        "def upgrade():\n"
        "    op.create_table('half_done', sa.Column('id', sa.Integer(), primary_key=True))\n"
        "    op.add_column('contacts', sa.Column('nickname', sa.String(50)))\n"
        "    op.execute('SELECT * FROM no_such_table')\n"
        "def downgrade():\n"
        "    pass\n"
    )
    config = alembic_config(blank_db_url)
    config.set_main_option("script_location", str(scripts))
    with pytest.raises(sa.exc.DBAPIError, match="no_such_table"):
        command.upgrade(config, "head")
    assert "half_done" not in _tables(blank_db_url)
    assert _revision(blank_db_url) == head_revision()
    assert _diff(blank_db_url, Base.metadata) == []


def test_alembic_ini_leaves_the_url_to_the_environment() -> None:
    ini = ConfigParser(interpolation=None)
    ini.read(REPO_ROOT / "alembic.ini")
    assert "sqlalchemy.url" not in ini["alembic"]
    assert ini["alembic"]["script_location"] == "%(here)s/hub/store/migrations"


def test_alembic_cli_migrates_the_database_named_by_HUB_DATABASE_URL(tmp_path: Path) -> None:
    path = tmp_path / "cli" / "hub.db"
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite:///{path}"}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert _tables(f"sqlite:///{path}") == MODEL_TABLES | {"alembic_version"}
