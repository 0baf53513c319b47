"""braintools' ``OptaxOptimizer`` surface on every optimizer of the table, with braintools' behaviour."""

import json
import operator

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import expdecay
from conftest import assert_names, braintools_optim


def build(name, **kwargs):
    args = (optax.sgd(0.1),) if name == "Lookahead" else ()
    return getattr(expdecay, name)(*args, **kwargs)


MEMBERS = [
    "add_scheduler",
    "param_states",
    "param_groups",
    "lr",
    "base_lr",
    "current_lr",
    "step_count",
    "state_dict",
    "load_state_dict",
    "get_last_lr",
    "lr_apply",
    "register_trainable_weights",
    "add_param_group",
    "step",
    "update",
]


@pytest.mark.parametrize("name", expdecay.optim.OPTIMIZERS)
def test_every_optimizer_has_the_braintools_surface(name):
    w = brainstate.ParamState(jnp.ones(3))
    optimizer = build(name).register_trainable_weights({"w": w})
    for member in MEMBERS:
        assert hasattr(optimizer, member), member
    assert list(optimizer.param_states.to_dict().values()) == [w]
    assert optimizer.param_states.to_pytree() == {"w": w}
    assert isinstance(optimizer, expdecay.OptaxOptimizer)


# braintools' public members that expdecay does not have, each documented (docs/differences.md,
# "Not provided"): the optax transform and its factory, and brainstate.graph.Node's own members
NOT_PROVIDED = {"tx", "default_tx", "graph_invisible_attrs", "check_valid_context"}


@pytest.mark.parametrize("name", expdecay.optim.OPTIMIZERS)
def test_every_public_member_of_braintools_is_listed_and_its_hyperparameters_equal(name):
    bt = braintools_optim()
    args = (optax.sgd(0.1),) if name == "Lookahead" else ()  # one transform, given to both
    theirs, ours = getattr(bt, name)(*args), getattr(expdecay, name)(*args)
    public = {member for member in dir(theirs) if not member.startswith("_")}
    assert public - NOT_PROVIDED <= set(dir(ours)), public - NOT_PROVIDED - set(dir(ours))
    for member in public & set(ours.hyperparameters) - {"linesearch"}:  # see differences.md
        mine, braintools_value = getattr(ours, member), getattr(theirs, member)
        if member == "base_optimizer":  # the transform given, kept as it is
            assert mine is braintools_value is args[0]
        else:
            assert repr(mine) == repr(braintools_value), member


@pytest.mark.parametrize("lr", [0.001, 1, 0.1])
def test_state_dict_lr_is_the_lr_as_given_until_the_scheduler_steps(lr):
    bt = braintools_optim()
    ours = expdecay.Adam(lr=lr).register_trainable_weights(
        {"w": brainstate.ParamState(jnp.ones(2))}
    )
    theirs = bt.Adam(lr=lr).register_trainable_weights({"w": brainstate.ParamState(jnp.ones(2))})
    assert ours.state_dict()["lr"] == theirs.state_dict()["lr"] == lr
    assert type(ours.state_dict()["lr"]) is type(lr)
    scheduler = expdecay.ExponentialDecayLR(base_lr=lr, decay_steps=1, decay_rate=0.5)
    ours = expdecay.SGD(lr=scheduler).register_trainable_weights(
        {"w": brainstate.ParamState(jnp.ones(2))}
    )
    assert ours.state_dict()["lr"] == lr
    scheduler.step()
    assert np.isclose(float(ours.state_dict()["lr"]), lr / 2)


@pytest.mark.parametrize("name", expdecay.optim.OPTIMIZERS)
def test_a_negative_lr_is_an_invalid_learning_rate(name):
    with pytest.raises(ValueError, match="learning rate") as info:
        build(name, lr=-0.1)
    assert_names(str(info.value), "lr", -0.1)


def test_attach_optimizer_needs_an_optax_optimizer():
    scheduler = expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=1, decay_rate=0.5)
    with pytest.raises(TypeError, match="OptaxOptimizer"):
        scheduler.attach_optimizer(object())
    assert scheduler.optimizer is None


