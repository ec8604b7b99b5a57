"""The HTML model report is self-contained and shows the numbers it claims."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hub.simulator import Simulation
from ml.reports import model_report
from ml.training import TrainingResult, compare_with_oracle


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_report_is_self_contained_with_charts_and_metrics(
    churn_result: TrainingResult, sim: Simulation
) -> None:
    oracle = compare_with_oracle(churn_result, sim.oracle.daily, probability_column="p_quiet_7d")
    html = model_report(churn_result, oracle=oracle)
    parser = _Tags()
    parser.feed(html)
    tags = [tag for tag, _ in parser.tags]
    assert tags.count("svg") == 3  # calibration curve, lift chart, SHAP summary
    # Nothing is fetched: no scripts, images, stylesheets or links to files.
    assert not {"script", "img", "link", "iframe"} & set(tags)
    assert not re.search(r'(src|href)="', html)
    assert f"{churn_result.metrics.roc_auc:.4g}" in html
    assert f"{oracle.oracle.roc_auc:.4g}" in html
    assert f"{oracle.auc_ratio:.3f}" in html
    for name in churn_result.importance.index[:5]:
        assert name in html
    # One dot per sampled test lead-day and feature in the SHAP summary.
    assert html.count("<circle") >= 15 * min(400, len(churn_result.test))
