"""Data-parallel training with Adam + ExponentialDecayLR on a JAX device mesh.

    python examples/data_parallel.py

expdecay has no distribution layer of its own: JAX's sharding does the work.
The batch is split across the devices of a mesh, the parameters (and with them
the optimizer's moments and the scheduler's state) are replicated, and each
device computes on its slice. Two ways to write it, both compared here with
the same training on one device:

1. ``jit``: the ordinary training step under ``brainstate.transform.jit``,
   given a sharded batch. XLA partitions it and inserts the gradient
   all-reduce; the code is the single-device code.
2. ``shard_map``: per-device code (``brainstate.transform.shard_map``) with an
   explicit collective for the loss. The gradient of the replicated
   parameters is already summed over the devices by ``shard_map`` itself, so
   the loss is written as the local sum divided by the *global* batch size,
   and the gradients are not averaged again (that would scale them by the
   number of devices: Adam hides it, SGD would not).

On a machine without several accelerators the script asks XLA for 4 CPU
devices, which it must do before JAX is imported. The same code runs on
several hosts: see ``docs/reliability.md`` (``jax.distributed.initialize``);
:func:`shard_batch` already builds the global batch from each process's
local part.
"""

import os
import sys

DEVICES = 4
if "jax" not in sys.modules:  # XLA reads the flag once, when JAX starts
    _flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in _flags:
        os.environ["XLA_FLAGS"] = (
            f"{_flags} --xla_force_host_platform_device_count={DEVICES}".strip()
        )


import brainstate  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P  # noqa: E402

from expdecay import Adam, ExponentialDecayLR, count_compilations  # noqa: E402

BATCH, FEATURES, STEPS = 256, 8, 60


class MLP(brainstate.nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = brainstate.nn.Linear(FEATURES, 64)
        self.l2 = brainstate.nn.Linear(64, 1)

    def __call__(self, x):
        return self.l2(jnp.tanh(self.l1(x)))


def data(seed: int = 0):
    """A regression batch: ``y = sin(sum(x))`` plus noise (the same on every process)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, FEATURES)).astype(np.float32)
    y = (np.sin(x.sum(axis=1, keepdims=True)) + 0.1 * rng.normal(size=(BATCH, 1))).astype(
        np.float32
    )
    return x, y


def make_mesh() -> Mesh:
    """A 1-D mesh over every device of every process, axis ``"data"``."""
    return Mesh(np.array(jax.devices()), ("data",))


def shard_batch(array: np.ndarray, mesh: Mesh) -> jax.Array:
    """The global batch, split along its first axis across the mesh.

    ``array`` is this process's part of the batch (on one host: all of it).
    """
    sharding = NamedSharding(mesh, P("data"))
    per_process = array.shape[0] // jax.process_count()
    local = array[jax.process_index() * per_process : (jax.process_index() + 1) * per_process]
    return jax.make_array_from_process_local_data(sharding, local)


def build():
    """Model, its parameter states, Adam and the scheduler: the single-device code, unchanged."""
    brainstate.random.seed(0)
    model = MLP()
    params = model.states(brainstate.ParamState)
    scheduler = ExponentialDecayLR(base_lr=0.02, decay_steps=10, decay_rate=0.7, end_value=1e-3)
    optimizer = Adam(lr=scheduler)
    optimizer.register_trainable_weights(params)
    return model, params, optimizer, scheduler


def jit_step(model, params, optimizer, scheduler):
    """The single-device training step; given a sharded batch, XLA runs it data-parallel."""

    def loss_fn(x, y):
        return jnp.mean((model(x) - y) ** 2)

    @brainstate.transform.jit
    def step(x, y):
        grads, loss = brainstate.transform.grad(loss_fn, grad_states=params, return_value=True)(
            x, y
        )
        optimizer.step(grads)
        scheduler.step()
        return loss

    return step


def shard_map_step(model, params, optimizer, scheduler, mesh):
    """The same step as per-device code: each device sees ``BATCH / devices`` rows."""

    def loss_fn(x, y):
        return (
            jnp.sum((model(x) - y) ** 2) / BATCH
        )  # local sum / global batch: the gradient psum makes it the mean

    def local_step(x, y):
        grads, loss = brainstate.transform.grad(loss_fn, grad_states=params, return_value=True)(
            x, y
        )
        optimizer.step(grads)  # grads of replicated parameters: already summed over "data"
        scheduler.step()
        return jax.lax.psum(loss, "data")

    sharded = brainstate.transform.shard_map(
        local_step, mesh, in_specs=(P("data"), P("data")), out_specs=P()
    )
    return brainstate.transform.jit(sharded)


def replicate_states(step, mesh: Mesh, *args) -> None:
    """Replicate every state ``step`` reads or writes on ``mesh``: parameters, moments, scheduler state.

    Without it the first call would see them on one device and every later
    call replicated (where the first call leaves them), and JAX would compile
    the step twice.
    """
    replicated = NamedSharding(mesh, P())
    for state in step.stateful_fun.get_states(*args):
        state.value = jax.device_put(state.value, replicated)


def train(variant: str, steps: int = STEPS):
    """Train with ``variant`` in ``("single", "jit", "shard_map")``.

    Returns ``(parameter values as numpy, scheduler, losses, number of XLA compilations)``.
    """
    mesh = None if variant == "single" else make_mesh()
    model, params, optimizer, scheduler = build()
    x, y = data()
    if mesh is None:
        x, y = jnp.asarray(x), jnp.asarray(y)
        step = jit_step(model, params, optimizer, scheduler)
    else:
        x, y = shard_batch(x, mesh), shard_batch(y, mesh)
        make = jit_step if variant == "jit" else lambda *a: shard_map_step(*a, mesh)
        step = make(model, params, optimizer, scheduler)
        replicate_states(step, mesh, x, y)
    with count_compilations() as compiled:
        losses = [float(step(x, y)) for _ in range(steps)]
    values = jax.tree.map(np.asarray, {k: s.value for k, s in params.items()})
    return values, scheduler, losses, len(compiled)


# brainstate.transform.shard_map arrived after brainstate 0.2.10 (the brainstate of Python 3.10)
VARIANTS = ("jit", "shard_map") if hasattr(brainstate.transform, "shard_map") else ("jit",)


def relative_difference(a, b) -> float:
    """Largest ``max|a - b| / max|b|`` over the parameter arrays."""
    return max(
        float(np.max(np.abs(x - y)) / np.max(np.abs(y)))
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b))
    )


def main() -> None:
    print(
        f"devices: {jax.device_count()} ({jax.devices()[0].platform}), processes: {jax.process_count()}"
    )
    reference, ref_scheduler, ref_losses, _ = train("single")
    print(
        f"single device: loss {ref_losses[0]:.4f} -> {ref_losses[-1]:.4f}, "
        f"lr now {float(ref_scheduler.get_last_lr()[0]):.6f}"
    )
    for variant in VARIANTS:
        values, scheduler, losses, compiled = train(variant)
        epoch = scheduler.last_epoch.value
        print(
            f"{variant}: loss {losses[0]:.4f} -> {losses[-1]:.4f}; parameters vs single device: "
            f"{relative_difference(values, reference):.1e} relative; {compiled} compilation(s) for "
            f"{len(losses)} steps; scheduler at step {int(epoch)}, replicated: {epoch.sharding.is_fully_replicated}"
        )


if __name__ == "__main__":
    main()
