"""Exact solvers: backprop on computational graphs and convolution-stack geometry."""

from __future__ import annotations

from grader.solver.cnn import (
    CnnSolution,
    CnnSpec,
    Layer,
    LayerResult,
    cnn_from_mapping,
    field_of_view_sum,
    load_cnn,
    params_sum,
    solve_cnn,
)
from grader.solver.graph import (
    Arrow,
    Graph,
    GraphSolution,
    Node,
    arrows_of,
    forward_values,
    graph_from_mapping,
    graph_to_mapping,
    load_graph,
    local_derivative,
    solve_graph,
)

__all__ = [
    "Arrow",
    "CnnSolution",
    "CnnSpec",
    "Graph",
    "GraphSolution",
    "Layer",
    "LayerResult",
    "Node",
    "arrows_of",
    "cnn_from_mapping",
    "field_of_view_sum",
    "forward_values",
    "graph_from_mapping",
    "graph_to_mapping",
    "load_cnn",
    "load_graph",
    "local_derivative",
    "params_sum",
    "solve_cnn",
    "solve_graph",
]
