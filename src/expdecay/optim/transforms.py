"""The optax transformations of the table that optax lacks: braintools' own, and the weight decay.

braintools 0.3 builds every optimizer from optax transformations, except for
three pieces it writes by hand:

* :func:`scale_by_nadam`: NAdam with Dozat's *scheduled* momentum (PyTorch's
  ``torch.optim.NAdam``), used by ``Nadam``;
* :func:`lookahead`: Lookahead over a plain parameter pytree (optax's own
  ``optax.lookahead`` needs ``optax.LookaheadParams``), used by ``Lookahead``;
* :func:`scale_by_inverse_time_decay`: PyTorch Adagrad's ``lr_decay`` factor
  ``1 / (1 + count * lr_decay)``, used by ``Adagrad``.

Each takes and returns arrays only (no ``State`` is read or written, nothing is
captured from outside but its hyperparameters), so it runs the same eagerly,
under ``jax.jit``, ``vmap`` and ``scan``. Each state has the fields, field
order, shapes and dtypes of braintools' state, so an optimizer state moves
between the two libraries. The state classes are ours, not braintools', so a
loader that compares tree structures must compare ``NamedTuple`` nodes by
their field names, not by their class (``jax.tree.structure`` of two
namedtuple classes with the same fields are not equal).

None of them applies a learning rate: chain ``optax.scale_by_schedule`` (or
``optax.scale(-lr)``) after :func:`scale_by_nadam`. :func:`lookahead` wraps a
fast optimizer that carries its own learning rate.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = [
    "decayed_weights",
    "ScaleByNadamState",
    "scale_by_nadam",
    "LookaheadState",
    "lookahead",
    "scale_by_inverse_time_decay",
]


class ScaleByNadamState(NamedTuple):
    """State of :func:`scale_by_nadam` (braintools' ``_ScaleByNadamState`` layout)."""

    count: jax.Array  # int32 scalar: the number of updates done
    mu_product: jax.Array  # scalar: prod_{s <= count} mu_s
    mu: Any  # first moment, like the parameters
    nu: Any  # second moment, like the parameters


def _default_float_scalar(value: float) -> jax.Array:
    """A scalar in JAX's default float (float32, or float64 under x64)."""
    return jnp.asarray(value, dtype=jax.dtypes.canonicalize_dtype(jnp.float64))


def scale_by_nadam(
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    momentum_decay: float = 4e-3,
) -> optax.GradientTransformation:
    r"""NAdam with scheduled momentum (Dozat 2016; PyTorch's ``NAdam``), without the learning rate.

    With ``t`` the 1-based step, ``g`` the incoming update (gradient) and
    ``psi = momentum_decay``:

    .. math::

        \mu_t &= b_1 (1 - \tfrac12 \cdot 0.96^{t \psi}), \qquad
        \mu_{t+1} = b_1 (1 - \tfrac12 \cdot 0.96^{(t+1) \psi}), \qquad
        P_t = \prod_{s \le t} \mu_s \\
        m_t &= b_1 m_{t-1} + (1 - b_1) g, \qquad
        v_t = b_2 v_{t-1} + (1 - b_2) g^2 \\
        d_t &= \sqrt{v_t / (1 - b_2^t)} + \epsilon \\
        u_t &= \frac{1 - \mu_t}{1 - P_t} \frac{g}{d_t}
              + \frac{\mu_{t+1}}{1 - P_t \mu_{t+1}} \frac{m_t}{d_t}

    The output ``u_t`` is the (positive) NAdam direction; chain a scaling by
    ``-lr`` after it. Unlike ``optax.scale_by_adam(nesterov=True)`` (a fixed
    ``b1``), ``momentum_decay`` changes the update. Note that ``m_t`` is not
    bias-corrected by ``1 - b1^t`` but by the momentum schedule, as in PyTorch.

    State: :class:`ScaleByNadamState` ``(count, mu_product, mu, nu)``; the
    count is int32 and saturates at its maximum (as optax's counts do), the
    momentum product is a scalar in JAX's default float.

    >>> import jax.numpy as jnp
    >>> tx = scale_by_nadam()
    >>> state = tx.init(jnp.zeros(2))
    >>> # step 1: (1 + 0.1 mu_2 / (1 - mu_1 mu_2)) sign(g)
    >>> u, state = tx.update(jnp.array([1.0, -2.0]), state)
    >>> [round(x, 4) for x in u.tolist()], int(state.count)
    ([1.0564, -1.0564], 1)
    """

    def init_fn(params):
        return ScaleByNadamState(
            count=jnp.zeros([], jnp.int32),
            mu_product=_default_float_scalar(1.0),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        t = count.astype(state.mu_product.dtype)
        mu_t = b1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1.0) * momentum_decay)))
        mu = jax.tree.map(lambda m, g: b1 * m + (1.0 - b1) * g, state.mu, updates)
        nu = jax.tree.map(lambda v, g: b2 * v + (1.0 - b2) * (g**2), state.nu, updates)
        mu_product = state.mu_product * mu_t
        bias_correction2 = 1.0 - b2**t

        def direction(g, m, v):
            denom = jnp.sqrt(v / bias_correction2) + eps
            return (1.0 - mu_t) / (1.0 - mu_product) * g / denom + mu_next / (
                1.0 - mu_product * mu_next
            ) * m / denom

        new_updates = jax.tree.map(direction, updates, mu, nu)
        return new_updates, ScaleByNadamState(count=count, mu_product=mu_product, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


class LookaheadState(NamedTuple):
    """State of :func:`lookahead` (braintools' ``_LookaheadState`` layout)."""

    count: jax.Array  # int32 scalar: the number of fast steps done
    slow: Any  # the slow weights, like the parameters
    fast_state: Any  # the fast optimizer's state


def lookahead(
    fast: optax.GradientTransformation,
    sync_period: int,
    slow_step_size: float,
) -> optax.GradientTransformation:
    r"""Lookahead (Zhang et al. 2019) over plain parameter pytrees.

    ``fast`` is the inner optimizer, with its own learning rate; its output is
    applied every step. With ``p`` the parameters, ``s`` the slow weights
    (initially the parameters), ``alpha = slow_step_size``, ``k = sync_period``
    and ``t`` the 1-based step:

    .. math::

        f_t &= p_{t-1} + \mathrm{fast}(g_t) \\
        p_t &= \begin{cases} s_{t-1} + \alpha (f_t - s_{t-1}) & t \bmod k = 0 \\
               f_t & \text{otherwise} \end{cases}
        \qquad s_t = \begin{cases} p_t & t \bmod k = 0 \\ s_{t-1} & \text{otherwise} \end{cases}

    and the update returned is ``p_t - p_{t-1}``. ``params`` must be passed to
    ``update``. The learning rate lives in ``fast``: the update is not a
    learning rate times a direction, so no final ``scale(-lr)`` can express it.

    State: :class:`LookaheadState` ``(count, slow, fast_state)``; the count is
    int32 and saturates at its maximum.

    >>> import jax.numpy as jnp, optax
    >>> tx = lookahead(optax.sgd(0.5), sync_period=2, slow_step_size=0.5)
    >>> p = jnp.ones(1)
    >>> state = tx.init(p)
    >>> for _ in range(2):
    ...     u, state = tx.update(jnp.ones(1), state, p)
    ...     p = p + u
    ...     print(p.tolist())
    [0.5]
    [0.5]
    """
    if isinstance(sync_period, bool) or not isinstance(sync_period, int) or sync_period < 1:
        raise ValueError(f"sync_period must be an integer >= 1, got {sync_period!r}")

    def init_fn(params):
        return LookaheadState(
            count=jnp.zeros([], jnp.int32), slow=params, fast_state=fast.init(params)
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("lookahead needs the parameters: call update(updates, state, params)")
        fast_updates, fast_state = fast.update(updates, state.fast_state, params)
        fast_params = optax.apply_updates(params, fast_updates)
        count = optax.safe_increment(state.count)
        sync = (count % sync_period) == 0
        synced = jax.tree.map(lambda s, f: s + slow_step_size * (f - s), state.slow, fast_params)
        new_params = jax.tree.map(lambda s, f: jnp.where(sync, s, f), synced, fast_params)
        slow = jax.tree.map(lambda old, s: jnp.where(sync, s, old), state.slow, synced)
        out = jax.tree.map(lambda new, p: new - p, new_params, params)
        return out, LookaheadState(count=count, slow=slow, fast_state=fast_state)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_inverse_time_decay(decay: float) -> optax.GradientTransformation:
    r"""Scale by ``1 / (1 + count * decay)``, ``count`` the earlier updates (Adagrad ``lr_decay``).

    The ``t``-th update (``t = 1, 2, ...``) is multiplied by
    ``1 / (1 + (t - 1) * decay)``: the first is not scaled. It is
    ``optax.scale_by_schedule`` of that schedule, so its state is
    ``optax.ScaleByScheduleState(count)``, as in braintools' ``Adagrad``.

    >>> import jax.numpy as jnp
    >>> tx = scale_by_inverse_time_decay(0.5)
    >>> state = tx.init(jnp.zeros(1))
    >>> for _ in range(3):
    ...     u, state = tx.update(jnp.ones(1), state)
    ...     print(u.tolist())
    [1.0]
    [0.6666666865348816]
    [0.5]
    """
    return optax.scale_by_schedule(lambda count: 1.0 / (1.0 + count * decay))


def decayed_weights(weight_decay: float) -> list:
    """``[+ weight_decay * params]`` (``optax.add_decayed_weights``), or ``[]`` when it is 0.

    Where it sits is what it means: before the moments it is coupled L2
    regularisation (PyTorch's ``weight_decay``: SGD, Adam, RMSprop, ...); after
    them it is decoupled weight decay (AdamW, Lamb, Lion, Adafactor).
    """
    return [optax.add_decayed_weights(weight_decay)] if weight_decay > 0 else []
