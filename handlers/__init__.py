"""One user journey per module, channel-free."""
