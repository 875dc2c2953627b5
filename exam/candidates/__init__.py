"""Candidates, their applications (hồ sơ dự tuyển) and eligibility."""
