"""torch.hub entry points of a ddarts checkout:

    net = torch.hub.load("path/to/ddarts", "ddarts_network", source="local", folder="my-export")

returns the exported network in eval mode with its weights (`ddarts export ... -o my-export`); its input size,
mean/std and class names are attached as `net.ddarts_input` (see ddarts.export.loading.ExportedNetwork).
"""

from __future__ import annotations

from ddarts.export.loading import load_exported

dependencies = ["torch", "safetensors"]


def ddarts_network(folder: str, device: str = "cpu"):
    """The network of a `ddarts export` folder, in eval mode, with its input contract in `.ddarts_input`."""
    exported = load_exported(folder, device=device)
    net = exported.network
    net.ddarts_input = exported
    return net