def test_add_scheduler_sets_get_last_lr_only():
    w = brainstate.ParamState(jnp.ones(2))
    optimizer = expdecay.SGD(lr=0.1).register_trainable_weights({"w": w})
    other = expdecay.ExponentialDecayLR(base_lr=0.5, decay_steps=1, decay_rate=0.5)
    optimizer.add_scheduler(other)
    assert optimizer.schedulers == [other]
    assert optimizer.get_last_lr() == other.get_last_lr()
    optimizer.step({"w": jnp.ones(2)})
    assert np.allclose(w.value, 0.9)  # lr drives the update, as in braintools
    with pytest.raises(TypeError, match="scheduler"):
        optimizer.add_scheduler(0.1)


def test_optimizer_learning_rates_print_and_compare_as_braintools_does():
    """They were numpy float32 values: ``get_last_lr()`` printed ``[np.float32(0.05)]``, and with
    numpy 2 ``f"{optimizer.current_lr}"`` printed ``0.05000000074505806``; braintools prints
    ``[0.05]`` and ``0.05``."""
    bt = braintools_optim()
    printed = []
    for lib in (bt, expdecay):
        optimizer = lib.SGD(lr=lib.StepLR(base_lr=0.1, step_size=1, gamma=0.5))
        optimizer.register_trainable_weights({"w": brainstate.ParamState(jnp.ones(2))})
        optimizer.lr.step()
        [lr] = optimizer.get_last_lr()
        group_lr = optimizer.param_groups[0]["lr"].value
        for value in (lr, optimizer.current_lr, group_lr):
            assert value == 0.05 and f"{value}" == "0.05" and str(value) == "0.05"
        printed.append(repr(optimizer.get_last_lr()))
    assert printed == ["[0.05]", "[0.05]"]
    assert repr(expdecay.Adam(lr=0.1).get_last_lr()) == "[0.1]"  # nothing registered: one entry


@pytest.mark.parametrize("base_lr", [1e-4, 5e-5, 3e-4, 0.0125, 1e-3 * 0.9**7, 2e16])
def test_learning_rates_print_by_pythons_float_rules_in_their_shortest_digits(base_lr):
    """``1e-4`` printed ``1e-04`` (numpy's rule: the float32 nearest 1e-4 is just below it, so
    numpy chose scientific notation), where braintools' Python floats and the CLI print
    ``0.0001``. The oracle is Python: the text is ``repr`` of the decimal it denotes, that
    decimal rounds to the same float32, and numpy's shortest digits are no fewer."""
    lr = expdecay.StepLR(base_lr=base_lr, step_size=1).get_last_lr()[0]
    text = repr(lr)
    assert text == repr(float(text)) == str(lr) == f"{lr}"
    assert np.float32(float(text)) == np.float32(base_lr)
    shortest = np.format_float_scientific(np.float32(base_lr), unique=True).split("e")[0]
    assert len(text.split("e")[0].strip("0.").replace(".", "")) <= len(shortest.strip("0."))


def test_arithmetic_on_a_learning_rate_is_braintools_float32_arithmetic(bt):
    """braintools' ``get_last_lr()`` holds float32 arrays (all but ``StepLR`` and ``ExponentialLR``,
    Python floats): ``lr * 2`` is float32 and prints
    ``0.0002``. Here it was the float64 product of the float32 value (``0.00019999999494757503``);
    now IEEE float32 arithmetic (numpy's, the oracle), a learning rate that prints as the result
    does, and braintools' value to within XLA's division (1 ulp)."""
    ours = expdecay.MultiStepLR(base_lr=1e-4, milestones=[2]).get_last_lr()[0]
    theirs = bt.MultiStepLR(base_lr=1e-4, milestones=[2]).get_last_lr()[0]  # a float32 array
    f32 = np.float32
    numbers = [2, 3, 1, 0.5, 0.1, np.float64(1.1), True]
    ops = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
    for op in ops:
        for number in numbers:
            pairs = [(op(ours, number), op(theirs, number), op(f32(ours), f32(number)))]
            if not isinstance(number, np.generic):  # a numpy scalar first does its own arithmetic
                pairs.append((op(number, ours), op(number, theirs), op(f32(number), f32(ours))))
            for mine, their, expected in pairs:
                assert type(mine) is type(ours)  # a LearningRate again
                assert f32(mine).tobytes() == expected.tobytes() == f32(float(str(mine))).tobytes()
                np.testing.assert_array_max_ulp(f32(mine), np.asarray(their, f32), maxulp=1)
    assert f32(-ours) == -f32(ours) and abs(-ours) == ours and type(abs(-ours)) is type(ours)
    assert str(ours * 2) == "0.0002" and json.loads(json.dumps(ours * 2)) == ours * 2
    assert isinstance(ours * jnp.asarray(2.0), jax.Array)  # an array keeps its own arithmetic


