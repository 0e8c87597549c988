"""Networks built from the search space: the search supernet, derived (evaluation) networks and their cells,
and parameter and multiply-add counting."""
