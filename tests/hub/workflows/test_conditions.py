"""The condition language: simpleeval, names checked at load time, None-safe, loud on real errors."""

from __future__ import annotations

import pytest

from hub.workflows.conditions import ConditionError, check_condition, evaluate

FACTS = {
    "tags": ["Buyer", "vip"],
    "score": 0.82,
    "tier": "hot",
    "stage": "Showing",
    "source": "Zillow",
    "custom": {"cfBudget": 450000},
    "churn_score": None,
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("has_tag('buyer') and score >= 0.7", True),
        ("'vip' in tags", True),
        ("stage == 'Showing' or tier == 'cold'", True),
        ("custom.cfBudget > 400000 and custom.missing is None", True),
        ("lower(source) in ['zillow', 'realtor.com']", True),
        ("churn_score >= 0.5", False),  # no churn score yet: not "at least 0.5"
        ("churn_score < 0.5", False),
        ("not has_tag('seller')", True),
        ("len(tags) == 2", True),
    ],
)
def test_evaluate(expression: str, expected: bool) -> None:
    assert check_condition(expression) == []
    assert evaluate(expression, FACTS) is expected


def test_event_fields_read_as_none_when_absent() -> None:
    assert evaluate("event.kind == 'view'", FACTS, {"kind": "view"})
    assert not evaluate("event.price > 100", FACTS, {"kind": "view"})


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("scor > 1", "unknown name 'scor'"),
        ("__import__('os')", "only these functions"),
        ("tags.__class__", "has no attributes"),
        ("(lambda: 1)()", "Lambda is not allowed"),
        ("[t for t in tags]", "not allowed"),
        ("event.kind == 'x'", "`event` is only available"),
        ("score >", "not a valid expression"),
    ],
)
def test_bad_conditions_are_load_time_errors(expression: str, fragment: str) -> None:
    assert any(fragment in problem for problem in check_condition(expression))


def test_runtime_type_errors_are_raised_not_turned_into_false() -> None:
    with pytest.raises(ConditionError, match="could not be evaluated"):
        evaluate("stage > 3", FACTS)
