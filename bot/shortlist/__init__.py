"""The impartial shortlist of routes and providers."""