def test_a_groups_lr_is_a_number_as_braintools_float_is(bt):
    """braintools' ``add_param_group(..., lr=x)`` keeps ``param_groups[i]['lr']`` a float:
    scripts print it, format it and compute with it. It is a view here (``.value``, assignable):
    it prints, formats, compares and computes as the learning rate it applies."""
    seen = []
    for lib in (bt, expdecay):
        optimizer = lib.Adam(lr=0.001)
        optimizer.register_trainable_weights({"w": brainstate.ParamState(jnp.ones(3))})
        optimizer.add_param_group({"s": brainstate.ParamState(jnp.ones(2))}, lr=0.0001)
        lr = optimizer.param_groups[1]["lr"]
        row = [repr(lr), f"{lr:.6f}", f"{lr}", str(lr * 2), str(2 * lr), lr < 0.001, lr > 0.001]
        row += [lr == 0.0001, round(lr, 4), str(lr / 10), str(1 - lr)]
        seen.append(row)
        entry = repr(dict(lr=lr, weight_decay=0.0))
    assert seen[0] == seen[1]
    assert entry == "{'lr': 0.0001, 'weight_decay': 0.0}"
    assert float(lr) == float(np.asarray(lr)) == float(np.float32(0.0001))  # the value applied


@pytest.mark.parametrize("compiled", [False, True])
def test_a_braintools_scheduler_drives_an_expdecay_optimizer(compiled):
    bt = braintools_optim()
    runs = []
    for lib in (expdecay, bt):
        scheduler = bt.ExponentialDecayLR(base_lr=0.1, decay_steps=2, decay_rate=0.5)
        w = brainstate.ParamState(jnp.ones(3))
        optimizer = lib.Momentum(lr=scheduler, momentum=0.5).register_trainable_weights({"w": w})
        assert optimizer.lr is scheduler

        def train_step(grads, optimizer=optimizer, scheduler=scheduler):
            optimizer.step(grads)
            scheduler.step()

        step = brainstate.transform.jit(train_step) if compiled else train_step
        reported = []
        for _ in range(6):
            reported.append(float(optimizer.current_lr))
            step({"w": jnp.ones(3)})
        runs.append((reported, np.asarray(w.value)))
    (ours_lr, ours_w), (theirs_lr, theirs_w) = runs
    assert np.allclose(ours_lr, [0.1 * 0.5 ** (k / 2) for k in range(6)], rtol=1e-6)
    np.testing.assert_allclose(ours_w, theirs_w, rtol=1e-6)


