"""Sub-commands of the `ddarts` CLI, one module each, each with `register(subparsers)`."""
