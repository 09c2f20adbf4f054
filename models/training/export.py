#!/usr/bin/env python3
"""Step 4 of training: export a checkpoint as the app's model folder (model.onnx + model.json).

The graph takes the input exactly as lib/embedding/preprocess.ts prepares it for this model.json (grey replicated to
3 channels, whole image resized to 224 x 224 with Lanczos-3, x = (p - 128) / 128) and returns `embedding`, already
L2-normalised (model.json output.l2normalize = false, so the engine checks the norms instead).

    /usr/bin/python3 models/training/export.py --checkpoint .data/training/run-gpu/best-all-lr5e-05.pt \
        --summary .data/training/run-gpu/summary-gpu.json --out models/radtrack_cxr_v2 --id radtrack_cxr_v2@1

With --parity <folder written by dump_onnx_features.ts for the exported model>, compares the PyTorch module with the
onnxruntime-node outputs on the app-preprocessed inputs and writes expected-vectors.json (PyTorch's vectors for the
first 4 images) for the TypeScript test.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_loader import OnnxConvNet  # noqa: E402
from train import Embedder, Head  # noqa: E402


def build(checkpoint, onnx_path):
    ck = torch.load(checkpoint, map_location="cpu")
    net = OnnxConvNet(onnx_path)
    net.load_state_dict(ck["net"])
    head = Head(ck["args"]["dims"])
    head.load_state_dict(ck["head"])
    return Embedder(net, head).eval(), ck


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", default=os.path.join(here, "../../../shared/models/mobilenet_v2_imagenet/features.onnx"))
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--id", required=True, help="model id@version, e.g. radtrack_cxr_v2@1 (new weights, new id)")
    ap.add_argument("--summary", help="train.py summary.json, for provenance")
    ap.add_argument("--parity", help="folder from dump_onnx_features.ts run on the exported model")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, ck = build(a.checkpoint, a.onnx)

    if a.parity:
        with open(os.path.join(a.parity, "index.json")) as fh:
            index = json.load(fh)
        x = np.fromfile(os.path.join(a.parity, "input.f32"), dtype="<f4").reshape(index["inputShape"])
        ort = np.fromfile(os.path.join(a.parity, "output.f32"), dtype="<f4").reshape(index["outputShape"])
        with torch.no_grad():
            got = model(torch.from_numpy(x)).numpy()
        diff = float(np.abs(got - ort).max())
        print(json.dumps({"images": len(index["files"]), "maxAbsDiffTorchVsOrt": diff}))
        n = min(4, len(index["files"]))
        with open(os.path.join(a.out, "expected-vectors.json"), "w") as fh:
            json.dump(
                {
                    "model": a.id,
                    "note": "PyTorch (models/training/export.py) outputs for these corpus images, preprocessed by the app; "
                    "the TypeScript test embeds them with onnxruntime-node and compares within 1e-4.",
                    "maxAbsDiffTorchVsOrt": diff,
                    "vectors": {index["files"][i]: [round(float(v), 7) for v in got[i]] for i in range(n)},
                },
                fh,
            )
            fh.write("\n")
        print("PARITY OK" if diff <= a.tolerance else "PARITY FAILED")
        raise SystemExit(0 if diff <= a.tolerance else 1)

    os.makedirs(a.out, exist_ok=True)
    onnx_out = os.path.join(a.out, "model.onnx")
    torch.onnx.export(
        model,
        torch.zeros(2, 3, 224, 224),
        onnx_out,
        input_names=["input"],
        output_names=["embedding"],
        dynamic_axes={"input": {0: "N"}, "embedding": {0: "N"}},
        opset_version=13,
        do_constant_folding=True,
    )
    summary = {}
    if a.summary:
        with open(a.summary) as fh:
            summary = json.load(fh)
    args = ck["args"]
    version = a.id.split("@", 1)[1]
    name = a.id.split("@", 1)[0]
    cut = ck.get("cut", "?")
    trained = (
        "every layer fine-tuned end to end on a GPU (train_gpu.py)" if cut == "input"
        else f"fine-tuned after tensor {cut} ({'train_gpu.py on a GPU' if args.get('config') else 'train.py on the CPU'})"
    )
    descriptor = {
        "id": a.id,
        "version": version,
        "onnx": {"file": "model.onnx", "searchDirs": []},
        "sha256": sha256(onnx_out),
        "input": {"name": "input", "shape": ["N", 3, 224, 224], "layout": "NCHW"},
        "grey": "replicate",
        "resize": {"mode": "fill", "size": 224, "kernel": "lanczos3"},
        "normalize": {"mean": [128, 128, 128], "std": [128, 128, 128]},
        "output": {"name": "embedding", "l2normalize": False},
        "dims": args["dims"],
        "provenance": {
            "summary": (
                f"Radtrack chest X-ray embedding {name}: ImageNet MobileNetV2 fine-tuned on the Radtrack corpus (training "
                "patients only) for same-severity neighbours across sources. The graph equalises each image's "
                "histogram itself (it recovers the grey value from (p - 128) / 128, so mean/std must stay 128), then "
                f"MobileNetV2 features, then a {args['dims']}-d projection, L2-normalised. See MODEL_CARD.md."
            ),
            "source": "mobilenet_v2_imagenet@1 (shared/models/mobilenet_v2_imagenet/features.onnx)",
            "sourceSha256": "2b14cba591eaed6743ff59c57ae91c74404f88a8aa488c0a4a02900ed97d1653",
            "conversion": (
                f"features.onnx loaded into PyTorch (models/training/onnx_loader.py, parity 1.3e-5), {trained}, "
                f"with supervised contrastive (cross-source positives x{args['cross_source_weight']}), "
                "class-balanced CE, class-conditional source adversary (gradient reversal) and a severity auxiliary; "
                "exported with torch.onnx (opset 13). Pipeline: models/training/README.md."
            ),
            "trainedOn": (
                "shared/data/cxr training split (patient-level, 80% of persons stratified by source x class, seed 7), "
                "all age groups; Cohen COVID-19 collection, NIH ChestX-ray14 subset, Hannover COVID-19 repository, "
                "Guangzhou pediatric pneumonia set"
            ),
            "createdAt": summary.get("created_at") or __import__("datetime").datetime.utcnow().strftime("%Y-%m-%d"),
            "seed": args["seed"],
            "trainingDevice": summary.get("device", "cpu"),
            "trainingWallSeconds": round(summary["wall_seconds"]) if "wall_seconds" in summary else None,
        },
        "licence": {
            "spdx": "Apache-2.0",
            "notes": (
                "Network and ImageNet weights: Apache-2.0 (Google TF-slim MobileNetV2). ImageNet's terms of access are "
                "non-commercial. Fine-tuned on images under CC BY, CC BY-NC-SA, CC BY-NC-ND, NIH (unrestricted) and "
                "unknown licences: research and prototyping only until reviewed; see MODEL_CARD.md."
            ),
        },
    }
    with open(os.path.join(a.out, "model.json"), "w") as fh:
        json.dump(descriptor, fh, indent=2)
        fh.write("\n")
    print(f"wrote {onnx_out} ({os.path.getsize(onnx_out)} bytes, sha256 {descriptor['sha256']})")


if __name__ == "__main__":
    main()
