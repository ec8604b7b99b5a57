"""docs/features.md is generated from the feature registry and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from ml.features import FEATURE_NAMES, render_feature_doc

DOC = Path(__file__).resolve().parents[2] / "docs" / "features.md"


def test_feature_doc_is_in_sync_with_the_registry() -> None:
    assert DOC.read_text(encoding="utf-8") == render_feature_doc(), (
        "docs/features.md is stale: run `python -m ml.features docs/features.md`"
    )


def test_feature_doc_lists_every_feature_once() -> None:
    text = render_feature_doc()
    for name in FEATURE_NAMES:
        assert text.count(f"| `{name}` |") == 1, name
