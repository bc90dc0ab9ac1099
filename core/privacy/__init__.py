"""Personal data: redaction, speaker verification behind consent, right to erasure."""
