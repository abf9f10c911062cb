"""Benchmarks of the bot's speed, size and answer quality, run with `python bench/run.py`."""
