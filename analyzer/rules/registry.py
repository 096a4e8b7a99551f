"""The rule registry: rule classes keyed by stable ids, registered explicitly, never twice.

A rule is a small class with class-level ``id``, ``title``, ``kind``, ``scenario`` and
``fires_when`` (one line for the documentation table) and one pure method,
``check(context) -> list[Diagnosis]``. Rules do no I/O and no rendering. A new rule is one module
listed in ``RULE_MODULES`` plus its fixtures.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

from analyzer.case import Case
from analyzer.correlate import Correlation
from analyzer.model import Diagnosis

# Modules that register rules when imported; one line per rule module.
RULE_MODULES: tuple[str, ...] = (
    "analyzer.rules.keyspec_signature",
    "analyzer.rules.keyspec_none_csp",
    "analyzer.rules.broken_keyset",
    "analyzer.rules.machinekeys_permissions",
    "analyzer.rules.dump_not_elevated",
    "analyzer.rules.no_private_key",
    "analyzer.rules.validity",
    "analyzer.rules.no_server_auth_eku",
    "analyzer.rules.cng_on_2008",
    "analyzer.rules.protocol_policy",
    "analyzer.rules.not_in_machine_store",
    "analyzer.rules.bindings",
    "analyzer.rules.key_files",
    "analyzer.rules.no_known_cause",
)

KINDS = ("fault", "advisory")


@dataclass(frozen=True)
class RuleContext:
    """What a rule sees: the case, its correlation, and (for closing rules) what others found."""

    case: Case
    correlation: Correlation
    found: tuple[Diagnosis, ...] = ()


class Rule:
    id: ClassVar[str]
    title: ClassVar[str]
    kind: ClassVar[str]  # the strongest kind it reports; "fault" rules may also report advisories
    scenario: ClassVar[int | None] = None
    fires_when: ClassVar[str]
    # Closing rules run after all others and see their diagnoses in `context.found`.
    closing: ClassVar[bool] = False

    def check(self, context: RuleContext) -> list[Diagnosis]:
        raise NotImplementedError

    def diagnosis(self, about: str | None = None, **fields: Any) -> Diagnosis:
        """A diagnosis of this rule: its id, kind and scenario (``kind=`` overrides, for a fault
        rule reporting an advisory), titled ``"<title>: <about>"``; ``fields`` are the rest."""
        fields.setdefault("kind", self.kind)
        fields.setdefault("scenario", self.scenario)
        title = f"{self.title}: {about}" if about else self.title
        return Diagnosis(id=self.id, title=title, **fields)


_RULES: dict[str, type[Rule]] = {}
_loaded = False


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule; an id registered twice is a programming error."""
    for attribute in ("id", "title", "kind", "fires_when"):
        if not isinstance(getattr(rule, attribute, None), str):
            raise TypeError(f"rule {rule.__name__} lacks a class-level {attribute!r}")
    if rule.kind not in KINDS:
        raise ValueError(f"rule {rule.id!r}: kind must be one of {KINDS}, not {rule.kind!r}")
    existing = _RULES.get(rule.id)
    if existing is not None and existing is not rule:
        raise ValueError(
            f"rule id {rule.id!r} is registered twice ({existing.__name__}, {rule.__name__})"
        )
    _RULES[rule.id] = rule
    return rule


def rule_classes() -> dict[str, type[Rule]]:
    global _loaded
    if not _loaded:
        for module in RULE_MODULES:
            importlib.import_module(module)
        _loaded = True
    return dict(_RULES)


def all_rules() -> list[Rule]:
    """One instance of every rule: ordinary rules by id, then closing rules by id."""
    classes = rule_classes()
    return [classes[i]() for i in sorted(classes, key=lambda i: (classes[i].closing, i))]


def run_rules(case: Case, correlation: Correlation) -> list[Diagnosis]:
    """Every rule's diagnoses, unordered (the verdict orders them)."""
    found: list[Diagnosis] = []
    for rule in all_rules():
        context = RuleContext(case, correlation, tuple(found))
        found.extend(rule.check(context))
    return found
