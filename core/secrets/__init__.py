"""Key Vault references in settings, resolved at load time (`key_vault.resolve_settings_references`)."""
