"""What every run needs whatever it computes: devices, torchrun processes, signals, background work and the
run-folder layout."""
