"""Conversation logic: the main router, business dialogs and the intent registry."""
