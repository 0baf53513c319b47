"""What the items measure: the libraries, the model, and each contender's step, written once.

Only public names are used: what ``expdecay`` exports, and brainstate, optax,
JAX and braintools.optim.
"""

from __future__ import annotations

import functools
import warnings
from typing import Callable, Dict, NamedTuple, Optional, Union

import brainstate
import jax
import jax.numpy as jnp
import optax

import expdecay

try:
    import braintools.optim
except ImportError:  # the tables still print, with braintools' figures missing
    braintools = None

LIBS = {"expdecay": expdecay}  # the libraries with the braintools.optim API
if braintools is not None:
    LIBS["braintools"] = braintools.optim

DONATING = "expdecay (donate_buffers=True)"  # the opt-in mode, measured beside the default
DONATED_OPTAX = "optax (jit, donated)"
COPYING_OPTAX = "optax (jit, not donated)"

# The one schedule every item uses: ExponentialDecayLR / optax.exponential_decay with these.
BASE_LR, DECAY_STEPS, DECAY_RATE = 0.1, 1000, 0.96


# ------------------------------------------------------------------ the model
def linear(n_in: int, n_out: int) -> brainstate.nn.Linear:
    brainstate.random.seed(0)
    return brainstate.nn.Linear(n_in, n_out)


def params_of(n_in: int, n_out: int) -> dict:
    """The ``ParamState``s of a fresh ``n_in x n_out`` linear layer (same values every call)."""
    return linear(n_in, n_out).states(brainstate.ParamState)


def ones_grads(params) -> dict:
    return {k: jax.tree.map(jnp.ones_like, s.value) for k, s in params.items()}


def block(params) -> None:
    jax.block_until_ready([s.value for s in params.values()])


def n_params(params) -> int:
    return sum(x.size for x in jax.tree.leaves({k: s.value for k, s in params.items()}))


@functools.lru_cache(maxsize=None)
def batch():
    """``(x, y)``: the training batch of a 10x5 layer (32 examples)."""
    x = jax.random.normal(jax.random.PRNGKey(0), (32, 10))
    y = jax.random.normal(jax.random.PRNGKey(1), (32, 5))
    return x, y


# ------------------------------------------------------------------ schedules
def schedule_of(lib, groups: int = 1):
    """``lib.ExponentialDecayLR`` with one base learning rate per group."""
    return lib.ExponentialDecayLR(
        base_lr=[BASE_LR] * groups if groups > 1 else BASE_LR,
        decay_steps=DECAY_STEPS,
        decay_rate=DECAY_RATE,
    )


# The composite of item (g): a linear warmup over WARMUP steps, then that same decay.
WARMUP, WARMUP_START_FACTOR = 100, 0.1


def composite_of(lib, groups: int = 1):
    """``lib.SequentialLR([LinearLR, ExponentialDecayLR], milestones=[WARMUP])``: a warmup from
    ``WARMUP_START_FACTOR * BASE_LR`` to ``BASE_LR``, then :func:`schedule_of`'s decay."""
    base_lr = [BASE_LR] * groups if groups > 1 else BASE_LR
    warmup = lib.LinearLR(base_lr=base_lr, start_factor=WARMUP_START_FACTOR, total_iters=WARMUP)
    return lib.SequentialLR([warmup, schedule_of(lib, groups)], milestones=[WARMUP])


def optax_schedule(base_lr=BASE_LR):
    return optax.exponential_decay(base_lr, DECAY_STEPS, DECAY_RATE)


# ------------------------------------------------------------------ the optax baseline
def optax_adam_update(donate: bool):
    """The hand-written baseline: ``(tx, update)``, optax Adam with the schedule inside and
    ``update(values, state, grads) -> (values, state)`` jitted, values and state donated or not."""
    tx = optax.adam(optax_schedule())

    def update(values, state, grads):
        updates, state = tx.update(grads, state, values)
        return optax.apply_updates(values, updates), state

    return tx, jax.jit(update, donate_argnums=(0, 1) if donate else ())


class OptaxStep:
    """One call of the jitted optax update per call, on copies of ``params``' values."""

    def __init__(self, params, grads, donate: bool):
        tx, self.update = optax_adam_update(donate)
        self.values = {k: jax.tree.map(jnp.array, s.value) for k, s in params.items()}
        self.state = tx.init(self.values)
        self.grads = grads

    def __call__(self) -> None:
        self.values, self.state = self.update(self.values, self.state, self.grads)
        jax.block_until_ready(self.values)

    def moments(self):
        return self.state[0]  # ScaleByAdamState(count, mu, nu)


# ------------------------------------------------------------------ the eager step
CONTENDERS: Dict[str, tuple] = {name: (lib, {}) for name, lib in LIBS.items()}
CONTENDERS[DONATING] = (expdecay, {"donate_buffers": True})  # (library, Adam's extra arguments)


