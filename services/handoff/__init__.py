"""Escalation to a human agent: what the bot learned during the call, and the handoff record."""
