"""LBFGS with braintools' line searches, driven by ``update(grads, value=..., value_fn=...)``.

Oracles: ``braintools.optim.LBFGS`` (its runs compiled with ``brainstate.transform.jit``: an
eager braintools step with a zoom line search takes seconds) and ``optax.lbfgs``. For each line
search ('zoom', 'backtracking') on a convex problem (an ill-conditioned quadratic, its learning
rate an ``ExponentialDecayLR``) and a non-convex one (Rosenbrock, registered as two states under
tuple keys, as ``model.states()`` gives them):

* our eager run follows braintools' trajectory within float32 tolerance, its line search active
  (step sizes other than 1), ``value_fn`` seeing braintools' layout of the parameters;
* it traces and compiles its update once, and never deletes an array it was given or read;
* checkpoints move both ways, the line search's state included, and the runs continue as the
  source library's.

Then: compiled use and ``donate_buffers=True``; a prebuilt optax line search, with data for
``value_fn`` passed as keyword arguments (traced, never stale), against ``optax.lbfgs``;
extra arguments of any optimizer's step; every refused call leaves the optimizer as it
was; unknown line searches are refused with braintools' words.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import expdecay
from conftest import assert_names, braintools_optim
from expdecay import count_compilations
from optim_support import host, worst_relative

STEPS, SAVED_AT = 12, 5
RTOL = 1e-5


class Problem(NamedTuple):
    loss: Callable  # of the registered parameter pytree
    init: dict  # the registered keys and their initial values
    lr: Callable  # lib -> a float or a scheduler of lib


C, T = jnp.array([1.0, 10.0, 100.0]), jnp.array([1.0, -2.0, 0.5])


def quadratic(params):
    return jnp.sum(C * (params["w"] - T) ** 2)


def rosenbrock(params):
    x = jnp.concatenate([params[("x", "head")], params[("x", "tail")]])
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


PROBLEMS = {
    "quadratic": Problem(
        quadratic,
        {"w": np.zeros(3, np.float32)},
        lambda lib: lib.ExponentialDecayLR(base_lr=3.0, decay_steps=3, decay_rate=0.7),
    ),
    "rosenbrock": Problem(
        rosenbrock,
        {
            ("x", "head"): np.array([-1.2, 1.0], np.float32),
            ("x", "tail"): np.array([1.0, 1.0], np.float32),
        },
        lambda lib: 1.0,
    ),
}
VALUE_AND_GRAD = {name: jax.jit(jax.value_and_grad(p.loss)) for name, p in PROBLEMS.items()}
CASES = {
    "quadratic-zoom": ("quadratic", "zoom"),
    "quadratic-backtracking": ("quadratic", "backtracking"),
    "rosenbrock-zoom": ("rosenbrock", "zoom"),
    "rosenbrock-backtracking": ("rosenbrock", "backtracking"),
}


def strong(tree):
    """``tree`` without weak types: optax's fresh line-search states have some, and braintools'
    compiled step would trace twice (once more when its update returns them strong)."""
    return jax.tree.map(lambda x: jnp.asarray(x, dtype=x.dtype), tree)


class Run:
    """One library's LBFGS on one problem: ``step()`` does value and grad, then the update."""

    def __init__(self, lib, problem: str, linesearch, compiled=False, value_fn=None, **kwargs):
        p = PROBLEMS[problem]
        self.name = problem
        self.params = {k: brainstate.ParamState(jnp.asarray(v)) for k, v in p.init.items()}
        self.scheduler = p.lr(lib)
        self.optimizer = lib.LBFGS(
            lr=self.scheduler, memory_size=5, linesearch=linesearch, **kwargs
        )
        self.optimizer.register_trainable_weights(self.params)
        if lib is not expdecay:
            self.optimizer.opt_state.value = strong(self.optimizer.opt_state.value)
        self.value_fn = value_fn or p.loss

        def step(grads, value):
            self.optimizer.update(grads, value=value, value_fn=self.value_fn)
            if not isinstance(self.scheduler, float):
                self.scheduler.step()

        self.run = brainstate.transform.jit(step) if compiled else step

    def values(self):
        return {k: s.value for k, s in self.params.items()}

    def set_values(self, values):
        for k, s in self.params.items():
            s.value = jnp.asarray(values[k])

    def step(self, held=None):
        value, grads = VALUE_AND_GRAD[self.name](self.values())
        if held is not None:  # every array the step is given or could reach
            held.extend(
                jax.tree.leaves((self.values(), grads, value, self.optimizer.opt_state.value))
            )
        self.run(grads, value)
        return host(self.values())

    def steps(self, n):
        return [self.step() for _ in range(n)]


