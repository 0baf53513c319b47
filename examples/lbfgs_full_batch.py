"""Full-batch L-BFGS with a zoom line search: fit a small brainstate model to all the data.

L-BFGS suits smooth, deterministic objectives: every update sees the whole data set. With a
line search, each ``update`` gets the loss at the current parameters (``value``) and the loss
as a function of the parameters (``value_fn``), which optax's zoom line search evaluates along
the L-BFGS direction until the step satisfies the strong Wolfe conditions. ``value_fn`` receives
the registered parameters as a dict with the keys ``model.states(brainstate.ParamState)`` has;
here it rebuilds the model from them (``brainstate.graph.treefy_split`` / ``treefy_merge``), so
the model's own ``__call__`` computes the loss. The same script works with
``braintools.optim.LBFGS`` in place of ``expdecay.LBFGS``.

    python examples/lbfgs_full_batch.py
"""

import brainstate
import jax.numpy as jnp

import expdecay

STEPS, EVERY = 20, 4


class MLP(brainstate.nn.Module):
    """1 -> 16 -> 1, tanh."""

    def __init__(self):
        super().__init__()
        self.l1 = brainstate.nn.Linear(1, 16)
        self.l2 = brainstate.nn.Linear(16, 1)

    def __call__(self, x):
        return self.l2(jnp.tanh(self.l1(x)))


def main() -> None:
    brainstate.random.seed(0)
    model = MLP()
    params = model.states(brainstate.ParamState)
    x = jnp.linspace(-3.0, 3.0, 64)[:, None]
    y = jnp.sin(x)  # the whole data set: 64 points of a sine

    graphdef, states = brainstate.graph.treefy_split(model)
    flat = states.to_flat()  # {('l1', 'weight'): TreefyState, ...}: the keys params has

    def value_fn(values):
        """The loss of the model with its parameters set to ``values`` (a pure function)."""
        rebuilt = {k: s.replace(value=values[k]) if k in values else s for k, s in flat.items()}
        copy = brainstate.graph.treefy_merge(graphdef, type(states).from_flat(rebuilt))
        return jnp.mean((copy(x) - y) ** 2)

    loss_and_grads = brainstate.transform.grad(
        lambda: jnp.mean((model(x) - y) ** 2), grad_states=params, return_value=True
    )
    optimizer = expdecay.LBFGS(lr=1.0, memory_size=10, linesearch="zoom")
    optimizer.register_trainable_weights(params)

    print(f"L-BFGS with a zoom line search, {STEPS} full-batch updates")
    for step in range(STEPS):
        grads, loss = loss_and_grads()
        optimizer.update(grads, value=loss, value_fn=value_fn)
        if step % EVERY == 0:
            print(f"update {step:2d}: loss = {float(loss):.6f}")
    print(f"after {STEPS} updates: loss = {float(loss_and_grads()[1]):.6f}")


if __name__ == "__main__":
    main()
