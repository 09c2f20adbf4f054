#!/usr/bin/env python3
"""Static int8 quantization (QDQ) of a Radtrack float model, for the CPU provider.

    /usr/bin/python3 models/training/quantize_int8.py --float-model-dir models/radtrack_cxr_v2 \\
        --out models/radtrack_cxr_v2_int8 --calibration .data/cxr-splits/train [--images 256]

Needs python3-onnx and python3-numpy (Debian) and the repository's node_modules: there is no onnxruntime for Python
here, so every run of a graph goes through models/training/int8_tool.ts (onnxruntime-node, the app's own runtime
and preprocessing). Steps:

1. fold: ONNX Runtime's constant folding, so the TF "SAME" padding amounts (computed in the graph from constants)
   become initializers; each zero Pad in front of a Conv is then folded into the Conv's own pads.
2. calibrate: the graph is given every tensor to be quantized as an extra output and run on `--images` films of the
   calibration folder (a training split, never the held-out test): min / max per tensor.
3. rewrite as QDQ: every Conv gets per-output-channel symmetric int8 weights and an int32 bias; every activation a
   Conv or an Add reads or writes is quantized to uint8 (asymmetric, from the calibrated range) with a
   QuantizeLinear -> DequantizeLinear pair. ONNX Runtime fuses DQ -> Conv -> (Clip) -> Q into QLinearConv and
   DQ, DQ -> Add -> Q into QLinearAdd (u8 x s8, VNNI where the CPU has it). The histogram equalisation at the start
   of the graph, the global pool and the 256-d head stay in float: they are cheap and the head sets the geometry of
   the vectors.
4. model.json: the float model's contract with its own id, "quantization": "int8" and "equivalentTo" naming the float
   model (id and sha256), so the engine may use it in place of the float model on the CPU provider; then int8_tool
   compare prints the cosine between float and int8 vectors and both speeds.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def tool(*args):
    cmd = [os.path.join(ROOT, "node_modules", ".bin", "tsx"), os.path.join(HERE, "int8_tool.ts"), *args]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def fold_pads(model):
    """Zero Pads on H and W in front of a Conv become the Conv's pads (they pad with the zero point once quantized)."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consumers = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    removed = []
    for pad in [n for n in g.node if n.op_type == "Pad"]:
        mode = next((helper.get_attribute_value(a) for a in pad.attribute if a.name == "mode"), b"constant")
        users = consumers.get(pad.output[0], [])
        if mode != b"constant" or len(users) != 1 or users[0].op_type != "Conv" or pad.input[1] not in inits:
            continue
        if len(pad.input) > 2 and pad.input[2]:
            value = inits.get(pad.input[2])
            if value is None or np.any(numpy_helper.to_array(value) != 0):
                continue
        p = numpy_helper.to_array(inits[pad.input[1]]).astype(np.int64).tolist()
        if len(p) != 8 or any(p[i] != 0 for i in (0, 1, 4, 5)) or any(v < 0 for v in p):
            continue
        conv = users[0]
        attr = next(a for a in conv.attribute if a.name == "pads") if any(a.name == "pads" for a in conv.attribute) else None
        old = list(attr.ints) if attr else [0, 0, 0, 0]
        new = [old[0] + p[2], old[1] + p[3], old[2] + p[6], old[3] + p[7]]
        if attr:
            conv.attribute.remove(attr)
        conv.attribute.append(helper.make_attribute("pads", new))
        conv.input[0] = pad.input[0]
        removed.append(pad)
    for n in removed:
        g.node.remove(n)
    return len(removed)


def plan(model):
    """The tensors to quantize: inputs of Convs and Adds, and their outputs (after a Clip when one follows)."""
    g = model.graph
    consumers = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    tensors = []
    outputs_of = {}
    for n in g.node:
        if n.op_type == "Conv":
            tensors.append(n.input[0])
            out = n.output[0]
            users = consumers.get(out, [])
            if len(users) == 1 and users[0].op_type == "Clip":
                out = users[0].output[0]
            outputs_of[n.name or n.output[0]] = out
            tensors.append(out)
        elif n.op_type == "Add" and all(x not in {i.name for i in g.initializer} for x in n.input):
            tensors.extend([n.input[0], n.input[1], n.output[0]])
    seen = []
    for t in tensors:
        if t not in seen:
            seen.append(t)
    return seen


