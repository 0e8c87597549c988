"""The D-DARTS search: configuration, supernet, engine and the event-yielding search loop (no Qt)."""

from ddarts.search.config import ConfigError, SearchConfig
from ddarts.search.control import SearchControl
from ddarts.search.run import SearchRun, load_checkpoint, resolve_device, search

__all__ = [
    "ConfigError", "SearchConfig", "SearchControl", "SearchRun", "load_checkpoint",
    "resolve_device", "search",
]
