"""``--lr auto`` when the range test cannot see learning: it says so and keeps the default."""

from __future__ import annotations

import json

from cli_run import glassnet
from glassnet.cli.defaults import default_lr


def test_an_inconclusive_range_test_keeps_the_measured_default(tmp_path):
    result = glassnet("train", "builtin:digits", "--out", tmp_path / "m", "--activation", "sigmoid",
                      "--optimizer", "sgd", "--lr", "auto", "--epochs", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "too little to pick a rate from" in result.stderr
    assert f"measured default --lr {default_lr('sgd', 'sigmoid'):g}" in result.stderr
    assert (tmp_path / "m.lr.png").read_bytes().startswith(b"\x89PNG")
    info = json.loads(glassnet("info", tmp_path / "m.safetensors", "--json").stdout)
    assert info["training"]["settings"]["lr"] == default_lr("sgd", "sigmoid")
