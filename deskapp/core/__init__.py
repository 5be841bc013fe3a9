"""Small shared pieces every layer may use: view dataclasses, roles, the audit chain's hashing."""
