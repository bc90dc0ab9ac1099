"""Natural-language understanding: caller text -> intents, entities and language."""
