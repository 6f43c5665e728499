"""weigh.add_normalized: a weigher's share of Nova's handler, done in place."""

import random

from scheduler_filters.core import weigh


class Obj:
    def __init__(self, weight):
        self.weight = weight


def handler_step(weights, raw, multipliers):
    """Nova's weight handler for one weigher, written out: normalise to
    [0, 1] (all equal: 0), then weight += multiplier * normalised."""
    lo, hi = float(min(raw)), float(max(raw))
    norm = ([0] * len(raw) if lo == hi
            else [(v - lo) / (hi - lo) for v in raw])
    return [w + m * n for w, m, n in zip(weights, multipliers, norm)]


def test_same_floats_as_nova_handler_with_overrides():
    rnd = random.Random(4)
    start = [rnd.uniform(-3, 3) for _ in range(500)]
    raw = [rnd.uniform(0, 1.7) for _ in range(500)]
    overrides = {i: rnd.choice([0.0, 0.3, 2.7, -1.1]) for i in range(0, 500, 7)}
    objs = [Obj(w) for w in start]
    weigh.add_normalized(objs, raw, 1.3, overrides)
    expect = handler_step(start, raw,
                          [overrides.get(i, 1.3) for i in range(500)])
    assert [o.weight for o in objs] == expect
    assert expect != handler_step(start, raw, [1.3] * 500)  # overrides count


def test_all_equal_or_empty_leaves_weights_alone():
    objs = [Obj(0.25), Obj(0.0), Obj(-1.5)]
    weigh.add_normalized(objs, [0.7, 0.7, 0.7], -4.1, {1: 9.0})
    weigh.add_normalized([], [], 2.0)
    assert [o.weight for o in objs] == [0.25, 0.0, -1.5]
    assert handler_step([0.25, 0.0, -1.5], [0.7] * 3, [-4.1, 9.0, -4.1]) == [
        0.25, 0.0, -1.5]
