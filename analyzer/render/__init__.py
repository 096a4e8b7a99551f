"""Renderers: typed records in, text out. Nothing here reads inputs or decides diagnoses."""
