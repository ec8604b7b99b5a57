"""The receiver's SQLite writer never checkpoints in a commit; the background checkpointer does."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.store.engine import checkpoint_wal, make_engine
from hub.store.event_log import append_new
from hub.webhooks.group_commit import commit_deliveries
from hub.webhooks.wal_checkpointer import WalCheckpointer
from tests.hub.store.builders import make_delivery

# Enough rows that SQLite's automatic checkpoint (at 1,000 WAL pages) would have run.
BIG_BODY = "x" * 3000


def _store(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "hub.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def _write(engine: Engine, batches: int) -> None:
    for _ in range(batches):
        deliveries = [make_delivery(payload={"type": "InboundMessage", "body": BIG_BODY}) for _ in range(20)]
        commit_deliveries(engine, deliveries)


def _wal_frames(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        _busy, frames, written = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return frames, written


def test_the_writer_engine_leaves_checkpoints_to_the_checkpointer(
    tmp_path: Path, sqlite_template: Path
) -> None:
    url = _store(tmp_path, sqlite_template)
    writer = make_engine(url, wal_autocheckpoint=False)
    with writer.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    _write(writer, 60)  # ~1,200 rows of ~6 KB: past the 1,000-page autocheckpoint
    wal = Path(url.removeprefix("sqlite:///") + "-wal")
    # Nobody checkpointed: the WAL kept every frame (with autocheckpoint it stays near 1,000 pages).
    assert wal.stat().st_size > 2000 * 4096

    frames, written = checkpoint_wal(make_engine(url), "TRUNCATE")
    assert frames == written == 0  # TRUNCATE empties the WAL after writing everything back
    assert wal.stat().st_size == 0
    with writer.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() == 1200
    writer.dispose()


def test_the_checkpointer_writes_back_while_commits_go_on_and_empties_the_wal_on_stop(
    tmp_path: Path, sqlite_template: Path
) -> None:
    url = _store(tmp_path, sqlite_template)
    writer = make_engine(url, wal_autocheckpoint=False)
    other = make_engine(url)
    checkpointer = WalCheckpointer(other, interval_s=0.01, max_wal_frames=500)
    checkpointer.start()
    try:
        _write(writer, 40)
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        checkpointer.stop()
    assert checkpointer.checkpoints >= 3
    frames, written = _wal_frames(other)
    assert frames == written == 0
    assert Path(url.removeprefix("sqlite:///") + "-wal").stat().st_size == 0
    with other.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() == 800
    writer.dispose()
    other.dispose()


def test_a_checkpoint_mode_that_does_not_exist_is_refused(tmp_path: Path, sqlite_template: Path) -> None:
    engine = make_engine(_store(tmp_path, sqlite_template))
    with pytest.raises(ValueError, match="unknown WAL checkpoint mode 'NOW'"):
        checkpoint_wal(engine, "NOW")
    engine.dispose()


def test_the_wal_is_restarted_when_every_checkpoint_overlaps_a_commit(
    tmp_path: Path, sqlite_template: Path
) -> None:
    # Under load the writer is always mid-transaction when a PASSIVE checkpoint runs: it writes
    # back every committed frame, but the commit in flight lands after it, so the log is never
    # wholly written back when a commit begins and SQLite never restarts it. Reproduced here step
    # by step; the checkpointer's RESTART past max_wal_frames must bound the file.
    url = _store(tmp_path, sqlite_template)
    writer = make_engine(url, wal_autocheckpoint=False)
    checkpointer = WalCheckpointer(make_engine(url), max_wal_frames=300)
    wal = Path(url.removeprefix("sqlite:///") + "-wal")
    largest = 0
    with writer.connect() as conn:
        for _ in range(60):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            append_new(
                conn, [make_delivery(payload={"type": "InboundMessage", "body": BIG_BODY}) for _ in range(20)]
            )
            before = checkpointer.checkpoints
            round_ = threading.Thread(target=checkpointer.checkpoint_once)
            round_.start()
            while checkpointer.checkpoints == before:  # its PASSIVE ran while this commit was open
                time.sleep(0.001)
            conn.commit()  # a RESTART, if due, was waiting for this commit
            round_.join()
            largest = max(largest, wal.stat().st_size)
    assert checkpointer.restarts >= 1
    # 60 batches of 20 rows of ~6 KB: ~3,000 pages if the log were never restarted.
    assert largest < 1000 * 4096, f"the WAL reached {largest // 4096} pages"
    with writer.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() == 1200
    writer.dispose()
