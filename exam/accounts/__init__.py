"""Accounts: people, their roles, signing in."""
