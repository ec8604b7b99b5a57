"""The feature registry: every feature's definition, in one order, and the docs generated from it.

`docs/features.md` is `render_feature_doc()`; tests/ml/test_feature_doc.py fails when they differ
(regenerate with `python -m ml.features docs/features.md`).
"""

from __future__ import annotations

from hub.errors import ModelError
from ml.features import background, conversation, deal, engagement, listings, state_filter
from ml.features.block import Block
from ml.features.events import FloatArray
from ml.features.feature import Feature

GROUPS = (
    ("Engagement: recency, frequency, velocity, habits", engagement),
    ("Conversation: channels, reply rates, latency, balance, e-mail", conversation),
    ("Website: views, saves, showings, what was looked at", listings),
    ("Deal: appointments, opportunity, consent", deal),
    ("Background: profile, preferences, agent", background),
    ("State: where the lead stands today, from a learned day-by-day filter", state_filter),
)
FEATURES: tuple[Feature, ...] = tuple(f for _, group in GROUPS for f in group.FEATURES)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}


def compute_all(block: Block) -> dict[str, FloatArray]:
    """Every registered feature for every sample of `block`, in registry order."""
    values: dict[str, FloatArray] = {}
    for _, group in GROUPS:
        computed = group.compute(block)
        declared = [f.name for f in group.FEATURES]
        if list(computed) != declared:
            missing = sorted(set(declared) - set(computed))
            extra = sorted(set(computed) - set(declared))
            raise ModelError(
                f"{group.__name__}: computed features differ from its FEATURES "
                f"(missing {missing}, undeclared {extra}, or out of order)"
            )
        values.update(computed)
    return values


def render_feature_doc() -> str:
    """docs/features.md: one table per group, generated from the registry."""
    lines = [
        "# Lead features",
        "",
        "Generated from `ml/features/registry.py` by `python -m ml.features docs/features.md`;",
        "do not edit by hand (a test checks this file is in sync).",
        "",
        f"{len(FEATURES)} features, each computed by ONE definition for both paths: offline",
        "`build_features(events, profiles, cutoffs)` for many (lead, cutoff) samples and online",
        "`features_for_lead(lead_events, profile, as_of)` for one lead. Point in time: a sample at",
        "cutoff c sees only events with `at <= c` and `received_at <= c`. Windows count back from the",
        'cutoff ("7 d" = the 7 days up to c); "decayed" weighs every event by its age; "latest" is the',
        'last value known at c, "profile" is the lead as first known. NaN means not known at c',
        "(xgboost learns a direction for it).",
        "",
        "**Engagement events** are inbound messages on any channel that are not an opt-out or opt-in",
        "text (classified by `hub.compliance.opt_out`), and website (IDX) workflow events",
        "`property_viewed`, `property_saved`, `showing_requested`, `not_interested`. E-mail opens are",
        "not engagement (machine opens). The churn label counts the same events.",
        "",
        "**Message intent** (`ml/intent.py`) grades each inbound message by its wording: 0 stalling",
        '("maybe next year"), 1 browsing ("just looking"), 2 asking about a specific home (availability,',
        "HOA, taxes, schools), 3 ready (tour, offer, pre-approval, list next month); messages whose",
        "wording says nothing about intent have none.",
        "",
        "**State filter** (`ml/features/state_filter.py`): a 3-state hidden-Markov forward filter",
        "(cold, warm, hot) over the lead's last 30 days, day by day, on engagement events, messages by",
        "intent, e-mail opens, agent calls picked up or not and opt-out texts. Its parameters were",
        "fitted by EM on a training window only (`bench/bench_models.py --fit-filter`) and are",
        "constants, like the windows above; its features are the state odds at the cutoff.",
        "",
    ]
    for title, group in GROUPS:
        lines += [f"## {title}", "", "| feature | meaning | window | source events |", "|---|---|---|---|"]
        for f in group.FEATURES:
            meaning = f.meaning.replace("|", "/")
            lines.append(f"| `{f.name}` | {meaning} | {f.window} | {f.sources.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)
