"""Call recording on transfer (only after the consent announcement) and post-call transcripts."""
