"""Assembles radtrack_cxr_v3's ONNX: radtrack_cxr_v2's network up to its pooled features (the v2 head removed), the
pooled 160- and 320-channel maps of the two stages before, and the heads trained by train_heads.py, all in one graph
so the app reads embedding, extent, view and distance in one run. Writes model.onnx and model.json.

  /usr/bin/python3 models/training/build_v3.py --v2 models/radtrack_cxr_v2 --heads .data/training/heads-v3 \
      --out models/radtrack_cxr_v3 --id radtrack_cxr_v3@1
"""
import argparse
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

POOLED = [("pool160", "/net/Add_9_output_0"), ("pool320", "/net/c94/Conv_output_0")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--v2", required=True)
    ap.add_argument("--heads", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--id", default="radtrack_cxr_v3@1")
    ap.add_argument("--feats", help="feature cache (dump_features.ts): writes expected-outputs.json for the app's parity test")
    ap.add_argument("--parity-ids", default="coh00001,coh00002,coh00003,coh00004")
    args = ap.parse_args()
    m = onnx.load(os.path.join(args.v2, "model.onnx"))
    g = m.graph
    h = np.load(os.path.join(args.heads, "heads.npz"))
    meta = json.load(open(os.path.join(args.heads, "heads.json")))
    features = meta["features"]
    tensor_of = {"pool1280": "/net/Flatten_output_0", "pool320": "pool320", "pool160": "pool160", "embedding": "v2_embedding"}
    assert set(features) <= set(tensor_of), features

    mix = meta.get("embedding", {}).get("kind") == "mix"
    if "embedding" in features or mix:
        # v2's own embedding is one of the inputs of the new heads: keep its head, under another output name.
        for n in g.node:
            for k, o in enumerate(n.output):
                if o == "embedding":
                    n.output[k] = "v2_embedding"
    else:
        keep = [n for n in g.node if not n.name.startswith("/head/")]
        del g.node[:]
        g.node.extend(keep)
        inits = [i for i in g.initializer if not i.name.startswith("head.")]
        del g.initializer[:]
        g.initializer.extend(inits)
    del g.output[:]

    def const(name, arr):
        g.initializer.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name))
        return name

    for out, src in POOLED:
        g.node.append(helper.make_node("GlobalAveragePool", [src], [out + "_4d"], name=f"/v3/{out}/pool"))
        g.node.append(helper.make_node("Flatten", [out + "_4d"], [out], axis=1, name=f"/v3/{out}/flatten"))
    g.node.append(helper.make_node("Concat", [tensor_of[f] for f in features], ["features"], axis=1, name="/v3/concat"))

    def gemm(name, W, b):
        g.node.append(helper.make_node("Gemm", ["features", const(f"v3.{name}.weight", W), const(f"v3.{name}.bias", b)], [f"{name}_raw"], name=f"/v3/{name}/gemm"))
        return f"{name}_raw"

    kind = meta.get("embedding", {}).get("graded", "nca")
    arc = kind in ("arc", "arc+nca")
    graded = "graded_unit" if mix else "embedding"
    nca_out = "nca_unit" if kind == "arc+nca" else graded
    if kind != "arc":
        e = gemm("embedding", h["We"], h["be"])
        g.node.append(helper.make_node("ReduceL2", [e], ["embedding_norm"], axes=[1], keepdims=1, name="/v3/embedding/norm"))
        g.node.append(helper.make_node("Clip", ["embedding_norm", const("v3.eps", 1e-12)], ["embedding_norm_safe"], name="/v3/embedding/clip"))
        g.node.append(helper.make_node("Div", [e, "embedding_norm_safe"], [nca_out], name="/v3/embedding/div"))
    x = gemm("extent", h["Wx"], h["bx"])
    g.node.append(helper.make_node("Clip", [x, const("v3.zero", 0.0), const("v3.eight", 8.0)], ["extent"], name="/v3/extent/clip"))
    if arc:
        # The graded part is the extent estimate on a quarter circle: films graded alike are near.
        g.node.append(helper.make_node("Mul", ["extent", const("v3.arc", np.pi / 16)], ["theta"], name="/v3/embedding/theta"))
        g.node.append(helper.make_node("Cos", ["theta"], ["theta_cos"], name="/v3/embedding/cos"))
        g.node.append(helper.make_node("Sin", ["theta"], ["theta_sin"], name="/v3/embedding/sin"))
        arc_out = "arc_unit" if kind == "arc+nca" else graded
        g.node.append(helper.make_node("Concat", ["theta_cos", "theta_sin"], [arc_out], axis=1, name="/v3/embedding/arc"))
        if kind == "arc+nca":
            c = float(meta["embedding"]["arcWeight"])
            g.node.append(helper.make_node("Mul", ["arc_unit", const("v3.arc_weight", c)], ["arc_part"], name="/v3/embedding/arc_weight"))
            g.node.append(helper.make_node("Mul", ["nca_unit", const("v3.nca_weight", float(np.sqrt(1 - c * c)))], ["nca_part"], name="/v3/embedding/nca_weight"))
            g.node.append(helper.make_node("Concat", ["arc_part", "nca_part"], [graded], axis=1, name="/v3/embedding/graded"))
    if mix:
        # Both parts are unit vectors and alpha^2 + beta^2 = 1, so the joined vector is unit length as well.
        alpha = float(meta["embedding"]["alpha"])
        beta = float(np.sqrt(1 - alpha * alpha))
        g.node.append(helper.make_node("Mul", ["v2_embedding", const("v3.alpha", alpha)], ["class_part"], name="/v3/embedding/alpha"))
        g.node.append(helper.make_node("Mul", [graded, const("v3.beta", beta)], ["graded_part"], name="/v3/embedding/beta"))
        g.node.append(helper.make_node("Concat", ["class_part", "graded_part"], ["embedding"], axis=1, name="/v3/embedding/join"))
    v = gemm("view", h["Wv"], h["bv"])
    g.node.append(helper.make_node("Softmax", [v], ["view"], axis=1, name="/v3/view/softmax"))
    d = gemm("distance", h["Wd"], h["bd"])
    g.node.append(helper.make_node("Mul", [d, d], ["distance_sq"], name="/v3/distance/square"))
    g.node.append(helper.make_node("ReduceMean", ["distance_sq"], ["distance_ms"], axes=[1], keepdims=1, name="/v3/distance/mean"))
    g.node.append(helper.make_node("Sqrt", ["distance_ms"], ["frontal_distance"], name="/v3/distance/sqrt"))
    dims = {"arc": 2, "nca": int(h["We"].shape[1]), "arc+nca": 2 + int(h["We"].shape[1])}[kind] + (256 if mix else 0)
    for name, width in [("embedding", dims), ("extent", 1), ("view", h["Wv"].shape[1]), ("frontal_distance", 1)]:
        g.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["N", int(width)]))
    # Drop value_info left over from the removed head, then check.
    live = {o for n in g.node for o in n.output}
    vi = [x for x in g.value_info if x.name in live]
    del g.value_info[:]
    g.value_info.extend(vi)
    onnx.checker.check_model(m)
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    onnx.save(m, onnx_path)
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()

    v2 = json.load(open(os.path.join(args.v2, "model.json")))
    rep = meta["report"]
    version = args.id.split("@")[1]
    desc = {
        "id": args.id,
        "version": version,
        "onnx": {"file": "model.onnx", "searchDirs": []},
        "sha256": sha,
        "input": v2["input"],
        "grey": v2["grey"],
        "resize": v2["resize"],
        "normalize": v2["normalize"],
        "output": {"name": "embedding", "l2normalize": False},
        "dims": dims,
        "heads": {
            "extent": {
                "output": "extent",
                "scale": [0, 8],
                "interval": {"method": "split-conformal", "halfWidth": round(rep["severity"]["extent"]["interval"]["halfWidth"], 4), "coverage": rep["severity"]["extent"]["interval"]["nominal"]},
            },
            "view": {
                "output": "view",
                "classes": meta["views"],
                "frontalMinProbability": round(rep["gate"]["thresholds"]["frontalMinProbability"], 6),
                "distanceOutput": "frontal_distance",
                "maxDistance": round(rep["gate"]["thresholds"]["maxDistance"], 4),
            },
        },
        "provenance": {
            "summary": "Radtrack chest X-ray model radtrack_cxr_v3: radtrack_cxr_v2's network up to its pooled features (frozen), with new linear heads trained on those features: a 256-d embedding trained so that neighbours share expert extent (RALO) and class (corpus), an extent estimate on the readers' 0-8 geographic scale with a split-conformal interval, and a frontal-film gate (view softmax plus a distance to frontal films). See MODEL_CARD.md.",
            "source": f"{v2['id']} (models/radtrack_cxr_v2/model.onnx)",
            "sourceSha256": v2["sha256"],
            "conversion": "models/training/with_outputs.py + dump_features.ts (features through the app's own decode and preprocessing) + train_heads.py (CPU) + build_v3.py (graph surgery with python3-onnx).",
            "trainedOn": "shared/data/ralo training patients (80% by patient, seed 11), shared/data/cxr training split (make_splits.py seed 7), shared/data/ood (all 41, gate only), synthetic non-radiographs (models/training/non_radiographs.ts, seeds 0-59 of each kind)",
            "createdAt": "2026-12-07",
            "seed": rep["split"]["seed"],
            "trainingDevice": "CPU (2 shared cores)",
        },
        "licence": v2["licence"],
    }
    json.dump(desc, open(os.path.join(args.out, "model.json"), "w"), indent=2)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {sha}) and model.json")
    if args.feats:
        # The heads applied in numpy (float64) to the cached features of a few corpus films: what the assembled graph
        # must reproduce when the app runs it (lib/evaluation/radtrack-model.test.ts).
        index = json.load(open(os.path.join(args.feats, "index.json")))
        rowsof = {it["id"]: it["row"] for it in index["items"] if it["set"] == "cxr" and it["row"] is not None}
        mats = {n: np.fromfile(os.path.join(args.feats, f"{n}.f32"), dtype=np.float32).reshape(index["rows"], -1).astype(np.float64) for n in set(features) | {"embedding"}}
        out = {"model": args.id, "outputs": {}}
        for pid in args.parity_ids.split(","):
            r = rowsof[pid]
            f = np.concatenate([mats[n][r] for n in features])
            x = float(np.clip(f @ h["Wx"][:, 0] + h["bx"][0], 0, 8))
            a2 = np.array([np.cos(x * np.pi / 16), np.sin(x * np.pi / 16)])
            if kind != "arc":
                e = f @ h["We"] + h["be"]
                e /= np.linalg.norm(e)
            if kind == "arc":
                e = a2
            elif kind == "arc+nca":
                c = float(meta["embedding"]["arcWeight"])
                e = np.concatenate([c * a2, np.sqrt(1 - c * c) * e])
            if mix:
                v2e = mats["embedding"][r] / np.linalg.norm(mats["embedding"][r])
                e = np.concatenate([alpha * v2e, beta * e])
            logits = f @ h["Wv"] + h["bv"]
            p = np.exp(logits - logits.max())
            p /= p.sum()
            dd = f @ h["Wd"] + h["bd"]
            out["outputs"][f"{pid}.jpg"] = {
                "embedding": [round(float(x), 7) for x in e],
                "extent": x,
                "view": [float(x) for x in p],
                "distance": float(np.sqrt(np.mean(dd * dd))),
            }
        json.dump(out, open(os.path.join(args.out, "expected-outputs.json"), "w"), indent=1)
        print("wrote expected-outputs.json")


if __name__ == "__main__":
    main()
