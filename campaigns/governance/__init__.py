"""Rules above the single campaign: approval before sending."""
