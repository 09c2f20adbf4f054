#!/usr/bin/env python3
"""Static int8 quantization (QDQ) of a Radtrack float model, for the CPU provider.

    /usr/bin/python3 models/training/quantize_int8.py --float-model-dir models/radtrack_cxr_v3 \\
        --out .data/int8/v3-ff4 --calibration .data/cxr-val/train --calibration .data/ralo-val/train --images 384 \\
        --method percentile --percentile 99.999 --float-first 4 --float-last 2 \\
        --calibration-cache .data/int8/cal.json --compare .data/cxr-val/test --compare .data/ralo-val/test

Needs python3-onnx and python3-numpy (Debian) and the repository's node_modules: there is no onnxruntime for Python
here, so every run of a graph goes through models/training/int8_tool.ts (onnxruntime-node, the app's own runtime
and preprocessing). Steps:

1. fold: ONNX Runtime's constant folding, so the TF "SAME" padding amounts (computed in the graph from constants)
   become initializers; each zero Pad in front of a Conv is then folded into the Conv's own pads.
2. calibrate: the graph is given every tensor that may be quantized as an extra output and run on `--images` films
   of the calibration folders (training splits, never the held-out test): min / max per tensor and per channel, and
   a histogram per tensor. `--calibration-cache` keeps them, so variants of the same calibration cost no graph runs.
   `--method` turns them into a uint8 range: minmax, a `--percentile` of the values, or mse (the clipping with the
   least squared quantization error over the histogram). `--equalize A` first rescales the channels of each residual
   stream (SmoothQuant-style, strength A) and calibrates the rescaled graph again.
3. rewrite as QDQ: every int8 Conv gets per-output-channel symmetric int8 weights and an int32 bias; every activation
   an int8 Conv or Add reads is quantized to uint8 (asymmetric) with a QuantizeLinear -> DequantizeLinear pair, and
   float ops read the float tensor. ONNX Runtime fuses DQ -> Conv -> (Clip) -> Q into QLinearConv and DQ, DQ -> Add
   -> Q into QLinearAdd (u8 x s8, VNNI where the CPU has it). `--float-first N` / `--float-last N` keep the first and
   last N Convs in float; the histogram equalisation at the start of the graph, the pooling and the heads always
   stay float.
4. model.json: the float model's contract with its own id, "quantization": "int8" and "equivalentTo" naming the float
   model (id and sha256); then int8_tool compare on `--compare` folders (default: the calibration folders) prints
   the cosine between float and int8 embeddings, the differences of every head output and both speeds.

Choose between variants on training films only (e.g. the validation folders make_splits.py / split_ralo.py cut from
the training splits); the held-out test is for `npm run eval` on the chosen one (models/training/README.md).
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


def plan(model, float_first=0, float_last=0):
    """Which Convs and Adds run in int8, and the tensors to quantize: the activations those ops read and write.

    The first `float_first` and the last `float_last` Convs (graph order) stay float: the first reads the equalised
    image (3 channels, little arithmetic, a wide range), the last ones make the pooled features every head reads.
    An Add stays float when an input comes from a float op or its output feeds one (a pooled feature, a float Conv),
    so a float layer never reads a tensor that went through int8. Returns (quantized op names, tensors)."""
    g = model.graph
    inits = {i.name for i in g.initializer}
    consumers = {}
    producer = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
        for y in n.output:
            producer[y] = n
    convs = [n for n in g.node if n.op_type == "Conv"]
    float_convs = {id(n) for n in convs[:float_first]} | {id(n) for n in convs[len(convs) - float_last:]}
    quantized = {id(n) for n in convs if id(n) not in float_convs}

    def source(t):
        """The op that made t, looking through a Clip after a Conv."""
        n = producer.get(t)
        if n is not None and n.op_type == "Clip":
            n = producer.get(n.input[0], n)
        return n

    for n in g.node:
        if n.op_type != "Add" or any(x in inits for x in n.input):
            continue
        ins_ok = all(source(x) is not None and id(source(x)) in quantized for x in n.input)
        users = consumers.get(n.output[0], [])
        outs_ok = all(u.op_type in ("Conv", "Add") and (u.op_type == "Add" or id(u) in quantized) for u in users)
        if ins_ok and outs_ok and users:
            quantized.add(id(n))
    tensors = []
    for n in g.node:
        if id(n) not in quantized:
            continue
        if n.op_type == "Conv":
            tensors.append(n.input[0])
            out = n.output[0]
            users = consumers.get(out, [])
            if len(users) == 1 and users[0].op_type == "Clip":
                out = users[0].output[0]
            # The output is quantized only when an int8 op reads it; a float reader gets the float tensor.
            if any(id(u) in quantized for u in consumers.get(out, [])):
                tensors.append(out)
        else:
            tensors.extend([n.input[0], n.input[1]])
            if any(id(u) in quantized for u in consumers.get(n.output[0], [])):
                tensors.append(n.output[0])
    seen = []
    for t in tensors:
        if t not in seen:
            seen.append(t)
    names = {n.name or n.output[0] for n in g.node if id(n) in quantized}
    return names, seen


def calibrated_range(method, hist, minmax, percentile):
    """The range a uint8 tensor covers: min / max, a percentile of the calibration values, or the clipping that
    minimises the mean squared quantization error over the calibration histogram."""
    lo, hi = min(minmax[0], 0.0), max(minmax[1], 0.0)
    if method == "minmax":
        return lo, hi
    counts = np.asarray(hist["counts"], dtype=np.float64)
    edges = np.linspace(hist["lo"], hist["hi"], len(counts) + 1)
    total = counts.sum()
    if total == 0:
        return lo, hi
    if method == "percentile":
        cum = np.cumsum(counts) / total
        tail = (100.0 - percentile) / 100.0
        # A tail at the zero side of a one-signed tensor stays pinned at 0 by uint8_params.
        p_lo = edges[int(np.searchsorted(cum, tail, side="left"))] if lo < 0 else 0.0
        p_hi = edges[int(np.searchsorted(cum, 1.0 - tail, side="left")) + 1] if hi > 0 else 0.0
        return min(p_lo, 0.0), max(p_hi, 0.0)
    if method == "mse":
        centres = (edges[:-1] + edges[1:]) / 2
        best = None
        for shrink in np.linspace(0.3, 1.0, 71):
            a, b = lo * shrink, hi * shrink
            scale = (b - a) / 255.0 if b > a else 1.0
            zp = np.round(-a / scale)
            deq = (np.clip(np.round(centres / scale) + zp, 0, 255) - zp) * scale
            err = float(np.sum(counts * (centres - deq) ** 2))
            if best is None or err < best[0]:
                best = (err, a, b)
        return best[1], best[2]
    raise ValueError(f"unknown calibration method {method}")


def equalize(model, channels, alpha):
    """Rescale the channels of each residual stream (the linear tensors joined by Adds: projection outputs, block
    sums) so that one uint8 range fits them all: channel c of a stream is multiplied by s_c = (R / r_c) ** alpha
    (r_c its calibrated absolute range, R the stream's largest), the Convs writing it carry s_c in their weights and
    bias, and everything reading it (Convs, the pooled features' Gemms) carries 1 / s_c. Exact in float; it trades
    activation outliers against weight range as SmoothQuant does (alpha 0.5: half each). Returns the streams done."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consumers, producer = {}, {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
        for y in n.output:
            producer[y] = n

    def width(t):
        """Channels of a pooled feature: back through Flatten / pooling / Clip / Add to the Conv that made them."""
        n = producer[t]
        while n.op_type != "Conv":
            n = producer[n.input[0]]
        return numpy_helper.to_array(inits[n.input[1]]).shape[0]
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for n in g.node:
        if n.op_type == "Add" and not any(x in inits for x in n.input):
            for x in (n.input[0], n.input[1]):
                parent[find(x)] = find(n.output[0])
        if n.op_type == "Conv":
            users = consumers.get(n.output[0], [])
            if not (len(users) == 1 and users[0].op_type == "Clip"):
                find(n.output[0])
    streams = {}
    for t in list(parent):
        streams.setdefault(find(t), []).append(t)

    def attr(n, name, default):
        return next((helper.get_attribute_value(a) for a in n.attribute if a.name == name), default)

    def arr(name):
        return numpy_helper.to_array(inits[name]).astype(np.float32)

    def put(name, value):
        inits[name].CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))

    done = 0
    for tensors in streams.values():
        writers, readers, gemms = [], [], []
        ok = all(t in channels for t in tensors)
        for t in tensors if ok else []:
            p = producer.get(t)
            if p is None or p.op_type not in ("Conv", "Add") or (p.op_type == "Conv" and attr(p, "group", 1) != 1):
                ok = False
                break
            if p.op_type == "Conv":
                writers.append(p)
            for u in consumers.get(t, []):
                if u.op_type == "Add" and u.output[0] in tensors:
                    continue
                if u.op_type == "Conv" and u.input[0] == t and attr(u, "group", 1) == 1:
                    readers.append(u)
                    continue
                # A pooled feature: GlobalAveragePool -> Flatten -> Concat -> Gemms (per channel, so linear in s).
                if u.op_type == "GlobalAveragePool":
                    fl = consumers.get(u.output[0], [])
                    cat = consumers.get(fl[0].output[0], []) if len(fl) == 1 and fl[0].op_type == "Flatten" else []
                    if len(cat) == 1 and cat[0].op_type == "Concat":
                        offset = 0
                        for x in cat[0].input:
                            if x == fl[0].output[0]:
                                break
                            offset += width(x)
                        users = consumers.get(cat[0].output[0], [])
                        if users and all(v.op_type == "Gemm" and v.input[0] == cat[0].output[0] for v in users):
                            gemms.extend((v, offset) for v in users)
                            continue
                ok = False
                break
            if not ok:
                break
        if not ok or not writers:
            continue
        r = np.max([np.maximum(np.abs(channels[t]["lo"]), np.abs(channels[t]["hi"])) for t in tensors], axis=0)
        r = np.maximum(np.asarray(r, dtype=np.float64), 1e-6)
        scale = np.clip((r.max() / r) ** alpha, 1e-2, 1e2)
        for w in writers:
            put(w.input[1], arr(w.input[1]) * scale[:, None, None, None].astype(np.float32))
            if len(w.input) > 2 and w.input[2]:
                put(w.input[2], arr(w.input[2]) * scale.astype(np.float32))
        for rd in readers:
            put(rd.input[1], arr(rd.input[1]) / scale[None, :, None, None].astype(np.float32))
        for v, offset in gemms:
            w = arr(v.input[1])
            cols = slice(offset, offset + len(scale))
            if attr(v, "transB", 0):
                w[:, cols] /= scale[None, :]
            else:
                w[cols, :] /= scale[:, None]
            put(v.input[1], w)
        done += 1
    return done


