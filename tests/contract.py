"""The 2019 Exercise 1 graph and its arrow values, worked out by hand in docs/contracts.md.

One copy for every test that needs the original graph (tests must not derive these values from
the solver they check).
"""

from __future__ import annotations

GRAPH = {
    "inputs": {"x": 3, "y": -2, "z": -1, "w": "1/2"},
    "nodes": [
        {"id": "q", "op": "mul", "inputs": ["x", "y"]},
        {"id": "r", "op": "max", "inputs": ["y", "z"]},
        {"id": "s", "op": "add", "inputs": ["q", "r"]},
        {"id": "t", "op": "mul", "inputs": ["s", "w"]},
        {"id": "f", "op": "square", "inputs": ["t"]},
    ],
    "output": "f",
}
ARROWS = {"a1": "7", "a2": "-21/2", "a3": "0", "a4": "-7/2", "a5": "-7/2", "a6": "-7/2",
          "a7": "-7/2", "a8": "49", "a9": "-7"}
