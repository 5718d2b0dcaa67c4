"""A tiny shop used as the bundled example of pytest-gates."""
