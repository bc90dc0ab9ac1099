"""Channel adapters: Bot Framework CloudAdapter, telephony-channel activities, ACS calls."""
