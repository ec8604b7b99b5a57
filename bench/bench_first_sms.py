"""New-lead webhook → first text accepted by GHL, in the default deployment (issue 4, T2).

`hub up`'s stack (Prefect server, task worker, a process flow worker serving the
`dispatch-workflow-steps/every-minute` sweeper, API) with the embedded SQLite store, the GHL
stand-in in its own process, `new_buyer_speed_to_lead` published, and a lead whose local time is
inside calling hours. One signed ContactCreate webhook every --interval seconds; for each, the time
from the webhook's 2xx to the stand-in accepting the lead's first text. The path: the API kicks the
`process-location-events` background task, which enrols the lead and, right after that batch, runs a
small dispatch round itself (more goes to the `dispatch-location-steps` background task in the same
task worker; tasks/dispatch_location.py). Printed: p50 / p95 /
max, the ratio of p95 to the 10 s target, and the median time of each stage.

    .venv/bin/python bench/bench_first_sms.py [--samples 20] [--interval 5]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dispatch_setup import COMPLIANCE, allowed_zone, standin_process, token
from hub.ghl.standin_admin import StandinAdmin
from hub.store.engine import make_engine, migrate

TARGET_S = 10.0


def latency(args: argparse.Namespace, workdir: Path) -> None:
    from hub.cli.stack import StackShape, local_stack
    from hub.simulator import sign
    from hub.simulator.signing import TEST_PUBLIC_KEY_PEM
    from hub.store.models import Location
    from hub.tenancy import register_location
    from hub.workflows.enrollment import publish_workflow
    from hub.workflows.loader import load_workflow

    location_id, zone = "LocLatency", allowed_zone()
    url = args.database_url or f"sqlite:///{workdir / 'stack.db'}"
    migrate(url)
    engine = make_engine(url)
    template = Path(__file__).resolve().parents[1] / "workflow_templates" / "new_buyer_speed_to_lead.yaml"
    with Session(engine) as session, session.begin():
        register_location(session, location_id, name="Latency Realty", timezone=zone)
        location = session.get(Location, location_id)
        assert location is not None
        location.postal_address = "100 Congress Ave, Austin, TX 78701"
        location.compliance = COMPLIANCE
        publish_workflow(session, load_workflow(template), now=datetime.now(UTC))
    with standin_process(workdir) as standin:
        admin = StandinAdmin(standin)
        admin.register_location(location_id, token(location_id))
        env = {
            "HUB_DATABASE_URL": url,
            "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM,
            "HUB_GHL_BASE_URL": standin,
            "HUB_GHL_TOKEN": token(location_id),
            "HUB_CODE_DIR": str(Path(__file__).resolve().parents[1]),
        }
        shape = StackShape(flow_workers=1, deployments=("dispatch-workflow-steps/every-minute",))
        print(f"lead zone {zone} (local time {datetime.now(ZoneInfo(zone)):%H:%M}); starting the stack…")
        seconds: list[float] = []
        stages: list[tuple[float, float, float]] = []  # 2xx -> enrolled -> reserved -> accepted
        with local_stack(workdir / "stack", env, shape=shape) as urls, httpx.Client(base_url=urls.api) as api:
            time.sleep(5)  # let the workers subscribe and poll once
            for i in range(args.samples):
                contact_id = f"CtLat{i:04d}{uuid.uuid4().hex[:6]}"
                phone = f"+1512555{i:04d}"
                admin.seed_contacts(
                    location_id, [{"id": contact_id, "firstName": "Dana", "phone": phone, "tags": ["buyer"]}]
                )
                stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                body = json.dumps(
                    {
                        "type": "ContactCreate",
                        "locationId": location_id,
                        "id": contact_id,
                        "firstName": "Dana",
                        "phone": phone,
                        "timezone": zone,
                        "source": "Zillow",
                        "tags": ["buyer"],
                        "dateAdded": stamp,
                        "webhookId": str(uuid.uuid4()),
                        "timestamp": stamp,
                    },
                    separators=(",", ":"),
                ).encode()
                answer = api.post("/webhooks/ghl", content=body, headers={"x-ghl-signature": sign(body)})
                started, posted_at = time.monotonic(), datetime.now(UTC)  # the clock starts at the 2xx
                assert answer.status_code == 200, answer.text
                while not any(
                    m["contactId"] == contact_id and m["type"] == "SMS"
                    for m in admin.collection(location_id, "messages")
                ):
                    if time.monotonic() - started > args.timeout:
                        raise SystemExit(
                            f"lead {i}: no text within {args.timeout:.0f} s; see {urls.logs} "
                            f"({len(seconds)} measured so far: {[round(s, 1) for s in seconds]})"
                        )
                    time.sleep(0.1)
                seconds.append(time.monotonic() - started)
                enrolled, reserved = stage_times(engine, contact_id)
                stages.append(
                    (
                        (enrolled - posted_at).total_seconds(),
                        (reserved - enrolled).total_seconds(),
                        seconds[-1] - (reserved - posted_at).total_seconds(),
                    )
                )
                print(
                    f"  lead {i + 1}/{args.samples}: first text after {seconds[-1]:.1f} s (enrolled after "
                    f"{stages[-1][0]:.1f} s, dispatched {stages[-1][1]:.1f} s later, accepted "
                    f"{stages[-1][2]:.1f} s after that)",
                    flush=True,
                )
                time.sleep(args.interval)
            runs = flow_run_stages(urls.prefect_api)
        admin.close()
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, math.ceil(0.95 * len(seconds)) - 1)]
    print(
        f"new-lead webhook 2xx → first SMS accepted by the stand-in: p50 {statistics.median(seconds):.2f} s, "
        f"p95 {p95:.2f} s, max {seconds[-1]:.2f} s over {len(seconds)} leads; p95 / target {TARGET_S:g} s = "
        f"{p95 / TARGET_S:.3f} ({'met' if p95 <= TARGET_S else 'missed'})"
    )
    medians = [statistics.median(stage[k] for stage in stages) for k in range(3)]
    print(
        f"median stages: 2xx → enrolled (processing background task, lead state, trigger) "
        f"{medians[0]:.2f} s; "
        f"enrolled → send reserved (due probe, processing's dispatch round or the background task, claim, "
        f"guards, fresh DND check) {medians[1]:.2f} s; reserved → accepted by the stand-in {medians[2]:.2f} s"
    )
    print(runs)


def flow_run_stages(prefect_api: str) -> str:
    """The dispatch flow runs the Prefect server recorded: how many ended how, and the median time
    from a run's creation (by the automation) to its start (worker poll + subprocess) and its length."""
    answer = httpx.post(f"{prefect_api}/flow_runs/filter", json={"limit": 200}, timeout=30)
    answer.raise_for_status()
    runs = [run for run in answer.json() if run["state_type"] != "SCHEDULED"]  # not the future minutes
    states = Counter(
        f"{run['state_name']} ({'schedule' if run.get('auto_scheduled') else 'trigger'})" for run in runs
    )
    for run in sorted(runs, key=lambda r: r["created"]):
        message = (run.get("state") or {}).get("message") or ""
        print(
            f"    created {run['created'][11:19]}, running {str(run['start_time'])[11:19]}: "
            f"{run['state_name']} {message[:100]}"
        )

    def at(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    started = [(at(r["created"]), at(r["start_time"]), at(r["end_time"])) for r in runs if r["start_time"]]
    waits = [(s - c).total_seconds() for c, s, _ in started if c and s]
    lengths = [(e - s).total_seconds() for _, s, e in started if s and e]
    summary = f"dispatch flow runs: {len(runs)} ({dict(states)})"
    if waits and lengths:
        summary += (
            f"; median created → running {statistics.median(waits):.1f} s, "
            f"median run length {statistics.median(lengths):.1f} s"
        )
    return summary


def stage_times(engine: sa.Engine, contact_id: str) -> tuple[datetime, datetime]:
    """When the lead was enrolled and when its first send was reserved (the store's clock)."""
    from hub.store.models import Enrollment, SendLedgerEntry

    with Session(engine) as session:
        enrolled = session.scalar(sa.select(Enrollment.started_at).where(Enrollment.contact_id == contact_id))
        reserved = session.scalar(
            sa.select(sa.func.min(SendLedgerEntry.reserved_at)).where(
                SendLedgerEntry.contact_id == contact_id, SendLedgerEntry.channel == "SMS"
            )
        )
    assert enrolled is not None and reserved is not None
    return enrolled, reserved


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between new leads")
    parser.add_argument("--database-url", help="store URL (default: SQLite in a temporary folder)")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up on one lead after this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        latency(args, Path(tmp))


if __name__ == "__main__":
    main()
