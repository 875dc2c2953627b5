"""Combining scores into a ranking: the computation lives in exam/results/ranking.py (the
round's formula applied), the formula in exam/results/formula.py. These names stay here for
the pages and tests that import them from the results' operations."""

from __future__ import annotations

from exam.results.ranking import Standing, compute_ranking, compute_standings, panel_mean

__all__ = ["Standing", "compute_ranking", "compute_standings", "panel_mean"]