def braintools_checkpoint(saved):
    """Our (numpy) state dict as braintools' LBFGS loads it: optax needs jax arrays (``.at``)."""
    return dict(saved, opt_state=jax.tree.map(jnp.asarray, saved["opt_state"]))


@pytest.mark.parametrize("case", CASES)
def test_follows_braintools_and_checkpoints_move_both_ways(case):
    bt = braintools_optim()
    problem, linesearch = CASES[case]
    layouts = {"braintools": [], "expdecay": []}

    def recording(lib_name):
        def value_fn(params):
            layouts[lib_name].append(jax.tree.structure(params))
            return PROBLEMS[problem].loss(params)

        return value_fn

    theirs = Run(bt, problem, linesearch, compiled=True, value_fn=recording("braintools"))
    ours = Run(expdecay, problem, linesearch, value_fn=recording("expdecay"))
    expected, bt_saved, bt_values, step_sizes = [], None, None, []
    for k in range(STEPS):
        expected.append(theirs.step())
        step_sizes.append(float(theirs.optimizer.opt_state.value[-1].learning_rate))
        if k + 1 == SAVED_AT:
            bt_saved, bt_values = host(theirs.optimizer.state_dict()), expected[-1]
    assert any(abs(s - 1.0) > 1e-3 for s in step_sizes), step_sizes  # the line search acts

    VALUE_AND_GRAD[problem](ours.values())  # compiled before counting
    got, traces = [], []
    for k in range(STEPS):
        held = []
        with count_compilations() as compiled:
            got.append(ours.step(held))
        assert not [x for x in held if x.is_deleted()]
        traces.append(len(layouts["expdecay"]))
        if k:  # the first step compiles the update (or finds it in JAX's cache); no other does
            assert compiled == [], k
        if k + 1 == SAVED_AT:
            saved, values = ours.optimizer.state_dict(), got[-1]
    assert traces[0] > 0 and traces[-1] == traces[0]  # value_fn traced in the first step only
    assert (
        set(layouts["expdecay"]) == set(layouts["braintools"])
        and len(set(layouts["expdecay"])) == 1
    )
    assert jax.tree.structure(PROBLEMS[problem].init) in layouts["expdecay"]
    assert worst_relative(got, expected) <= RTOL

    # braintools -> expdecay: a fresh optimizer (other values) continues as braintools did
    resumed = Run(expdecay, problem, linesearch, value_fn=recording("expdecay"))
    resumed.set_values(bt_values)
    resumed.optimizer.load_state_dict(bt_saved)
    if not isinstance(resumed.scheduler, float):
        resumed.scheduler.step(SAVED_AT)
    jax.tree.map(
        np.testing.assert_array_equal,
        jax.tree.leaves(host(resumed.optimizer.state_dict()["opt_state"])),
        jax.tree.leaves(bt_saved["opt_state"]),
    )
    assert worst_relative(resumed.steps(STEPS - SAVED_AT), expected[SAVED_AT:]) <= RTOL

    # expdecay -> braintools: braintools' optimizer loads our checkpoint and continues as we did
    theirs.set_values(values)
    theirs.optimizer.load_state_dict(braintools_checkpoint(saved))
    if not isinstance(theirs.scheduler, float):
        theirs.scheduler.step(SAVED_AT)
    assert worst_relative(theirs.steps(STEPS - SAVED_AT), got[SAVED_AT:]) <= RTOL


# ------------------------------------------------------------ compiled use, donation
def flat(trajectory):
    return np.concatenate([np.concatenate(jax.tree.leaves(values)) for values in trajectory])


