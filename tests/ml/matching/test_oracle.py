"""The simulator's latent affinity for arbitrary pairs equals the weights leads pick listings by."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hub.simulator import Simulation
from hub.simulator.listings import PROPERTY_TYPES, ListingIndex, Taste, latent_affinity


def test_latent_affinity_equals_the_taste_that_drives_views(sim: Simulation) -> None:
    leads, oracle = sim.leads, sim.oracle.leads
    buyers = np.flatnonzero(~leads.seller)[:25]
    for i in buyers.tolist():
        location = sim.world.locations[int(leads.location[i])]
        index = ListingIndex(location.listings, tuple(m.id for m in location.markets))
        taste = Taste(
            index, float(leads.budget[i]), int(leads.beds[i]), int(leads.property_kind[i]), leads.markets[i]
        )
        weights = np.diff(np.concatenate([[0.0], taste.cumulative])) - 1e-9
        frame = pd.DataFrame(
            {
                "list_price": [x.list_price for x in index.listings],
                "bedrooms": [x.bedrooms_total for x in index.listings],
                "property_type": [x.property_sub_type for x in index.listings],
                "city": [x.city for x in index.listings],
            }
        )
        row = oracle.iloc[[i]].reset_index(drop=True)
        assert row["property_type"].iloc[0] == PROPERTY_TYPES[int(leads.property_kind[i])]
        pairs = np.arange(len(frame), dtype=np.int64)
        truth = latent_affinity(row, frame, np.zeros_like(pairs), pairs)
        # oracle.parquet rounds the budget to whole dollars: a relative error far below 1e-4.
        assert np.allclose(truth, weights, rtol=1e-4, atol=1e-8)
        assert truth.max() > 0.1 and truth.min() < 0.01  # informative: some fit, some do not
