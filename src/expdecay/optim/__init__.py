"""Optimizers: one shell (:mod:`.shell`), parameter groups (:mod:`.groups`), the pure update
(:mod:`.update`) and the table of optimizers (:mod:`.table`)."""

from .shell import OptaxOptimizer
from .table import SGD, Adam, AdamW

__all__ = ["OptaxOptimizer", "SGD", "Adam", "AdamW"]
