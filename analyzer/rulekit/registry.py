"""The rule registry: rule classes with their metadata, found in `analyzer.rules`, never twice.

A rule is a small class in its own module of `analyzer.rules`, named after its id
(`keyspec-signature` -> `analyzer/rules/keyspec_signature.py`), decorated with `@register`. It
declares everything the rest of the tool knows about it as class attributes:

- ``id`` (stable, kebab-case), ``title``, ``kind`` (the strongest it reports), ``scenario``
  (1, 2, 3 or None) and ``fires_when`` (one line for the documentation table);
- ``advisory_too``: a fault rule that also reports advisories (weaker evidence, or not the
  certificate in use);
- ``needs``: what its fix needs from the customer (`Need`);
- ``asks``: the questions its diagnosis lets the report ask (`Question`);
- ``references``: the public pages it rests on (`analyzer.rulekit.references`), at least one on
  learn.microsoft.com or support.microsoft.com;
- ``closing``: it runs after all others and sees their diagnoses.

and one pure method, ``check(context) -> list[Diagnosis]``. Rules do no I/O and no rendering.
Modules are found by scanning the `analyzer.rules` package: adding a rule is adding its module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from analyzer.case import Case
from analyzer.correlate import Correlation
from analyzer.model import Diagnosis, Kind
from analyzer.rulekit.references import Page
from analyzer.rulekit.services import with_services

RULES_PACKAGE = "analyzer.rules"


class Need(str, Enum):
    """What a rule's fix needs from the customer."""

    PFX = "pfx"  # the main fix re-imports the original PFX (with its password)
    ELEVATION = "elevation"  # the fix runs from an elevated prompt on the server

    def __str__(self) -> str:
        return self.value


class Question(str, Enum):
    """What a diagnosis lets the report ask for (each is one `AskFor` of the verdict)."""

    KEY_ACLS = "key-acls"  # icacls of the key folders and files
    CAPI2_LOG = "capi2-log"  # the CAPI2 Operational log while the binding is added again
    PROCMON = "procmon"  # a Process Monitor capture of the failing binding
    WEBHOSTING_DUMP = "webhosting-dump"  # a dump of the WebHosting store
    PFX = "pfx"  # whether the original PFX is still at hand

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RuleContext:
    """What a rule sees: the case, its correlation, and (for closing rules) what others found."""

    case: Case
    correlation: Correlation
    found: tuple[Diagnosis, ...] = ()


class Rule:
    id: ClassVar[str]
    title: ClassVar[str]
    kind: ClassVar[Kind]
    scenario: ClassVar[int | None] = None
    fires_when: ClassVar[str]
    advisory_too: ClassVar[bool] = False
    needs: ClassVar[frozenset[Need]] = frozenset()
    asks: ClassVar[frozenset[Question]] = frozenset()
    references: ClassVar[tuple[Page, ...]] = ()
    # Why no page of Microsoft's own documentation is cited, when none is (then another public
    # source must be).
    no_microsoft_page: ClassVar[str | None] = None
    closing: ClassVar[bool] = False

    def check(self, context: RuleContext) -> list[Diagnosis]:
        raise NotImplementedError

    @classmethod
    def questions(cls) -> frozenset[Question]:
        """``asks``, plus whether the PFX is at hand when the fix needs it."""
        return cls.asks | ({Question.PFX} if Need.PFX in cls.needs else frozenset())

    def diagnosis(self, about: str | None = None, **fields: Any) -> Diagnosis:
        """A diagnosis of this rule: its id, kind, scenario and references (``kind=`` an advisory
        from an ``advisory_too`` rule; ``references=`` some of the rule's pages), titled
        ``"<title>: <about>"`` unless ``title=`` says otherwise; ``plans=`` the fix plans (the
        first plan's steps become ``remediation``); ``fields`` are the rest."""
        kind = Kind(fields.pop("kind", self.kind))
        if kind != self.kind and not self.advisory_too:
            raise ValueError(f"rule {self.id!r} reports only {self.kind.value} diagnoses")
        pages = fields.pop("references", self.references)
        if not set(pages) <= set(self.references):
            raise ValueError(f"rule {self.id!r} cites a page it does not declare")
        fields.setdefault("scenario", self.scenario)
        title = fields.pop("title", None) or (f"{self.title}: {about}" if about else self.title)
        if "remediation" in fields:
            raise ValueError(f"rule {self.id!r}: give the fix as plans=, not remediation=")
        plans = tuple(fields.pop("plans", ()))
        return Diagnosis(
            remediation=tuple(step.text for step in plans[0].steps) if plans else (),
            remediation_plans=plans,
            id=self.id,
            kind=kind,
            title=title,
            references=tuple(page.url for page in pages),
            **fields,
        )


_RULES: dict[str, type[Rule]] = {}
_loaded = False


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule; an id registered twice is a programming error."""
    for attribute in ("id", "title", "fires_when"):
        if not isinstance(getattr(rule, attribute, None), str):
            raise TypeError(f"rule {rule.__name__} lacks a class-level {attribute!r}")
    if not isinstance(getattr(rule, "kind", None), Kind):
        raise ValueError(f"rule {rule.id!r}: kind must be one of {[k.value for k in Kind]}")
    if not all(isinstance(page, Page) for page in rule.references):
        raise TypeError(
            f"rule {rule.id!r}: references must be pages of analyzer.rulekit.references"
        )
    existing = _RULES.get(rule.id)
    if existing is not None and existing is not rule:
        raise ValueError(
            f"rule id {rule.id!r} is registered twice ({existing.__name__}, {rule.__name__})"
        )
    _RULES[rule.id] = rule
    return rule


def rule_modules(package: str = RULES_PACKAGE) -> list[str]:
    """The modules of the rules package, by name."""
    root = importlib.import_module(package)
    return sorted(f"{package}.{m.name}" for m in pkgutil.iter_modules(root.__path__))


def rule_classes() -> dict[str, type[Rule]]:
    """Every registered rule by id, after importing every module of the rules package."""
    global _loaded
    if not _loaded:
        for module in rule_modules():
            importlib.import_module(module)
        _loaded = True
    return dict(_RULES)


def rule_of(rule_id: str) -> type[Rule] | None:
    return rule_classes().get(rule_id)


def rules_by_module() -> dict[str, list[str]]:
    """Each module of the rules package with the ids of the rules it registers."""
    classes = rule_classes()
    out: dict[str, list[str]] = {module: [] for module in rule_modules()}
    for rule_id, cls in sorted(classes.items()):
        out.setdefault(cls.__module__, []).append(rule_id)
    return out


def layout_problems(modules: Mapping[str, list[str]]) -> list[str]:
    """What breaks "one rule per module, named after its id" in a module -> rule ids map."""
    problems = []
    for module, ids in sorted(modules.items()):
        if not ids:
            problems.append(f"{module} registers no rule (helpers belong in analyzer.rulekit)")
        elif len(ids) > 1:
            problems.append(
                f"{module} registers {len(ids)} rules ({', '.join(ids)}): one per module"
            )
        elif module.rsplit(".", 1)[-1] != module_name(ids[0]):
            problems.append(f"{module} holds rule {ids[0]!r}: name it {module_name(ids[0])}.py")
    return problems


def module_name(rule_id: str) -> str:
    return rule_id.replace("-", "_")


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
    return with_services(case, correlation, found)
