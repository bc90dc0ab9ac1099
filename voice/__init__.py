"""The audio turn-taking pipeline: 20 ms frames -> VAD -> STT -> bot turn -> TTS -> paced sender."""
