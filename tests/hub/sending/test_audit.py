"""Audit rows kept until the commit (hub.sending.audit.write_at_commit), on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.sending.audit import contact_audit, record, write_at_commit
from hub.store.models import Activity
from tests.hub.workflows.builders import T0, add_lead, add_location


def stored(make_session: sessionmaker[Session]) -> list[str]:
    with make_session() as other:
        return list(other.scalars(sa.select(Activity.kind).order_by(Activity.id)))


def test_rows_are_written_in_order_at_the_commit_and_dropped_by_a_rollback(
    make_session: sessionmaker[Session],
) -> None:
    with make_session() as session:
        write_at_commit(session)
        add_location(session)  # not flushed yet: the rows' location must be written first
        add_lead(session)
        statements: list[str] = []
        engine = make_session.kw["bind"]

        def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            record(session, "L1", "C1", "workflow_send", now=T0, step_id="hello")
            record(session, "L1", "C1", "workflow_completed", now=T0, reason="reached the end")
            assert not any("activity" in s for s in statements)  # kept, not written yet
            session.commit()
            assert sum("INSERT INTO activity" in s for s in statements) == 1  # both in one statement
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
        assert stored(make_session) == ["workflow_send", "workflow_completed"]
        record(session, "L1", "C1", "workflow_failed", now=T0, reason="rolled back")
        session.rollback()
        session.commit()
        assert stored(make_session) == ["workflow_send", "workflow_completed"]
        assert [item.kind for item in contact_audit(session, "L1", "C1")] == stored(make_session)


def test_without_it_record_writes_at_once(make_session: sessionmaker[Session]) -> None:
    with make_session() as session:
        add_location(session)
        add_lead(session)
        record(session, "L1", "C1", "workflow_send", now=T0, step_id="hello")
        assert [item.kind for item in contact_audit(session, "L1", "C1")] == ["workflow_send"]
        session.rollback()
    assert stored(make_session) == []
