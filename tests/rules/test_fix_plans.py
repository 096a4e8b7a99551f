"""Every plan of every fixture ticket is safe as written (issue 12).

A plan fails when a destructive verb comes before the step that makes it safe in the same plan
(`-delstore`/`-delkey` before a `-dump` of the PFX with its password; `icacls /remove` or
`/reset` before an `icacls /save` of the same path; a `-repairstore ... "D:` before the current
`-v` dump is saved; `netsh http delete sslcert` before `netsh http show sslcert` is saved), when
a paste block holds a step done by hand or runs past an output to read, or when a value is
spelled by a placeholder that is not the one spelling `remedies.PLACEHOLDERS` gives it. The
checker is tried on broken plans too, so that it can fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rule_records import MACHINEKEYS, analyse, cert, dump, event, icacls, key, log

from analyzer.model import Diagnosis, FixPlan, FixStep, StepAction
from analyzer.pipeline import run_analysis
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.references import MICROSOFT_DOCS, Page
from analyzer.rulekit.remedies import check, command_of, manual, plan, run

TICKETS = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"

_PATH = r'(?P<path>"[^"]+"|\S+)'
# Each destructive verb with the check that must come before it (a function of its match).
DESTRUCTIVE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("delete", re.compile(r"^certutil\b.*\s-del(?:store|key)\b", re.IGNORECASE)),
    ("icacls", re.compile(rf"^icacls\s+{_PATH}.*\s/(?:reset|remove)", re.IGNORECASE)),
    ("sddl", re.compile(r'^certutil\b.*\s-repairstore\b.*"D:', re.IGNORECASE)),
    ("netsh", re.compile(r"^netsh\s+http\s+delete\s+sslcert\b", re.IGNORECASE)),
)
PFX_DUMP = re.compile(r'^certutil\s+-p\s+"[^"]*"\s+-dump\s+"?[^"]*\.pfx>?"?$', re.IGNORECASE)
SAVED_DUMP = re.compile(r"^certutil\s+-v\s+-store\s+\S+\s+\S+\s+>\s*\S", re.IGNORECASE)
SAVED_SHOW = re.compile(r"^netsh\s+http\s+show\s+sslcert\b.*>\s*\S", re.IGNORECASE)
PLACEHOLDER = re.compile(r"<[^<>\n]{1,80}>")
# What `analyzer.knowledge.quoting` writes for a customer value no prompt or INF can carry.
QUOTING_PLACEHOLDERS = (
    re.compile(r"<[^<>]+: it holds a control character or line break; type it by hand>"),
    re.compile(r"<[^<>]+ holds '&' or a control character>"),
)


def _saved_before(kind: str, match: re.Match[str], earlier: list[FixStep]) -> bool:
    commands = [command_of(s) for s in earlier if s.action is not StepAction.MANUAL]
    if kind == "delete":
        return any(PFX_DUMP.match(command_of(s)) and s.action is StepAction.CHECK for s in earlier)
    if kind == "icacls":
        path = match["path"].strip('"').lower()
        return any(
            re.match(rf'^icacls\s+"?{re.escape(path)}"?\s+/save\s', c, re.IGNORECASE)
            for c in commands
        )
    if kind == "sddl":
        return any(SAVED_DUMP.match(c) for c in commands)
    return any(SAVED_SHOW.match(c) for c in commands)


def plan_problems(fix: FixPlan) -> list[str]:
    """What makes a plan unsafe as written; empty when it is safe."""
    problems = []
    steps = list(fix.steps)
    for index, step in enumerate(steps):
        if step.action is StepAction.MANUAL:
            continue
        command = command_of(step)
        if "\n" in command:
            problems.append(f"step {index + 1}: a command on several lines")
        for kind, pattern in DESTRUCTIVE:
            match = pattern.match(command)
            if match and not _saved_before(kind, match, steps[:index]):
                problems.append(f"step {index + 1}: {command!r} before its check step")
    if any(DESTRUCTIVE[0][1].match(command_of(s)) for s in steps) and not any(
        "gone for good" in s.text for s in steps
    ):
        problems.append("a plan that deletes a key does not say it may be gone for good")
    # Paste blocks: every command of the plan once, in order, nothing else; no step done by hand
    # between two lines of a block; an output to read ends its block.
    position = {}
    commands: list[str] = []
    for index, step in enumerate(steps):
        if step.action is not StepAction.MANUAL:
            position[len(commands)] = index
            commands.append(command_of(step))
    lines = [line for block in fix.paste_blocks for line in block.split("\n")]
    if lines != commands:
        problems.append("the paste blocks are not the plan's commands in order")
        return problems
    at = 0
    for block in fix.paste_blocks:
        size = len(block.split("\n"))
        indices = [position[at + k] for k in range(size)]
        if indices != list(range(indices[0], indices[0] + size)):
            between = [steps[i].text for i in range(indices[0], indices[-1] + 1)]
            problems.append(f"a paste block runs over a step done by hand: {between}")
        for i in indices[:-1]:
            if steps[i].action is StepAction.CHECK:
                problems.append(f"a paste block runs past an output to read: {steps[i].text!r}")
        at += size
    return problems


def placeholder_problems(texts: list[str]) -> list[str]:
    """A placeholder not spelled as `remedies.PLACEHOLDERS` has its value (one spelling each)."""
    out = []
    for text in texts:
        for found in PLACEHOLDER.findall(text):
            if found in remedies.PLACEHOLDERS:
                continue
            if any(p.fullmatch(found) for p in QUOTING_PLACEHOLDERS):
                continue
            out.append(f"placeholder {found!r} is not one of remedies.PLACEHOLDERS")
    return out


def diagnosis_problems(diagnosis: Diagnosis) -> list[str]:
    out = []
    plans = diagnosis.remediation_plans
    if not plans:
        return [f"{diagnosis.id}: no fix plan"]
    if diagnosis.remediation != tuple(s.text for s in plans[0].steps):
        out.append(f"{diagnosis.id}: remediation is not the first plan's steps")
    first = command_of(plans[0].steps[0])
    if any(pattern.match(first) for _, pattern in DESTRUCTIVE):
        out.append(f"{diagnosis.id}: the first fix step destroys: {first!r}")
    for fix in plans:
        out += [f"{diagnosis.id} / {fix.title}: {p}" for p in plan_problems(fix)]
        out += [
            f"{diagnosis.id} / {fix.title}: step without a Microsoft page: {s.text[:60]!r}"
            for s in fix.steps
            if Page("", s.reference).host not in MICROSOFT_DOCS
        ]
    texts = [s.text for fix in plans for s in fix.steps]
    out += [f"{diagnosis.id}: {p}" for p in placeholder_problems(texts)]
    return out


TICKET_NAMES = sorted(p.name for p in TICKETS.iterdir() if p.is_dir())


@pytest.mark.parametrize("ticket", TICKET_NAMES)
def test_every_plan_of_every_fixture_ticket_is_safe_as_written(ticket: str) -> None:
    analysis = run_analysis([TICKETS / ticket])
    problems = [p for d in analysis.diagnoses for p in diagnosis_problems(d)]
    assert problems == []


def test_the_tickets_hold_destructive_plans_for_the_walk_to_check() -> None:
    seen = set()
    for ticket in TICKET_NAMES:
        for diagnosis in run_analysis([TICKETS / ticket]).diagnoses:
            for fix in diagnosis.remediation_plans:
                for step in fix.steps:
                    seen |= {k for k, p in DESTRUCTIVE if p.match(command_of(step))}
    assert seen >= {"delete", "sddl"}  # icacls /remove: below, from a deny in a listing


def test_placeholder_spellings_are_one_per_value() -> None:
    folded = [re.sub(r"[^a-z]", "", p.lower()) for p in remedies.PLACEHOLDERS]
    assert len(set(folded)) == len(folded)
    # the spellings the rules used before, each a second spelling of a value
    for second in ("<original>.pfx", "<file>.pfx", "<new PFX password>", "<selected thumbprint>"):
        assert placeholder_problems([f"certutil -dump {second}"]) != []


def test_scenario_1_starts_with_the_repair_that_changes_nothing_else() -> None:
    verdict = run_analysis([TICKETS / "s1-mixed"]).diagnoses[0]
    assert verdict.id == "non-exportable-broken-keyset"
    assert verdict.remediation[0].startswith(f"certutil -repairstore my {verdict.certificates[0]}")
    titles = [p.title for p in verdict.remediation_plans]
    assert titles[0] == "Re-link the certificate to its key" and len(titles) == 3
    with_pfx = "\n".join(s.text for s in verdict.remediation_plans[1].steps)
    assert 'certutil -p "<PFX password>" -dump "<file.pfx>"' in with_pfx
    assert with_pfx.index("-dump") < with_pfx.index("-delstore")


def test_the_runner_up_of_scenario_1_is_an_alternative_not_a_second_fault() -> None:
    analysis = run_analysis([TICKETS / "s2-none"])
    runner_up = next(d for d in analysis.diagnoses if d.id == "machinekeys-permissions")
    assert runner_up.alternative_to == "non-exportable-broken-keyset"
    assert analysis.diagnoses[0].alternative_to is None


def test_denies_are_removed_one_by_one_after_the_acl_is_saved() -> None:
    missing = key(
        state="missing", exportable=None, tests=(), acl_sddl="D:PAI(D;;GA;;;WD)(A;;GA;;;BA)"
    )
    folder = icacls((MACHINEKEYS, "Everyone", "S-1-1-0", ("F",)), allow=False)
    analysis = analyse(dump(cert(key=missing)), log(event()), folder)
    verdict = analysis.diagnoses[0]
    assert verdict.id == "machinekeys-permissions"
    assert diagnosis_problems(verdict) == []
    steps = [s.text for s in verdict.remediation_plans[0].steps]
    removes = [s for s in steps if "/remove:d" in s]
    assert [r.split(" /remove:d ")[1].split("   ")[0] for r in removes] == ["*S-1-1-0"] * 2
    assert not any("/reset" in s or "/grant:r" in s for s in steps)
    # the whole-DACL plan keeps the administrators' grant and drops only the deny
    whole = verdict.remediation_plans[1]
    assert '"D:PAI(A;;GA;;;BA)(A;;GA;;;SY)"' in "\n".join(s.text for s in whole.steps)


# --------------------------------------------------------------------------- the checker itself

CERT = pages.CERTUTIL
PFX_CHECK = check('certutil -p "<PFX password>" -dump "<file.pfx>"   (gone for good)', CERT)
DELETE = run("certutil -delstore my 00ff", CERT)


def test_the_checker_finds_a_delete_before_its_check() -> None:
    assert plan_problems(plan("t", "w", PFX_CHECK, DELETE)) == []
    assert any("before its check" in p for p in plan_problems(plan("t", "w", DELETE, PFX_CHECK)))
    # a dump of the PFX run without reading its output is no check
    unread = run(PFX_CHECK.text, CERT)
    assert plan_problems(plan("t", "w", unread, DELETE)) != []


def test_the_checker_finds_acl_and_binding_deletes_without_their_saves() -> None:
    icacls = pages.ICACLS
    remove = run('icacls "C:\\k\\file" /remove:d *S-1-1-0', icacls)
    save_other = run('icacls "C:\\k\\other" /save "%TEMP%\\a.txt"', icacls)
    save = run('icacls "C:\\k\\file" /save "%TEMP%\\a.txt"', icacls)
    assert plan_problems(plan("t", "w", save, remove)) == []
    assert plan_problems(plan("t", "w", save_other, remove)) != []
    sddl = run('certutil -repairstore my 00ff "D:PAI(A;;GA;;;SY)"', CERT)
    assert plan_problems(plan("t", "w", sddl)) != []
    saved = run('certutil -v -store my 00ff > "%TEMP%\\00ff-before.txt"', CERT)
    assert plan_problems(plan("t", "w", saved, sddl)) == []
    delete = run("netsh http delete sslcert ipport=0.0.0.0:443", pages.NETSH_HTTP)
    show = run('netsh http show sslcert > "%TEMP%\\s.txt"', pages.NETSH_HTTP)
    assert plan_problems(plan("t", "w", delete, show)) != []
    assert plan_problems(plan("t", "w", show, delete)) == []


def test_the_checker_finds_a_manual_step_inside_a_paste_block() -> None:
    by_hand = manual("Now add the binding again.", pages.IIS_SSL_SETUP)
    good = plan("t", "w", PFX_CHECK, by_hand, DELETE)
    assert plan_problems(good) == []
    merged = FixPlan("t", "w", good.steps, ("\n".join(command_of(s) for s in (PFX_CHECK, DELETE)),))
    assert any("step done by hand" in p for p in plan_problems(merged))
    with_text = FixPlan("t", "w", good.steps, (*good.paste_blocks, by_hand.text))
    assert plan_problems(with_text) != []
