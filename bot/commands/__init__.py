"""The `careers-bot` subcommands, one module each."""
