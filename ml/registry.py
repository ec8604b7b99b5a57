"""The model registry: a folder of versions, each an xgboost `.ubj` plus `metadata.json`, never pickle.

    registry = ModelRegistry(Path("var/models"))
    decision = promote_if_better(result, registry, metric="roc_auc")
    champion = registry.champion("conversion-7d")      # RegisteredModel(model, metadata)

Layout: `<root>/<kind>/<version>/{model.ubj, metadata.json}` and `<root>/<kind>/CHAMPION` (the
champion's version). Metadata records provenance (STYLE.md point 8): feature list, params, data
window, data hash, code version, metrics, calibration parameters. Versions are written to a temp
folder and renamed into place, and CHAMPION is replaced atomically, so a crash never leaves a
half-written model where a scorer could load it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

import xgboost as xgb

from hub.errors import ModelError
from ml.calibration import Calibrator
from ml.metrics import better, evaluate
from ml.model import LeadModel
from ml.training import TrainingResult

MODEL_FILE = "model.ubj"
METADATA_FILE = "metadata.json"
CHAMPION_FILE = "CHAMPION"


def model_kind(target: str, horizon_days: int) -> str:
    """Registry kind of a model: its target and horizon, e.g. "conversion-7d"."""
    return f"{target}-{horizon_days}d"


def code_version() -> str:
    """`git describe --always --dirty` of the checkout, else the installed package version."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip():
            return "git:" + done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return "enterprisehub==" + package_metadata.version("enterprisehub")
    except package_metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    version: str
    kind: str
    path: Path
    model: LeadModel
    metadata: dict[str, Any]

    @property
    def features(self) -> list[str]:
        return list(self.metadata["features"])


@dataclass(frozen=True, slots=True)
class PromotionDecision:
    """What promote_if_better decided, with both scores on the candidate's test window."""

    promoted: bool
    metric: str
    candidate_version: str
    candidate_score: float
    champion_version: str | None
    champion_score: float | None
    n_test: int


