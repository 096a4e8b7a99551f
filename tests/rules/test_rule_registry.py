from __future__ import annotations

import pytest

from analyzer.rules import registry
from analyzer.rules.registry import Rule, all_rules, register


def test_every_rule_has_stable_metadata() -> None:
    rules = all_rules()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    assert ids[-1] == "no-known-cause"  # closing rules run last
    for rule in rules:
        assert rule.kind in ("fault", "advisory")
        assert rule.title and rule.fires_when
        assert rule.scenario in (None, 1, 2, 3)
    assert {r.id: r.scenario for r in rules if r.scenario} == {
        "non-exportable-broken-keyset": 1,
        "machinekeys-permissions": 2,
        "keyspec-signature": 3,
    }


def test_registry_refuses_a_duplicate_id() -> None:
    class Duplicate(Rule):
        id = "keyspec-signature"
        title = "again"
        kind = "fault"
        fires_when = "never"

    registry.rule_classes()
    with pytest.raises(ValueError, match="registered twice"):
        register(Duplicate)


def test_registry_refuses_a_rule_without_metadata() -> None:
    class Nameless(Rule):
        kind = "fault"

    with pytest.raises(TypeError, match="class-level"):
        register(Nameless)


def test_registry_refuses_an_unknown_kind() -> None:
    class Odd(Rule):
        id = "odd-kind"
        title = "odd"
        kind = "warning"
        fires_when = "never"

    with pytest.raises(ValueError, match="kind must be"):
        register(Odd)
