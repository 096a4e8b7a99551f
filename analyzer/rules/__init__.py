"""Diagnosis rules: one module per rule, registered in `analyzer.rules.registry`."""
