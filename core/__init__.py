"""What every part of the bot relies on and no port owns: observability, privacy, safety, secrets,
security, resilience (the circuit breaker), admission control and rate limits."""
