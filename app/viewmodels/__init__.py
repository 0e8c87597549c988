"""Qt-free view models: what the windows show, computed from ddarts objects, testable without a display."""
