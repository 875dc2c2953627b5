"""Rounds (kỳ thi tuyển) and their positions."""
