"""Training a derived network from scratch: configuration and recipes (config), learning-rate schedule (schedule),
events (events), the loop (loop), its run folder (folder) and evaluation of a checkpoint (evaluate)."""

from ddarts.train.config import TrainConfig
from ddarts.train.events import (
    TrainCheckpoint,
    TrainEpoch,
    TrainEvent,
    TrainFinished,
    TrainStarted,
    TrainStep,
    TrainStopped,
)
from ddarts.train.run import train

__all__ = [
    "TrainCheckpoint", "TrainConfig", "TrainEpoch", "TrainEvent", "TrainFinished", "TrainStarted", "TrainStep",
    "TrainStopped", "train",
]
