"""Handoff summaries: 2–3 sentences an agent reads before saying hello."""
