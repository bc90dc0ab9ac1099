"""Safety checks applied to caller text before it reaches any language model."""
