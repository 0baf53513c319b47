"""The optimizer family, one configuration per row, buildable from braintools.optim or from expdecay.

Each row names the class, its arguments (non-default ones, valid in both
libraries) and the scheduler's base learning rate (``None``: a float ``lr``,
for the optimizers whose braintools version applies only the first
``base_lr``). ``build(lib, name)`` returns ``(optimizer, scheduler or None)``
ready for :func:`optim_support.train_stateful`.
"""

from __future__ import annotations

from typing import Any, Dict, NamedTuple, Optional

import optax

FAST = optax.adam(0.01)  # Lookahead's base optimizer: one object, shared by both libraries' runs


class Row(NamedTuple):
    cls: str
    kwargs: Dict[str, Any]
    base_lr: Optional[
        float
    ]  # ExponentialDecayLR(base_lr, decay_steps=50, decay_rate=0.8); None: kwargs has lr
    # Steps compared with braintools. Fewer where this MLP's dynamics amplify float32 rounding past 1e-5 within
    # 300 steps: braintools eager and braintools under jit then differ as much as we differ from either
    # (Adafactor: 2e-2 apart at 300 steps with lr 3e-3; L-BFGS: 8e-3 apart by step 50, its curvature pairs
    # difference nearly equal gradients; Fromage: 5e-3 by step 150; centered RMSprop 2e-5 at 300). Within these
    # steps all three agree to 1e-5, except RAdam: from step 6 on, braintools eager and braintools compiled
    # differ by 1.5e-5 (4e-4 with its default betas), since rho_t = rho_inf - 2 t b2^t / (1 - b2^t) cancels
    # catastrophically in float32 (1999 - 1993); we equal the compiled run to 5e-7.
    # (These figures were measured on the MLP with biases; on today's bias-free MLP, with the same
    # step counts, the worst row is 3.1e-6 from braintools (L-BFGS's group test), 2e-6 (Fromage)
    # for the trajectories, with jax 0.10.2; the lowest declared versions pass too.)
    steps: int = 300
    # Steps of the parameter-group test (a second group with half the learning rate): Adafactor there drifts past
    # 1e-5 from step 20 on, as above (bitwise equal to braintools for the first 10 steps).
    group_steps: int = 60


FAMILY = {
    "momentum": Row("Momentum", dict(momentum=0.8, weight_decay=1e-3), 0.05),
    "momentum+clipping": Row("Momentum", dict(grad_clip_norm=0.5, grad_clip_value=0.2), 0.05),
    "nesterov": Row("MomentumNesterov", dict(momentum=0.9, weight_decay=1e-3), 0.05),
    "adagrad": Row(
        "Adagrad",
        dict(lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-8, weight_decay=1e-3),
        0.05,
    ),
    "adadelta": Row("Adadelta", dict(rho=0.95, eps=1e-5, weight_decay=1e-3), 1.0),
    "rmsprop": Row("RMSprop", dict(alpha=0.99, eps=1e-6), 0.003),
    "rmsprop-centered-momentum": Row(
        "RMSprop", dict(centered=True, momentum=0.5, weight_decay=1e-3), 0.005, steps=250
    ),
    "adamax": Row("Adamax", dict(betas=(0.85, 0.995), weight_decay=1e-3), 0.01),
    "nadam": Row("Nadam", dict(momentum_decay=0.01, weight_decay=1e-3), 0.01),
    "radam": Row("RAdam", dict(betas=(0.9, 0.99)), 0.01),
    "lamb": Row("Lamb", dict(weight_decay=1e-2), 0.01),
    "lars": Row("Lars", dict(momentum=0.8, weight_decay=1e-3, trust_coefficient=0.01), 0.1),
    "yogi": Row("Yogi", dict(eps=1e-3, weight_decay=1e-3), 0.01),
    "rprop": Row("Rprop", dict(lr=0.001, etas=(0.4, 1.1), step_sizes=(1e-5, 1.0)), None),
    "adafactor": Row(
        "Adafactor", dict(decay_rate=0.8, weight_decay=1e-3), 0.01, steps=100, group_steps=20
    ),
    "adabelief": Row("AdaBelief", dict(eps=1e-12, weight_decay=1e-3), 0.01),
    "lion": Row("Lion", dict(betas=(0.9, 0.98), weight_decay=1e-2), 0.001),
    "sm3": Row("SM3", dict(momentum=0.8, weight_decay=1e-3), 0.1),
    "novograd": Row("Novograd", dict(betas=(0.9, 0.98), weight_decay=1e-3), 0.01),
    "fromage": Row("Fromage", dict(lr=0.01), None, steps=100),
    "lookahead": Row(
        "Lookahead", dict(base_optimizer=FAST, sync_period=4, alpha=0.6, weight_decay=1e-3), None
    ),
    "lbfgs": Row("LBFGS", dict(memory_size=5), 0.1, steps=20, group_steps=20),
    "adam-deprecated-betas": Row("Adam", dict(beta1=0.85, beta2=0.995), 0.01),
}