def test_deepcopy_is_refused_clearly_and_a_state_dict_copies_instead():
    import copy

    w = brainstate.ParamState(jnp.zeros(2))
    scheduler = expdecay.SequentialLR(
        [
            expdecay.LinearLR(base_lr=0.1, start_factor=0.5, total_iters=2),
            expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=2, decay_rate=0.5),
        ],
        milestones=[2],
    )
    optimizer = expdecay.Adam(lr=scheduler).register_trainable_weights({"w": w})
    for obj in (optimizer, scheduler, scheduler.schedulers[0], expdecay.SGD(lr=0.1)):
        with pytest.raises(TypeError, match=r"copy\.deepcopy\(.*state_dict"):
            copy.deepcopy(obj)
    for _ in range(3):
        optimizer.step({"w": jnp.ones(2)})
        scheduler.step()
    # what the message advises: a new pair, loaded, continues exactly as the original does
    w2 = brainstate.ParamState(jnp.asarray(w.value))
    scheduler2 = expdecay.SequentialLR(
        [
            expdecay.LinearLR(base_lr=0.1, start_factor=0.5, total_iters=2),
            expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=2, decay_rate=0.5),
        ],
        milestones=[2],
    )
    optimizer2 = expdecay.Adam(lr=scheduler2).register_trainable_weights({"w": w2})
    optimizer2.load_state_dict(optimizer.state_dict())
    scheduler2.load_state_dict(scheduler.state_dict())
    for _ in range(3):
        for o, s in ((optimizer, scheduler), (optimizer2, scheduler2)):
            o.step({"w": jnp.asarray([1.0, -0.5])})
            s.step()
        np.testing.assert_array_equal(np.asarray(w2.value), np.asarray(w.value))


def test_pickle_is_refused_clearly_and_names_what_to_pickle_instead():
    """`pickle.dumps(optimizer)` failed with `cannot pickle 'weakref.ReferenceType' object`."""
    import pickle

    w = brainstate.ParamState(jnp.zeros(2))
    optimizer = expdecay.Adam(lr=0.1).register_trainable_weights({"w": w})
    with pytest.raises(TypeError) as error:
        pickle.dumps(optimizer)
    message = str(error.value)
    assert message.startswith("pickle.dumps(Adam) (or copy.copy) is not supported")
    assert "state_dict()" in message and "does not hold the model's parameters" in message
    pickle.dumps(optimizer.state_dict())  # what it advises does pickle


@pytest.mark.parametrize(
    "make",
    [
        lambda: expdecay.ExponentialDecayLR(base_lr=0.1),
        lambda: expdecay.ReduceLROnPlateau(base_lr=0.1),
        lambda: expdecay.SequentialLR(
            [expdecay.LinearLR(base_lr=0.1), expdecay.CosineAnnealingLR(base_lr=0.1)], [5]
        ),
    ],
)
def test_pickling_a_scheduler_is_refused_clearly_and_its_state_dict_pickles(make):
    """`pickle.dumps(scheduler)` failed with `cannot pickle 'weakref.ReferenceType' object`."""
    import pickle

    scheduler = make()
    with pytest.raises(TypeError) as error:
        pickle.dumps(scheduler)
    name = type(scheduler).__name__
    assert str(error.value).startswith(f"pickle.dumps({name}) (or copy.copy) is not supported")
    restored = make()
    restored.load_state_dict(pickle.loads(pickle.dumps(scheduler.state_dict())))
    assert restored.state_dict() == scheduler.state_dict()


def test_assigning_lr_says_it_is_fixed_and_what_to_do_instead():
    """`optimizer.lr = 0.5` said `property 'lr_scheduler' of 'Adam' object has no setter`."""
    w = brainstate.ParamState(jnp.zeros(2))
    scheduler = expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.5)
    optimizer = expdecay.Adam(lr=scheduler).register_trainable_weights({"w": w})
    for name in ("lr", "lr_scheduler"):
        with pytest.raises(AttributeError) as error:
            setattr(optimizer, name, 0.5)
        message = str(error.value)
        assert message.startswith(f"Adam.{name} cannot be assigned (got 0.5)")
        assert "param_groups[i]['lr']" in message and "current_lr" in message
        assert optimizer.lr is scheduler  # nothing changed
    optimizer.param_groups[0]["lr"] = 0.5  # what the message advises works, until the next step
    assert float(optimizer.current_lr) == 0.5


@pytest.mark.parametrize("lr", ["0.1", None, [object()]])
def test_a_wrong_lr_names_both_kinds_of_scheduler(lr):
    with pytest.raises(TypeError) as error:
        expdecay.Adam(lr=lr)
    assert str(error.value) == (
        f"lr must be a number >= 0, an expdecay scheduler or a braintools scheduler, got {lr!r}"
    )
