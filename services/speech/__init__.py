"""Speech in and out: speech-to-text, text-to-speech and voice-activity detection ports."""
