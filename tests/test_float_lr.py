"""A float ``lr``: a ConstantLR whose learning rates are one state, applied exactly, overridable.

The expectations come from a hand formula (SGD without momentum moves a
parameter by exactly ``-lr`` for a unit gradient) and from braintools.
"""

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from expdecay import SGD, ConstantLR


def sgd(lr, n=3):
    w = brainstate.ParamState(jnp.zeros(n))
    return w, SGD(lr=lr).register_trainable_weights({"w": w})


def moved(w, step):
    """How far one update of a unit gradient moves ``w`` (reset to 0 first)."""
    w.value = jnp.zeros(w.value.shape)
    step({"w": jnp.ones(w.value.shape)})
    return -np.asarray(w.value)


def test_an_override_holds_until_the_scheduler_steps_and_reads_what_is_applied():
    w, optimizer = sgd(0.25)
    assert isinstance(optimizer.lr, ConstantLR)
    optimizer.current_lr = 0.125
    for _ in range(2):  # nothing steps the float lr's scheduler: the override stays
        assert float(optimizer.current_lr) == 0.125
        np.testing.assert_array_equal(moved(w, optimizer.step), 0.125)
    optimizer.lr.step()  # a step drops it, as every scheduler's step does
    assert float(optimizer.current_lr) == 0.25
    np.testing.assert_array_equal(moved(w, optimizer.step), 0.25)
    optimizer.lr.step(7)  # so does a jump
    np.testing.assert_array_equal(moved(w, optimizer.step), 0.25)


def test_overrides_and_steps_inside_jit_reach_the_update():
    w, optimizer = sgd(0.5)
    traces = []

    @brainstate.transform.jit
    def override_then_step(lr):
        traces.append(1)
        optimizer.current_lr = lr
        w.value = jnp.zeros(3)
        optimizer.step({"w": jnp.ones(3)})
        return optimizer.current_lr, -w.value

    @brainstate.transform.jit
    def step_scheduler_then_update():
        optimizer.lr.step()
        w.value = jnp.zeros(3)
        optimizer.step({"w": jnp.ones(3)})
        return -w.value

    for lr in (0.125, 0.0625, 0.03125):
        reported, applied = override_then_step(jnp.float32(lr))
        assert float(reported) == lr
        np.testing.assert_array_equal(np.asarray(applied), lr)
        assert float(optimizer.current_lr) == lr  # written back: eager reads see it
    assert len(traces) == 1
    np.testing.assert_array_equal(np.asarray(step_scheduler_then_update()), 0.5)
    assert float(optimizer.current_lr) == 0.5


def test_a_changed_base_lr_reaches_a_step_compiled_before_the_change():
    w, optimizer = sgd(0.5)
    v = brainstate.ParamState(jnp.zeros(3))
    optimizer.add_param_group({"v": v}, lr=0.25)
    grads = {"w": jnp.ones(3), "v": jnp.ones(3)}
    step = brainstate.transform.jit(lambda: optimizer.step(grads))
    step()
    np.testing.assert_array_equal(np.asarray(w.value), -0.5)
    np.testing.assert_array_equal(np.asarray(v.value), -0.25)
    optimizer.lr.base_lrs[1] = 0.125
    step()
    np.testing.assert_array_equal(np.asarray(v.value), -0.375)
    assert [float(x) for x in optimizer.get_last_lr()] == [0.5, 0.125]


def test_a_compiled_loop_traces_once_and_equals_the_eager_run():
    def run(compiled):
        w, optimizer = sgd(0.1)
        grads = {"w": jnp.asarray([1.0, -2.0, 0.5])}
        optimizer.current_lr = 0.05  # held for the whole run: nothing steps this scheduler
        traces = []

        def body(i):
            traces.append(1)
            optimizer.step(grads)

        if compiled:
            brainstate.transform.for_loop(body, jnp.arange(20))
        else:
            for i in range(20):
                body(i)
        return np.asarray(w.value), len(traces)

    eager, _ = run(False)
    looped, traces = run(True)
    np.testing.assert_array_equal(looped, eager)
    np.testing.assert_allclose(eager, -20 * 0.05 * np.asarray([1.0, -2.0, 0.5]), rtol=1e-6)
    assert traces == 1


