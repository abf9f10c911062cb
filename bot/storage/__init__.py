"""Where conversations, turns, referrals and digests are kept."""
