"""Matching what people type to answer entries."""