def test_a_compiled_step_reads_one_learning_rate_array_and_no_step_count():
    w, optimizer = sgd(0.1)
    function = brainstate.transform.StatefulFunction(lambda: optimizer.step({"w": jnp.ones(3)}))
    function.make_jaxpr()
    read = {id(s) for s in function.get_states()}
    assert id(optimizer.lr.last_epoch) not in read
    ours = [s for s in function.get_states() if s is not w and s is not optimizer.step_count]
    ours = [s for s in ours if s is not optimizer.opt_state]
    assert len(jax.tree.leaves([s.value for s in ours])) == 1


@pytest.mark.parametrize("direction", ["to braintools", "from braintools"])
def test_an_override_moves_between_the_libraries_in_a_checkpoint(bt, direction):
    w, ours = sgd(0.25)
    theirs = bt.SGD(lr=0.25)
    theirs.register_trainable_weights({"w": brainstate.ParamState(jnp.zeros(3))})
    source, target = (ours, theirs) if direction == "to braintools" else (theirs, ours)
    source.current_lr = 0.125
    target.load_state_dict(source.state_dict())
    assert float(target.current_lr) == 0.125
    assert [float(x) for x in target.get_last_lr()] == [0.125]
    if target is ours:
        np.testing.assert_array_equal(moved(w, ours.step), 0.125)


@pytest.mark.parametrize("kind", ["Rprop", "Lookahead", "tx"])
def test_an_update_that_applies_no_lr_reads_no_scheduler_state(kind):
    """Rprop fixes its step size at construction, Lookahead's and a custom tx's lr are inside."""
    import optax

    import expdecay

    w = brainstate.ParamState(jnp.zeros(3))
    scheduler = expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=2, decay_rate=0.5)
    with pytest.warns(UserWarning):  # each says that the scheduler has no effect
        if kind == "tx":
            optimizer = expdecay.OptaxOptimizer(optax.sgd(0.1), lr=scheduler)
        elif kind == "Lookahead":
            optimizer = expdecay.Lookahead(optax.sgd(0.1), lr=scheduler)
        else:
            optimizer = expdecay.Rprop(lr=scheduler)
    optimizer.register_trainable_weights({"w": w})
    function = brainstate.transform.StatefulFunction(lambda: optimizer.step({"w": jnp.ones(3)}))
    function.make_jaxpr()
    read = {id(s) for s in function.get_states()}
    assert id(scheduler.last_epoch) not in read and id(scheduler.kind.overrides.state) not in read
    assert id(w) in read


def test_the_float_lrs_scheduler_composes_eagerly_and_compiled():
    """Its learning rates are one array without a step count; composites over it still work."""
    import expdecay

    def composites():
        held = SGD(lr=0.5).lr
        decay = expdecay.ExponentialDecayLR(base_lr=0.5, decay_steps=2, decay_rate=0.5)
        sequential = expdecay.SequentialLR([held, decay], milestones=[3])
        halved = expdecay.ConstantLR(base_lr=0.5, factor=0.5, total_iters=2)
        chained = expdecay.ChainedScheduler([halved, SGD(lr=0.5).lr])
        return sequential, chained

    # by hand: 0.5 for 3 steps, then 0.5 * 0.5 ** (k / 2); and 0.25 for 2 steps, then 0.5
    by_hand = (
        [0.5, 0.5, 0.5, 0.5, 0.5 * 0.5**0.5, 0.25],
        [0.25, 0.25, 0.5, 0.5, 0.5, 0.5],
    )
    for scheduler, expected in zip(composites(), by_hand):
        eager = []
        for _ in range(6):
            eager.append(float(scheduler.current_lrs.value[0]))
            scheduler.step()
        np.testing.assert_allclose(eager, expected, rtol=1e-6)
    for scheduler, expected in zip(composites(), by_hand):
        w = brainstate.ParamState(jnp.zeros(1))
        optimizer = SGD(lr=scheduler).register_trainable_weights({"w": w})

        @brainstate.transform.jit
        def step():
            lr = optimizer.current_lr
            w.value = jnp.zeros(1)
            optimizer.step({"w": jnp.ones(1)})
            scheduler.step()
            return lr, -w.value[0]

        out = [step() for _ in range(6)]
        np.testing.assert_allclose([float(lr) for lr, _ in out], expected, rtol=1e-6)
        assert all(float(lr) == float(moved) for lr, moved in out)  # applied = reported
