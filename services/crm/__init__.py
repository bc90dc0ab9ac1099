"""Customer data: the CRM port, its models and its adapters."""
