"""``glassnet export``: a saved model as a standard ONNX graph."""

from __future__ import annotations

import click

from glassnet.cli.terminal import echo
from glassnet.files import io


@click.command("export")
@click.argument("model", metavar="MODEL")
@click.option("--onnx", "onnx_path", required=True, metavar="OUT.onnx",
              help="Write the model as an ONNX file here (replaced atomically if it exists).")
def export(model, onnx_path):
    """Write MODEL as a standard ONNX graph (opset 17) that onnxruntime and others can run.

    \b
    Examples:
      glassnet export digits.safetensors --onnx digits.onnx
      python -c "import onnxruntime as ort; s = ort.InferenceSession('digits.onnx'); print(s.get_outputs()[0].name)"

    The graph takes "input": float32 rows (N, d), N any batch size (an image flattened
    row-major, channels last), applies the model's stored preprocessing, and gives
    "probabilities" (N, k) and "label" (N,) for a classifier, "predictions" (N, m) for a
    regression network. Class names, input shape and preprocessing are in its metadata.
    """
    from glassnet.onnx import export as export_onnx

    network = io.load(model)
    path = export_onnx(network, onnx_path)
    outputs = "probabilities, label" if network.task != "regression" else "predictions"
    echo(f"wrote {path} (ONNX opset 17; input float32 (N, {network.n_features}); outputs {outputs})")