def scheduler(lib, base_lr: float):
    return lib.ExponentialDecayLR(base_lr=base_lr, decay_steps=50, decay_rate=0.8)


# The optimizers whose braintools version applies a learning rate fixed at construction (Rprop, Fromage) or none
# (Lookahead: its base optimizer has one): their rows use a float lr, and a group cannot take its own lr.
LR_INSIDE = {"Rprop", "Fromage", "Lookahead"}
# The optimizers without a weight_decay argument (as in braintools).
NO_WEIGHT_DECAY = {"Rprop", "Fromage", "LBFGS"}


def build(lib, name: str, base_lr: Optional[float] = None, **override):
    """``(optimizer, scheduler or None)`` of row ``name`` from ``lib`` (``braintools.optim`` or ``expdecay``).

    ``base_lr`` replaces the row's scheduler base learning rate; ``override`` its arguments.
    """
    row = FAMILY[name]
    kwargs = dict(row.kwargs, **override)
    sched = None
    if row.base_lr is not None and "lr" not in kwargs:
        sched = scheduler(lib, row.base_lr if base_lr is None else base_lr)
        kwargs["lr"] = sched
    return getattr(lib, row.cls)(**kwargs), sched


NAN = float("nan")
SGD01 = optax.sgd(0.1)

# Bad arguments of the family, one row each: (class name, arguments, exception, parameter the message names).
# The message must also show the value (the last argument of the row).
BAD = [
    ("Momentum", dict(momentum=-0.1), ValueError, "momentum"),
    ("Momentum", dict(momentum=NAN), ValueError, "momentum"),
    ("Momentum", dict(momentum="0.9"), TypeError, "momentum"),
    ("MomentumNesterov", dict(momentum=0.0), ValueError, "momentum"),
    ("MomentumNesterov", dict(momentum=None), TypeError, "momentum"),
    ("Adagrad", dict(lr_decay=-0.1), ValueError, "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-0.1), ValueError, "initial_accumulator_value"),
    ("Adagrad", dict(eps=0.0), ValueError, "eps"),
    ("Adadelta", dict(rho=1.5), ValueError, "rho"),
    ("Adadelta", dict(rho=-0.1), ValueError, "rho"),
    ("Adadelta", dict(eps=-1e-6), ValueError, "eps"),
    ("RMSprop", dict(alpha=1.1), ValueError, "alpha"),
    ("RMSprop", dict(eps=0.0), ValueError, "eps"),
    ("RMSprop", dict(momentum=-0.5), ValueError, "momentum"),
    ("RMSprop", dict(centered="yes"), TypeError, "centered"),
    ("RMSprop", dict(centered=1), TypeError, "centered"),
    ("Adamax", dict(betas=(1.0, 0.9)), ValueError, "betas[0]"),
    ("Adamax", dict(eps=0.0), ValueError, "eps"),
    ("Nadam", dict(momentum_decay=-1.0), ValueError, "momentum_decay"),
    ("Nadam", dict(betas=(0.9,)), TypeError, "betas"),
    ("RAdam", dict(betas=(0.9, 1.0)), ValueError, "betas[1]"),
    ("RAdam", dict(eps=1e-50), ValueError, "eps"),  # zero in float32
    ("Lamb", dict(eps=0.0), ValueError, "eps"),
    ("Lamb", dict(betas="ab"), TypeError, "betas"),
    ("Lars", dict(trust_coefficient=0.0), ValueError, "trust_coefficient"),
    ("Lars", dict(eps=-1e-8), ValueError, "eps"),
    ("Lars", dict(momentum=-0.9), ValueError, "momentum"),
    ("Yogi", dict(betas=0.9), TypeError, "betas"),
    ("Yogi", dict(eps=NAN), ValueError, "eps"),
    ("Rprop", dict(etas=(1.5, 1.2)), ValueError, "etas"),
    ("Rprop", dict(etas=(0.5, 0.9)), ValueError, "etas"),
    ("Rprop", dict(etas=(0.0, 1.2)), ValueError, "etas[0]"),
    ("Rprop", dict(etas=0.5), TypeError, "etas"),
    ("Rprop", dict(step_sizes=(1.0, 0.1)), ValueError, "step_sizes"),
    ("Rprop", dict(step_sizes=(-1.0, 1.0)), ValueError, "step_sizes[0]"),
    ("Rprop", dict(step_sizes=(0.0, 0.0)), ValueError, "step_sizes"),
    ("Rprop", dict(lr="0.1"), TypeError, "lr"),
    ("Rprop", dict(lr=-0.1), ValueError, "lr"),
    ("Adafactor", dict(eps=(0.0, 1e-3)), ValueError, "eps[0]"),
    ("Adafactor", dict(eps=1e-30), TypeError, "eps"),
    ("Adafactor", dict(clip_threshold=0.0), ValueError, "clip_threshold"),
    ("Adafactor", dict(decay_rate=-0.8), ValueError, "decay_rate"),
    ("Adafactor", dict(beta1=1.0), ValueError, "beta1"),
    ("Adafactor", dict(factored=1), TypeError, "factored"),
    ("AdaBelief", dict(eps=0.0), ValueError, "eps"),
    ("AdaBelief", dict(betas=(0.9, 2.0)), ValueError, "betas[1]"),
    ("Lion", dict(betas=(0.9, -0.1)), ValueError, "betas[1]"),
    ("Lion", dict(betas=(None, 0.99)), TypeError, "betas[0]"),
    ("SM3", dict(momentum=1.5), ValueError, "momentum"),
    ("SM3", dict(eps=0.0), ValueError, "eps"),
    ("Novograd", dict(betas=(NAN, 0.9)), ValueError, "betas[0]"),
    ("Novograd", dict(eps=-1.0), ValueError, "eps"),
    ("Fromage", dict(momentum="x"), TypeError, "momentum"),
    ("Fromage", dict(lr=-1.0), ValueError, "lr"),
    ("Lookahead", dict(base_optimizer="adam"), TypeError, "base_optimizer"),
    (
        "Lookahead",
        dict(base_optimizer=optax.adam),
        TypeError,
        "base_optimizer",
    ),  # the factory, not a transform
    ("Lookahead", dict(base_optimizer=SGD01, sync_period=0), ValueError, "sync_period"),
    ("Lookahead", dict(base_optimizer=SGD01, sync_period=2.5), ValueError, "sync_period"),
    ("Lookahead", dict(base_optimizer=SGD01, sync_period="5"), TypeError, "sync_period"),
    ("Lookahead", dict(base_optimizer=SGD01, alpha=1.5), ValueError, "alpha"),
    ("LBFGS", dict(memory_size=0), ValueError, "memory_size"),
    ("LBFGS", dict(memory_size=2.5), ValueError, "memory_size"),
    ("LBFGS", dict(scale_init_precond="yes"), TypeError, "scale_init_precond"),
    ("LBFGS", dict(linesearch="fast"), ValueError, "linesearch"),
    ("LBFGS", dict(linesearch=12345), ValueError, "linesearch"),
    ("LBFGS", dict(linesearch=optax.identity()), ValueError, "linesearch"),
    ("Adam", dict(beta1=1.0), ValueError, "beta1"),
    ("Adam", dict(beta2="x"), TypeError, "beta2"),
    ("Adam", dict(beta1=0.8, betas=(0.9,)), TypeError, "betas"),
    ("SGD", dict(momentum=0.0, nesterov=True), ValueError, "nesterov"),
]


def layout(tree):
    """A state's layout: NamedTuples as ``{field: layout}`` (their class is not compared: braintools' NAdam and
    Lookahead states are its own classes), tuples and lists as lists, dicts as dicts, arrays as (shape, dtype)."""
    import jax.numpy as jnp
    import numpy as np

    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return {"fields": {f: layout(getattr(tree, f)) for f in tree._fields}}
    if isinstance(tree, (tuple, list)):
        return [layout(x) for x in tree]
    if isinstance(tree, dict):
        return {k: layout(v) for k, v in tree.items()}
    return (tuple(np.shape(tree)), str(jnp.result_type(tree)))
