"""The stages of a call's pipeline, one small class each (``base.Stage``); ``voice/call.py`` lists them."""
