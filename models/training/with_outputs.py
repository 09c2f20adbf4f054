"""Adds pooled intermediate feature maps of a MobileNetV2-based Radtrack ONNX as extra graph outputs, for the
frozen-feature heads of radtrack_cxr_v3 (train_heads.py). Writes a new ONNX; the input is untouched.

  /usr/bin/python3 models/training/with_outputs.py --model models/radtrack_cxr_v2/model.onnx --out .data/training/v2-feats.onnx
"""
import argparse

import onnx
from onnx import helper

# Global-average-pooled maps of the last three stages (160, 320, 1280 channels): the last is what the v2 head reads.
POOLED = {
    "pool160": "/net/Add_9_output_0",
    "pool320": "/net/c94/Conv_output_0",
}
FLAT = {"pool1280": "/net/Flatten_output_0"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    m = onnx.load(args.model)
    g = m.graph
    names = {o for n in g.node for o in n.output}
    for out, src in {**POOLED, **FLAT}.items():
        if src not in names:
            raise SystemExit(f"{args.model}: no tensor {src}")
    for out, src in POOLED.items():
        g.node.append(helper.make_node("GlobalAveragePool", [src], [out + "_4d"]))
        g.node.append(helper.make_node("Flatten", [out + "_4d"], [out], axis=1))
        g.output.append(helper.make_tensor_value_info(out, onnx.TensorProto.FLOAT, ["N", None]))
    for out, src in FLAT.items():
        g.node.append(helper.make_node("Identity", [src], [out]))
        g.output.append(helper.make_tensor_value_info(out, onnx.TensorProto.FLOAT, ["N", None]))
    onnx.checker.check_model(m)
    onnx.save(m, args.out)
    print(f"wrote {args.out} with outputs {[o.name for o in g.output]}")


if __name__ == "__main__":
    main()
