"""Runs the command line: `python -m bot ...` is the same as `careers-bot ...`."""

from bot.cli import main

raise SystemExit(main())