def test_compiled_and_donating_runs_equal_the_eager_run():
    eager = Run(expdecay, "rosenbrock", "backtracking").steps(STEPS)
    traces = []

    def counted(params):
        traces.append(1)
        return rosenbrock(params)

    compiled = Run(expdecay, "rosenbrock", "backtracking", compiled=True, value_fn=counted)
    got = [compiled.step()]
    traced = len(traces)
    got += compiled.steps(STEPS - 1)
    assert traced > 0 and len(traces) == traced  # brainstate.transform.jit traced the step once
    assert int(compiled.optimizer.step_count.value) == STEPS
    np.testing.assert_allclose(flat(got), flat(eager), rtol=1e-6, atol=1e-7)

    donating = Run(expdecay, "rosenbrock", "backtracking", donate_buffers=True)
    old = jax.tree.leaves(donating.values())
    got = [donating.step()]
    assert all(x.is_deleted() for x in old)  # donated, as asked
    got += donating.steps(STEPS - 1)
    np.testing.assert_array_equal(flat(got), flat(eager))


# ------------------------------------------------------------ value_fn's data, the lr applied
def test_data_for_value_fn_is_traced_and_the_lr_applied_is_current_lr():
    """Data passed as keyword arguments reaches ``value_fn`` (optax routes it) at every step, and
    each update applies the learning rate ``current_lr`` reported before it: the oracle is
    ``optax.lbfgs`` with those learning rates and the same data."""
    keys = jax.random.split(jax.random.PRNGKey(0), 2 * STEPS)
    batches = [
        (jax.random.normal(keys[2 * k], (16, 3)), jax.random.normal(keys[2 * k + 1], (16,)))
        for k in range(STEPS)
    ]

    def loss(params, x, y):
        return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    w, b = brainstate.ParamState(jnp.zeros(3)), brainstate.ParamState(jnp.zeros(()))
    scheduler = expdecay.ExponentialDecayLR(base_lr=2.0, decay_steps=2, decay_rate=0.6)
    # a prebuilt line search, used as it is (as braintools and optax.lbfgs use it)
    linesearch = optax.scale_by_backtracking_linesearch(
        max_backtracking_steps=30, decrease_factor=0.5, store_grad=True
    )
    optimizer = expdecay.LBFGS(lr=scheduler, memory_size=4, linesearch=linesearch)
    optimizer.register_trainable_weights({"w": w, "b": b})
    got, lrs = [], []
    for k, (x, y) in enumerate(batches):
        value, grads = value_and_grad({"w": w.value, "b": b.value}, x, y)
        lrs.append(float(optimizer.current_lr))
        with count_compilations() as compiled:
            optimizer.update(grads, value=value, value_fn=loss, x=x, y=y)
        assert k == 0 or compiled == []  # new data does not compile again
        scheduler.step()
        got.append(host({"w": w.value, "b": b.value}))
    assert len(set(lrs)) > 3

    applied = jnp.asarray(lrs)
    tx = optax.lbfgs(
        learning_rate=lambda count: applied[count],
        memory_size=4,
        linesearch=linesearch,
    )

    @jax.jit
    def update(params, state, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        updates, state = tx.update(
            grads, state, params, value=value, grad=grads, value_fn=loss, x=x, y=y
        )
        return optax.apply_updates(params, updates), state

    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    state, expected = tx.init(params), []
    for x, y in batches:
        params, state = update(params, state, x, y)
        expected.append(host(params))
    assert worst_relative(got, expected) <= RTOL


def test_any_optimizer_hands_extra_arguments_to_its_chain():
    """``OptaxOptimizer(tx=...)`` gives its chain ``value``, ``value_fn`` and ``grad`` (the step's
    own gradients, or another pytree picked by the registered keys), as optax's line searches
    take them; a chain that takes none ignores them, in every parameter group."""

    def update(updates, state, params, *, value, grad, value_fn):
        gap = value_fn(params) - value  # the hand formula: -0.1 grad + (f(params) - value) g
        return jax.tree.map(lambda g, u: -0.1 * g + gap * u, grad, updates), state

    probe = optax.GradientTransformationExtraArgs(lambda params: optax.EmptyState(), update)
    init = PROBLEMS["rosenbrock"].init
    for same in (True, False):
        params = {k: brainstate.ParamState(jnp.asarray(v)) for k, v in init.items()}
        optimizer = expdecay.OptaxOptimizer(tx=probe).register_trainable_weights(params)
        values = {k: s.value for k, s in params.items()}
        value, grads = VALUE_AND_GRAD["rosenbrock"](values)
        grad = grads if same else {k: 2 * g for k, g in grads.items()} | {"unused": 0.0}
        optimizer.step(grads, value=value + 0.5, value_fn=rosenbrock, grad=grad)
        for k, s in params.items():
            expected = values[k] - 0.1 * grad[k] - 0.5 * grads[k]
            np.testing.assert_allclose(s.value, expected, rtol=1e-6)

    a, b = brainstate.ParamState(jnp.ones(2)), brainstate.ParamState(jnp.ones(3))
    c, d = brainstate.ParamState(jnp.ones(2)), brainstate.ParamState(jnp.ones(3))
    given = expdecay.Adam(lr=0.1).register_trainable_weights({"a": a})
    given.add_param_group({"b": b}, lr=0.05)
    plain = expdecay.Adam(lr=0.1).register_trainable_weights({"a": c})
    plain.add_param_group({"b": d}, lr=0.05)
    grads = {"a": jnp.full(2, 0.5), "b": jnp.full(3, -2.0)}
    given.step(grads, value=1.0, value_fn=rosenbrock)
    plain.step(grads)
    np.testing.assert_array_equal(
        np.concatenate([a.value, b.value]), np.concatenate([c.value, d.value])
    )


# ------------------------------------------------------------ refused calls
def test_unknown_line_searches_are_refused_as_braintools_refuses_them():
    bt = braintools_optim()
    for bad in ("nope", 12345, optax.identity(), ["zoom"]):
        with pytest.raises(ValueError, match="Unknown linesearch"):
            bt.LBFGS(linesearch=bad)
        with pytest.raises(ValueError, match="Unknown linesearch") as info:
            expdecay.LBFGS(linesearch=bad)
        assert_names(str(info.value), "linesearch", bad)


def checkpoint(run):
    return host((run.values(), run.optimizer.state_dict()))


def test_refused_calls_leave_the_optimizer_as_it_was():
    live, twin = Run(expdecay, "rosenbrock", "zoom"), Run(expdecay, "rosenbrock", "zoom")
    live.step(), twin.step()
    value, grads = VALUE_AND_GRAD["rosenbrock"](live.values())
    update, step = live.optimizer.update, live.optimizer.step
    calls = [
        (lambda: update(grads), ValueError, ["value", "value_fn", "zoom"], ...),
        (lambda: update(grads, value=value), ValueError, ["value_fn"], ...),
        (lambda: update(grads, value_fn=rosenbrock), ValueError, ["value"], ...),
        (lambda: step(grads, value=value), ValueError, ["value_fn"], ...),
        (
            lambda: update(grads, value=jnp.ones(2), value_fn=rosenbrock),
            ValueError,
            ["value"],
            (2,),
        ),
        (lambda: update(grads, value="low", value_fn=rosenbrock), ValueError, ["value"], "low"),
        (lambda: update(grads, value=value, value_fn="f"), TypeError, ["value_fn"], "f"),
        (
            lambda: update(grads, value=value, value_fn=rosenbrock, grad={"w": 1.0}),
            ValueError,
            ["grad", "('x', 'head')"],
            ...,
        ),
        (
            lambda: live.optimizer.add_param_group({"c": brainstate.ParamState(jnp.ones(2))}),
            ValueError,
            ["add_param_group", "linesearch"],
            "zoom",
        ),
    ]
    for call, exc, named, value_shown in calls:
        before = checkpoint(live)
        with pytest.raises(exc) as info:
            call()
        for name in named:
            assert_names(str(info.value), name)
        assert_names(str(info.value), named[0], value_shown)
        jax.tree.map(np.testing.assert_array_equal, checkpoint(live), before)
    assert len(live.optimizer.param_groups) == 1
    np.testing.assert_array_equal(flat(live.steps(2)), flat(twin.steps(2)))
