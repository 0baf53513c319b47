"""Optimizers: one shell (:mod:`.optimizer`), parameter groups (:mod:`.groups`), the pure update
(:mod:`.update`), the transforms optax lacks (:mod:`.transforms`) and the table of optimizers,
one module per family (:mod:`.table`, :mod:`.table_adaptive`, :mod:`.table_adam`,
:mod:`.table_trust`, :mod:`.table_lr_in_chain`)."""

from .optimizer import OptaxOptimizer
from .table import SGD, Adam, AdamW, Momentum, MomentumNesterov
from .table_adam import AdaBelief, Adamax, Lion, Nadam, Novograd, RAdam, Yogi
from .table_adaptive import SM3, Adadelta, Adafactor, Adagrad, RMSprop
from .table_lr_in_chain import LBFGS, Fromage, Lookahead, Rprop
from .table_trust import Lamb, Lars


__all__ = [
    "OptaxOptimizer",
    "SGD",
    "Momentum",
    "MomentumNesterov",
    "Adam",
    "AdamW",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adamax",
    "Nadam",
    "RAdam",
    "Lamb",
    "Lars",
    "Yogi",
    "Rprop",
    "Adafactor",
    "AdaBelief",
    "Lion",
    "SM3",
    "Novograd",
    "Fromage",
    "Lookahead",
    "LBFGS",
]

OPTIMIZERS = tuple(__all__[1:])  # the table, in braintools' order
