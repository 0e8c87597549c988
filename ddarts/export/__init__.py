"""Exporting a derived network: genotype JSON, safetensors weights, TorchScript, ONNX and a model card."""

from ddarts.export.formats import ExportError, ExportResult, export_network, load_weights
from ddarts.export.loading import ExportedNetwork, load_exported

__all__ = ["ExportError", "ExportResult", "ExportedNetwork", "export_network", "load_exported", "load_weights"]
