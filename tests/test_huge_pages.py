"""How `netsim run` asks glibc for transparent huge pages (netsim.run.huge_pages): the
tunable is added to the environment once, beside the user's own, and never against a
choice already made. That runs use them and keep every byte: tests/test_run_outputs.py."""

from __future__ import annotations

import pytest

from netsim.run import huge_pages

ON = "glibc.malloc.hugetlb=1"

pytestmark = pytest.mark.skipif(not huge_pages.available(), reason="no glibc >= 2.35 with transparent huge pages")


def test_the_tunable_joins_the_users_own():
    assert huge_pages.environment({"PATH": "/bin"}) == {"PATH": "/bin", "GLIBC_TUNABLES": ON}
    env = huge_pages.environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert env["GLIBC_TUNABLES"] == f"glibc.malloc.arena_max=2:{ON}"
    assert huge_pages.in_use(env) and not huge_pages.in_use({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert huge_pages.environment(env) == env  # already on: no second restart


@pytest.mark.parametrize("env", [{"NETSIM_HUGE_PAGES": "0"}, {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=2"}])
def test_a_choice_already_made_is_kept(env):
    assert huge_pages.environment(env) == env
