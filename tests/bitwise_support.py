"""Bit-for-bit comparison of a schedule function with its optax twin, in every context, for many
configurations at once.

The suite's time goes into compiling small XLA programs (about 50 ms each here, whatever their
size), so the compiled contexts evaluate a whole batch of configurations in one program: each
schedule in the program is the same operations it is alone, with its own constants. Eager
contexts run each configuration by itself. The first configuration of a batch is also compiled
alone (over an array of counts), and must give the bits it gives in the batch: each batch checks
that batching changes no value.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

BATCH = 6  # configurations per hypothesis example, compiled together


def batches(drawn):
    """Lists of BATCH drawn configurations (the test builds its schedules from them, so a failing
    example prints the arguments)."""
    return st.lists(drawn, min_size=BATCH, max_size=BATCH)


def paired(configs, counts_of):
    """Each drawn configuration ``cfg`` with the counts drawn from ``counts_of(cfg)``."""
    return configs.flatmap(lambda cfg: counts_of(cfg).map(lambda counts: (cfg, counts)))


def same(a, b):
    """Bitwise equality (NaNs included), the dtype too."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


def optax_stair_rounds(d: int, t: int) -> bool:
    """Whether optax's float32 staircase exponent floor((count - begin) / T) misses the integer d // t.

    optax divides in float32: as a division, or (where XLA rewrites a division by a broadcast or
    constant divisor, in arrays and under jit) as a multiplication by the rounded reciprocal, whose
    product lands just below k at some exact multiples d = k * t (a stair late), and can round up
    to the next integer near one at large d (a stair early). Integer division has neither.
    """
    if d <= 0:
        return False
    d32, t32 = np.float32(d), np.float32(t)
    return bool(np.floor(d32 * (np.float32(1) / t32)) != d // t or np.floor(d32 / t32) != d // t)


STAIR_DIFFERENCES = []  # counts where optax's float stair differs from the exact one (seen, for the record)


def check(got, expected, exact, counts, stairs):
    """got == expected (optax) bit for bit, except where optax's float32 stair misses the integer one.

    ``stairs`` lists the ``(start, transition_steps)`` of the staircase pieces (counts from
    ``start``); at such a count ``got`` must be ``exact``: this library's value at the integer stair.
    """
    got, expected, exact = (np.atleast_1d(np.asarray(v)) for v in (got, expected, exact))
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    for i in np.nonzero(got.view(np.uint32) != expected.view(np.uint32))[0]:
        c = int(np.atleast_1d(counts)[i])
        assert any(optax_stair_rounds(c - start, t) for start, t in stairs), (
            c,
            got[i],
            expected[i],
        )
        assert got.view(np.uint32)[i] == exact.view(np.uint32)[i], (c, got[i], exact[i])
        STAIR_DIFFERENCES.append(c)


class Case(NamedTuple):
    """One configuration: our schedule, optax's, the integer counts to compare at (the same number
    in every case of a batch), the staircase pieces (see :func:`check`) and float counts (or
    ``None``: not compared at floats)."""

    ours: Callable
    ref: Callable
    counts: Sequence[int]
    stairs: Sequence = ()
    floats: Sequence[float] | None = None


def together(fns, transform=lambda f: f):
    """One program: ``fns[k]`` (transformed) applied to row ``k`` of the argument."""
    return lambda rows: [transform(f)(rows[k]) for k, f in enumerate(fns)]


def compiled(cases, rows, transform=lambda f: f, guard=True):
    """Our values and optax's, each side one compiled program over every case. With ``guard``, the
    first case is also compiled alone (ours and optax's), and must give the bits it gives with the
    others."""
    ours = jax.jit(together([c.ours for c in cases], transform))(rows)
    refs = jax.jit(together([c.ref for c in cases], transform))(rows)
    if guard and len(cases) > 1:
        same(jax.jit(transform(cases[0].ours))(rows[0]), ours[0])
        same(jax.jit(transform(cases[0].ref))(rows[0]), refs[0])
    return ours, refs


def compiled_scalars(ours, refs, rows, n):
    """For each of the first ``n`` columns ``i`` of ``rows`` (one row of counts per schedule):
    ``(i, our values, optax's)``, each side one compiled program given one scalar count per
    schedule (a traced scalar, as ``jax.jit(schedule)(jnp.int32(c))`` gives it)."""
    jit_ours, jit_refs = jax.jit(together(ours)), jax.jit(together(refs))
    for i in range(min(n, rows.shape[1])):
        yield i, jit_ours(rows[:, i]), jit_refs(rows[:, i])


def assert_bitwise_everywhere(ours, ref, counts, stairs=()):
    """One configuration: ours == ref at integer ``counts`` in every context, every count type."""
    assert_bitwise_batch([Case(ours, ref, counts, stairs)])


def assert_bitwise_batch(cases: Sequence[Case]) -> None:
    """ours == ref for every case, at its integer counts in every context and for every count type,
    and at its float counts (where given).

    Python and numpy counts are divided on the host (in float64, as optax does), which floors to
    the exact stair below 2**24; so ``ours`` on numpy int64 counts is the exact reference.
    """
    counts = [[int(c) for c in case.counts] for case in cases]
    exact = [case.ours(np.asarray(c, np.int64)) for case, c in zip(cases, counts)]
    rows = jnp.asarray(counts, jnp.int32)
    for k, case in enumerate(cases):  # eager: each configuration by itself
        j = rows[k]
        check(case.ours(j), case.ref(j), exact[k], counts[k], case.stairs)  # a JAX array
        for dtype in (np.int64, np.int32):  # numpy arrays (optax divides these in float64)
            same(case.ours(np.asarray(counts[k], dtype)), case.ref(np.asarray(counts[k], dtype)))
        check(jax.vmap(case.ours)(j), jax.vmap(case.ref)(j), exact[k], counts[k], case.stairs)
        for i, c in enumerate(counts[k][:3]):  # scalars: Python, numpy and JAX ints
            for x in (c, np.int64(c), np.int32(c)):
                same(case.ours(x), case.ref(x))
            check(case.ours(jnp.int32(c)), case.ref(jnp.int32(c)), exact[k][i], [c], case.stairs)
    for transform in (lambda f: f, jax.vmap):  # compiled: an array of counts, and vmapped
        ours, refs = compiled(cases, rows, transform, guard=transform is not jax.vmap)
        for k, case in enumerate(cases):
            check(ours[k], refs[k], exact[k], counts[k], case.stairs)
    pairs = [c.ours for c in cases], [c.ref for c in cases]
    for i, ours, refs in compiled_scalars(*pairs, rows, 3):  # compiled scalars
        for k, case in enumerate(cases):
            check(ours[k], refs[k], exact[k][i], [counts[k][i]], case.stairs)
    with_floats = [case for case in cases if case.floats is not None]
    if with_floats:
        assert_bitwise_at_floats(with_floats)


def assert_bitwise_at_floats(cases: Sequence[Case]) -> None:
    """ours == ref at each case's float counts: Python floats, numpy float32/float64, JAX float32,
    eagerly, and compiled (one program for every case)."""
    floats = [[float(c) for c in case.floats] for case in cases]
    for case, counts in zip(cases, floats):
        for x in (
            np.asarray(counts, np.float64),
            np.asarray(counts, np.float32),
            jnp.asarray(counts, jnp.float32),
        ):
            same(case.ours(x), case.ref(x))
        for c in counts[:3]:
            for x in (c, np.float32(c), np.float64(c)):
                same(case.ours(x), case.ref(x))
    ours, refs = compiled(cases, jnp.asarray(floats, jnp.float32), guard=False)
    for k in range(len(cases)):
        same(ours[k], refs[k])
