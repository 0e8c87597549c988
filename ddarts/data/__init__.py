"""Datasets: the catalogue (names, classes, mean/std), loaders (`load.load_dataset`), where images come from
(sources), augmentation and the deterministic, resumable batch streams."""
