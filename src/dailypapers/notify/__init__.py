"""Follows and notifications: what a reader follows, what they are told, and how (page, mail summary, feed)."""
