"""Bad input to the optimizers: one table per entry point.

Each row states the call, the exception type and the parameter its message
must name. Afterwards the optimizer, its scheduler and the parameters are
exactly as before (state dicts and parameter values bitwise equal), and they
still work: the next valid steps, and loading a good checkpoint, give what an
untouched twin gives. A failed constructor leaves the scheduler it was given
unattached and unchanged, and that scheduler then drives an optimizer exactly
as a twin does.
"""

import math
import re
from typing import NamedTuple, Optional

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from expdecay import SGD, Adam, AdamW, ExponentialDecayLR, OptaxOptimizer, StateDictKeyError
from conftest import assert_names

NAN, INF = math.nan, math.inf
OPTIMIZERS = (OptaxOptimizer, SGD, Adam, AdamW)

# Every optimizer takes lr, weight_decay and the clip bounds: each is checked on each class.
SHARED_ARGUMENTS = [
    ("lr", -0.1, ValueError),
    ("lr", NAN, ValueError),
    ("lr", 1e39, ValueError),
    ("lr", "0.1", TypeError),
    ("lr", True, TypeError),
    ("lr", None, TypeError),
    (
        "lr",
        optax.exponential_decay(0.1, 10, 0.5),
        TypeError,
    ),  # an optax schedule is not a scheduler
    ("weight_decay", -1e-4, ValueError),
    ("weight_decay", NAN, ValueError),
    ("weight_decay", "0", TypeError),
    ("grad_clip_norm", 0.0, ValueError),
    ("grad_clip_norm", -1.0, ValueError),
    ("grad_clip_norm", "1", TypeError),
    ("grad_clip_value", 0.0, ValueError),
    ("grad_clip_value", INF, ValueError),
]

OWN_ARGUMENTS = [
    # (class, arguments, exception, parameter named)
    (OptaxOptimizer, dict(tx="adam"), TypeError, "tx"),
    (OptaxOptimizer, dict(tx=optax.adam), TypeError, "tx"),  # the factory, not a transformation
    (SGD, dict(momentum=-0.9), ValueError, "momentum"),
    (SGD, dict(momentum=NAN), ValueError, "momentum"),
    (SGD, dict(momentum="x"), TypeError, "momentum"),
    (SGD, dict(nesterov=True), ValueError, "nesterov"),  # needs momentum > 0
    (SGD, dict(momentum=0.9, nesterov=1), TypeError, "nesterov"),
    (SGD, dict(momentum=0.9, nesterov="yes"), TypeError, "nesterov"),
    (Adam, dict(betas=(1.0, 0.999)), ValueError, "betas[0]"),
    (Adam, dict(betas=(0.9, -0.1)), ValueError, "betas[1]"),
    (Adam, dict(betas=(None, 0.9)), TypeError, "betas[0]"),
    (Adam, dict(betas=0.9), TypeError, "betas"),
    (Adam, dict(betas=(0.9, 0.99, 0.9)), TypeError, "betas"),
    (Adam, dict(betas="ab"), TypeError, "betas"),
    (Adam, dict(eps=0.0), ValueError, "eps"),
    (Adam, dict(eps=-1e-8), ValueError, "eps"),
    (Adam, dict(eps=1e-50), ValueError, "eps"),  # zero in float32
    (Adam, dict(eps=None), TypeError, "eps"),
    (Adam, dict(amsgrad="yes"), TypeError, "amsgrad"),
    (Adam, dict(amsgrad=None), TypeError, "amsgrad"),
    (AdamW, dict(betas=(0.9, 1.5)), ValueError, "betas[1]"),
    (AdamW, dict(betas=(NAN, 0.9)), ValueError, "betas[0]"),
    (AdamW, dict(eps=0.0), ValueError, "eps"),
    (AdamW, dict(eps=-1e-8), ValueError, "eps"),
]

CONSTRUCTOR_CASES = [
    (cls, {arg: value}, exc, arg) for cls in OPTIMIZERS for arg, value, exc in SHARED_ARGUMENTS
]
CONSTRUCTOR_CASES += OWN_ARGUMENTS


