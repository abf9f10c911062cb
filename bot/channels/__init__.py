"""The I/O edges: chat channels that turn messages into Turns and Replies into messages."""
