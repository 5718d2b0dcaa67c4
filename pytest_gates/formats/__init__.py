"""Format readers: plain functions over files, no pytest."""
