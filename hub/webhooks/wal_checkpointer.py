"""Checkpoint the SQLite WAL off the request path, so no webhook's commit pays for a checkpoint.

SQLite checkpoints inside the commit that crosses 1,000 WAL pages: that commit writes the pages
back into the database file and fsyncs it, and every request waiting on that group commit waits
with it — the receiver's p99. The receiver's writer turns that off (`wal_autocheckpoint=False`)
and this thread checkpoints instead, PASSIVE, on a connection of its own: a PASSIVE checkpoint
never blocks the writer, so commits go on while the pages are written back.

Under sustained load the WAL is never restarted on its own, even though every PASSIVE checkpoint
writes back all it saw: the writer appends while the checkpoint runs, so the log is never wholly
written back at the moment a commit begins, which is when SQLite restarts it (measured: ~1 GB of
WAL after 20 s at ~4,000 deliveries/s, bench/README.md, session 7). So when the WAL passes
`max_wal_frames`, one RESTART checkpoint (which waits for the writer between two commits, writes
back the few frames added since the last PASSIVE, and makes the next commit start the log from the
beginning) bounds it: one commit waits once per `max_wal_frames`, instead of one in every 1,000
pages. RESTART, not TRUNCATE: the file is reused from its start instead of cut and regrown.
On stop, TRUNCATE empties it.

PostgreSQL checkpoints on its own, in the background; this is SQLite only.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from hub.store.engine import checkpoint_wal

log = logging.getLogger(__name__)


class WalCheckpointer:
    """A daemon thread that checkpoints `engine`'s WAL every `interval_s` until stopped."""

    # 64,000 frames (~256 MB of WAL): under the intake bench's ~4,000 deliveries/s, one RESTART every
    # 2-3 s. At 16,000 it came every ~0.6 s and its waits took the receiver's p99 from ~2x to ~3.7x
    # bare (bench/README.md, session 7).
    def __init__(self, engine: Engine, *, interval_s: float = 0.2, max_wal_frames: int = 64_000) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._max_wal_frames = max_wal_frames
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        self.restarts = 0

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpointer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, then checkpoint what is left (the writer has stopped by now)."""
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join()
        self._thread = None
        self._checkpoint("TRUNCATE")

    def _run(self) -> None:
        while not self._stopping.wait(self._interval_s):
            self.checkpoint_once()

    def checkpoint_once(self) -> None:
        """One round: write back what the WAL holds; restart it when it has grown past the limit."""
        frames, _written = self._checkpoint("PASSIVE")
        if frames > self._max_wal_frames:
            self._checkpoint("RESTART")
            self.restarts += 1

    def _checkpoint(self, mode: str) -> tuple[int, int]:
        try:
            frames, written = checkpoint_wal(self._engine, mode)
        except Exception:
            # Never fatal: the WAL stays durable, it only grows until the next checkpoint works.
            log.exception("SQLite WAL checkpoint (%s) failed; will retry", mode)
            return 0, 0
        self.checkpoints += 1
        return frames, written
