"""Widgets of the main window, one per module; each takes the shared `RunModel` in its constructor."""
