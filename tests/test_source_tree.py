"""Tests and notebooks write only to temporary or build folders, never into the source tree.
This test runs last (see conftest.py), after every notebook has been executed through nbval."""

import pytest

from conftest import git_status


def test_the_suite_leaves_the_source_tree_clean(pytestconfig):
    before = pytestconfig.git_status_before
    if before is None:
        pytest.skip("not a git checkout")
    assert git_status() == before, "the test run changed or added files in the source tree"