def uint8_params(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(round(-lo / scale))
    return np.float32(scale), np.uint8(max(0, min(255, zp)))


def quantize(model, ranges):
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    targets = set(ranges)
    new_inits = []
    params = {}
    for t in sorted(targets):
        scale, zp = uint8_params(*ranges[t])
        params[t] = (scale, zp)
        new_inits.append(numpy_helper.from_array(np.array(scale, dtype=np.float32), f"{t}_scale"))
        new_inits.append(numpy_helper.from_array(np.array(zp, dtype=np.uint8), f"{t}_zp"))

    # One QuantizeLinear per tensor (right after its producer), one DequantizeLinear per consumer.
    nodes = []
    qname = {}
    dq_count = {}

    def q_of(t):
        if t not in qname:
            qname[t] = f"{t}_q"
            nodes.append(helper.make_node("QuantizeLinear", [t, f"{t}_scale", f"{t}_zp"], [qname[t]], name=f"{t}_Q"))
        return qname[t]

    def dq_for_consumer(t):
        k = dq_count.get(t, 0)
        dq_count[t] = k + 1
        out = f"{t}_dq{k}"
        nodes.append(helper.make_node("DequantizeLinear", [qname[t], f"{t}_scale", f"{t}_zp"], [out], name=f"{t}_DQ{k}"))
        return out

    graph_inputs = {i.name for i in g.input}
    for t in targets:
        if t in graph_inputs:
            q_of(t)
    for n in list(g.node):
        # Inputs first: the node reads dequantized copies of quantized tensors.
        new_inputs = []
        for i, x in enumerate(n.input):
            if x in targets and not (n.op_type == "Conv" and i > 0):
                new_inputs.append(dq_for_consumer(x) if x in qname else x)
            else:
                new_inputs.append(x)
        if n.op_type == "Conv":
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
            x_scale = params[n.input[0]][0]
            w_scale = np.abs(w).reshape(w.shape[0], -1).max(axis=1) / 127.0
            if len(n.input) > 2 and n.input[2]:
                # The int32 bias uses x_scale * w_scale: a channel whose weights are all (nearly) zero would need a
                # bias beyond int32, so its weight scale is raised until the bias fits (its int8 weights stay 0).
                b_abs = np.abs(numpy_helper.to_array(inits[n.input[2]]).astype(np.float64))
                w_scale = np.maximum(w_scale, b_abs / (float(x_scale) * (2**31 - 1)) * 1.001)
            w_scale = np.maximum(w_scale, 1e-12).astype(np.float32)
            wq = np.clip(np.round(w / w_scale[:, None, None, None]), -127, 127).astype(np.int8)
            base = n.input[1]
            new_inits += [
                numpy_helper.from_array(wq, f"{base}_int8"),
                numpy_helper.from_array(w_scale.astype(np.float32), f"{base}_wscale"),
                numpy_helper.from_array(np.zeros(w.shape[0], dtype=np.int8), f"{base}_wzp"),
            ]
            nodes.append(helper.make_node("DequantizeLinear", [f"{base}_int8", f"{base}_wscale", f"{base}_wzp"],
                                          [f"{base}_deq"], name=f"{base}_DQ", axis=0))
            new_inputs[1] = f"{base}_deq"
            if len(n.input) > 2 and n.input[2]:
                b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
                b_scale = (np.float64(x_scale) * w_scale.astype(np.float64))
                bq = np.round(b / b_scale).astype(np.int32)
                bname = n.input[2]
                new_inits += [
                    numpy_helper.from_array(bq, f"{bname}_int32"),
                    numpy_helper.from_array(b_scale.astype(np.float32), f"{bname}_bscale"),
                    numpy_helper.from_array(np.zeros(w.shape[0], dtype=np.int32), f"{bname}_bzp"),
                ]
                nodes.append(helper.make_node("DequantizeLinear", [f"{bname}_int32", f"{bname}_bscale", f"{bname}_bzp"],
                                              [f"{bname}_deq"], name=f"{bname}_DQ", axis=0))
                new_inputs[2] = f"{bname}_deq"
        del n.input[:]
        n.input.extend(new_inputs)
        nodes.append(n)
        for out in n.output:
            if out in targets:
                q_of(out)
    # Weights and biases now live as int8 / int32 copies.
    used = {x for n in nodes for x in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept + [i for i in new_inits if i.name in used])
    return model


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--float-model-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--calibration", required=True, help="folder of training films (never the held-out test)")
    ap.add_argument("--images", type=int, default=256)
    args = ap.parse_args()
    float_dir = os.path.abspath(args.float_model_dir)
    out_dir = os.path.abspath(args.out)
    with open(os.path.join(float_dir, "model.json")) as f:
        contract = json.load(f)
    if contract.get("quantization"):
        sys.exit(f"{float_dir} is already quantized ({contract['quantization']})")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="radtrack-int8-") as tmp:
        folded = os.path.join(tmp, "folded.onnx")
        tool("fold", "--model-dir", float_dir, "--out", folded)
        model = onnx.load(folded)
        # The folded graph carries ORT's opset imports for domains it does not use: keep the float model's.
        del model.opset_import[:]
        model.opset_import.extend(onnx.load(os.path.join(float_dir, contract["onnx"]["file"])).opset_import)
        print(f"folded {fold_pads(model)} Pad nodes into their Convs")
        tensors = plan(model)
        instrumented = onnx.ModelProto()
        instrumented.CopyFrom(model)
        existing = {o.name for o in instrumented.graph.output}
        for t in tensors:
            if t not in existing:
                instrumented.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
        inst_path = os.path.join(tmp, "instrumented.onnx")
        onnx.save(instrumented, inst_path)
        names = os.path.join(tmp, "tensors.json")
        with open(names, "w") as f:
            json.dump(tensors, f)
        ranges_path = os.path.join(tmp, "ranges.json")
        tool("calibrate", "--model-dir", float_dir, "--onnx", inst_path, "--tensors", names,
             "--images", os.path.abspath(args.calibration), "--n", str(args.images), "--out", ranges_path)
        with open(ranges_path) as f:
            calibration = json.load(f)
        q = quantize(model, {t: tuple(r) for t, r in calibration["ranges"].items()})
        q.producer_name = "radtrack quantize_int8.py"
        onnx.checker.check_model(q)
        onnx_path = os.path.join(out_dir, "model.onnx")
        onnx.save(q, onnx_path)
    name, version = contract["id"].split("@")
    quantized = dict(contract)
    quantized["id"] = f"{name}_int8@{version}"
    quantized["onnx"] = {"file": "model.onnx", "searchDirs": []}
    quantized["sha256"] = sha256(onnx_path)
    quantized["quantization"] = "int8"
    quantized["equivalentTo"] = {"id": contract["id"], "sha256": contract["sha256"]}
    quantized["provenance"] = {
        "summary": f"{contract['id']} quantized to int8 for the CPU (static QDQ: per-channel int8 weights, uint8 "
                   f"activations calibrated on {calibration['films']} training films); same preprocessing and output.",
        "source": f"{contract['id']} ({os.path.relpath(float_dir, ROOT)})",
        "sourceSha256": contract["sha256"],
        "conversion": f"/usr/bin/python3 models/training/quantize_int8.py --float-model-dir "
                      f"{os.path.relpath(float_dir, ROOT)} --out {os.path.relpath(out_dir, ROOT)} "
                      f"--calibration {os.path.relpath(os.path.abspath(args.calibration), ROOT)} --images {args.images}",
    }
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(quantized, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB) and model.json")
    tool("compare", "--model-dir", float_dir, "--onnx", onnx_path, "--images", os.path.abspath(args.calibration),
         "--n", "64", "--batch", "16")


if __name__ == "__main__":
    main()
