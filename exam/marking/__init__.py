"""Written essays: anonymous codes (số phách) and double marking (docs/domain.md §6)."""
