"""The bot: call start, per-turn understanding and the ActivityHandler that runs the dialogs."""
