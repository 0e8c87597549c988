"""Exporting a derived network: genotype JSON, safetensors weights, TorchScript, ONNX and a model card."""

from ddarts.export.formats import ExportError, ExportResult, export_network, load_weights

__all__ = ["ExportError", "ExportResult", "export_network", "load_weights"]
