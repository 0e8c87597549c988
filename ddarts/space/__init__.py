"""The search space: the registry of candidate operations and the cell layout (edges, nodes, reductions)."""
