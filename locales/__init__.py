"""Prompt catalogues (one JSON file per locale) and locale-aware spoken formatting."""
