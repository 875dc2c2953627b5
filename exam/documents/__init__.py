"""The registry of issued documents: each official PDF stored once with its SHA-256 and a
short verification code, and the public page where anyone checks a document by its code."""
