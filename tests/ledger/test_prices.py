"""Prices per GPU-hour: list price (facts §4, scenario assumption) x program fraction (§3.5)."""

from __future__ import annotations

import dataclasses

import pytest

from aigrid.ledger import PriceList, charge_krw, gpu_hour_price
from aigrid.model import Fleet, GpuModel, Owner, Pool, Program, Site, TenantClass, Zone

H100 = GpuModel("H100", 80, busy_w=700, idle_w=100, host_w=600, list_price_krw_per_gpu_h=4500)
B200 = GpuModel("B200", 180, busy_w=1000, idle_w=150, host_w=800, list_price_krw_per_gpu_h=9000)

GOV_POOL = Program(
    id="gov_gpu_pool",
    name="Government GPU pool",
    budget_krw=1e12,
    quota={"B200": 1000},
    owners=("gov",),
    price_fraction={
        TenantClass.UNIVERSITY: 0.0,
        TenantClass.RESEARCH: 0.0,
        TenantClass.SME: 0.075,
    },
)


def fleet() -> Fleet:
    return Fleet(
        gpu_models={"H100": H100, "B200": B200},
        owners={"gov": Owner("gov", "Government")},
        sites={"s": Site("s", "sejong", 10.0, 1.25, Zone.SOVEREIGN, "t")},
        pools=(
            Pool("h", "s", "H100", gpus_per_node=8, nodes=2, nvlink_domain=8, owner="gov"),
            Pool("b", "s", "B200", gpus_per_node=8, nodes=2, nvlink_domain=8, owner="gov"),
        ),
    )


@pytest.mark.parametrize(
    ("model", "tenant_class", "want_fraction", "want_krw"),
    [
        (B200, TenantClass.SME, 0.075, 675.0),  # 9,000 x 0.075
        (H100, TenantClass.SME, 0.075, 337.5),  # 4,500 x 0.075
        (B200, TenantClass.UNIVERSITY, 0.0, 0.0),  # academic access is free
        (B200, TenantClass.ENTERPRISE, 1.0, 9000.0),  # no fraction named: list price
    ],
)
def test_price_breakdown(
    model: GpuModel, tenant_class: TenantClass, want_fraction: float, want_krw: float
) -> None:
    got = gpu_hour_price(model, GOV_POOL, tenant_class)
    assert got.gpu_model == model.name
    assert got.program == "gov_gpu_pool"
    assert got.list_krw_per_gpu_h == model.list_price_krw_per_gpu_h
    assert got.fraction == want_fraction
    assert got.krw_per_gpu_h == pytest.approx(want_krw)


def test_price_list_looks_up_by_pool_index() -> None:
    prices = PriceList(fleet(), {"gov_gpu_pool": GOV_POOL})
    assert prices.krw_per_gpu_h(1, "gov_gpu_pool", TenantClass.SME) == pytest.approx(675.0)
    assert prices.krw_per_gpu_h(0, "gov_gpu_pool", TenantClass.SME) == pytest.approx(337.5)
    assert prices.quote(1, "gov_gpu_pool", TenantClass.RESEARCH).fraction == 0.0
    with pytest.raises(KeyError):
        prices.krw_per_gpu_h(0, "no_such_program", TenantClass.SME)


def test_charge() -> None:
    # 16 B200 for 90 minutes at 675 KRW/GPU-h = 16 x 1.5 x 675 = 16,200 KRW.
    assert charge_krw(675.0, 16, 5400.0) == pytest.approx(16_200.0)


def test_negative_fraction_is_refused() -> None:
    bad = Program("p", "p", 0.0, {}, (), price_fraction={TenantClass.SME: -0.1})
    with pytest.raises(ValueError, match="price fraction"):
        gpu_hour_price(B200, bad, TenantClass.SME)


def test_a_site_with_its_own_list_price_and_a_reserved_discount() -> None:
    """9,000 KRW list, 10,000 at the dear site; reserved 35% off; SMEs then pay 7.5%."""
    b200 = GpuModel(
        "B200", 180, 1000, 150, 800, list_price_krw_per_gpu_h=9000, price_by_site={"dear": 10_000}
    )
    reserved = dataclasses.replace(GOV_POOL, reserved_discount=0.35)
    cheap = gpu_hour_price(b200, reserved, TenantClass.SME, "s")
    dear = gpu_hour_price(b200, reserved, TenantClass.SME, "dear")
    assert cheap.krw_per_gpu_h == pytest.approx(9000 * 0.65 * 0.075)  # 438.75
    assert dear.krw_per_gpu_h == pytest.approx(10_000 * 0.65 * 0.075)  # 487.5
    assert (dear.site, dear.list_krw_per_gpu_h, dear.reserved_discount) == ("dear", 10_000, 0.35)
    assert gpu_hour_price(b200, GOV_POOL, TenantClass.ENTERPRISE, "dear").krw_per_gpu_h == 10_000

    f = fleet()
    f = dataclasses.replace(
        f,
        gpu_models={**f.gpu_models, "B200": b200},
        sites={**f.sites, "dear": Site("dear", "seoul", 10.0, 1.25, Zone.SOVEREIGN, "t")},
        pools=(*f.pools, Pool("d", "dear", "B200", 8, 2, 8, "gov")),
    )
    prices = PriceList(f, {"gov_gpu_pool": reserved})
    assert prices.krw_per_gpu_h(1, "gov_gpu_pool", TenantClass.SME) == pytest.approx(438.75)
    assert prices.krw_per_gpu_h(2, "gov_gpu_pool", TenantClass.SME) == pytest.approx(487.5)
    assert prices.quote(2, "gov_gpu_pool", TenantClass.SME).site == "dear"


def test_a_reserved_discount_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"reserved discount 1\.5"):
        gpu_hour_price(B200, dataclasses.replace(GOV_POOL, reserved_discount=1.5), TenantClass.SME)
