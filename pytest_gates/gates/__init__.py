"""The built-in gate kinds, one module each."""
