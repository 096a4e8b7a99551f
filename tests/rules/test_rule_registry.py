"""The rule registry: metadata, discovery of `analyzer/rules/`, one rule per module, references."""

from __future__ import annotations

from pathlib import Path

import pytest

import analyzer.rules
from analyzer import verdict
from analyzer.model import Confidence, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import registry
from analyzer.rulekit.registry import (
    Need,
    Question,
    Rule,
    all_rules,
    layout_problems,
    register,
    rule_classes,
    rules_by_module,
)

RULES_DIR = Path(analyzer.rules.__file__).parent


def test_every_rule_has_stable_metadata() -> None:
    rules = all_rules()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    assert ids[-1] == "no-known-cause"  # closing rules run last
    for rule in rules:
        assert isinstance(rule.kind, Kind)
        assert rule.title and rule.fires_when
        assert rule.scenario in (None, 1, 2, 3)
        assert all(isinstance(n, Need) for n in rule.needs)
        assert all(isinstance(q, Question) for q in rule.asks)
    assert {r.id: r.scenario for r in rules if r.scenario} == {
        "non-exportable-broken-keyset": 1,
        "machineguid-mismatch": 1,
        "machinekeys-permissions": 2,
        "keyspec-signature": 3,
    }


def test_every_module_in_rules_holds_exactly_its_one_rule() -> None:
    modules = rules_by_module()
    on_disk = {f"analyzer.rules.{p.stem}" for p in RULES_DIR.glob("*.py") if p.stem != "__init__"}
    assert set(modules) == on_disk  # found by scanning the package, not by a list
    assert layout_problems(modules) == []
    assert sum(len(ids) for ids in modules.values()) == len(rule_classes())


def test_layout_problems_names_each_breach() -> None:
    problems = layout_problems(
        {
            "analyzer.rules.helpers": [],
            "analyzer.rules.validity": ["certificate-expired", "certificate-not-yet-valid"],
            "analyzer.rules.keyspec": ["keyspec-signature"],
            "analyzer.rules.keyspec_none_csp": ["keyspec-none-csp"],
        }
    )
    assert problems == [
        "analyzer.rules.helpers registers no rule (helpers belong in analyzer.rulekit)",
        "analyzer.rules.keyspec holds rule 'keyspec-signature': name it keyspec_signature.py",
        "analyzer.rules.validity registers 2 rules (certificate-expired, "
        "certificate-not-yet-valid): one per module",
    ]


def test_registry_refuses_a_duplicate_id() -> None:
    class Duplicate(Rule):
        id = "keyspec-signature"
        title = "again"
        kind = Kind.FAULT
        fires_when = "never"

    rule_classes()
    with pytest.raises(ValueError, match="registered twice"):
        register(Duplicate)


def test_registry_refuses_a_rule_without_metadata() -> None:
    class Nameless(Rule):
        kind = Kind.FAULT

    with pytest.raises(TypeError, match="class-level"):
        register(Nameless)


def test_registry_refuses_an_unknown_kind_and_bare_urls() -> None:
    class Odd(Rule):
        id = "odd-kind"
        title = "odd"
        kind = "warning"  # type: ignore[assignment]
        fires_when = "never"

    with pytest.raises(ValueError, match="kind must be"):
        register(Odd)

    class BareUrl(Rule):
        id = "bare-url"
        title = "bare"
        kind = Kind.ADVISORY
        fires_when = "never"
        references = ("https://learn.microsoft.com/",)  # type: ignore[assignment]

    with pytest.raises(TypeError, match="references must be pages"):
        register(BareUrl)
    assert "odd-kind" not in rule_classes() and "bare-url" not in rule_classes()


def test_every_rule_cites_microsoft_documentation() -> None:
    for rule_id, rule in rule_classes().items():
        assert rule.references, f"{rule_id} cites no page"
        assert len(set(rule.references)) == len(rule.references), rule_id
        if rule.no_microsoft_page is None:
            assert any(p.is_microsoft_docs for p in rule.references), (
                f"{rule_id}: no learn.microsoft.com or support.microsoft.com page; cite one or "
                "say in no_microsoft_page why there is none"
            )
        for page in rule.references:
            assert page.url.startswith("https://") and page.title, (rule_id, page)


def test_microsoft_docs_means_learn_or_support() -> None:
    assert pages.CERTUTIL.is_microsoft_docs
    assert not pages.IIS_0X80070520.is_microsoft_docs  # a blog, however useful
    assert not pages.Page("x", "https://learn.microsoft.com.example.org/x").is_microsoft_docs


def test_a_diagnosis_carries_its_rule_metadata_and_nothing_undeclared() -> None:
    rule = rule_classes()["keyspec-signature"]()
    diagnosis = rule.diagnosis("CN=www", confidence="high", confidence_reason="why")
    assert (diagnosis.id, diagnosis.kind, diagnosis.scenario) == (
        "keyspec-signature",
        Kind.FAULT,
        3,
    )
    assert diagnosis.confidence is Confidence.HIGH
    assert diagnosis.title.endswith(": CN=www")
    assert diagnosis.references == tuple(p.url for p in rule.references)
    with pytest.raises(ValueError, match="does not declare"):
        rule.diagnosis(confidence="high", confidence_reason="", references=(pages.TLS_REGISTRY,))
    with pytest.raises(ValueError, match="reports only fault"):
        rule.diagnosis(kind=Kind.ADVISORY, confidence="high", confidence_reason="")
    advisory = rule_classes()["certificate-expired"]().diagnosis(
        kind=Kind.ADVISORY, confidence="high", confidence_reason=""
    )
    assert advisory.kind is Kind.ADVISORY


def test_questions_come_from_needs_and_asks() -> None:
    classes = rule_classes()
    assert Question.PFX in classes["keyspec-signature"].questions()  # its fix needs the PFX
    assert Question.PFX not in classes["machinekeys-permissions"].questions()
    assert {Question.KEY_ACLS, Question.CAPI2_LOG, Question.PROCMON} <= classes[
        "non-exportable-broken-keyset"
    ].questions()


def test_verdict_names_no_rule_id() -> None:
    """The verdict reads what a rule declares; an id spelled in verdict.py is a list kept twice."""
    source = Path(verdict.__file__).read_text(encoding="utf-8")
    spelled = sorted(rule_id for rule_id in rule_classes() if f'"{rule_id}"' in source)
    assert spelled == []
    assert not hasattr(verdict, "KEY_SCENARIOS") and not hasattr(verdict, "NEEDS_PFX")


def test_rules_import_no_reader() -> None:
    for path in [*RULES_DIR.glob("*.py"), *Path(registry.__file__).parent.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "analyzer.readers" not in text, path.name
