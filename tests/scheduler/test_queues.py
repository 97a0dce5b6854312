"""The queue manager's wakes against the plain rule: scan every parked queue, wake those whose
named need the release meets."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import JobClass, PriorityClass
from aigrid.scheduler import QueueKey, QueueSet, Reason, ReasonCode
from tests.builders import job

PROGRAMS = ("p1", "p2", "p3")
QUOTA_KEYS = ("H100", "B200")


def plain_site_wake(queues: QueueSet, site: int, headroom: float) -> set[QueueKey]:
    return {
        k
        for k, q in queues.queues.items()
        if q.reason is not None
        and ("site", site) in q.tokens
        and q.power_needs.get(site, 0.0) <= headroom + 1e-12
    }


def plain_quota_wake(
    queues: QueueSet, tree: int, key: str, available: dict[str, float]
) -> set[QueueKey]:
    woken = set()
    for k, q in queues.queues.items():
        if q.reason is None or ("quota", tree) not in q.tokens:
            continue
        need = q.quota_needs.get((k.program, key))
        if need is None:
            if q.quota_needs:
                continue
            need = 0
        if need <= available[k.program]:
            woken.add(k)
    return woken


park_op = st.tuples(
    st.just("park"),
    st.sampled_from(PROGRAMS),
    st.integers(1, 4),  # the queue: program and GPUs
    st.lists(st.integers(0, 2), max_size=3),  # sites whose power it waits for
    st.lists(st.floats(0, 5), min_size=3, max_size=3),  # MW it needs at each
    st.integers(0, 1),  # the quota tree whose quota it waits for (-: none)
    st.lists(
        st.tuples(
            st.sampled_from((*PROGRAMS, "cohort")), st.sampled_from(QUOTA_KEYS), st.integers(0, 16)
        ),
        max_size=3,
    ),
)
wake_op = st.tuples(
    st.sampled_from(["site", "quota", "consume", "wake_all"]),
    st.integers(0, 2),
    st.floats(-1, 6),
    st.sampled_from(QUOTA_KEYS),
    st.lists(st.integers(-2, 16), min_size=3, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(script=st.lists(st.one_of(park_op, wake_op), max_size=60))
def test_wakes_by_need_match_a_scan_of_every_parked_queue(script: list[tuple[Any, ...]]) -> None:
    queues = QueueSet()
    reason = Reason(ReasonCode.POWER_CAP)
    for op in script:
        if op[0] == "park":
            _, program, gpus, sites, mw, tree, needs = op
            key = QueueKey.of(job(gpus, program=program))
            if key not in queues.queues:
                queues.push(job(gpus, program=program))
            tokens = [("site", s) for s in sites] + [("quota", tree)] * bool(needs or tree)
            queues.park(
                key,
                reason,
                tokens,
                power_needs={s: mw[s] for s in sites if mw[s] > 0},
                quota_needs={(who, k): n for who, k, n in needs},
            )
        else:
            kind, where, headroom, quota_key, avail = op
            before = {k for k, q in queues.queues.items() if q.reason is not None}
            if kind == "site":
                want = plain_site_wake(queues, where, headroom)
                n = queues.wake_site(where, headroom)
            elif kind == "quota":
                have = dict(zip(PROGRAMS, map(float, avail), strict=True))
                want = plain_quota_wake(queues, where % 2, quota_key, have)
                n = queues.wake_quota(where % 2, quota_key, have.__getitem__)
            elif kind == "consume":
                if queues.queues:
                    k = sorted(queues.queues)[where % len(queues.queues)]
                    queues.consume(k, 1)
                continue
            else:
                want = before
                n = queues.wake_all()
            after = {k for k, q in queues.queues.items() if q.reason is not None}
            assert before - after == want
            assert n == len(want)


def test_a_queue_parked_again_waits_for_its_new_need_not_its_old_one() -> None:
    queues = QueueSet()
    key = queues.push(job(2))
    power = Reason(ReasonCode.POWER_CAP)
    queues.park(key, power, [("site", 0)], power_needs={0: 1.0})
    queues.park(key, power, [("site", 0)], power_needs={0: 3.0})
    assert queues.wake_site(0, 2.0) == 0
    assert queues.queues[key].reason is power
    assert queues.wake_site(0, 3.0) == 1
    assert key in queues.active


key_fields = st.tuples(
    st.sampled_from(PROGRAMS),
    st.integers(1, 3),
    st.sampled_from(((), ("H100",), ("B200", "H100"))),
    st.booleans(),
    st.integers(0, 2),
    st.sampled_from(list(JobClass)),
    st.sampled_from(("", "org-a")),
    st.sampled_from(list(PriorityClass)),
    st.sampled_from((0, 250)),
    st.sampled_from((0, 1000)),
    st.sampled_from((0, 4096)),
)


@settings(max_examples=300, deadline=None)
@given(a=key_fields, b=key_fields)
def test_a_queue_key_compares_hashes_and_orders_as_the_tuple_of_its_fields(
    a: tuple[Any, ...], b: tuple[Any, ...]
) -> None:
    ka, kb = QueueKey(*a), QueueKey(*b)
    assert ka.astuple() == a
    assert (ka == kb) is (a == b)
    assert (ka != kb) is (a != b)
    assert (ka < kb) is (a < b)
    assert (ka <= kb) is (a <= b)
    assert (ka > kb) is (a > b)
    assert (ka >= kb) is (a >= b)
    if a == b:
        assert hash(ka) == hash(kb)
    # A key built again from equal fields finds the same entry, as a tuple would.
    assert {ka: 1}.get(QueueKey(*a)) == 1
    assert ka != a  # a key is not a tuple, even of the same fields
