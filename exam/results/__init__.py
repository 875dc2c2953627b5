"""Combining scores, ranking, and publishing results."""
