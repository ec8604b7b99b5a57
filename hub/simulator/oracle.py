"""The oracle: each lead's latent truth and the exact probabilities a perfect model would output.

Definitions (H = a horizon in days, cutoff d = the end of simulated day d, i.e. start + (d+1)·24h):

- conversion in (d, d+H]: on some day d+1..d+H the lead has an appointment booked
  (AppointmentCreate) or its opportunity is won (OpportunityStatusUpdate status=won);
- quiet in (d, d+H]: on no day d+1..d+H does the lead produce an inbound engagement event — an
  InboundMessage (SMS, e-mail, call, voicemail) other than an opt-out / opt-in message, or a
  website workflow event (property_viewed / property_saved / showing_requested / not_interested).
  Churn = quiet for a lead that engaged at least once up to the cutoff (`engaged_before`).

`p_convert_Hd` and `p_quiet_Hd` are the exact probabilities of these given the latent state at the
cutoff and the lead's static traits, computed by backward recursion over the lead's own Markov
chain (no sampling). `y_convert_Hd` / `y_quiet_Hd` are the realised outcomes of this run, NaN when
the window (d, d+H] runs past the simulated days (censored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hub.simulator.behaviour import LatentPath
from hub.simulator.context import DAY_MS
from hub.simulator.latent import ACTIVE, COLD, HOT, N_STATES, OPTED_OUT, STATE_NAMES, WON, Dynamics
from hub.simulator.leads import SOURCES, Leads
from hub.simulator.listings import PROPERTY_TYPES
from hub.simulator.world import TIMELINES, World

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Oracle:
    """Per-lead latent truth and outcomes (`leads`) and per lead-day probabilities and labels (`daily`)."""

    leads: pd.DataFrame
    daily: pd.DataFrame
    horizons_days: tuple[int, ...]


def exact_probabilities(
    dynamics: Dynamics, horizons: tuple[int, ...]
) -> dict[int, tuple[FloatArray, FloatArray]]:
    """For each H: (P(conversion within H days | state), P(quiet for H days | state)), each (n, S)."""
    p = dynamics.transition
    n = p.shape[0]
    # No conversion on a day = stay out of a *newly entered* WON and book nothing that day.
    no_convert = p * (1.0 - dynamics.booking)[:, None, :]
    not_won = np.arange(N_STATES) != WON
    no_convert[:, not_won, WON] = 0.0
    # No engagement on a day = a zero count of every Poisson stream: exp(-total rate).
    no_engage = p * np.exp(-dynamics.engagement_rate)[:, None, :]
    survive_c = np.ones((n, N_STATES))
    survive_q = np.ones((n, N_STATES))
    out: dict[int, tuple[FloatArray, FloatArray]] = {}
    for k in range(1, max(horizons) + 1):
        survive_c = np.einsum("nij,nj->ni", no_convert, survive_c)
        survive_q = np.einsum("nij,nj->ni", no_engage, survive_q)
        if k in horizons:
            out[k] = (1.0 - survive_c, survive_q.copy())
    return out


def _window_any(flags: NDArray[np.bool_], horizon: int) -> FloatArray:
    """(n, days): 1.0 if any flag on days d+1..d+H, 0.0 if none, NaN if the window is censored."""
    n, days = flags.shape
    total = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(flags, axis=1)], axis=1)
    out = np.full((n, days), np.nan)
    valid = days - horizon  # cutoffs d = 0..days-H-1 have a complete window
    if valid > 0:
        window = total[:, horizon + 1 : horizon + 1 + valid] - total[:, 1 : 1 + valid]
        out[:, :valid] = (window > 0).astype(float)
    return out


def _first_day(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    first = np.where(mask.any(axis=1), mask.argmax(axis=1), -1)
    return first.astype(np.int64)


def build_oracle(
    world: World,
    leads: Leads,
    dynamics: Dynamics,
    path: LatentPath,
    horizons: tuple[int, ...],
    start_ms: int,
    first_agent_ids: list[str],
) -> Oracle:
    """Assemble the per-lead and per-lead-day oracle tables."""
    probabilities = exact_probabilities(dynamics, horizons)
    n = path.states.shape[0]
    lead_ix, day_ix = np.nonzero(path.states >= 0)
    state = path.states[lead_ix, day_ix].astype(np.int64)
    engaged_total = np.cumsum(path.engaged, axis=1)
    daily: dict[str, object] = {
        "lead_index": lead_ix.astype(np.int32),
        "contact_id": np.array(leads.contact_id, dtype=object)[lead_ix],
        "day": day_ix.astype(np.int32),
        "cutoff": pd.to_datetime(start_ms + (day_ix.astype(np.int64) + 1) * DAY_MS, unit="ms", utc=True),
        "state": pd.Categorical.from_codes(state, categories=list(STATE_NAMES)),
        "engaged_before": engaged_total[lead_ix, day_ix] > 0,
    }
    for horizon in horizons:
        p_convert, p_quiet = probabilities[horizon]
        daily[f"p_convert_{horizon}d"] = p_convert[lead_ix, state]
        daily[f"p_quiet_{horizon}d"] = p_quiet[lead_ix, state]
        daily[f"y_convert_{horizon}d"] = _window_any(path.converted, horizon)[lead_ix, day_ix]
        daily[f"y_quiet_{horizon}d"] = 1.0 - _window_any(path.engaged, horizon)[lead_ix, day_ix]

    arrival = leads.arrival_day
    first_state = path.states[np.arange(n), arrival].astype(np.int64)
    last_state = path.states[:, -1].astype(np.int64)
    traits = leads.traits
    per_lead: dict[str, object] = {
        "lead_index": np.arange(n, dtype=np.int32),
        "contact_id": leads.contact_id,
        "location_id": [world.locations[int(loc)].id for loc in leads.location],
        "agent_id": first_agent_ids,
        "intent": np.where(leads.seller, "seller", "buyer"),
        "source": [SOURCES[int(s)] for s in leads.source],
        "arrival_day": arrival.astype(np.int32),
        "created_at": pd.to_datetime(leads.created_ms, unit="ms", utc=True),
        "motivation": traits.motivation,
        "true_timeline": [TIMELINES[int(t)] for t in leads.timeline],
        "urgency": traits.urgency,
        "chattiness": traits.chattiness,
        "browse_intensity": traits.browse,
        "sms_weight": traits.sms_weight,
        "email_weight": traits.email_weight,
        "stop_prone": traits.stop_prone,
        "speed_to_lead_factor": traits.stl_factor,
        "first_response_minutes": np.where(
            leads.first_response_ms < 0, np.nan, leads.first_response_ms / 60_000
        ),
        "budget": np.round(leads.budget, 0),
        "beds": leads.beds.astype(np.int32),
        "property_type": [PROPERTY_TYPES[int(k)] for k in leads.property_kind],
        "areas": [
            ",".join(world.locations[int(loc)].markets[m].name for m in markets)
            for loc, markets in zip(leads.location, leads.markets, strict=True)
        ],
        "timezone": leads.timezone,
        "relocating": leads.relocating,
        "has_phone": leads.has_phone,
        "has_email": leads.has_email,
        "initial_state": pd.Categorical.from_codes(first_state, categories=list(STATE_NAMES)),
        "final_state": pd.Categorical.from_codes(last_state, categories=list(STATE_NAMES)),
    }
    for horizon in horizons:
        p_convert, p_quiet = probabilities[horizon]
        per_lead[f"p_convert_{horizon}d_at_arrival"] = p_convert[np.arange(n), first_state]
        per_lead[f"p_quiet_{horizon}d_at_arrival"] = p_quiet[np.arange(n), first_state]
    per_lead["converted"] = path.converted.any(axis=1)
    per_lead["first_conversion_day"] = _first_day(path.converted).astype(np.int32)
    per_lead["won_day"] = _first_day(path.states == WON).astype(np.int32)
    per_lead["opted_out_day"] = _first_day(path.states == OPTED_OUT).astype(np.int32)
    engaged_hot = np.maximum.accumulate((path.states == ACTIVE) | (path.states == HOT), axis=1)
    per_lead["went_cold_day"] = _first_day(engaged_hot & (path.states == COLD)).astype(np.int32)
    per_lead["days_engaged"] = path.engaged.sum(axis=1).astype(np.int32)
    return Oracle(pd.DataFrame(per_lead), pd.DataFrame(daily), horizons)
