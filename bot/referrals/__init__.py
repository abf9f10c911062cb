"""Referrals of consenting people to providers, and the digests that deliver them."""