class ModelRegistry:
    """Versions of lead models in a folder, with one champion per kind."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def register(self, result: TrainingResult, *, created_at: datetime | None = None) -> RegisteredModel:
        """Save `result` as a new challenger version; returns it as loaded back."""
        model = result.model
        if model.booster_ is None or model.calibrator_ is None:
            raise ModelError("only a fitted model can be registered")
        kind = model_kind(result.target, result.horizon_days)
        created = (created_at or datetime.now(UTC)).astimezone(UTC)
        version = f"{kind}-{created:%Y%m%dT%H%M%S%f}-{result.data_hash.removeprefix('sha256:')[:8]}"
        meta = {
            "version": version,
            "kind": kind,
            "target": result.target,
            "horizon_days": result.horizon_days,
            "created_at": created.isoformat(),
            "features": model.feature_names_,
            "params": model.get_params(),
            "xgboost_params": model.xgb_params(),
            "best_iteration": model.best_iteration_,
            "calibration": model.calibrator_.to_dict(),
            "data_window": [moment.isoformat() for moment in result.data_window],
            "data_hash": result.data_hash,
            "split": result.split.as_dict(),
            "sample_counts": result.sample_counts,
            "code_version": code_version(),
            "xgboost_version": xgb.__version__,
            "metrics": {"test": result.metrics.as_dict(), "valid": result.valid_metrics.as_dict()},
            "importance": {name: float(v) for name, v in result.importance.head(20).items()},
        }
        self._write(kind, version, model.booster_, meta)
        return self.load(version)

    def _write(self, kind: str, version: str, booster: xgb.Booster, meta: dict[str, Any]) -> None:
        folder = self.root / kind / version
        if folder.exists():
            raise ModelError(f"version {version} already exists in {self.root}")
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder.parent))
        booster.save_model(staging / MODEL_FILE)
        (staging / METADATA_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        staging.rename(folder)

    def register_booster(
        self,
        kind: str,
        booster: xgb.Booster,
        metadata: dict[str, Any],
        *,
        data_hash: str,
        created_at: datetime | None = None,
    ) -> str:
        """Save a booster that is not a calibrated lead model (e.g. the "listing-match" ranker) as a
        new version of `kind`, with the same layout and atomic write; returns the version. Load it
        back with `load_booster`; `load` / `champion` stay for lead models."""
        created = (created_at or datetime.now(UTC)).astimezone(UTC)
        version = f"{kind}-{created:%Y%m%dT%H%M%S%f}-{data_hash.removeprefix('sha256:')[:8]}"
        meta = {
            **metadata,
            "version": version,
            "kind": kind,
            "created_at": created.isoformat(),
            "data_hash": data_hash,
            "code_version": code_version(),
            "xgboost_version": xgb.__version__,
        }
        self._write(kind, version, booster, meta)
        return version

    def load_booster(self, version: str) -> tuple[xgb.Booster, dict[str, Any]]:
        """A version's booster and metadata, whatever kind of model it is."""
        folder = self._folder(version)
        meta: dict[str, Any] = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
        booster = xgb.Booster()
        booster.load_model(folder / MODEL_FILE)
        return booster, meta

    def champion_version(self, kind: str) -> str | None:
        """The champion version of `kind`, or None when none was promoted."""
        pointer = self.root / kind / CHAMPION_FILE
        return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None

    def _folder(self, version: str) -> Path:
        folder = self.root / version.rsplit("-", 2)[0] / version
        if not (folder / METADATA_FILE).is_file():
            raise ModelError(f"no model version {version!r} in {self.root}")
        return folder

    def load(self, version: str) -> RegisteredModel:
        """Load a version's booster, calibrator and metadata (no pickle involved)."""
        folder = self._folder(version)
        meta = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
        booster = xgb.Booster()
        booster.load_model(folder / MODEL_FILE)
        booster.feature_names = list(meta["features"])
        model = LeadModel.from_parts(
            booster, Calibrator.from_dict(meta["calibration"]), meta["features"], meta["params"]
        )
        return RegisteredModel(version, meta["kind"], folder, model, meta)

    def versions(self, kind: str) -> list[str]:
        folder = self.root / kind
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / METADATA_FILE).is_file())

    def champion(self, kind: str) -> RegisteredModel | None:
        pointer = self.root / kind / CHAMPION_FILE
        return self.load(pointer.read_text(encoding="utf-8").strip()) if pointer.is_file() else None

    def promote(self, version: str) -> None:
        """Make `version` its kind's champion (atomic replace of the CHAMPION pointer)."""
        folder = self._folder(version)
        kind = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))["kind"]
        pointer = self.root / kind / CHAMPION_FILE
        staging = pointer.with_suffix(".tmp")
        staging.write_text(version + "\n", encoding="utf-8")
        os.replace(staging, pointer)


def promote_if_better(
    candidate: TrainingResult, registry: ModelRegistry, *, metric: str = "roc_auc"
) -> PromotionDecision:
    """Register `candidate`; promote it only if it beats the champion on the candidate's own test
    window — the champion is re-scored on those very samples, never compared by stored metrics."""
    kind = model_kind(candidate.target, candidate.horizon_days)
    incumbent = registry.champion(kind)
    registered = registry.register(candidate)
    test = candidate.test
    candidate_score = evaluate(test["probability"], test["label"]).as_dict()[metric]
    if incumbent is None:
        registry.promote(registered.version)
        return PromotionDecision(True, metric, registered.version, candidate_score, None, None, len(test))
    missing = [name for name in incumbent.features if name not in test.columns]
    if missing:
        raise ModelError(
            f"champion {incumbent.version} needs features the candidate's test set lacks: {missing[:5]}; "
            "rebuild the test features with the champion's feature list"
        )
    champion_p = incumbent.model.predict_probability(test[incumbent.features])
    champion_score = evaluate(champion_p, test["label"]).as_dict()[metric]
    promoted = better(metric, candidate_score, champion_score)
    if promoted:
        registry.promote(registered.version)
    return PromotionDecision(
        promoted, metric, registered.version, candidate_score, incumbent.version, champion_score, len(test)
    )
