#!/usr/bin/env python3
"""Step 1 of training: augmented views of the training images and the frozen stem as ONNX.

Writes to --out:
  views.u8     every view as 224 x 224 uint8 grey (view 0 of each image unaugmented: PIL Lanczos resize of the whole
               image, as the app's sharp lanczos3 "fill"); `--views` views per training image, 1 per validation image
  index.json   rows (id, source, severity, geographic_mean, split train/val, first_view, views), sources, cut
  stem.onnx    Equalise + MobileNetV2 up to --cut, input as the app prepares it ((p - 128) / 128, 3 channels)
Then run_stem.ts runs stem.onnx over views.u8 with onnxruntime-node and writes stem.f32 for train.py.

Validation = a seeded share of the training folder's PERSONS (linked ids merged), for monitoring and choosing the
epoch; the test folder is never read here.
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_loader import OnnxConvNet  # noqa: E402
from train import CLASSES, Equalise, augment, clean, person_keys, read_rows, split_validation  # noqa: E402


class Stem(torch.nn.Module):
    def __init__(self, net, cut):
        super().__init__()
        self.equalise = Equalise()
        self.net = net
        self.cut = cut

    def forward(self, x):
        return self.net.forward_until(self.equalise(x), self.cut)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", default=os.path.join(here, "../../../shared/models/mobilenet_v2_imagenet/features.onnx"))
    ap.add_argument("--train", required=True, help="training folder (corpus format); never the test patients")
    ap.add_argument("--out", required=True)
    ap.add_argument("--age-groups", default="", help="e.g. adult,unknown; default: all ages (pediatric included)")
    ap.add_argument("--val-share", type=float, default=0.12)
    ap.add_argument("--cut", default="add_339", help="stem output tensor; layers after it are trained")
    ap.add_argument("--views", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()

    rows = read_rows(a.train, [g for g in a.age_groups.split(",") if g] or None)
    keys = person_keys(rows)
    val = split_validation(rows, keys, a.val_share, a.seed)
    sources = sorted({r["source"] for r in rows})
    out_rows = []
    n = 0
    with open(os.path.join(a.out, "views.u8"), "wb") as fh:
        for i, r in enumerate(rows):
            split = "val" if keys[r["patient_id"]] in val else "train"
            views = a.views if split == "train" else 1
            img = Image.open(r["file"]).convert("L")
            for v in range(views):
                arr = clean(img) if v == 0 else augment(img, random.Random(f"{a.seed}:{r['id']}:{v}"))
                fh.write(np.ascontiguousarray(arr).tobytes())
            out_rows.append({
                "id": r["id"], "source": r["source"], "severity": r["severity"],
                "geographic_mean": r["geographic_mean"], "age_group": r.get("age_group", ""),
                "person": keys[r["patient_id"]], "split": split, "first_view": n, "views": views,
            })
            n += views
            if (i + 1) % 300 == 0:
                print(f"  {i + 1}/{len(rows)} images, {n} views ({time.time() - t0:.0f} s)", flush=True)

    net = OnnxConvNet(a.onnx).eval()
    stem = Stem(net, a.cut).eval()
    with torch.no_grad():
        shape = list(stem(torch.zeros(1, 3, 224, 224)).shape[1:])
    torch.onnx.export(
        stem, torch.zeros(2, 3, 224, 224), os.path.join(a.out, "stem.onnx"), input_names=["input"],
        output_names=["stem"], dynamic_axes={"input": {0: "N"}, "stem": {0: "N"}}, opset_version=13,
    )
    counts = {}
    for r in out_rows:
        k = f"{r['split']}/{r['source'].split('/')[0]}/{r['severity']}"
        counts[k] = counts.get(k, 0) + 1
    index = {
        "cut": a.cut, "stem_shape": shape, "views": a.views, "views_total": n, "sources": sources, "classes": CLASSES,
        "rows": out_rows,
        "summary": {"train_folder": os.path.abspath(a.train), "age_groups": a.age_groups or "all", "seed": a.seed,
                    "val_share": a.val_share, "counts": counts, "seconds": time.time() - t0},
    }
    with open(os.path.join(a.out, "index.json"), "w") as fh:
        json.dump(index, fh, indent=1)
    print(f"{len(out_rows)} images, {n} views, stem {shape}, {time.time() - t0:.0f} s; counts {json.dumps(counts)}")


if __name__ == "__main__":
    main()
