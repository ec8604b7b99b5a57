"""The oracle: exact, calibrated, consistent with the traffic, and absent from the traffic."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from hub.simulator import Simulation
from hub.simulator.latent import ACTIVE, BROWSING, COLD, HOT, LOST, OPTED_OUT, WON
from hub.simulator.oracle import exact_probabilities

from .labels import observed_days


def _monte_carlo(sim: Simulation, leads: np.ndarray, state: int, horizon: int, paths: int) -> tuple[Any, Any]:
    """Simulate each lead's chain forward from `state` and count conversions / quiet windows."""
    rng = np.random.default_rng(0)
    d = sim.dynamics
    rows = np.repeat(leads, paths)
    current = np.full(rows.size, state)
    converted = np.zeros(rows.size, dtype=bool)
    active = np.zeros(rows.size, dtype=bool)
    for _ in range(horizon):
        nxt = (rng.random(rows.size)[:, None] >= d.cumulative[rows, current]).sum(axis=1)
        converted |= (nxt == WON) & (current != WON)
        converted |= rng.random(rows.size) < d.booking[rows, nxt]
        active |= rng.poisson(d.rates[rows, nxt]).sum(axis=1) > 0
        current = nxt
    return converted.reshape(-1, paths).mean(axis=1), (~active).reshape(-1, paths).mean(axis=1)


def test_exact_probabilities_match_monte_carlo(sim: Simulation) -> None:
    leads = np.arange(0, 400, 25)
    exact = exact_probabilities(sim.dynamics, (7,))[7]
    for state in (COLD, BROWSING, ACTIVE, HOT, OPTED_OUT):
        mc_convert, mc_quiet = _monte_carlo(sim, leads, state, 7, 6_000)
        tolerance = 4 * np.sqrt(0.25 / 6_000) + 1e-3
        np.testing.assert_allclose(exact[0][leads, state], mc_convert, atol=tolerance)
        np.testing.assert_allclose(exact[1][leads, state], mc_quiet, atol=tolerance)


def test_absorbing_states_and_horizons_behave(sim: Simulation) -> None:
    probabilities = exact_probabilities(sim.dynamics, (7, 14))
    (c7, q7), (c14, q14) = probabilities[7], probabilities[14]
    assert np.all((c7 >= 0) & (c7 <= 1) & (q7 >= 0) & (q7 <= 1))
    assert np.all(c14 >= c7 - 1e-12) and np.all(q14 <= q7 + 1e-12)  # longer window: more chance, less quiet
    assert np.allclose(c7[:, [WON, LOST]], 0.0) and np.allclose(q7[:, [WON, LOST]], 1.0)
    assert np.all(c7[:, HOT] > c7[:, COLD])  # hotter states convert more, for every lead
    assert np.all(q7[:, ACTIVE] < q7[:, COLD])


def test_oracle_is_calibrated_and_informative_against_realised_labels(sim: Simulation) -> None:
    daily = sim.oracle.daily
    for horizon in (7, 14):
        for what in ("convert", "quiet"):
            rows = daily.dropna(subset=[f"y_{what}_{horizon}d"])
            p, y = rows[f"p_{what}_{horizon}d"], rows[f"y_{what}_{horizon}d"]
            assert len(rows) > 3_000
            assert abs(p.mean() - y.mean()) < 0.02, (what, horizon, p.mean(), y.mean())
            bins = pd.cut(p, [0, 0.1, 0.3, 0.6, 1.0], include_lowest=True)
            by_bin = pd.DataFrame({"p": p, "y": y, "bin": bins}).groupby("bin", observed=True).mean()
            assert (by_bin["y"].diff().dropna() > 0).all(), by_bin  # observed rate rises with p
            assert roc_auc_score(y, p) > 0.75


def test_realised_labels_are_what_the_deliveries_show(sim: Simulation) -> None:
    converted, engaged = observed_days(sim)
    after_arrival = np.arange(sim.config.days)[None, :] > sim.leads.arrival_day[:, None]
    for observed, truth in ((converted, sim.path.converted), (engaged, sim.path.engaged)):
        assert truth[after_arrival].sum() > 100
        mismatches = (observed != truth) & after_arrival
        # Only an event within seconds of midnight whose send/arrival time crosses it may differ.
        assert mismatches.sum() <= 0.003 * truth[after_arrival].sum(), mismatches.sum()


def _keys_and_strings(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            out.add(key)
            _keys_and_strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _keys_and_strings(item, out)
    elif isinstance(value, str):
        out.add(value)
    return out


def test_the_oracle_is_not_in_the_deliveries(sim: Simulation, bodies: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for body in bodies:
        _keys_and_strings(body, seen)
    for delivery in sim.deliveries:
        _keys_and_strings(delivery.headers, seen)
    # Column names that are also ordinary observable field names (a contact's US `state`, a listing's
    # `property_type`, DND status "active", ...) are not leaks; everything else in the oracle is.
    observable = {"contact_id", "state", "timezone", "beds", "property_type", "source", "budget", "areas"}
    latent_names = (set(sim.oracle.leads.columns) | set(sim.oracle.daily.columns)) - observable
    assert not latent_names & seen, latent_names & seen
    assert not {"cold", "browsing", "hot", "opted_out", "motivation", "latent"} & seen  # won/lost: statuses
    probabilities = {f"{v:.6f}" for v in sim.oracle.leads["p_convert_7d_at_arrival"]}
    assert not any(p in s for s in seen for p in list(probabilities)[:50] if p != "0.000000")
