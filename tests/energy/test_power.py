"""Site power worked out by hand for the builders' fleet.

ulsan (PUE 1.25): pool 0 = 16 H100 (busy 700 W, idle 100 W, host 600 W),
                  pool 2 = 32 B200 (busy 1,000 W, idle 150 W, host 800 W).
gasan (PUE 1.35): pool 1 = 8 H100.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigrid.energy import SitePower

from .builders import fleet

ULSAN, GASAN = 0, 1


def test_indices_follow_the_fleet() -> None:
    power = SitePower.from_fleet(fleet())
    assert power.site_ids == ("ulsan", "gasan")
    assert power.site_index("gasan") == GASAN
    assert power.pool_site == (ULSAN, GASAN, ULSAN)
    assert power.site_pools == ((0, 2), (1,))
    assert power.cap_mw == (0.09, 0.02)


def test_idle_site() -> None:
    # Idle IT: 16 x (100 + 600) + 32 x (150 + 800) = 11,200 + 30,400 = 41,600 W;
    # x 1.25 = 52,000 W = 0.052 MW.
    power = SitePower.from_fleet(fleet())
    assert power.idle_mw[ULSAN] == pytest.approx(0.052)
    assert power.site_mw(ULSAN, [0, 0, 0]) == pytest.approx(0.052)
    # gasan: 8 x 700 W x 1.35 = 7,560 W.
    assert power.idle_mw[GASAN] == pytest.approx(0.00756)


def test_busy_site() -> None:
    # Extra per busy GPU: H100 (700 - 100) x 1.25 = 750 W; B200 (1,000 - 150) x 1.25 = 1,062.5 W.
    # All busy: 52,000 + 16 x 750 + 32 x 1,062.5 = 52,000 + 12,000 + 34,000 = 98,000 W,
    # which is also 16 x 1,300 W + 32 x 1,800 W = 78,400 W IT x 1.25.
    power = SitePower.from_fleet(fleet())
    assert power.added_mw(0, 1) == pytest.approx(0.00075)
    assert power.added_mw(2, 8) == pytest.approx(8 * 0.0010625)
    assert power.site_mw(ULSAN, [16, 8, 32]) == pytest.approx(0.098)
    assert power.fleet_mw([16, 8, 32]) == pytest.approx([0.098, 8 * 1300 * 1.35 / 1e6])


def test_matches_the_models_own_all_idle_and_all_busy_figures() -> None:
    f = fleet()
    power = SitePower.from_fleet(f)
    all_busy = [p.gpus for p in f.pools]
    for site_id in f.sites:
        s = power.site_index(site_id)
        assert power.site_mw(s, [0, 0, 0]) == pytest.approx(f.site_power_mw(site_id, busy=False))
        assert power.site_mw(s, all_busy) == pytest.approx(f.site_power_mw(site_id, busy=True))


def test_breakdown_of_a_half_busy_site() -> None:
    # 8 H100 and 16 B200 busy at ulsan:
    #   board busy 8 x 700 + 16 x 1,000 = 21,600 W
    #   board idle 8 x 100 + 16 x 150   =  3,200 W
    #   host      16 x 600 + 32 x 800   = 35,200 W
    #   IT 60,000 W; PUE overhead x 0.25 = 15,000 W; facility 75,000 W.
    power = SitePower.from_fleet(fleet())
    got = power.breakdown(ULSAN, [8, 0, 16])
    assert (got.site, got.busy_gpus, got.idle_gpus) == ("ulsan", 24, 24)
    assert got.board_busy_mw == pytest.approx(0.0216)
    assert got.board_idle_mw == pytest.approx(0.0032)
    assert got.host_mw == pytest.approx(0.0352)
    assert got.it_mw == pytest.approx(0.060)
    assert got.pue_overhead_mw == pytest.approx(0.015)
    assert got.facility_mw == pytest.approx(0.075)
    assert got.facility_mw == pytest.approx(power.site_mw(ULSAN, [8, 0, 16]))


def test_breakdown_refuses_impossible_counts() -> None:
    power = SitePower.from_fleet(fleet())
    with pytest.raises(ValueError, match="17 busy GPUs of 16"):
        power.breakdown(ULSAN, [17, 0, 0])


@given(busy=st.tuples(st.integers(0, 16), st.integers(0, 8), st.integers(0, 32)))
def test_running_total_equals_recomputed_total(busy: tuple[int, int, int]) -> None:
    # What a scheduler does: start at idle, add each job's MW; it must equal the site's MW.
    power = SitePower.from_fleet(fleet())
    running = list(power.idle_mw)
    for pool, gpus in enumerate(busy):
        running[power.pool_site[pool]] += power.added_mw(pool, gpus)
    vector = power.fleet_mw(np.array(busy))
    for site in range(2):
        assert running[site] == pytest.approx(power.site_mw(site, busy), rel=1e-12)
        assert vector[site] == pytest.approx(running[site], rel=1e-12)
        assert power.breakdown(site, busy).facility_mw == pytest.approx(running[site], rel=1e-12)
