"""The scenes of tests/access/scenes.py as fixtures; the matrix's world is reused."""

from __future__ import annotations

import pytest

from tests.access import scenes
from tests.test_access_matrix import world  # noqa: F401  (the matrix's world, a fixture)


@pytest.fixture
def world_scene(app, make, world) -> scenes.Scene:  # noqa: F811
    return scenes.world_scene(app, make, world)


@pytest.fixture
def marked_scene(make) -> scenes.Scene:
    return scenes.marked_scene(make)


@pytest.fixture
def ranked_scene(make) -> scenes.Scene:
    return scenes.ranked_scene(make)
