"""Genotypes: the discrete architecture (core), its files (files, legacy), how α becomes one (parse), how a
deeper network is derived from one (derive), and how it is drawn (diagram)."""

from ddarts.genotype.core import (
    PARSE_METHODS,
    DartsGenotype,
    Edge,
    Genotype,
    as_genotype,
)
from ddarts.genotype.files import load_genotype, parse_legacy

__all__ = ["PARSE_METHODS", "DartsGenotype", "Edge", "Genotype", "as_genotype", "load_genotype", "parse_legacy"]
