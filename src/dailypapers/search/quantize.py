"""Build step: re-quantize the packaged MiniLM ONNX model per channel, for real int8 speed.

    python -m dailypapers.search.quantize OUTPUT_DIR

The packaged file stores int8 weights that are cast back to float32 at load time, so it
runs at float32 speed. This folds those weights to float32 and quantizes every MatMul
with onnxruntime's dynamic per-channel int8 scheme (per-tensor lost too much quality).
Needs the ``onnx`` package, at build time only; the result goes to a data directory,
and :class:`~dailypapers.search.embed.Embedder` falls back to the packaged file without it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from .embed import QUANTIZED_MODEL, packaged_model_path


def fold_dequantized_weights(source: Path, target: Path) -> None:
    """Replace each ``Mul(Cast(int8 weight), scale)`` pair by one float32 initializer."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producers = {out: node for node in graph.node for out in node.output}
    drop, folded = set(), []
    for node in graph.node:
        if node.op_type != "Mul" or len(node.input) != 2:
            continue
        cast = producers.get(node.input[0])
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in inits or node.input[1] not in inits:
            continue
        weight = numpy_helper.to_array(inits[cast.input[0]]).astype(np.float32)
        scale = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
        folded.append(numpy_helper.from_array(weight * scale, name=node.output[0]))
        drop.update({id(node), id(cast)})
        inits.pop(cast.input[0])
        inits.pop(node.input[1])
    if not folded:
        raise RuntimeError(f"{source}: no Cast/Mul weight pairs found; not the expected model file")
    kept_nodes = [n for n in graph.node if id(n) not in drop]
    del graph.node[:]
    graph.node.extend(kept_nodes)
    del graph.initializer[:]
    graph.initializer.extend(list(inits.values()) + folded)
    onnx.save(model, str(target))


def build(output_dir: Path) -> Path:
    """Write the per-channel int8 model into ``output_dir`` and return its path."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / QUANTIZED_MODEL
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        fold_dequantized_weights(packaged_model_path(), fp32)
        # onnxruntime's recommended pre-processing (graph optimisation and shape inference); it
        # tags the model, so quantize_dynamic has no reason to warn. The embeddings are the same
        # (cosine 1.0 on SciFact abstracts). Symbolic shape inference would need sympy: skipped.
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(fp32, prepared, skip_symbolic_shape=True)
        # Written beside the target, then renamed: readers never see a half-written model.
        partial = output_dir / f".{QUANTIZED_MODEL}.partial"
        quantize_dynamic(
            prepared,
            partial,
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            extra_options={"MatMulConstBOnly": True},
        )
        partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    print(build(Path(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
