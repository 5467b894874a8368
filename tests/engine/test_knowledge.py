"""Knowledge algebra: property tests over a small id space, plus worked examples.

Every generated knowledge is built only from ids in ``OP_IDS``, so its segment starts and
item exceptions all lie in ``BOUNDARIES`` (``b""``, the ids and their successors). ``POINTS``
contains every boundary, so every elementary interval of any generated knowledge starts at
a point of ``POINTS``: checking all points is exhaustive, not a sample, and the
"for all (gid, version)" properties below are tested as exact equivalences.
``test_generated_boundaries_are_covered`` checks that premise.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncgui.engine.clock import EMPTY_CLOCK, ClockVector
from syncgui.engine.ids import Version
from syncgui.engine.knowledge import FORMAT_VERSION, Knowledge

R1, R2, R3 = REPLICAS = (b"\x01" * 16, b"\x02" * 16, b"\x03" * 16)
MAX_T = 5

OP_IDS = (b"", *(bytes([i]) for i in range(9)), b"\x03\x00", b"\x04\xff")
BOUNDARIES = frozenset({b"", *OP_IDS, *(g + b"\x00" for g in OP_IDS)})
BETWEEN = (b"\x00\x01", b"\x03\x05", b"\x03\x00\x00\x07", b"\x08\x80", b"\x09", b"\xff\xff")
POINTS = tuple(sorted(BOUNDARIES | set(BETWEEN)))
# Real ticks start at 1; a tick-0 "version" is contained everywhere (checked separately).
VERSIONS = tuple(Version(r, t) for r in REPLICAS for t in range(1, MAX_T + 2))

PROPS = settings(max_examples=120, deadline=None)

Model = dict[bytes, ClockVector]
Pair = tuple[Knowledge, Model]

# -- strategies -------------------------------------------------------------------------------

ids = st.sampled_from(OP_IDS)
id_sets = st.frozensets(ids, max_size=3)
ticks = st.integers(0, MAX_T)
vectors = st.dictionaries(st.sampled_from(REPLICAS), ticks).map(ClockVector)
some_vectors = st.dictionaries(st.sampled_from(REPLICAS), st.integers(1, MAX_T), min_size=1).map(
    ClockVector
)


def _leaf(cv: ClockVector) -> Pair:
    return Knowledge.from_scope(cv), dict.fromkeys(POINTS, cv)


def _in_range(p: bytes, lo: bytes, hi: bytes | None) -> bool:
    return lo <= p and (hi is None or p <= hi)


def _range(args: tuple[Pair, bytes, bytes | None]) -> Pair:
    (k, m), lo, hi = args
    return k.project_range(lo, hi), {
        p: cv if _in_range(p, lo, hi) else EMPTY_CLOCK for p, cv in m.items()
    }


def _project(args: tuple[Pair, frozenset[bytes]]) -> Pair:
    (k, m), gids = args
    return k.project_items(gids), {p: cv if p in gids else EMPTY_CLOCK for p, cv in m.items()}


def _exclude(args: tuple[Pair, frozenset[bytes]]) -> Pair:
    (k, m), gids = args
    return k.exclude_items(gids), {p: EMPTY_CLOCK if p in gids else cv for p, cv in m.items()}


def _union(args: tuple[Pair, Pair]) -> Pair:
    (a, ma), (b, mb) = args
    return a.union(b), {p: ma[p].merge(mb[p]) for p in POINTS}


def _local(args: tuple[Pair, bytes, int]) -> Pair:
    (k, m), replica, tick = args
    return k.with_local_tick(replica, tick), {p: cv.with_tick(replica, tick) for p, cv in m.items()}


def _extend(children: st.SearchStrategy[Pair]) -> st.SearchStrategy[Pair]:
    return st.one_of(
        st.tuples(children, ids, st.none() | ids).map(_range),
        st.tuples(children, id_sets).map(_project),
        st.tuples(children, id_sets).map(_exclude),
        st.tuples(children, children).map(_union),
        st.tuples(children, st.sampled_from(REPLICAS), ticks).map(_local),
    )


def _patchwork(pieces: list[tuple[ClockVector, bytes, bytes | None]]) -> Pair:
    """The union of a few vectors, each projected onto a range: many range exceptions."""
    result = _leaf(EMPTY_CLOCK)
    for cv, a, b in pieces:
        lo, hi = (b, a) if b is not None and b < a else (a, b)
        result = _union((result, _range((_leaf(cv), lo, hi))))
    return result


patchworks = st.lists(st.tuples(some_vectors, ids, st.none() | ids), min_size=1, max_size=4)
leaves = st.one_of(some_vectors.map(_leaf), patchworks.map(_patchwork))
pairs = st.recursive(leaves, _extend, max_leaves=6)
knowledges = pairs.map(lambda pair: pair[0])
points = st.sampled_from(POINTS)


def _implies(a: Knowledge, b: Knowledge) -> bool:
    """Whether every (point, version) that ``b`` contains, ``a`` contains."""
    return all(a.contains(p, v) for p in POINTS for v in VERSIONS if b.contains(p, v))


def _same_meaning(a: Knowledge, b: Knowledge) -> bool:
    return all(a.cv_for(p) == b.cv_for(p) for p in POINTS)


# -- the generator and the model --------------------------------------------------------------


@PROPS
@given(pairs)
def test_operations_match_pointwise_model(pair: Pair) -> None:
    k, model = pair
    assert {p: k.cv_for(p) for p in POINTS} == model


@PROPS
@given(knowledges)
def test_generated_boundaries_are_covered(k: Knowledge) -> None:
    assert {start for start, _ in k.segments()} <= BOUNDARIES
    assert {gid for gid, _ in k.item_exceptions()} <= BOUNDARIES


# -- 1. contains ------------------------------------------------------------------------------


@PROPS
@given(knowledges)
def test_contains_iff_tick_within_cv_for(k: Knowledge) -> None:
    for p in POINTS:
        for v in (*VERSIONS, *(Version(r, 0) for r in REPLICAS)):
            assert k.contains(p, v) == (v.tick <= k.cv_for(p).get(v.replica))


# -- 2. union ---------------------------------------------------------------------------------


@PROPS
@given(knowledges, knowledges)
def test_union_is_commutative(a: Knowledge, b: Knowledge) -> None:
    assert a.union(b) == b.union(a)


@PROPS
@given(knowledges, knowledges, knowledges)
def test_union_is_associative(a: Knowledge, b: Knowledge, c: Knowledge) -> None:
    assert a.union(b).union(c) == a.union(b.union(c))


@PROPS
@given(knowledges)
def test_union_is_idempotent(a: Knowledge) -> None:
    assert a.union(a) == a
    assert a.union(Knowledge.empty()) == a


@PROPS
@given(knowledges, knowledges)
def test_union_contains_what_either_contains(a: Knowledge, b: Knowledge) -> None:
    u = a.union(b)
    for p in POINTS:
        for v in VERSIONS:
            assert u.contains(p, v) == (a.contains(p, v) or b.contains(p, v))


# -- 3. contains_knowledge --------------------------------------------------------------------


@PROPS
@given(knowledges, knowledges)
def test_contains_knowledge_iff_pointwise_implication(a: Knowledge, b: Knowledge) -> None:
    # Exact in both directions: POINTS covers every elementary interval (see module doc).
    assert a.contains_knowledge(b) == _implies(a, b)


@PROPS
@given(knowledges, knowledges)
def test_contains_knowledge_of_union(a: Knowledge, b: Knowledge) -> None:
    u = a.union(b)
    assert u.contains_knowledge(a)
    assert u.contains_knowledge(b)
    assert a.contains_knowledge(u) == a.contains_knowledge(b)
    assert a.contains_knowledge(b) == (u == a)


@PROPS
@given(knowledges, ids, st.none() | ids, id_sets)
def test_contains_knowledge_of_parts(
    k: Knowledge, lo: bytes, hi: bytes | None, gids: frozenset[bytes]
) -> None:
    assert k.contains_knowledge(k)
    assert k.contains_knowledge(Knowledge.empty())
    assert k.contains_knowledge(k.project_range(lo, hi))
    assert k.contains_knowledge(k.project_items(gids))
    assert k.contains_knowledge(k.exclude_items(gids))


# -- 4. projection and exclusion --------------------------------------------------------------


@PROPS
@given(knowledges, id_sets)
def test_project_items(k: Knowledge, gids: frozenset[bytes]) -> None:
    projected = k.project_items(gids)
    for p in POINTS:
        for v in VERSIONS:
            assert projected.contains(p, v) == (p in gids and k.contains(p, v))


@PROPS
@given(st.one_of(knowledges, vectors.map(Knowledge.from_scope)), ids)
def test_item_projection_is_the_projection_serialized(k: Knowledge, gid: bytes) -> None:
    """What a merge base keeps per item; built directly for scope-only knowledge."""
    assert k.item_projection(gid) == k.project_items([gid]).serialize()
    _assert_identical(Knowledge.deserialize(k.item_projection(gid)), k.project_items([gid]))


@given(knowledges, ids, st.none() | ids)
def test_project_range(k: Knowledge, lo: bytes, hi: bytes | None) -> None:
    projected = k.project_range(lo, hi)
    for p in POINTS:
        for v in VERSIONS:
            assert projected.contains(p, v) == (_in_range(p, lo, hi) and k.contains(p, v))


@PROPS
@given(knowledges, id_sets)
def test_exclude_items(k: Knowledge, gids: frozenset[bytes]) -> None:
    excluded = k.exclude_items(gids)
    for p in POINTS:
        if p in gids:
            assert excluded.cv_for(p) == EMPTY_CLOCK
            assert not any(excluded.contains(p, v) for v in VERSIONS)
        else:
            assert excluded.cv_for(p) == k.cv_for(p)


# -- 5. normalization and serialization -------------------------------------------------------


def _assert_identical(a: Knowledge, b: Knowledge) -> None:
    assert a == b
    assert hash(a) == hash(b)
    assert a.serialize() == b.serialize()


@PROPS
@given(knowledges, knowledges)
def test_equal_iff_same_meaning(a: Knowledge, b: Knowledge) -> None:
    assert (a == b) == _same_meaning(a, b)
    if a == b:
        _assert_identical(a, b)


@PROPS
@given(knowledges, ids)
def test_split_at_a_point_and_rejoin(k: Knowledge, m: bytes) -> None:
    left = k.project_range(b"", m)
    right = k.project_range(m + b"\x00", None)
    _assert_identical(left.union(right), k)
    _assert_identical(right.union(left), k)


@PROPS
@given(knowledges, id_sets)
def test_project_and_exclude_rejoin(k: Knowledge, gids: frozenset[bytes]) -> None:
    _assert_identical(k.project_items(gids).union(k.exclude_items(gids)), k)


@PROPS
@given(knowledges, ids)
def test_one_id_range_is_an_item(k: Knowledge, g: bytes) -> None:
    succ = g + b"\x00"
    _assert_identical(k.project_range(g, g), k.project_items([g]))
    _assert_identical(k.project_range(g, succ), k.project_items([g, succ]))


@PROPS
@given(knowledges)
def test_serialize_round_trip(k: Knowledge) -> None:
    data = k.serialize()
    assert data[0] == FORMAT_VERSION
    back = Knowledge.deserialize(data)
    _assert_identical(back, k)


@PROPS
@given(knowledges)
def test_deserialize_rejects_truncated_and_trailing_bytes(k: Knowledge) -> None:
    data = k.serialize()
    for end in range(len(data)):
        with pytest.raises(ValueError):
            Knowledge.deserialize(data[:end])
    with pytest.raises(ValueError):
        Knowledge.deserialize(data + b"\x00")


@PROPS
@given(knowledges, st.data())
def test_deserialize_corrupted_raises_only_value_error(k: Knowledge, data: st.DataObject) -> None:
    raw = bytearray(k.serialize())
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] = data.draw(st.integers(0, 255))
    try:
        back = Knowledge.deserialize(bytes(raw))
    except ValueError:
        return
    assert Knowledge.deserialize(back.serialize()) == back


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_deserialize_garbage_raises_only_value_error(raw: bytes) -> None:
    with contextlib.suppress(ValueError):
        Knowledge.deserialize(raw)


# -- 6. local tick ----------------------------------------------------------------------------


@PROPS
@given(knowledges, st.sampled_from(REPLICAS), st.integers(1, MAX_T + 3))
def test_with_local_tick_knows_own_changes_everywhere(
    k: Knowledge, replica: bytes, tick: int
) -> None:
    updated = k.with_local_tick(replica, tick)
    for p in POINTS:
        assert updated.contains(p, Version(replica, tick))
        assert not updated.contains(p, Version(replica, tick + 1))
        for other in REPLICAS:
            if other != replica:
                assert updated.cv_for(p).get(other) == k.cv_for(p).get(other)
    assert updated.max_tick(replica) == tick


# -- examples ---------------------------------------------------------------------------------


def _cv(**ticks: int) -> ClockVector:
    names = {"a": R1, "b": R2, "c": R3}
    return ClockVector({names[name]: tick for name, tick in ticks.items()})


def test_partial_sync_leaves_a_range_exception_then_normalizes() -> None:
    source = Knowledge.from_scope(_cv(a=10, b=3))
    dest = Knowledge.from_scope(_cv(b=3))
    mid = b"\x80" + b"\x00" * 15

    after_first_batch = dest.union(source.project_range(b"", mid))
    assert not after_first_batch.is_scope_only
    assert after_first_batch.scope == _cv(b=3)
    assert after_first_batch.segments() == ((b"", _cv(a=10, b=3)), (mid + b"\x00", _cv(b=3)))
    assert after_first_batch.contains(mid, Version(R1, 10))
    assert not after_first_batch.contains(mid + b"\x00", Version(R1, 1))

    done = after_first_batch.union(source.project_range(mid + b"\x00", None))
    assert done.is_scope_only
    _assert_identical(done, Knowledge.from_scope(_cv(a=10, b=3)))


def test_skipped_item_is_excluded_then_learned_later() -> None:
    source = Knowledge.from_scope(_cv(a=7))
    skipped = b"\x42" * 16
    learned = source.exclude_items([skipped])
    dest = Knowledge.from_scope(_cv(b=2)).union(learned)
    assert dest.item_exceptions() == ((skipped, _cv(b=2)),)
    assert not dest.contains(skipped, Version(R1, 1))
    assert dest.contains(b"\x41" * 16, Version(R1, 7))

    healed = dest.union(source.project_items([skipped]))
    assert healed.is_scope_only
    assert healed == Knowledge.from_scope(_cv(a=7, b=2))


def test_local_tick_applies_to_excluded_items() -> None:
    k = Knowledge.from_scope(_cv(a=4, b=1)).exclude_items([b"\x01"]).with_local_tick(R2, 9)
    assert k.cv_for(b"\x01") == _cv(b=9)
    assert k.scope == _cv(a=4, b=9)
    assert k.max_tick(R1) == 4
    assert k.max_tick(R3) == 0


def test_empty_range_projects_to_empty() -> None:
    k = Knowledge.from_scope(_cv(a=1))
    assert k.project_range(b"\x05", b"\x04") == Knowledge.empty()
    assert k.project_range(b"", None) == k
    assert k.project_items([]) == Knowledge.empty()


def test_scope_only_fast_path_and_repr() -> None:
    k = Knowledge.from_scope(_cv(a=3))
    assert k.is_scope_only
    assert k.contains(b"anything", Version(R1, 3))
    assert not k.contains(b"anything", Version(R1, 4))
    assert repr(k) == "Knowledge(scope=ClockVector(01010101:3))"
    ranged = k.project_range(b"\x10", None).exclude_items([b"\x20"])
    assert repr(ranged) == (
        "Knowledge(scope=ClockVector(01010101:3), ranges=[[..10): ClockVector()], "
        "items={20: ClockVector()})"
    )


def test_deserialize_normalizes_redundant_exceptions() -> None:
    # version 1; 1 replica R1; 2 segments: {R1:1}, then start b"\x05" with {R1:1};
    # 1 item exception b"\x07" with {R1:1}: all redundant.
    raw = bytes([FORMAT_VERSION, 1, 16, *R1, 2, 1, 0, 1, 1, 5, 1, 0, 1, 1, 1, 7, 1, 0, 1])
    k = Knowledge.deserialize(raw)
    _assert_identical(k, Knowledge.from_scope(_cv(a=1)))
    assert len(k.serialize()) < len(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "truncated"),
        (bytes([FORMAT_VERSION + 1, 0, 1, 0, 0]), "version"),
        (bytes([FORMAT_VERSION, 0, 0, 0]), "no segments"),
        (bytes([FORMAT_VERSION, 0, 1, 1, 0, 1, 0]), "replica index"),
        (bytes([FORMAT_VERSION, 1, 1, 9, 1, 1, 0, 0, 0]), "zero tick"),
        (bytes([FORMAT_VERSION, 2, 1, 9, 1, 8, 1, 0, 0]), "replica table"),
        (bytes([FORMAT_VERSION, 0, 2, 0, 0, 0, 0]), "starts"),
        (bytes([FORMAT_VERSION, 0, 1, 0, 2, 1, 7, 0, 1, 7, 0]), "item exceptions"),
        (bytes([FORMAT_VERSION, 0x80, 0x00, 1, 0, 0]), "non-minimal"),
        (bytes([FORMAT_VERSION, 0, 1, 0, 0, 0]), "trailing"),
    ],
)
def test_deserialize_rejects_malformed(raw: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Knowledge.deserialize(raw)


# -- clock vectors ----------------------------------------------------------------------------


def test_clock_vector_drops_zeros_and_sorts() -> None:
    cv = ClockVector({R2: 2, R1: 1, R3: 0})
    assert cv == ClockVector.of({R1: 1, R2: 2})
    assert hash(cv) == hash(ClockVector({R1: 1, R2: 2}))
    assert cv.items() == ((R1, 1), (R2, 2))
    assert cv.replicas() == (R1, R2)
    assert len(cv) == 2
    assert cv.get(R3) == 0
    assert ClockVector({R1: 0}) == ClockVector.EMPTY == EMPTY_CLOCK
    assert not EMPTY_CLOCK
    assert repr(cv) == "ClockVector(01010101:1, 02020202:2)"


def test_clock_vector_algebra() -> None:
    a = _cv(a=3, b=1)
    b = _cv(b=4, c=2)
    assert a.merge(b) == _cv(a=3, b=4, c=2) == b.merge(a)
    assert a.merge(b).dominates(a)
    assert not a.dominates(b)
    assert a.dominates(EMPTY_CLOCK)
    assert a.with_tick(R1, 0) == _cv(b=1)
    assert a.with_tick(R3, 5) == _cv(a=3, b=1, c=5)
    assert a.contains(Version(R1, 3))
    assert not a.contains(Version(R1, 4))
    assert a.contains(Version(R3, 0))
    d = a.as_dict()
    d[R1] = 99
    assert a.get(R1) == 3


@pytest.mark.parametrize(
    ("ticks", "error"),
    [
        ({R1: -1}, ValueError),
        ({R1: 2**64}, ValueError),
        ({R1: True}, TypeError),
        ({R1: 1.0}, TypeError),
        ({"r": 1}, TypeError),
    ],
)
def test_clock_vector_validation(ticks: dict[object, object], error: type[Exception]) -> None:
    make: Callable[..., ClockVector] = ClockVector
    with pytest.raises(error):
        make(ticks)


@PROPS
@given(vectors, vectors)
def test_clock_vector_merge_and_dominates(a: ClockVector, b: ClockVector) -> None:
    m = a.merge(b)
    assert m == b.merge(a)
    assert m.dominates(a)
    assert m.dominates(b)
    assert a.dominates(b) == (m == a)
    for r in REPLICAS:
        assert m.get(r) == max(a.get(r), b.get(r))


@PROPS
@given(knowledges)
def test_pickle_round_trip(k: Knowledge) -> None:
    back = pickle.loads(pickle.dumps(k))
    _assert_identical(back, k)
    assert pickle.loads(pickle.dumps(k.scope)) == k.scope
