"""Inputs: finding files (and archive members) and turning their bytes into text."""
