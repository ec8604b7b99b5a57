"""`python -m ml.features docs/features.md`: write the feature reference generated from the registry."""

from __future__ import annotations

import sys
from pathlib import Path

from ml.features.registry import render_feature_doc


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m ml.features docs/features.md", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(render_feature_doc(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
