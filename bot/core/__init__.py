"""The channel-free conversation core: turns in, replies out."""