class EagerStep:
    """``optimizer.step(grads); scheduler.step()`` with Adam + ExponentialDecayLR, eagerly.

    ``contender`` names a key of :data:`CONTENDERS`; each call blocks until
    the parameters are computed. ``schedule(lib)`` builds the scheduler
    (default :func:`schedule_of`; item (g) passes :func:`composite_of`).
    """

    def __init__(self, contender: str, params, grads, schedule: Callable = schedule_of):
        lib, kwargs = CONTENDERS[contender]
        self.params, self.grads = params, grads
        self.scheduler = schedule(lib)
        self.optimizer = lib.Adam(lr=self.scheduler, **kwargs)
        self.optimizer.register_trainable_weights(params)

    def step(self, grads) -> None:
        """The step itself (no blocking): what a traced or compiled version runs."""
        self.optimizer.step(grads)
        self.scheduler.step()

    def __call__(self) -> None:
        self.step(self.grads)
        block(self.params)

    def moments(self):
        return self.optimizer.opt_state.value


def xla_memory(step: EagerStep, donate: bool) -> int:
    """Bytes XLA reserves for one compiled ``step.step(grads)``: arguments + outputs - donated
    (aliased) + temporaries.

    The step is traced by ``brainstate.transform.StatefulFunction`` into a pure
    function of the states' values and compiled with ``jax.jit``, the state
    values donated (``donate``) or not. It is a compiled twin of the eager
    step built from public APIs, not the eager step's own compiled update.
    """
    traced = brainstate.transform.StatefulFunction(step.step, return_only_write=True)
    traced.make_jaxpr(step.grads)
    values = traced.get_state_trace(step.grads).get_state_values()
    compiled = jax.jit(traced.jaxpr_call, donate_argnums=(0,) if donate else ())
    with warnings.catch_warnings():
        # all state values are donated, and XLA keeps those the step only reads (the scheduler's
        # constants), as the eager step does: what JAX warns about is what is measured
        warnings.filterwarnings("ignore", "Some donated buffers were not usable")
        mem = compiled.lower(values, step.grads).compile().memory_analysis()
    return (
        mem.argument_size_in_bytes
        + mem.output_size_in_bytes
        - mem.alias_size_in_bytes
        + mem.temp_size_in_bytes
    )


# ------------------------------------------------------------------ the training step
class TrainingStep(NamedTuple):
    """A brainstate training step of a 10x5 layer: ``step(x)`` returns the loss."""

    step: Callable
    params: dict
    optimizer: object
    scheduler: object


def training_step(
    lib,
    lr: Callable[[object], Union[float, object]],
    advance: Callable[[object, object], None] = lambda scheduler, loss: scheduler.step(),
) -> TrainingStep:
    """Gradients, ``optimizer.step``, ``advance(scheduler, loss)`` (default: ``scheduler.step()``).

    ``lr(lib)`` gives a scheduler, or a float (a constant learning rate: no scheduler to step)."""
    model = linear(10, 5)
    params = model.states(brainstate.ParamState)
    scheduler = lr(lib)
    optimizer = lib.Adam(lr=scheduler)
    optimizer.register_trainable_weights(params)
    y = batch()[1]

    def step(x):
        loss_fn = lambda: jnp.mean((model(x) - y) ** 2)  # noqa: E731
        grads, loss = brainstate.transform.grad(loss_fn, grad_states=params, return_value=True)()
        optimizer.step(grads)
        if not isinstance(scheduler, float):
            advance(scheduler, loss)
        return loss

    return TrainingStep(step, params, optimizer, scheduler)


def compiled_loop(step: Callable, n: int) -> Callable[[], object]:
    """``n`` training steps in one compiled ``for_loop``; returns a function that runs them."""
    x = batch()[0]
    loop = brainstate.transform.jit(
        lambda steps: brainstate.transform.for_loop(lambda i: step(x), steps)
    )
    steps = jnp.arange(n)
    return lambda: jax.block_until_ready(loop(steps))


def vs_braintools(braintools_time: Optional[float], ours: float) -> str:
    """The note beside an expdecay figure."""
    if braintools_time is None:
        return ""
    return f"{braintools_time / ours:.1f}x faster than braintools"


# ------------------------------------------------------------------ L-BFGS with a line search
def lbfgs_zoom_steps(lib):
    """``(eager, compiled)`` callables: one full-batch ``LBFGS(linesearch='zoom')`` update.

    Each call takes the loss and its gradients at the current parameters of
    the 10x5 layer (one jitted ``jax.value_and_grad``, the same for both
    libraries), then ``optimizer.update(grads, value=loss, value_fn=loss_of)``,
    and blocks. ``compiled`` is the same under ``brainstate.transform.jit``.
    The loss is least squares, so the run settles at its minimum within about
    50 updates and every later one takes one line-search step.
    """
    params = params_of(10, 5)
    x, y = batch()
    (key,) = params.keys()

    def loss_of(values):
        p = values[key]
        return jnp.mean((x @ p["weight"] + p["bias"] - y) ** 2)

    value_and_grad = jax.jit(jax.value_and_grad(loss_of))
    optimizer = lib.LBFGS(lr=1.0, linesearch="zoom")
    optimizer.register_trainable_weights(params)

    def step():
        loss, grads = value_and_grad({k: s.value for k, s in params.items()})
        optimizer.update(grads, value=loss, value_fn=loss_of)

    compiled = brainstate.transform.jit(step)

    def eager():
        step()
        block(params)

    def jitted():
        compiled()
        block(params)

    return eager, jitted
