"""Argument checks shared by the schedules, schedulers and optimizers.

Every check names the parameter and the offending value in its message and
returns the normalised value, so constructors can validate everything before
they assign anything (a failed call leaves no half-built object behind).
"""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from typing import Any, Callable, List, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from .formatting import format_lr

__all__ = [
    "LearningRate",
    "is_tracer",
    "is_array",
    "check_bool",
    "check_choice",
    "check_int",
    "check_real",
    "check_lrs",
    "check_epoch",
    "check_steps",
    "check_milestones",
    "check_lr_value",
    "check_optional_positive",
    "check_betas",
    "max_step",
    "float_dtype",
    "int_dtype",
    "check_decay",
    "check_init_values",
    "check_values",
    "next_step",
]

_MAX_STEP = {False: int(np.iinfo(np.int32).max), True: int(np.iinfo(np.int64).max)}


def max_step() -> int:
    """Largest step count JAX's default integer holds (2**31 - 1 without x64)."""
    return _MAX_STEP[bool(jax.config.jax_enable_x64)]


def float_dtype() -> np.dtype:
    """JAX's default float: float32, or float64 when x64 is enabled (what every LR is computed in)."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def int_dtype() -> np.dtype:
    """JAX's default integer: int32, or int64 when x64 is enabled (step counters, cycle positions)."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.int64))


def _in_jax_float(op: Callable[[Any, Any], Any]) -> tuple:
    """``op`` on a :class:`LearningRate` and a number, in JAX's float: the method and its
    reflected one. Anything else (an array) is left to its own arithmetic."""

    def compute(a: Any, b: Any) -> "LearningRate":
        dtype = float_dtype().type
        with np.errstate(all="ignore"):  # inf and nan, as JAX gives them
            return LearningRate(op(dtype(a), dtype(b)))

    def forward(self: Any, other: Any) -> Any:
        return compute(self, other) if _is_number(other) else NotImplemented

    def reflected(self: Any, other: Any) -> Any:
        return compute(other, self) if _is_number(other) else NotImplemented

    return forward, reflected


def _is_number(value: Any) -> bool:
    """A Python or numpy real scalar (``bool`` included, as a number)."""
    return isinstance(value, (float, int, np.floating, np.integer))


