#!/usr/bin/env python3
"""ONNX -> PyTorch loader for the ImageNet MobileNetV2 `features.onnx` (shared/models/mobilenet_v2_imagenet).

The graph only uses Conv, Clip (ReLU6), Add, GlobalAveragePool and Flatten. `OnnxConvNet` walks the nodes in order,
makes one nn.Conv2d per Conv (groups for the depthwise ones; TF "SAME" padding is written in the graph as explicit,
sometimes asymmetric pads, applied here with F.pad before an unpadded conv), copies the initializers, and keeps Clip
bounds and Add inputs as written. It can be cut at a block boundary (`split_points()`): `forward_until(x, name)`
runs the frozen stem to a tensor, `forward_from(t, name)` runs the rest, so the stem's output can be precomputed.

Parity (run with /usr/bin/python3, Debian's torch):

    npx tsx models/training/dump_onnx_features.ts          # onnxruntime-node outputs for 8 corpus images
    /usr/bin/python3 models/training/onnx_loader.py --parity models/training/runs/parity
"""
import argparse
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

SUPPORTED = {"Conv", "Clip", "Add", "GlobalAveragePool", "Flatten"}


class OnnxConvNet(nn.Module):
    def __init__(self, path: str):
        super().__init__()
        model = onnx.load(path)
        graph = model.graph
        inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.input_name = graph.input[0].name
        self.output_name = graph.output[0].name
        self.convs = nn.ModuleDict()
        self.nodes = []  # (op, inputs, output, params)
        for idx, node in enumerate(graph.node):
            if node.op_type not in SUPPORTED:
                raise ValueError(f"unsupported op {node.op_type} in {path}")
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            out = node.output[0]
            if node.op_type == "Conv":
                w = inits[node.input[1]]
                b = inits[node.input[2]] if len(node.input) > 2 else None
                group = attrs.get("group", 1)
                if attrs.get("dilations", [1, 1]) != [1, 1]:
                    raise ValueError("dilated convolutions are not supported")
                conv = nn.Conv2d(
                    in_channels=w.shape[1] * group,
                    out_channels=w.shape[0],
                    kernel_size=tuple(w.shape[2:]),
                    stride=tuple(attrs.get("strides", [1, 1])),
                    padding=0,
                    groups=group,
                    bias=b is not None,
                )
                conv.weight.data.copy_(torch.from_numpy(np.array(w, dtype=np.float32, copy=True)))
                if b is not None:
                    conv.bias.data.copy_(torch.from_numpy(np.array(b, dtype=np.float32, copy=True)))
                key = f"c{idx}"
                self.convs[key] = conv
                # ONNX pads: [top, left, bottom, right]; F.pad wants (left, right, top, bottom).
                t, l, bo, r = attrs.get("pads", [0, 0, 0, 0])
                self.nodes.append(("Conv", [node.input[0]], out, {"key": key, "pad": (l, r, t, bo)}))
            elif node.op_type == "Clip":
                lo = float(np.asarray(inits[node.input[1]]).reshape(-1)[0]) if len(node.input) > 1 and node.input[1] else None
                hi = float(np.asarray(inits[node.input[2]]).reshape(-1)[0]) if len(node.input) > 2 and node.input[2] else None
                self.nodes.append(("Clip", [node.input[0]], out, {"min": lo, "max": hi}))
            elif node.op_type == "Add":
                self.nodes.append(("Add", list(node.input[:2]), out, {}))
            elif node.op_type == "GlobalAveragePool":
                self.nodes.append(("GAP", [node.input[0]], out, {}))
            else:
                self.nodes.append(("Flatten", [node.input[0]], out, {"axis": attrs.get("axis", 1)}))
        self.producer = {n[2]: i for i, n in enumerate(self.nodes)}

    def split_points(self):
        """Tensor names after which the rest of the graph needs only that tensor (block boundaries)."""
        points = []
        for i, (_, _, out, _) in enumerate(self.nodes[:-1]):
            needed = set()
            for _, ins, _, _ in self.nodes[i + 1:]:
                needed.update(x for x in ins if x in self.producer and self.producer[x] <= i)
            if needed == {out}:
                points.append(out)
        return points

    def _run(self, env, start, stop):
        for op, ins, out, p in self.nodes[start:stop]:
            x = env[ins[0]]
            if op == "Conv":
                if any(p["pad"]):
                    x = F.pad(x, p["pad"])
                y = self.convs[p["key"]](x)
            elif op == "Clip":
                y = torch.clamp(x, min=p["min"], max=p["max"])
            elif op == "Add":
                y = x + env[ins[1]]
            elif op == "GAP":
                y = x.mean(dim=(2, 3), keepdim=True)
            else:
                y = torch.flatten(x, p["axis"])
            env[out] = y
        return env

    def forward_until(self, x, name):
        stop = self.producer[name] + 1
        return self._run({self.input_name: x}, 0, stop)[name]

    def forward_from(self, t, name, until=None):
        start = self.producer[name] + 1
        stop = len(self.nodes) if until is None else self.producer[until] + 1
        return self._run({name: t}, start, stop)[until or self.output_name]

    def forward(self, x, until=None):
        stop = len(self.nodes) if until is None else self.producer[until] + 1
        return self._run({self.input_name: x}, 0, stop)[until or self.output_name]

    def conv_keys_after(self, name):
        """Names of the conv modules that run after tensor `name` (the trainable tail)."""
        start = self.producer[name] + 1
        return [p["key"] for op, _, _, p in self.nodes[start:] if op == "Conv"]


def parity(net: OnnxConvNet, folder: str) -> dict:
    with open(os.path.join(folder, "index.json")) as fh:
        index = json.load(fh)
    x = np.fromfile(os.path.join(folder, "input.f32"), dtype="<f4").reshape(index["inputShape"])
    want = np.fromfile(os.path.join(folder, "output.f32"), dtype="<f4").reshape(index["outputShape"])
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy()
        # The split path must agree with the whole graph too.
        cut = net.split_points()[len(net.split_points()) // 2]
        got_split = net.forward_from(net.forward_until(torch.from_numpy(x), cut), cut).numpy()
    diff = np.abs(got - want)
    unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)
    return {
        "images": len(index["files"]),
        "files": index["files"],
        "maxAbsDiff": float(diff.max()),
        "meanAbsDiff": float(diff.mean()),
        "maxAbsDiffUnitVectors": float(np.abs(unit(got) - unit(want)).max()),
        "maxAbsDiffSplitPath": float(np.abs(got_split - want).max()),
        "outputMaxAbs": float(np.abs(want).max()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/models/mobilenet_v2_imagenet/features.onnx"))
    ap.add_argument("--parity", help="folder written by dump_onnx_features.ts")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    a = ap.parse_args()
    torch.set_num_threads(2)
    net = OnnxConvNet(a.onnx).eval()
    print(f"{len(net.nodes)} nodes, {len(net.convs)} convs, split points: {len(net.split_points())}")
    if a.parity:
        r = parity(net, a.parity)
        print(json.dumps(r, indent=2))
        ok = r["maxAbsDiff"] <= a.tolerance and r["maxAbsDiffSplitPath"] <= a.tolerance
        print("PARITY OK" if ok else f"PARITY FAILED (tolerance {a.tolerance})")
        raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
