"""Email digests: subscriptions (double opt-in), selection, rendering, and exactly-once sending."""