class LearningRate(float):
    """An eager learning rate: exactly the value the updates apply, shown as the shortest decimal
    that is that value in JAX's float (``0.01``, not ``0.009999999776482582``), by ``print``,
    ``repr`` (so in a printed list too) and an f-string without a format spec. It is a ``float``:
    arithmetic, ``json`` and format specs (``f"{lr:.6f}"``) work as on the float.

    Compared with a number (a Python or numpy scalar), it compares as braintools' float32 arrays
    do: the number is rounded to JAX's float first, so ``lr == 0.05`` holds for the float32
    learning rate that prints ``0.05``. Its hash is the float's (as a numpy ``float32``'s is)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return format_lr(self, float_dtype())  # the front ends' one rule: 0.0001, 3e-05

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else float.__format__(self, spec)

    def _other(self, other: Any) -> Any:
        """A number (Python or numpy scalar) rounded to JAX's float, as JAX compares it with a
        float32 array when x64 is off; anything else (an array, a bool) as it is."""
        if _is_number(other) and not isinstance(other, bool):
            with np.errstate(over="ignore"):  # beyond float32: inf, as JAX would round it
                return float(float_dtype().type(other))
        return other

    def __eq__(self, other: Any) -> bool:
        return float.__eq__(self, self._other(other))

    def __ne__(self, other: Any) -> bool:
        return float.__ne__(self, self._other(other))

    def __lt__(self, other: Any) -> bool:
        return float.__lt__(self, self._other(other))

    def __le__(self, other: Any) -> bool:
        return float.__le__(self, self._other(other))

    def __gt__(self, other: Any) -> bool:
        return float.__gt__(self, self._other(other))

    def __ge__(self, other: Any) -> bool:
        return float.__ge__(self, self._other(other))

    __hash__ = float.__hash__

    # Arithmetic with a number gives a LearningRate computed in JAX's float, as braintools'
    # float32 arrays compute it (``lr * 2`` prints ``0.0002``, not the float64 product of the
    # float32 value); with an array, the array's own arithmetic.
    __add__, __radd__ = _in_jax_float(operator.add)
    __sub__, __rsub__ = _in_jax_float(operator.sub)
    __mul__, __rmul__ = _in_jax_float(operator.mul)
    __truediv__, __rtruediv__ = _in_jax_float(operator.truediv)
    __pow__, __rpow__ = _in_jax_float(operator.pow)

    def __neg__(self) -> "LearningRate":
        return LearningRate(-float(self))

    def __pos__(self) -> "LearningRate":
        return self

    def __abs__(self) -> "LearningRate":
        return LearningRate(abs(float(self)))

    def __reduce__(self) -> tuple:
        """Pickled as the plain float: a pickled checkpoint loads where expdecay is not installed."""
        return (float, (float(self),))

    def __copy__(self) -> "LearningRate":
        return self

    def __deepcopy__(self, memo: dict) -> "LearningRate":
        return self


def learning_rates(values: Any) -> List[LearningRate]:
    """Concrete learning rates (an array, one per group) as a list of :class:`LearningRate`."""
    return [LearningRate(v) for v in np.asarray(values).tolist()]


def next_step(name: str, count: Any) -> Any:
    """``count + 1``: the one step-counter increment of schedulers and optimizers.

    One overflow rule. Eagerly, a counter at :func:`max_step` raises
    ``OverflowError`` naming it, before anything changes. Compiled code cannot
    raise, so a traced counter saturates there instead of wrapping to a
    negative step, as ``optax.safe_increment`` does. That function is not used
    because it drops the weak type of a counter that started as a Python int,
    so the next ``jit`` call would see a new input type and compile again.
    """
    if type(count) is int and count < _MAX_STEP[False]:  # the eager case, below both limits
        return count + 1
    if is_tracer(count):
        return jnp.where(count < jnp.iinfo(count.dtype).max, count + 1, count)
    count = int(count)
    if count >= max_step():
        raise OverflowError(
            f"{name} cannot advance past {max_step()}, the largest step JAX's default integer holds"
        )
    return count + 1


def is_tracer(value: Any) -> bool:
    """True when ``value`` is an abstract JAX value (inside jit/vmap/scan)."""
    return isinstance(value, Tracer)


def is_array(x: Any) -> bool:
    """An array or a number (what a parameter value, a gradient or a saved state leaf may be)."""
    return isinstance(x, (jax.Array, np.ndarray, np.generic, numbers.Number)) or is_tracer(x)


def _scalar(value: Any) -> Any:
    """Unwrap 0-d numpy/JAX arrays into the matching Python scalar."""
    if isinstance(value, (np.ndarray, jax.Array)):
        arr = np.asarray(value)
        if arr.ndim == 0:
            return arr.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of the words ``choices`` (a mode, a strategy)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Accept exactly ``True`` or ``False`` (and numpy bools)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be a bool (True or False), got {value!r}")


def check_int(name: str, value: Any, *, minimum: int = 0, bounded: bool = True) -> int:
    """A step count: an integer ``>= minimum``; integral floats such as ``1e3`` are accepted.

    Raises ``TypeError`` for non-numbers and bools, ``ValueError`` for
    non-integral, non-finite or too small numbers, and ``OverflowError`` above
    :func:`max_step` (JAX would otherwise reject the value later, far from the
    call, or wrap it around silently) unless ``bounded`` is false: a length
    that is only ever a float divisor (optax's ``cosine_decay_schedule``).
    """
    raw = value
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, got {raw!r}")
    if isinstance(value, numbers.Integral):
        value = int(value)
    else:
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{name} must be an integer, got {raw!r}")
        value = int(value)
    if value < minimum:
        what = "positive" if minimum == 1 else f">= {minimum}" if minimum else "non-negative"
        raise ValueError(f"{name} must be a {what} integer, got {raw!r}")
    if bounded and value > max_step():
        raise OverflowError(
            f"{name} must be at most {max_step()} (the largest value of JAX's default integer), got {raw!r}"
        )
    return value


def check_real(
    name: str,
    value: Any,
    *,
    positive: bool = False,
    nonnegative: bool = False,
) -> float:
    """A real number, finite in JAX's default float, optionally ``> 0`` or ``>= 0``.

    "Finite" means finite once converted to the float the computation uses
    (``float32`` unless x64 is on), so ``1e39`` is rejected rather than
    silently becoming ``inf``. A positive value must also be at least the
    smallest normal float (``1.2e-38`` in float32): XLA flushes smaller
    (subnormal) values to zero on CPU, which would silently make it zero.
    """
    raw = value
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {raw!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {raw!r}")
    info = np.finfo(float_dtype())
    if abs(value) > float(info.max):
        raise ValueError(
            f"{name} must be finite in {info.dtype} (at most {info.max:g} in magnitude), got {raw!r}"
        )
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    if positive and value < float(info.tiny):
        raise ValueError(
            f"{name} must be positive in {info.dtype}: at least {info.tiny:g} (smaller values are flushed to "
            f"zero), got {raw!r}"
        )
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be non-negative, got {raw!r}")
    return value


def check_lrs(name: str, value: Any) -> List[float]:
    """One learning rate or a non-empty list of them (one per parameter group).

    Each must be a finite number ``>= 0``. Returns a list of Python numbers;
    ints stay ints so that printing ``base_lrs`` shows what the user wrote.
    """
    if isinstance(value, (list, tuple)):
        items = list(value)
        names = [f"{name}[{i}]" for i in range(len(items))]
    elif isinstance(value, (np.ndarray, jax.Array)):
        arr = np.asarray(value)
        if arr.ndim > 1:
            raise ValueError(
                f"{name} must be a number or a 1-D list of numbers, got an array of shape {arr.shape}"
            )
        items = [value] if arr.ndim == 0 else list(arr)
        names = [name] if arr.ndim == 0 else [f"{name}[{i}]" for i in range(len(items))]
    else:
        items, names = [value], [name]
    if not items:
        raise ValueError(f"{name} must not be an empty list, got {value!r}")
    out = []
    for item_name, item in zip(names, items):
        number = check_real(item_name, item, nonnegative=True)
        out.append(item if type(item) in (int, float) else _shortest(item, number))
    return out


def _shortest(item: Any, number: float) -> float:
    """``number``, written as the shortest decimal of ``item``'s float when that is narrower than
    float64 (``np.float32(0.1)`` gives ``0.1``, which is the same float32, not
    ``0.10000000149011612``), so a repr shows what the user wrote."""
    dtype = getattr(item, "dtype", None)
    if dtype is None or not np.issubdtype(dtype, np.floating) or np.dtype(dtype).itemsize >= 8:
        return number
    return float(str(np.asarray(item, dtype=dtype).reshape(())[()]))


def check_epoch(name: str, value: Any) -> Any:
    """A step count: a non-negative Python/numpy integer, or a traced integer.

    Traced values can only be checked for their dtype; their sign is the
    caller's responsibility (documented).
    """
    if type(value) is int and 0 <= value <= max_step():  # the common case, on every step(epoch)
        return value
    if is_tracer(value):
        if not np.issubdtype(value.dtype, np.integer) or value.ndim != 0:
            raise TypeError(
                f"{name} must be a scalar integer, got a traced {value.dtype} array of shape {value.shape}"
            )
        return value
    raw = value
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {raw!r}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {raw!r}")
    if value > max_step():
        raise OverflowError(
            f"{name} must be at most {max_step()} (the largest value of JAX's default integer), got {raw!r}"
        )
    return value


def check_values(name: str, value: Any, *, nonnegative: bool = True) -> Any:
    """Validate one value or a 1-D vector of them (one per parameter group); tracers pass through.

    A vector comes back as a float64 numpy array; a scalar comes back as given
    (after :func:`~expdecay.validation.check_real`), so host arithmetic on it
    is the arithmetic optax does on the same object.
    """
    if is_tracer(value):
        return value
    arr = np.asarray(value) if not isinstance(value, (list, tuple)) else None
    if isinstance(value, (list, tuple)) or (arr is not None and arr.ndim == 1):
        items = list(value)
        if not items:
            raise ValueError(f"{name} must not be an empty list, got {value!r}")
        for i, item in enumerate(items):
            check_real(f"{name}[{i}]", item, nonnegative=nonnegative)
        return np.asarray([float(v) for v in items])
    if arr is not None and arr.ndim > 1:
        raise ValueError(
            f"{name} must be a number or a 1-D vector, got an array of shape {arr.shape}"
        )
    check_real(name, value, nonnegative=nonnegative)
    return value


def check_init_values(name: str, value: Any) -> Any:
    """An optax schedule function's ``init_value``: one finite number of either sign (as optax
    takes it), or a 1-D vector of them (tracers pass).

    Returns a Python float, or a float64 numpy vector for a vector.
    """
    value = check_values(name, value, nonnegative=False)
    return (
        value
        if isinstance(value, np.ndarray) or is_tracer(value)
        else float(check_real(name, value))
    )


def check_decay(rate_name: str, rate: Any, end_value: Any, *, nonnegative: bool = True) -> tuple:
    """Validate a decay rate and ``end_value`` (``>= 0`` unless ``nonnegative`` is false);
    return ``(rate, end_value, bound)``.

    ``end_value`` is a lower bound when the rate is ``< 1`` and an upper bound
    otherwise (optax's rule); ``bound`` is ``"lower"``, ``"upper"`` or ``None``.
    """
    rate = check_real(rate_name, rate, positive=True)
    if end_value is None:
        return rate, None, None
    end_value = check_real("end_value", end_value, nonnegative=nonnegative)
    return rate, end_value, "lower" if rate < 1.0 else "upper"


def check_steps(name: str, steps: Any) -> Any:
    """An array of step counts for ``lr_at``: integers in ``[0, max_step()]`` (tracers pass).

    Returns a numpy array (or the tracer).
    """
    if is_tracer(steps):
        return steps
    arr = np.asarray(steps)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be integers, got {steps!r}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be non-negative, got {steps!r}")
    if arr.size and arr.max() > max_step():
        raise OverflowError(f"{name} must be at most {max_step()}, got {steps!r}")
    return arr


def check_lr_value(name: str, value: Any) -> Any:
    """A single learning rate: finite and ``>= 0`` (a tracer passes unchecked)."""
    return value if is_tracer(value) else check_real(name, value, nonnegative=True)


def check_optional_positive(name: str, value: Any) -> Any:
    """``None``, or a finite number ``> 0``."""
    return None if value is None else check_real(name, value, positive=True)


def check_betas(name: str, betas: Any) -> tuple:
    """A pair of decay rates, each in ``[0, 1)``."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise TypeError(f"{name} must be a pair (beta1, beta2), got {betas!r}")
    checked = tuple(check_real(f"{name}[{i}]", b, nonnegative=True) for i, b in enumerate(betas))
    for i, b in enumerate(checked):
        if b >= 1.0:
            raise ValueError(f"{name}[{i}] must be in [0, 1), got {betas[i]!r}")
    return checked


def check_milestones(name: str, milestones: Any, *, strict: bool = True) -> tuple:
    """Step counts that are non-negative integers in increasing order, as a tuple.

    A list, tuple or 1-D array; ``TypeError`` for anything else, ``ValueError``
    (naming the entry) for a negative, non-integral or out-of-order one.
    ``strict=False`` also accepts equal neighbours (non-decreasing order).
    """
    if isinstance(milestones, (np.ndarray, jax.Array)) and np.ndim(milestones) == 1:
        milestones = np.asarray(milestones).tolist()
    if not isinstance(milestones, (list, tuple)):
        raise TypeError(f"{name} must be a list of non-negative integers, got {milestones!r}")
    checked = tuple(check_int(f"{name}[{i}]", m) for i, m in enumerate(milestones))
    order = "strictly increasing" if strict else "non-decreasing"
    for i in range(1, len(checked)):
        if checked[i] < checked[i - 1] or (strict and checked[i] == checked[i - 1]):
            raise ValueError(
                f"{name} must be {order}, but {name}[{i}] = "
                f"{checked[i]} follows {checked[i - 1]}: got {milestones!r}"
            )
    return checked


def check_fraction(name: str, value: Any, *, include_one: bool = False) -> float:
    """A real number in ``[0, 1)`` (``[0, 1]`` with ``include_one``): a decay or averaging weight."""
    number = check_real(name, value, nonnegative=True)
    if number > 1.0 or (number == 1.0 and not include_one):
        raise ValueError(f"{name} must be in [0, 1{']' if include_one else ')'}, got {value!r}")
    return number


def check_pair(name: str, value: Any, check_item: Callable[[str, Any], Any]) -> tuple:
    """Exactly two items, each checked by ``check_item(f"{name}[i]", item)``."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"{name} must be a pair of two numbers, got {value!r}")
    return tuple(check_item(f"{name}[{i}]", item) for i, item in enumerate(value))


def check_optional(name: str, value: Any, check: Callable[[str, Any], Any]) -> Any:
    """``None``, or ``value`` checked by ``check``."""
    return None if value is None else check(name, value)


def check_positive(name: str, value: Any) -> float:
    """A finite real number ``> 0``."""
    return check_real(name, value, positive=True)


def check_nonnegative(name: str, value: Any) -> float:
    """A finite real number ``>= 0``."""
    return check_real(name, value, nonnegative=True)


def deprecated_pair(name: str, pair: Any, check: Callable[[str, Any], Any], **parts: Any) -> Any:
    """``pair`` with the deprecated single values ``parts`` put in, each warned about as braintools.

    ``deprecated_pair("betas", betas, check, beta1=b1, beta2=None)`` returns
    ``(b1, betas[1])`` and emits braintools' ``DeprecationWarning`` "The
    `beta1` parameter is deprecated, please use `betas=(beta1, beta2)`
    instead." (pointing at the caller's caller). Each given value is checked
    by ``check`` under its own name. Without a given part, ``pair`` is returned.
    """
    given = {key: value for key, value in parts.items() if value is not None}
    if not given:
        return pair
    items = list(check_pair(name, pair, lambda _, item: item))
    keys = list(parts)
    for key, value in given.items():
        items[keys.index(key)] = check(key, value)
    for key in given:
        warnings.warn(
            f"The `{key}` parameter is deprecated, please use `{name}=({', '.join(keys)})` instead.",
            DeprecationWarning,
            stacklevel=3,
        )
    return tuple(items)
