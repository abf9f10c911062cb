"""The knowledge base: loading, checking and reading the YAML files staff edit."""
