"""Interview / đề án panels (Ban phỏng vấn) and their members' score sheets."""
