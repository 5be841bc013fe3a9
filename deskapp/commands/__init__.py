"""Command-line registration for the admin commands that are not a layer of their own."""
