"""Files on disk: round trip, manifest, world, oracle tables, the summary command."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from hub.errors import SimulationError
from hub.simulator import TEST_PUBLIC_KEY_PEM, Simulation, SimulationFiles, load_deliveries, main, verify


def test_deliveries_round_trip_byte_for_byte(sim: Simulation, files: SimulationFiles) -> None:
    loaded = list(load_deliveries(files.deliveries))
    assert len(loaded) == len(sim.deliveries)
    for original, again in zip(sim.deliveries, loaded, strict=True):
        assert again == original
    non_ascii = [d for d in loaded if any(b > 127 for b in d.body)]
    assert non_ascii, "names like José must travel as UTF-8 bytes"
    assert all(verify(d.body, d.headers["x-ghl-signature"]) for d in non_ascii if d.signed)


def test_jsonl_lines_have_exactly_the_documented_keys(files: SimulationFiles) -> None:
    with files.deliveries.open(encoding="utf-8") as lines:
        first = json.loads(next(lines))
    assert list(first) == ["seq", "arrival_at", "route", "location_id", "headers", "body"]
    assert first["arrival_at"].endswith("Z") and isinstance(first["body"], str)


def test_manifest_describes_the_files(sim: Simulation, files: SimulationFiles) -> None:
    manifest = json.loads(files.manifest.read_text())
    assert manifest["test_public_key_pem"] == TEST_PUBLIC_KEY_PEM
    assert manifest["config"]["seed"] == sim.config.seed
    assert manifest["counts"]["deliveries"] == len(sim.deliveries)
    assert sum(manifest["counts"]["by_type"].values()) == len(sim.deliveries)
    assert 0 < manifest["counts"]["duplicates"] < 0.05 * len(sim.deliveries)
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((files.directory / name).read_bytes()).hexdigest() == entry["sha256"]


def test_world_json_exposes_locations_and_listings(sim: Simulation, files: SimulationFiles) -> None:
    world = json.loads(files.world.read_text())
    assert len(world["locations"]) == len(sim.world.locations)
    location = world["locations"][0]
    assert {"agents", "pipelines", "calendars", "custom_fields", "markets", "workflows", "timezone"} <= set(
        location
    )
    stage_ids = {s["id"] for p in location["pipelines"] for s in p["stages"]}
    assert len(stage_ids) == 14
    assert {cf["key"] for cf in location["custom_fields"]} == {
        "budget",
        "beds",
        "areas",
        "property_type",
        "timeline",
    }
    listing = world["listings"][0]
    for field in (
        "listing_id",
        "standard_status",
        "list_price",
        "bedrooms_total",
        "bathrooms_total",
        "living_area_sqft",
        "property_sub_type",
        "city",
        "postal_code",
        "latitude",
        "longitude",
        "days_on_market",
        "features",
    ):
        assert field in listing
    assert len(world["listings"]) == len(sim.world.listings)


def test_oracle_tables_are_readable(sim: Simulation, files: SimulationFiles) -> None:
    leads = pd.read_parquet(files.oracle)
    daily = pd.read_parquet(files.oracle_daily)
    assert len(leads) == sim.config.leads
    assert {"motivation", "p_convert_7d_at_arrival", "p_quiet_14d_at_arrival", "converted"} <= set(
        leads.columns
    )
    assert {
        "day",
        "cutoff",
        "state",
        "p_convert_7d",
        "y_convert_7d",
        "p_quiet_14d",
        "y_quiet_14d",
        "engaged_before",
    } <= set(daily.columns)
    pd.testing.assert_frame_equal(daily, sim.oracle.daily)


def test_load_deliveries_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "deliveries.jsonl"
    path.write_text(
        '{"seq": 0, "arrival_at": "2026-03-02T00:00:00.000Z", "route": "ghl", "location_id": "x", '
        '"headers": {}, "body": "{}"}\nnot json\n'
    )
    with pytest.raises(SimulationError, match=r"deliveries.jsonl:2"):
        list(load_deliveries(path))


def test_write_refuses_a_file_as_directory(sim: Simulation, tmp_path: Path) -> None:
    from hub.simulator import write_simulation

    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(SimulationError, match="not a directory"):
        write_simulation(sim, target)


def test_main_writes_and_prints_a_summary(tmp_path: Path) -> None:
    out = io.StringIO()
    files = main(
        leads=30, days=10, seed=5, out=tmp_path / "run", locations=1, console=Console(file=out, width=120)
    )
    text = out.getvalue()
    assert files.manifest.exists() and files.deliveries.stat().st_size > 0
    assert "ContactCreate" in text and "deliveries" in text
    manifest = json.loads(files.manifest.read_text())
    assert f"{manifest['counts']['deliveries']:,} deliveries" in text
