"""Using an export: the network with its weights and what its inputs must look like, from the folder alone."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ddarts.data.catalogue import DATASET_INFO, DatasetInfo
from ddarts.errors import DdartsError
from ddarts.export.card import GENOTYPE_FILE, WEIGHTS_FILE
from ddarts.genotype.core import Genotype
from ddarts.nets.network import INPUT_RESOLUTION, DerivedNetwork


@dataclass(frozen=True)
class ExportedNetwork:
    """An exported network in eval mode and its input contract: N x 3 x image_size x image_size floats,
    (pixel / 255 - mean) / std per channel; `classes[i]` names logit i (empty when the export did not record
    them, e.g. an untrained architecture). mean/std are None when unknown."""

    network: DerivedNetwork
    image_size: int
    mean: tuple[float, float, float] | None
    std: tuple[float, float, float] | None
    classes: tuple[str, ...]
    input_kind: str
    genotype: Genotype
    metadata: dict[str, str]

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 N x 3 x H x W images (at image_size) as the network's input."""
        if self.mean is None or self.std is None:
            raise DdartsError("this export does not record its normalisation (mean/std)")
        mean = torch.tensor(self.mean, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).view(1, 3, 1, 1)
        return (images.float() / 255.0 - mean) / std


def _floats(text: str | None) -> tuple[float, float, float] | None:
    return tuple(float(v) for v in json.loads(text)) if text else None  # type: ignore[return-value]


def load_exported(folder: str | os.PathLike, device: str | torch.device = "cpu") -> ExportedNetwork:
    """The network of a `ddarts export` folder in eval mode with its weights, input size, mean/std, class names."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    root = Path(folder)
    weights = root / WEIGHTS_FILE
    if not weights.is_file():
        raise DdartsError(f"{root}: not a ddarts export folder (no {WEIGHTS_FILE})")
    try:
        with safe_open(str(weights), framework="pt") as handle:
            meta = dict(handle.metadata() or {})
        state = load_file(str(weights), device="cpu")
        genotype = Genotype.from_json(json.loads(meta["genotype"]) if "genotype" in meta
                                      else json.loads((root / GENOTYPE_FILE).read_text(encoding="utf-8")))
        input_kind = meta.get("input_kind", "cifar")
        side = int(meta.get("image_size", INPUT_RESOLUTION.get(input_kind, 32)))
        net = DerivedNetwork(genotype, init_channels=int(meta["init_channels"]), num_classes=int(meta["num_classes"]),
                             input_kind=input_kind, auxiliary=False, image_size=side)
        net.load_state_dict(state)
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise DdartsError(f"{root}: cannot load the export ({str(exc).splitlines()[0] if str(exc) else exc!r})") from None
    return ExportedNetwork(net.to(device).eval(), side, _floats(meta.get("mean")), _floats(meta.get("std")),
                           tuple(json.loads(meta.get("classes", "[]"))), input_kind, genotype, meta)


def checkpoint_dataset(data: object) -> DatasetInfo | None:
    """The training data's facts in a read `ddarts train` checkpoint (None for a plain state_dict)."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("dataset"), dict):
        return DatasetInfo.from_dict(data["dataset"])
    name = data.get("config", {}).get("dataset") if isinstance(data.get("config"), dict) else None
    return DATASET_INFO.get(name) if isinstance(name, str) else None  # runs from before dataset facts were stored


def checkpoint_network(data: object) -> dict[str, object]:
    """The shape a read `ddarts train` checkpoint's network was built with (init_channels, classes, input: the keys
    it records; none for a plain state_dict), so that exporting it needs no option repeated."""
    if not isinstance(data, dict):
        return {}
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    shape: dict[str, object] = {}
    if isinstance(config.get("init_channels"), int):
        shape["init_channels"] = config["init_channels"]
    if isinstance(data.get("num_classes"), int):
        shape["classes"] = data["num_classes"]
    if data.get("input_kind") in INPUT_RESOLUTION:
        shape["input"] = data["input_kind"]
    return shape
