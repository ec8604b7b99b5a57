"""Lead features: one registry of documented features, computed offline and online by one definition.

from ml.features import build_features, features_for_lead, FEATURES, FEATURE_NAMES
"""

from __future__ import annotations

from ml.features.build import (
    KEY_COLUMNS,
    build_features,
    feature_vector_at,
    features_for_lead,
    lead_feature_vector,
    prepare_lead,
)
from ml.features.events import LeadArrays
from ml.features.feature import Feature
from ml.features.registry import BY_NAME, FEATURE_NAMES, FEATURES, render_feature_doc

__all__ = [
    "BY_NAME",
    "FEATURES",
    "FEATURE_NAMES",
    "KEY_COLUMNS",
    "Feature",
    "LeadArrays",
    "build_features",
    "feature_vector_at",
    "features_for_lead",
    "lead_feature_vector",
    "prepare_lead",
    "render_feature_doc",
]
