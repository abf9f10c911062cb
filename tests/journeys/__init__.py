"""Tests of the user journeys, driven through the real engine."""
