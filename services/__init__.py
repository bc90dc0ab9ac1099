"""Backend ports (interfaces) and their Azure and embedded adapters."""
