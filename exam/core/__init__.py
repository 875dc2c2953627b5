"""Shared by every domain; imports none of them."""
