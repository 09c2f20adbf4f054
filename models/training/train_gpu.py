#!/usr/bin/env python3
"""End-to-end fine-tuning on a GPU: the same model, objective and augmentations as train.py, without the frozen-stem cache.

train.py is the CPU route: it caches the frozen stem's outputs and trains only the last block, because 2 shared cores
cannot run the whole network over augmented images. On a GPU the whole network (or everything after `--cut`) is
trained on fresh augmentations every step: augmentation runs in DataLoader workers (PIL, train.augment, identical to
the CPU route), the network under bf16 autocast on the GPU. Several configurations can run in one call (`--configs`);
each writes its best checkpoint (chosen on the VALIDATION persons only, never the test folder) in train.py's format,
so export.py turns it into the app's model folder unchanged.

    python3 models/training/train_gpu.py --train <training folder> --onnx features.onnx --out runs/gpu \
        --configs all:5e-5,add_61:1e-4 --epochs 30

Configuration `NAME:LR[:option=value...]`: NAME = `all` (every layer trained) or the tensor after which layers are
trained (see OnnxConvNet.split_points), LR = backbone learning rate (heads: --lr-head), options override the command
line for that configuration (e.g. `add_211:2e-4:cross_source_weight=1`). The epoch is chosen on the validation persons
with queries and library restricted to --select-age-groups (default adult,unknown: the app's library is adult).
Also `--ceiling`: PyTorch inference throughput of the same network (fp32 and bf16), the ceiling for onnxruntime.
"""
import argparse
import contextlib
import json
import math
import os
import random
import sys
import time
from collections import defaultdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_loader import OnnxConvNet  # noqa: E402
from train import (  # noqa: E402
    CLASSES, Embedder, GradReverse, Head, augment, clean, knn_purity, person_keys, read_rows, split_validation, supcon,
)

CLEAN_SHARE = 0.2  # share of training samples shown unaugmented, as view 0 of train.py's cache


class Views(torch.utils.data.Dataset):
    """Item (image index, token): the clean view when token is None, else train.augment seeded by the token."""

    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, item):
        i, token = item
        img = self.images[i]
        arr = clean(img) if token is None else augment(img, random.Random(token))
        return torch.from_numpy(np.array(arr, dtype=np.uint8, copy=True))


class BalancedBatches(torch.utils.data.Sampler):
    """Source x class balanced batches (a group uniformly, then an image, then clean or augmented), seeded."""

    def __init__(self, groups, batch, steps, seed):
        self.groups, self.batch, self.steps, self.seed = groups, batch, steps, seed
        self.keys = sorted(groups)
        self.epoch = 0

    def __len__(self):
        return self.steps

    def __iter__(self):
        rng = random.Random(f"{self.seed}:batches:{self.epoch}")
        for step in range(self.steps):
            out = []
            for j in range(self.batch):
                i = rng.choice(self.groups[rng.choice(self.keys)])
                token = None if rng.random() < CLEAN_SHARE else f"{self.seed}:{self.epoch}:{step}:{j}"
                out.append((i, token))
            yield out