def stepped_scheduler():
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=2, decay_rate=0.5)
    for _ in range(3):
        scheduler.step()
    return scheduler


def host(tree):
    return jax.tree.map(np.array, tree)


def assert_same(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    jax.tree.map(np.testing.assert_array_equal, a, b)


def trajectory(cls, scheduler):
    """Three updates of a fixed parameter by ``cls(lr=scheduler)``: parameter and state dicts after each."""
    w = brainstate.ParamState(jnp.linspace(-1.0, 1.0, 5))
    optimizer = cls(lr=scheduler).register_trainable_weights({"w": w})
    out = []
    for k in range(3):
        optimizer.step({"w": jnp.cos(jnp.arange(5.0) + k)})
        scheduler.step()
        out.append(host((w.value, optimizer.state_dict(), scheduler.state_dict())))
    return out


@pytest.mark.parametrize(
    "cls, kwargs, exc, name",
    CONSTRUCTOR_CASES,
    ids=[
        re.sub(r" at 0x[0-9a-f]+", "", f"{c.__name__}-{k!r}")[:60]  # same ids in every
        for c, k, _, _ in CONSTRUCTOR_CASES
    ],
)  # process (pytest-xdist compares them)
def test_constructor_rejects_bad_input_and_leaves_the_scheduler_alone(cls, kwargs, exc, name):
    scheduler, twin = stepped_scheduler(), stepped_scheduler()
    with pytest.raises(exc) as info:
        cls(**({"lr": scheduler} | kwargs))
    assert_names(
        str(info.value), name, list(kwargs.values())[-1]
    )  # the last argument is the bad one
    assert scheduler.optimizer is None and scheduler.state_dict() == twin.state_dict()
    assert_same(trajectory(cls, scheduler), trajectory(cls, twin))


def test_hyperparameters_are_readable():
    optimizer = Adam(betas=(0.8, 0.9), weight_decay=0.1)
    assert optimizer.betas == (0.8, 0.9) and optimizer.weight_decay == 0.1 and optimizer.eps == 1e-8
    assert SGD(momentum=0.5).momentum == 0.5


# --------------------------------------------------------- on a live optimizer
class Live(NamedTuple):
    optimizer: OptaxOptimizer
    scheduler: ExponentialDecayLR
    states: tuple  # (a, b): a's value is a dict, b's an array
    saved: Optional[dict]  # a state dict from one step before the current state


def params():
    a = brainstate.ParamState({"w": jnp.arange(6.0).reshape(2, 3) / 10, "b": jnp.zeros(3)})
    b = brainstate.ParamState(jnp.ones(4))
    return a, b


GRADS = {
    "a": {"w": jnp.linspace(-1.0, 1.0, 6).reshape(2, 3), "b": jnp.ones(3)},
    "b": jnp.arange(4.0),
}


def fresh() -> Live:
    """Built, nothing registered yet."""
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=2, decay_rate=0.5)
    return Live(Adam(lr=scheduler, weight_decay=1e-3), scheduler, params(), None)


def trained() -> Live:
    """Two groups, two steps, and a state dict saved after the first."""
    live = fresh()
    a, b = live.states
    live.optimizer.register_trainable_weights({"a": a})
    live.optimizer.add_param_group({"b": b}, lr=0.01)
    saved = None
    for _ in range(2):
        saved = live.optimizer.state_dict() if saved is None else saved
        live.optimizer.step(GRADS)
        live.scheduler.step()
    return live._replace(saved=saved)


def checkpoint(live: Live):
    registered = bool(live.optimizer.param_groups)
    return host(
        (
            [s.value for s in live.states],
            live.optimizer.state_dict() if registered else None,
            live.scheduler.state_dict(),
        )
    )


def go_on(live: Live):
    """Valid use after the bad call: register if needed, step, load the saved checkpoint, step."""
    if not live.optimizer.param_groups:
        a, b = live.states
        live.optimizer.register_trainable_weights({"a": a})
        live.optimizer.add_param_group({"b": b}, lr=0.01)
    for _ in range(2):
        live.optimizer.step(jax.tree.map(lambda g: 2 * g, GRADS))
        live.scheduler.step()
    if live.saved is not None:
        live.optimizer.load_state_dict(live.saved)
        live.optimizer.step(GRADS)
    return checkpoint(live)


