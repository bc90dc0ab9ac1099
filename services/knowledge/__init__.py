"""Knowledge port: retrieval-augmented answers from the bank's own documents."""