def autocast(enabled):
    """bf16 autocast on the GPU; nothing on the CPU (smoke runs of this script use the CPU)."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if enabled else contextlib.nullcontext()


def to_input(u8, device):
    x = (u8.to(device, non_blocking=True).float() - 128.0) / 128.0
    return x.unsqueeze(1).expand(-1, 3, -1, -1).contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def embed_all(model, clean_u8, device, amp, bs=256):
    out = []
    for s in range(0, clean_u8.shape[0], bs):
        with autocast(amp):
            z = model(to_input(clean_u8[s : s + bs], device))
        out.append(F.normalize(z.float(), dim=1).cpu())
    return torch.cat(out)


def ceiling(onnx_path, device, out):
    """Inference images/s of the same network (equalise + MobileNetV2 + head) in PyTorch on this device."""
    model = Embedder(OnnxConvNet(onnx_path), Head(256)).to(device).eval().to(memory_format=torch.channels_last)
    res = []
    for dtype in ("fp32", "bf16"):
        for batch in (1, 16, 128):
            x = torch.randint(0, 256, (batch, 224, 224), dtype=torch.uint8)
            xin = to_input(x, device)
            with torch.no_grad(), autocast(dtype == "bf16"):
                for _ in range(5):
                    model(xin)
                torch.cuda.synchronize()
                n_iter = max(10, 2048 // batch)
                t = time.time()
                for _ in range(n_iter):
                    model(xin)
                torch.cuda.synchronize()
                rate = n_iter * batch / (time.time() - t)
            res.append({"dtype": dtype, "batch": batch, "imagesPerSec": round(rate, 1)})
            print(f"ceiling pytorch {dtype} batch {batch}: {rate:.0f} img/s", flush=True)
    with open(out, "w") as fh:
        json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": res}, fh, indent=2)


def train_config(name, lr_backbone, overrides, a, data, device, budget, log):
    a = argparse.Namespace(**{**vars(a), **overrides})
    torch.manual_seed(a.seed)
    net = OnnxConvNet(a.onnx)
    cut = None if name == "all" else name
    trainable = set(net.convs.keys()) if cut is None else set(net.conv_keys_after(cut))
    for key, conv in net.convs.items():
        conv.weight.requires_grad_(key in trainable)
        conv.bias.requires_grad_(key in trainable)
    head = Head(a.dims)
    model = Embedder(net, head).to(device).to(memory_format=torch.channels_last)
    clf = nn.Linear(a.dims, len(CLASSES)).to(device)
    sev = nn.Linear(a.dims, 1).to(device)
    n_src = len(data["sources"])
    adv = nn.Sequential(nn.Linear(a.dims + len(CLASSES), 64), nn.ReLU(), nn.Linear(64, n_src)).to(device)
    backbone = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [
            {"params": backbone, "lr": lr_backbone},
            {"params": list(head.parameters()) + list(clf.parameters()) + list(sev.parameters()), "lr": a.lr_head},
            {"params": adv.parameters(), "lr": a.lr_head},
        ],
        weight_decay=1e-4,
    )
    total = a.epochs * a.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 50) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    y_tr, s_tr, g_tr = data["y_tr"].to(device), data["s_tr"].to(device), data["g_tr"].to(device)
    y_cpu, s_cpu = data["y_tr"], data["s_tr"]
    class_w = torch.tensor([1.0 / max(1, int((y_cpu == c).sum())) for c in range(len(CLASSES))])
    class_w = (class_w / class_w.sum() * len(CLASSES)).to(device)
    sampler = BalancedBatches(data["groups"], a.batch, a.steps_per_epoch, a.seed)
    extra = {"persistent_workers": True, "prefetch_factor": 4} if a.workers > 0 else {}
    loader = torch.utils.data.DataLoader(
        Views(data["images"]), batch_sampler=sampler, num_workers=a.workers, pin_memory=device.type == "cuda", **extra
    )
    amp = device.type == "cuda"
    t0 = time.time()
    best, history, step = None, [], 0
    tag = f"{name}-lr{lr_backbone:g}" + "".join(f"-{k}{v}" for k, v in sorted(overrides.items()))
    ck_path = os.path.join(a.out, f"best-{tag}.pt")
    for epoch in range(1, a.epochs + 1):
        sampler.epoch = epoch
        model.train()
        te = time.time()
        sums = defaultdict(float)
        for items, u8 in zip(sampler.__iter__(), loader):
            # The loader replays the sampler for the same epoch, so `items` names the images of `u8`.
            imgs = torch.tensor([i for i, _ in items], device=device)
            y, s, g = y_tr[imgs], s_tr[imgs], g_tr[imgs]
            with autocast(amp):
                f = net(model.equalise(to_input(u8, device)))
            z = head(f.float())
            l_con = supcon(z, y, s, a.tau, a.cross_source_weight)
            l_ce = F.cross_entropy(clf(z), y, weight=class_w)
            lam = a.adv_weight * min(1.0, step / (0.3 * total))
            adv_in = torch.cat([GradReverse.apply(z, lam), F.one_hot(y, len(CLASSES)).float()], dim=1)
            l_adv = F.cross_entropy(adv(adv_in), s)
            scored = g >= 0
            l_sev = F.mse_loss(torch.sigmoid(sev(z[scored]).squeeze(1)), g[scored]) if scored.any() else z.sum() * 0
            loss = l_con + a.ce_weight * l_ce + l_adv + a.sev_weight * l_sev
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            for k_, v_ in (("loss", loss), ("supcon", l_con), ("ce", l_ce), ("adv", l_adv), ("sev", l_sev)):
                sums[k_] += float(v_)
        model.eval()
        zr = embed_all(model, data["clean_tr"], device, amp)
        zv = embed_all(model, data["clean_va"], device, amp)
        pur = knn_purity(zv, data["y_va"], data["s_va"], zr, y_cpu, s_cpu)
        # Chosen as deployed: queries and library restricted to --select-age-groups (the app's library is adult).
        qa, ra = data["select_va"], data["select_tr"]
        sel = knn_purity(zv[qa], data["y_va"][qa], data["s_va"][qa], zr[ra], y_cpu[ra], s_cpu[ra])
        m = {k_: v_ / a.steps_per_epoch for k_, v_ in sums.items()}
        score = min(sel["all"].get(c, 1.0) for c in CLASSES)
        secs = time.time() - te
        history.append({"epoch": epoch, **m, "val": pur, "valSelected": sel, "score": score, "seconds": secs})
        log(
            f"[{name}] epoch {epoch}: " + " ".join(f"{k_} {v_:.3f}" for k_, v_ in m.items())
            + f" | score {score:.3f} selected {json.dumps({k_: round(v_, 3) for k_, v_ in sel['all'].items()})}"
            + f" | val all {json.dumps({k_: round(v_, 3) for k_, v_ in pur['all'].items()})}"
            + f" other {json.dumps({k_: round(v_, 3) for k_, v_ in pur['otherSource'].items()})}"
            + f" ({secs:.1f} s, {a.steps_per_epoch * a.batch / secs:.0f} img/s)"
        )
        if best is None or score >= best[0]:
            best = (score, epoch)
            state = {k_: v_.detach().float().cpu() for k_, v_ in net.state_dict().items()}
            head_state = {k_: v_.detach().float().cpu() for k_, v_ in head.state_dict().items()}
            args = {**vars(a), "config": name, "overrides": overrides, "lr_tail": lr_backbone, "device": str(device)}
            torch.save({"net": state, "head": head_state, "args": args, "cut": cut or "input"}, ck_path)
        if time.time() - t0 > budget:
            log(f"[{name}] time budget {budget:.0f} s reached after epoch {epoch}")
            break
    return {
        "config": name, "lrBackbone": lr_backbone, "overrides": overrides, "bestEpoch": best[1], "bestMinValPurity": best[0],
        "epochsRun": len(history), "wallSeconds": time.time() - t0, "history": history, "checkpoint": ck_path,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--onnx", default=os.path.join(here, "../../../shared/models/mobilenet_v2_imagenet/features.onnx"))
    ap.add_argument("--train", required=True, help="training folder (corpus format); never the test patients")
    ap.add_argument("--out", required=True)
    ap.add_argument("--configs", default="all:5e-5")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--steps-per-epoch", type=int, default=60)
    ap.add_argument("--batch", type=int, default=96)
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--tau", type=float, default=0.1)
    ap.add_argument("--cross-source-weight", type=float, default=3.0)
    ap.add_argument("--ce-weight", type=float, default=0.5)
    ap.add_argument("--adv-weight", type=float, default=0.3)
    ap.add_argument("--sev-weight", type=float, default=0.5)
    ap.add_argument("--val-share", type=float, default=0.12)
    ap.add_argument("--select-age-groups", default="adult,unknown",
                    help="age groups of the validation queries and library that choose the epoch ('' = all)")
    ap.add_argument("--workers", type=int, default=max(0, (os.cpu_count() or 2) - 2))
    ap.add_argument("--time-budget", type=float, default=600, help="seconds for all configurations together")
    ap.add_argument("--ceiling", action="store_true")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    device = torch.device(a.device)
    logf = open(os.path.join(a.out, "train_gpu.log"), "a")

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n")
        logf.flush()

    t_start = time.time()
    if device.type == "cuda":
        log(f"device {torch.cuda.get_device_name(0)}, torch {torch.__version__}, {a.workers} loader workers")
        if a.ceiling:
            ceiling(a.onnx, device, os.path.join(a.out, "ceiling.json"))

    rows = read_rows(a.train)
    keys = person_keys(rows)
    val = split_validation(rows, keys, a.val_share, a.seed)
    tr = [r for r in rows if keys[r["patient_id"]] not in val]
    va = [r for r in rows if keys[r["patient_id"]] in val]
    sources = sorted({r["source"] for r in rows})
    images = [Image.open(r["file"]).convert("L") for r in tr]
    for img in images:
        img.load()
    groups = defaultdict(list)
    for i, r in enumerate(tr):
        groups[(r["source"], r["severity"])].append(i)
    groups_sel = {g for g in a.select_age_groups.split(",") if g}

    def selected(rs):
        return torch.tensor([not groups_sel or (r.get("age_group") or "unknown") in groups_sel for r in rs])

    data = {
        "select_tr": selected(tr),
        "select_va": selected(va),
        "images": images,
        "groups": dict(groups),
        "sources": sources,
        "y_tr": torch.tensor([CLASSES.index(r["severity"]) for r in tr]),
        "s_tr": torch.tensor([sources.index(r["source"]) for r in tr]),
        "g_tr": torch.tensor([float(r["geographic_mean"]) / 8.0 if r["geographic_mean"] else -1.0 for r in tr]),
        "y_va": torch.tensor([CLASSES.index(r["severity"]) for r in va]),
        "s_va": torch.tensor([sources.index(r["source"]) for r in va]),
        "clean_tr": torch.from_numpy(np.stack([clean(img) for img in images])),
        "clean_va": torch.from_numpy(np.stack([clean(Image.open(r["file"]).convert("L")) for r in va])),
    }
    log(f"{len(tr)} training images, {len(va)} validation images ({len(val)} persons), sources {sources}; "
        f"loaded in {time.time() - t_start:.1f} s")

    configs = []
    for spec in a.configs.split(","):
        name, lr, *extra = spec.split(":")
        overrides = {}
        for kv in extra:
            key, value = kv.split("=")
            overrides[key] = type(getattr(a, key))(value)
        configs.append((name, float(lr), overrides))
    results = []
    for n, (name, lr, overrides) in enumerate(configs):
        remaining = a.time_budget - (time.time() - t_start)
        budget = remaining / (len(configs) - n)
        if budget < 20:
            log(f"[{name}] skipped: {remaining:.0f} s left")
            continue
        results.append(train_config(name, lr, overrides, a, data, device, budget, log))
    best = max(results, key=lambda r: r["bestMinValPurity"])
    summary = {
        "args": vars(a), "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "torch": torch.__version__, "train_images": len(tr), "val_images": len(va), "sources": sources,
        "configs": results, "chosen": best["config"], "wall_seconds": time.time() - t_start,
        "created_at": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    with open(os.path.join(a.out, "summary-gpu.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
    log(f"done in {summary['wall_seconds']:.0f} s; chosen on validation: {best['config']} "
        f"(epoch {best['bestEpoch']}, min val purity {best['bestMinValPurity']:.3f})")


if __name__ == "__main__":
    main()
