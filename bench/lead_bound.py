"""The observable bound for bench_models.py: what any model of a lead's observable history can reach.

An HMM forward filter that knows each lead's exact transition matrix and emission probabilities (its
latent traits, which no model sees) and reads the latent state off every message a lead writes,
filtering on every state-dependent thing the CRM shows, day by day (bench_models.py's docstring
lists the evidence). Ranking by its posterior maximises expected ROC-AUC among all functions of that
information, so no model of the observable history beats it in expectation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from hub.simulator import Simulation
from hub.simulator.conversation import _ANSWER as P_ANSWER
from hub.simulator.latent import BROWSING, COLD, LOST, N_STATES, OPTED_OUT, WON
from hub.simulator.mailing import _CLICK as P_CLICK
from hub.simulator.mailing import _OPEN as P_OPEN
from hub.simulator.oracle import exact_probabilities
from ml.features.columns import to_ms

DAY_MS = 86_400_000


def _day_flags(
    events: pd.DataFrame, mask: pd.Series, lead_of: dict[str, int], shape: tuple[int, int], start_ms: int
) -> np.ndarray:
    """(leads, days) count of the timeline rows in `mask`, by lead and simulated day."""
    rows = events[mask.to_numpy()]
    out = np.zeros(shape)
    day = (to_ms(rows["at"]) - start_ms) // DAY_MS
    keep = (day >= 0) & (day < shape[1])
    np.add.at(out, (rows["contact_id"].map(lead_of).to_numpy()[keep], day[keep]), 1)
    return out


def observable_bound(sim: Simulation, events: pd.DataFrame, horizon: int) -> dict[str, np.ndarray]:
    """Per (lead, day): P(conversion) and P(quiet) within `horizon` days from an HMM forward filter
    with the lead's true dynamics, on the day-by-day evidence of the timeline (see the docstring)."""
    dyn, leads = sim.dynamics, sim.leads
    n, days = leads.n, sim.config.days
    start_ms = sim.config.start_ms
    lead_of = {c: i for i, c in enumerate(leads.contact_id)}
    shape = (n, days)
    kind, action, direction = events["kind"], events["action"], events["direction"]
    inbound = (kind == "message") & (direction == "inbound") & events["opt"].isna()
    channel = events["channel"]
    masks = [
        inbound & (channel == "SMS"),
        inbound & (channel == "Email"),
        inbound & channel.isin(["Call", "Voicemail"]),
        *[(kind == "listing") & (action == a) for a in ("view", "save", "showing_request", "not_interested")],
    ]
    counts = np.stack([_day_flags(events, m, lead_of, shape, start_ms) for m in masks], axis=2)
    booked = _day_flags(events, (kind == "appointment") & (action == "created"), lead_of, shape, start_ms) > 0
    status = events["status"]
    marked = (kind == "opportunity") & (action == "status")
    won = _day_flags(events, marked & (status == "won"), lead_of, shape, start_ms) > 0
    lost = _day_flags(events, marked & (status == "lost"), lead_of, shape, start_ms) > 0
    stop = _day_flags(events, events["opt"] == "opt_out", lead_of, shape, start_ms) > 0
    start_again = _day_flags(events, events["opt"] == "opt_in", lead_of, shape, start_ms) > 0
    texted = counts[:, :, 0] + counts[:, :, 1] > 0
    # Our e-mails (by send day) by what the lead did with them, and agent calls by pickup: their
    # odds depend on the state of the send / call day (hub/simulator/mailing.py, conversation.py).
    email = kind == "email"
    sent = email & (action == "delivered")
    ids = events["item_id"]
    opened_ids = set(ids[email & (action == "opened")])
    clicked_ids = set(ids[email & (action == "clicked")])
    was_opened, was_clicked = ids.isin(opened_ids), ids.isin(clicked_ids)
    mail = {
        "ignored": _day_flags(events, sent & ~was_opened, lead_of, shape, start_ms),
        "opened": _day_flags(events, sent & was_opened & ~was_clicked, lead_of, shape, start_ms),
        "clicked": _day_flags(events, sent & was_opened & was_clicked, lead_of, shape, start_ms),
    }
    unsubscribed = _day_flags(events, email & (action == "unsubscribed"), lead_of, shape, start_ms) > 0
    call_out = (kind == "message") & (direction == "outbound") & (channel == "Call")
    picked_up = _day_flags(events, call_out & (status == "completed"), lead_of, shape, start_ms)
    not_picked_up = _day_flags(events, call_out & (status != "completed"), lead_of, shape, start_ms)
    p_open, p_click, p_answer = np.array(P_OPEN), np.array(P_CLICK), np.array(P_ANSWER)
    log_odds = {
        "ignored": np.log(1.0 - p_open),
        "opened": np.log(np.maximum(p_open * (1.0 - p_click), 1e-300)),
        "clicked": np.log(np.maximum(p_open * p_click, 1e-300)),
    }
    cold_or_out = np.isin(np.arange(N_STATES), [COLD, OPTED_OUT]).astype(float)
    p = dyn.transition
    no_new_win = p.copy()
    no_new_win[:, np.arange(N_STATES) != WON, WON] = 0.0
    log_rates = np.log(np.maximum(dyn.rates, 1e-300))
    belief = np.zeros((n, N_STATES))
    posterior = np.zeros((n, days, N_STATES))
    for t in range(days):
        prior = np.einsum("ni,nij->nj", belief, np.where(won[:, t, None, None], p, no_new_win))
        arriving = leads.arrival_day == t
        prior[arriving] = dyn.initial[arriving]
        k = counts[:, t, None, :]
        like = np.exp((log_rates * k - dyn.rates).sum(axis=2))
        like *= np.where((dyn.rates == 0) & (k > 0), 0.0, 1.0).prod(axis=2)
        like *= np.where(booked[:, t, None], dyn.booking, 1.0 - dyn.booking)
        seen = sum(mail[k][:, t, None] * log_odds[k][None, :] for k in mail)
        seen += picked_up[:, t, None] * np.log(p_answer) + not_picked_up[:, t, None] * np.log(1 - p_answer)
        like *= np.exp(seen)
        like = np.where(unsubscribed[:, t, None], like * cold_or_out + 1e-12, like)
        like = np.where(start_again[:, t, None], like * np.eye(N_STATES)[BROWSING] + 1e-12, like)
        # Perfect reading of message text: a message reveals the state the lead wrote it in.
        truth = np.eye(N_STATES)[np.clip(sim.path.states[:, t], 0, None)]
        like = np.where(texted[:, t, None], like * truth, like)
        like = np.where(lost[:, t, None], np.eye(N_STATES)[LOST], like)
        like = np.where(stop[:, t, None], like * np.eye(N_STATES)[OPTED_OUT] + 1e-12, like)
        like = np.where(won[:, t, None], np.eye(N_STATES)[WON], like)
        joint = prior * like
        total = joint.sum(axis=1, keepdims=True)
        belief = np.where(total > 0, joint / np.maximum(total, 1e-300), prior)
        belief[leads.arrival_day > t] = 0.0
        posterior[:, t] = belief
    p_convert, p_quiet = exact_probabilities(dyn, (horizon,))[horizon]
    return {
        "conversion": np.einsum("nts,ns->nt", posterior, p_convert),
        "churn": np.einsum("nts,ns->nt", posterior, p_quiet),
    }


def bound_values(
    sim: Simulation, bound: dict[str, np.ndarray], test: pd.DataFrame, target: str
) -> np.ndarray:
    lead_of = {c: i for i, c in enumerate(sim.leads.contact_id)}
    lead = test["contact_id"].map(lead_of).to_numpy()
    day = (to_ms(test["cutoff"]) - sim.config.start_ms) // DAY_MS - 1  # cutoff = end of day d
    return bound[target][lead, day]


def observable_bound_auc(
    sim: Simulation, bound: dict[str, np.ndarray], test: pd.DataFrame, target: str
) -> float:
    return float(roc_auc_score(test["label"], bound_values(sim, bound, test, target)))