def uint8_params(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(round(-lo / scale))
    return np.float32(scale), np.uint8(max(0, min(255, zp)))


def quantize(model, ranges, quantized_ops):
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
        is_q = (n.name or n.output[0]) in quantized_ops
        for i, x in enumerate(n.input):
            if is_q and x in targets and not (n.op_type == "Conv" and i > 0):
                new_inputs.append(dq_for_consumer(x) if x in qname else x)
            else:
                new_inputs.append(x)
        if n.op_type == "Conv" and is_q:
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
    ap.add_argument("--calibration", required=True, action="append",
                    help="folder of training films (never the held-out test); repeat it to draw from several")
    ap.add_argument("--images", type=int, default=256, help="calibration films over all the folders")
    ap.add_argument("--method", choices=["minmax", "percentile", "mse"], default="minmax")
    ap.add_argument("--percentile", type=float, default=99.99)
    ap.add_argument("--float-first", type=int, default=0, help="Convs kept float at the start of the network")
    ap.add_argument("--float-last", type=int, default=0, help="Convs kept float at the end of the network")
    ap.add_argument("--equalize", type=float, default=0,
                    help="rescale residual-stream channels before calibrating (SmoothQuant-style strength, e.g. 0.5)")
    ap.add_argument("--calibration-cache", help="reuse (or write) the calibration histograms of this file")
    ap.add_argument("--compare", action="append",
                    help="folders for int8_tool compare (default: the calibration folders); repeatable")
    ap.add_argument("--compare-n", type=int, default=64)
    args = ap.parse_args()
    float_dir = os.path.abspath(args.float_model_dir)
    out_dir = os.path.abspath(args.out)
    with open(os.path.join(float_dir, "model.json")) as f:
        contract = json.load(f)
    if contract.get("quantization"):
        sys.exit(f"{float_dir} is already quantized ({contract['quantization']})")
    calibration_dirs = [os.path.abspath(c) for c in args.calibration]
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="radtrack-int8-") as tmp:
        folded = os.path.join(tmp, "folded.onnx")
        tool("fold", "--model-dir", float_dir, "--out", folded)
        model = onnx.load(folded)
        # The folded graph carries ORT's opset imports for domains it does not use: keep the float model's.
        del model.opset_import[:]
        model.opset_import.extend(onnx.load(os.path.join(float_dir, contract["onnx"]["file"])).opset_import)
        print(f"folded {fold_pads(model)} Pad nodes into their Convs")
        # Calibrated once for every tensor any variant may quantize, so variants share one calibration.
        _, all_tensors = plan(model)

        def calibrate(m, cache):
            key = {"model": contract["sha256"], "dirs": calibration_dirs, "images": args.images,
                   "equalize": args.equalize if m is not model_float else 0}
            if cache and os.path.exists(cache):
                with open(cache) as f:
                    cached = json.load(f)
                if cached.get("key") == key and set(all_tensors) <= set(cached["ranges"]) and "channels" in cached:
                    print(f"calibration from {cache} ({cached['films']} films)")
                    return cached
            instrumented = onnx.ModelProto()
            instrumented.CopyFrom(m)
            existing = {o.name for o in instrumented.graph.output}
            for t in all_tensors:
                if t not in existing:
                    instrumented.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
            inst_path = os.path.join(tmp, "instrumented.onnx")
            onnx.save(instrumented, inst_path)
            names = os.path.join(tmp, "tensors.json")
            with open(names, "w") as f:
                json.dump(all_tensors, f)
            ranges_path = os.path.join(tmp, "ranges.json")
            tool("calibrate", "--model-dir", float_dir, "--onnx", inst_path, "--tensors", names,
                 "--images", ",".join(calibration_dirs), "--n", str(args.images), "--out", ranges_path)
            with open(ranges_path) as f:
                result = json.load(f)
            result["key"] = key
            if cache:
                with open(cache, "w") as f:
                    json.dump(result, f)
            return result

        model_float = model
        calibration = calibrate(model, args.calibration_cache)
        if args.equalize:
            model = onnx.ModelProto()
            model.CopyFrom(model_float)
            print(f"equalized {equalize(model, calibration['channels'], args.equalize)} residual streams "
                  f"(alpha {args.equalize})")
            cache = args.calibration_cache and f"{args.calibration_cache}.eq{args.equalize}"
            calibration = calibrate(model, cache)
        quantized_ops, tensors = plan(model, args.float_first, args.float_last)
        ranges = {t: calibrated_range(args.method, calibration["histograms"][t], calibration["ranges"][t],
                                      args.percentile) for t in tensors}
        print(f"{len(quantized_ops)} ops in int8, {len(tensors)} tensors quantized ({args.method})")
        q = quantize(model, ranges, quantized_ops)
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
    method = {"minmax": "min / max", "percentile": f"the {args.percentile} percentile",
              "mse": "the least squared error clipping"}[args.method]
    rel = lambda p: os.path.relpath(p, ROOT)
    quantized["provenance"] = {
        "summary": f"{contract['id']} quantized to int8 for the CPU (static QDQ: per-channel int8 weights, uint8 "
                   f"activations calibrated by {method} on {calibration['films']} training films; the first "
                   f"{args.float_first} and last {args.float_last} convolutions, the equalisation, pooling and "
                   f"heads in float); same preprocessing and outputs.",
        "source": f"{contract['id']} ({rel(float_dir)})",
        "sourceSha256": contract["sha256"],
        "conversion": "/usr/bin/python3 models/training/quantize_int8.py --float-model-dir "
                      f"{rel(float_dir)} --out {rel(out_dir)} "
                      + " ".join(f"--calibration {rel(c)}" for c in calibration_dirs)
                      + f" --images {args.images} --method {args.method}"
                      + (f" --percentile {args.percentile}" if args.method == "percentile" else "")
                      + f" --float-first {args.float_first} --float-last {args.float_last}"
                      + (f" --equalize {args.equalize}" if args.equalize else ""),
    }
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(quantized, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB) and model.json")
    compare_dirs = [os.path.abspath(c) for c in (args.compare or calibration_dirs)]
    if args.compare_n > 0:
        tool("compare", "--model-dir", float_dir, "--onnx", onnx_path, "--images", ",".join(compare_dirs),
             "--n", str(args.compare_n), "--batch", "16", "--out",
             os.path.join(tempfile.gettempdir(), f"{os.path.basename(out_dir)}-compare.json"))


if __name__ == "__main__":
    main()