def register(params_of):
    return "fresh", lambda live: live.optimizer.register_trainable_weights(params_of(live))


def add_group(**kwargs):
    return lambda live: live.optimizer.add_param_group(**kwargs)


def grads(change):
    return lambda live: live.optimizer.step(change(GRADS))


def set_attr(path, value):
    def call(live):
        target, attribute = path(live)
        setattr(target, attribute, value)

    return call


def load(change):
    return lambda live: live.optimizer.load_state_dict(change(dict(live.saved)))


def corrupt(key, fn):
    return load(lambda sd: sd | {key: fn(sd[key])})


def opt_state_leaves(fn):
    return corrupt("opt_state", lambda v: jax.tree.map(fn, v))


OPTIMIZER_CASES = [
    # (subject, bad call, exception, parameter named, value shown or ... for none)
    # register_trainable_weights
    (*register(lambda live: {"w": jnp.ones(2)}), TypeError, "param_states['w']", ...),
    (
        *register(lambda live: {"w": brainstate.ParamState(jnp.arange(3))}),
        TypeError,
        "param_states['w']",
        ...,
    ),
    (
        *register(lambda live: {"w": brainstate.ParamState("abc")}),
        TypeError,
        "param_states['w']",
        "abc",
    ),
    (
        *register(
            lambda live: {"w": brainstate.ParamState({"x": jnp.ones(2), "i": jnp.arange(2)})}
        ),
        TypeError,
        "param_states['w']",
        ...,
    ),
    (
        *register(lambda live: [brainstate.ParamState(jnp.ones(2)), 3]),
        TypeError,
        "param_states[1]",
        ...,
    ),
    (
        *register(lambda live: brainstate.ParamState(jnp.ones(2))),
        TypeError,
        "param_states",
        ...,
    ),  # was IndexError
    (*register(lambda live: "w"), TypeError, "param_states", ...),
    (*register(lambda live: {}), ValueError, "param_states", ...),
    (*register(lambda live: None), ValueError, "param_states", ...),
    ("trained", register(lambda live: {"c": jnp.ones(2)})[1], TypeError, "param_states['c']", ...),
    (
        "trained",
        register(lambda live: {"c": brainstate.ParamState(1)})[1],
        TypeError,
        "param_states['c']",
        ...,
    ),
    # add_param_group
    (
        "trained",
        add_group(params={"c": brainstate.ParamState(jnp.ones(2))}, lr=-1.0),
        ValueError,
        "lr",
        -1.0,
    ),
    (
        "trained",
        add_group(params={"c": brainstate.ParamState(jnp.ones(2))}, lr=1e39),
        ValueError,
        "lr",
        1e39,
    ),
    (
        "trained",
        add_group(params={"c": brainstate.ParamState(jnp.ones(2))}, lr=[0.1]),
        TypeError,
        "lr",
        ...,
    ),
    (
        "trained",
        add_group(params={"c": brainstate.ParamState(jnp.ones(2))}, weight_decay=-1.0),
        ValueError,
        "weight_decay",
        -1.0,
    ),
    (
        "trained",
        add_group(params={"c": brainstate.ParamState(jnp.ones(2))}, weight_decay="x"),
        TypeError,
        "weight_decay",
        "x",
    ),
    ("trained", add_group(params={"c": jnp.ones(2)}), TypeError, "params['c']", ...),
    ("trained", add_group(params={}), ValueError, "params", ...),
    (
        "trained",
        lambda live: live.optimizer.add_param_group({"again": live.states[0]}),
        ValueError,
        "already registered",
        ...,
    ),
    (
        "fresh",
        add_group(params={"c": brainstate.ParamState(jnp.ones(2))}),
        ValueError,
        "register_trainable_weights",
        ...,
    ),
    # gradients: missing, wrong shape, wrong structure, not an array
    ("trained", grads(lambda g: {"a": g["a"]}), ValueError, "['b']", ...),
    ("trained", grads(lambda g: {"b": g["b"]}), ValueError, "['a']", ...),
    ("trained", grads(lambda g: g | {"b": jnp.ones(5)}), ValueError, "grads['b']", ...),
    ("trained", grads(lambda g: g | {"b": 1.0}), ValueError, "grads['b']", ...),
    (
        "trained",
        grads(lambda g: g | {"a": {"w": jnp.ones((3, 2)), "b": jnp.ones(3)}}),
        ValueError,
        "grads['a']",
        ...,
    ),
    ("trained", grads(lambda g: g | {"a": {"w": jnp.ones((2, 3))}}), ValueError, "grads['a']", ...),
    (
        "trained",
        grads(lambda g: g | {"a": [jnp.ones((2, 3)), jnp.ones(3)]}),
        ValueError,
        "grads['a']",
        ...,
    ),
    ("trained", grads(lambda g: g | {"b": None}), ValueError, "grads['b']", ...),
    (
        "trained",
        grads(lambda g: g | {"b": "abc"}),
        TypeError,
        "grads['b']",
        "abc",
    ),  # was JAX's "grads[1][0]"
    (
        "trained",
        grads(lambda g: g | {"a": {"w": object(), "b": jnp.ones(3)}}),
        TypeError,
        "grads['a']",
        ...,
    ),
    ("trained", grads(lambda g: None), TypeError, "grads", ...),
    ("trained", grads(lambda g: [g["a"], g["b"]]), ValueError, "grads", ...),
    ("fresh", grads(lambda g: g), ValueError, "register_trainable_weights", ...),
    # learning rates and hyperparameters
    (
        "trained",
        set_attr(lambda live: (live.optimizer, "current_lr"), -0.1),
        ValueError,
        "current_lr",
        -0.1,
    ),
    (
        "trained",
        set_attr(lambda live: (live.optimizer, "current_lr"), NAN),
        ValueError,
        "current_lr",
        NAN,
    ),
    (
        "trained",
        set_attr(lambda live: (live.optimizer, "current_lr"), 1e39),
        ValueError,
        "current_lr",
        1e39,
    ),
    (
        "trained",
        set_attr(lambda live: (live.optimizer, "current_lr"), "fast"),
        TypeError,
        "current_lr",
        "fast",
    ),
    (
        "trained",
        set_attr(lambda live: (live.optimizer.param_groups[1]["lr"], "value"), -0.1),
        ValueError,
        "param_groups[1]['lr']",
        -0.1,
    ),
    (
        "trained",
        lambda live: live.optimizer.param_groups[1].__setitem__("lr", NAN),
        ValueError,
        "param_groups[1]['lr']",
        NAN,
    ),
    (
        "trained",
        lambda live: live.optimizer.param_groups[0].__setitem__("weight_decay", 0.5),
        TypeError,
        "weight_decay",
        ...,
    ),
    (
        "trained",
        set_attr(lambda live: (live.optimizer, "betas"), (0.9, 0.99)),
        AttributeError,
        "betas",
        (0.9, 0.99),
    ),
    (
        "trained",
        set_attr(lambda live: (live.optimizer, "weight_decay"), 0.5),
        AttributeError,
        "weight_decay",
        0.5,
    ),
    (
        "trained",
        set_attr(lambda live: (live.scheduler, "decay_rate"), 0.5),
        AttributeError,
        "decay_rate",
        0.5,
    ),
    # load_state_dict
    (
        "trained",
        load(lambda sd: {k: v for k, v in sd.items() if k != "opt_state"}),
        StateDictKeyError,
        "opt_state",
        ...,
    ),
    (
        "trained",
        load(lambda sd: {k: v for k, v in sd.items() if k != "step_count"}),
        KeyError,
        "step_count",
        ...,
    ),
    ("trained", corrupt("step_count", lambda v: -1), ValueError, "step_count", -1),
    ("trained", corrupt("step_count", lambda v: "3"), TypeError, "step_count", "3"),
    (
        "trained",
        corrupt("step_count", lambda v: 2**40),
        OverflowError,
        "step_count",
        2**40,
    ),  # was accepted
    ("trained", corrupt("opt_state", lambda v: v[:-1]), ValueError, "state_dict['opt_state']", ...),
    ("trained", corrupt("opt_state", lambda v: None), ValueError, "state_dict['opt_state']", ...),
    (
        "trained",
        opt_state_leaves(lambda x: np.ones((7,) + x.shape)),
        ValueError,
        "state_dict['opt_state']",
        ...,
    ),
    ("trained", opt_state_leaves(lambda x: "abc"), TypeError, "state_dict['opt_state']", "abc"),
    (
        "trained",
        opt_state_leaves(lambda x: x + 0.5),
        ValueError,
        "state_dict['opt_state']",
        ...,
    ),  # float count
    (
        "trained",
        corrupt("param_groups_opt_states", lambda v: {}),
        ValueError,
        "param_groups_opt_states",
        ...,
    ),
    (
        "trained",
        corrupt("param_groups_opt_states", lambda v: list(v.values())),
        TypeError,
        "param_groups_opt_states",
        ...,
    ),
    (
        "trained",
        corrupt("param_groups", lambda v: v | {"1": v["1"] | {"weight_decay": 0.5}}),
        ValueError,
        "state_dict['param_groups']['1']['weight_decay']",
        0.5,
    ),
    (
        "trained",
        corrupt("param_groups", lambda v: v | {"0": v["0"] | {"weight_decay": "x"}}),
        TypeError,
        "state_dict['param_groups']['0']['weight_decay']",
        "x",
    ),
    (
        "trained",
        corrupt("param_groups", lambda v: v | {"1": v["1"] | {"lr": -1.0}}),
        ValueError,
        "state_dict['param_groups']['1']['lr']",
        -1.0,
    ),
    (
        "trained",
        corrupt("param_groups", lambda v: "abc"),
        TypeError,
        "state_dict['param_groups']",
        "abc",
    ),
    (
        "trained",
        corrupt("param_groups", lambda v: {"0": 5}),
        TypeError,
        "state_dict['param_groups']['0']",
        5,
    ),
    ("trained", corrupt("lr", lambda v: -1.0), ValueError, "state_dict['lr']", -1.0),
    ("trained", corrupt("lr", lambda v: [0.1, 0.2]), ValueError, "state_dict['lr']", [0.1, 0.2]),
    ("trained", corrupt("lr", lambda v: "abc"), TypeError, "state_dict['lr']", "abc"),
    ("trained", load(lambda sd: [sd]), TypeError, "state_dict", ...),
    ("trained", load(lambda sd: None), TypeError, "state_dict", ...),
    (
        "fresh",
        lambda live: live.optimizer.load_state_dict(trained().saved),
        ValueError,
        "register_trainable_weights",
        ...,
    ),
]
SUBJECTS = {"fresh": fresh, "trained": trained}


@pytest.mark.parametrize(
    "subject, call, exc, name, value", OPTIMIZER_CASES, ids=range(len(OPTIMIZER_CASES))
)
def test_bad_call_leaves_the_optimizer_as_it_was_and_working(subject, call, exc, name, value):
    live, twin = SUBJECTS[subject](), SUBJECTS[subject]()
    before = checkpoint(live)
    assert_same(before, checkpoint(twin))
    with pytest.raises(exc) as info:
        call(live)
    assert_names(str(info.value), name, value)
    assert_same(checkpoint(live), before)
    assert_same(go_on(live), go_on(twin))


def test_custom_tx_groups_cannot_take_lr():
    optimizer = OptaxOptimizer(tx=optax.sgd(0.1)).register_trainable_weights(
        {"a": brainstate.ParamState(jnp.ones(2))}
    )
    with pytest.raises(ValueError, match="custom tx"):
        optimizer.add_param_group({"b": brainstate.ParamState(jnp.ones(2))}, lr=0.5)
