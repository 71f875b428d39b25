"""The bench's FLOP count, checked against the matrix products of one encoder layer written out."""

from __future__ import annotations

import pytest

from evals.bench_ceiling import layer_flops

CONFIG = {"hidden_size": 8, "intermediate_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2}


def _products(rows: int, length: int) -> float:
    """Every matmul of the layers as (m, k, n) shapes, 2·m·k·n FLOPs each."""
    h, ff, heads = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["num_attention_heads"]
    tokens, d = rows * length, h // heads
    shapes = [(tokens, h, h)] * 4  # query, key, value, output projections
    shapes += [(tokens, h, ff), (tokens, ff, h)]  # feed-forward
    shapes += [(length, d, length)] * (rows * heads)  # scores per sequence and head
    shapes += [(length, length, d)] * (rows * heads)  # the scores mixing the values
    return CONFIG["num_hidden_layers"] * sum(2.0 * m * k * n for m, k, n in shapes)


@pytest.mark.parametrize(("rows", "length"), [(1, 1), (1, 25), (4, 17), (16, 64)])
def test_layer_flops_counts_every_matrix_product(rows: int, length: int) -> None:
    assert layer_flops(CONFIG, rows, length) == _products(rows, length)
