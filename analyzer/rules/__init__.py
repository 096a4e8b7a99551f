"""Diagnosis rules: one module per rule, named after its id, found by `analyzer.rulekit.registry`.

Helpers the rules share live in `analyzer.rulekit`, not here: every module of this package must
register exactly one rule.
"""
