"""The D-DARTS search: configuration, supernet, engine and the event-yielding search loop (no Qt)."""

from ddarts.search.config import ConfigError, SearchConfig
from ddarts.search.control import SearchControl
from ddarts.search.run import CHECKPOINT_NAME, SearchRun, load_checkpoint, recorded_search, resolve_device, search

__all__ = [
    "CHECKPOINT_NAME", "ConfigError", "SearchConfig", "SearchControl", "SearchRun", "load_checkpoint",
    "recorded_search", "resolve_device", "search",
]
