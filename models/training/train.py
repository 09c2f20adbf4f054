#!/usr/bin/env python3
"""Fine-tunes the ImageNet MobileNetV2 (features.onnx, loaded by onnx_loader.py) into Radtrack's chest X-ray embedding.

What the exported graph does (input exactly as the app feeds every model: grey replicated to RGB, resized whole to
224 x 224 with Lanczos-3, x = (pixel - 128) / 128):
  1. Equalise: per-image histogram equalisation inside the graph (the CDF of the grey values in the central 80% of
     the image, sampled every 3rd pixel, applied to every pixel). It removes most acquisition differences between
     sources (windowing, contrast, the Hannover images' CLAHE look), and keeps the app's preprocessing generic.
  2. MobileNetV2 features (1280-d GAP), ImageNet weights; the blocks up to `--cut` stay frozen.
  3. Projection head 1280 -> 512 -> 256, L2-normalised: output `embedding`.

Training objective (on the 256-d unit vectors):
  - supervised contrastive loss over the severity class (healthy / infected / severe), positives from ANOTHER source
    weighted `--cross-source-weight` times more than same-source positives;
  - class-balanced cross-entropy of a linear classifier on the embedding (auxiliary);
  - a class-conditional source adversary behind a gradient-reversal layer: it sees the embedding and the class and
    must guess the source; the encoder is trained to make that impossible;
  - severity regression (geographic_mean / 8) on the few images with expert scores (auxiliary).
Batches are source x class balanced. Augmentations (train only): random resized crop (area 0.8-1.0, aspect 0.9-1.1),
rotation +-10 degrees, gamma / contrast / brightness, Gaussian blur, Gaussian noise. Never a horizontal flip (the heart
is on the left; a flipped chest X-ray is not a valid image).

CPU budget: the frozen stem (Equalise + MobileNetV2 up to `--cut`) is run once per augmented view and cached by
prepare.py + run_stem.ts (onnxruntime-node: ~10x faster than Debian's CPU PyTorch here); view 0 of every image is
unaugmented. Then only the tail and the heads are trained. Deterministic given the seeds (single process,
deterministic algorithms). See README.md for the whole pipeline.
"""
import argparse
import csv
import json
import math
import os
import random
import re
import sys
import time
from collections import defaultdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageFilter

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_loader import OnnxConvNet  # noqa: E402

CLASSES = ["healthy", "infected", "severe"]
LINK = re.compile(r"also filed as ((?:cohen|mhh|nih|ped):[A-Za-z0-9_.-]+)")
SIZE = 224


# ----------------------------------------------------------------------------------------------------------- model
class Equalise(nn.Module):
    """Histogram equalisation in the graph. Input: the app's (p - 128) / 128 tensor; output: 3 equal channels in [-1, 1]."""

    def __init__(self, margin=0.1, stride=3):
        super().__init__()
        self.margin = margin
        self.stride = stride
        self.register_buffer("levels", torch.arange(256, dtype=torch.float32).view(1, 256, 1), persistent=False)

    def forward(self, x):
        g = torch.clamp(torch.round(x[:, 0] * 128.0 + 128.0), 0.0, 255.0)  # N, H, W grey levels
        h, w = g.shape[1], g.shape[2]
        mh, mw = int(h * self.margin), int(w * self.margin)
        sample = g[:, mh : h - mh : self.stride, mw : w - mw : self.stride].flatten(1)  # N, P
        cdf = (sample.unsqueeze(1) <= self.levels).float().mean(dim=2)  # N, 256
        e = torch.gather(cdf, 1, g.flatten(1).long()).view_as(g).unsqueeze(1)
        y = e * 2.0 - 1.0
        return torch.cat([y, y, y], dim=1)


class Head(nn.Module):
    def __init__(self, dims=256, hidden=512, dropout=0.1):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.fc1 = nn.Linear(1280, hidden)
        self.fc2 = nn.Linear(hidden, dims)

    def forward(self, f):
        return F.normalize(self.fc2(F.relu(self.fc1(self.drop(f)))), dim=1)


class Embedder(nn.Module):
    """The exported model: input (N, 3, 224, 224) as the app prepares it -> L2-normalised embedding (N, dims)."""

    def __init__(self, net: OnnxConvNet, head: Head):
        super().__init__()
        self.equalise = Equalise()
        self.net = net
        self.head = head

    def forward(self, x):
        return self.head(self.net(self.equalise(x)))


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


# ------------------------------------------------------------------------------------------------------------ data
def read_rows(folder, age_groups=None):
    with open(os.path.join(folder, "metadata.csv"), newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["severity"] in CLASSES]
    if age_groups:
        rows = [r for r in rows if (r.get("age_group") or "unknown") in age_groups]
    for r in rows:
        r["file"] = os.path.join(folder, r["id"] + ".jpg")
    return rows


def person_keys(rows):
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for r in rows:
        for other in LINK.findall(r.get("notes", "")):
            a, b = sorted([find(r["patient_id"]), find(other)])
            if a != b:
                parent[b] = a
    return {r["patient_id"]: find(r["patient_id"]) for r in rows}


def split_validation(rows, keys, share, seed):
    """Validation persons: a seeded share of the training folder's persons (linked ids merged)."""
    persons = sorted({keys[r["patient_id"]] for r in rows})
    random.Random(seed).shuffle(persons)
    return set(persons[: int(len(persons) * share)])


def lanczos_224(img: Image.Image) -> Image.Image:
    return img if img.size == (SIZE, SIZE) else img.resize((SIZE, SIZE), Image.LANCZOS)


def augment(img: Image.Image, rng: random.Random) -> np.ndarray:
    """One augmented 224 x 224 uint8 view of a grey PIL image (no flips)."""
    w, h = img.size
    area = rng.uniform(0.8, 1.0)
    aspect = math.exp(rng.uniform(math.log(0.9), math.log(1.1)))
    cw = min(w, int(round(math.sqrt(area * aspect) * w)))
    ch = min(h, int(round(math.sqrt(area / aspect) * h)))
    x0 = rng.randint(0, w - cw)
    y0 = rng.randint(0, h - ch)
    img = img.crop((x0, y0, x0 + cw, y0 + ch))
    img = img.rotate(rng.uniform(-10, 10), resample=Image.BILINEAR, fillcolor=0)
    img = lanczos_224(img)
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.3, 1.2)))
    a = np.asarray(img, dtype=np.float32) / 255.0
    a = a ** math.exp(rng.uniform(math.log(0.7), math.log(1.4)))  # gamma
    a = (a - 0.5) * rng.uniform(0.8, 1.25) + 0.5 + rng.uniform(-0.08, 0.08)  # contrast, brightness
    a = a * 255.0
    if rng.random() < 0.5:
        nrng = np.random.default_rng(rng.getrandbits(32))
        a = a + nrng.normal(0.0, rng.uniform(1.0, 5.0), a.shape)
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def clean(img: Image.Image) -> np.ndarray:
    return np.asarray(lanczos_224(img), dtype=np.uint8)


def to_input(batch_uint8: np.ndarray) -> torch.Tensor:
    x = (torch.from_numpy(batch_uint8).float() - 128.0) / 128.0
    return x.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()


def load_stem_cache(folder):
    """Stem outputs written by prepare.py + run_stem.ts: index.json and stem.f32 (views x C x H x W)."""
    with open(os.path.join(folder, "index.json")) as fh:
        index = json.load(fh)
    arr = np.fromfile(os.path.join(folder, "stem.f32"), dtype="<f4").reshape([index["views_total"]] + index["stem_shape"])
    return index, torch.from_numpy(arr.astype(np.float16))


# ---------------------------------------------------------------------------------------------------------- losses
def supcon(z, labels, sources, tau, cross_weight):
    sim = z @ z.t() / tau
    n = z.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(eye, -1e9)
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    w = pos.float() * torch.where(sources[:, None] != sources[None, :], cross_weight, 1.0).to(z.device)
    denom = w.sum(1)
    keep = denom > 0
    return -((w * log_prob).sum(1)[keep] / denom[keep]).mean()


# ------------------------------------------------------------------------------------------------------ evaluation
@torch.no_grad()
def embed_cached(stem, idx, net, cut, head, bs=256):
    zs = []
    dev = next(head.parameters()).device
    for s in range(0, len(idx), bs):
        f = net.forward_from(stem[idx[s : s + bs]].float().to(dev), cut)
        zs.append(head(f).cpu())
    return torch.cat(zs)


def knn_purity(zq, yq, sq, zr, yr, sr, k=36):
    sim = zq @ zr.t()
    res = {}
    for name, mask in (("all", None), ("otherSource", sq[:, None] != sr[None, :])):
        s = sim if mask is None else sim.masked_fill(~mask, -9)
        top = s.topk(k, dim=1).indices
        nb = yr[top]
        out = {}
        for c, cname in enumerate(CLASSES):
            q = yq == c
            if q.sum() == 0:
                continue
            hit = (nb[q] == 0) if c == 0 else (nb[q] != 0)
            out[cname] = float(hit.float().mean())
        q = yq == 2
        if q.sum():
            out["severeStrict"] = float((nb[q] == 2).float().mean())
        res[name] = out
    return res


# ------------------------------------------------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--onnx", default=os.path.join(here, "../../../shared/models/mobilenet_v2_imagenet/features.onnx"))
    ap.add_argument("--cache", required=True, help="folder written by prepare.py and run_stem.ts")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--steps-per-epoch", type=int, default=60)
    ap.add_argument("--batch", type=int, default=96)
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--lr-tail", type=float, default=1e-4)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--tau", type=float, default=0.1)
    ap.add_argument("--cross-source-weight", type=float, default=3.0)
    ap.add_argument("--ce-weight", type=float, default=0.5)
    ap.add_argument("--adv-weight", type=float, default=0.3)
    ap.add_argument("--sev-weight", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu (measured here) or cuda (not run in this session)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.use_deterministic_algorithms(a.device == "cpu")
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, "train.log"), "a")

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n")
        logf.flush()

    t_start = time.time()
    cpu_start = time.process_time()
    index, stem = load_stem_cache(a.cache)
    cut = index["cut"]
    rows = index["rows"]
    tr_pos = [i for i, r in enumerate(rows) if r["split"] == "train"]
    va_pos = [i for i, r in enumerate(rows) if r["split"] == "val"]
    tr = [rows[i] for i in tr_pos]
    va = [rows[i] for i in va_pos]
    views = index["views"]
    # Views of row i are at rows[i]["first_view"] .. + rows[i]["views"] - 1 (val rows have 1 view).
    first_tr = torch.tensor([rows[i]["first_view"] for i in tr_pos])
    n_views_tr = [rows[i]["views"] for i in tr_pos]
    va_views = torch.tensor([rows[i]["first_view"] for i in va_pos])
    sources = index["sources"]
    log(f"cache {a.cache}: cut {cut}, {len(tr)} train images x {views} views, {len(va)} val images, sources {sources}")

    net = OnnxConvNet(a.onnx)
    net.eval()
    tail_keys = set(net.conv_keys_after(cut))
    for key, conv in net.convs.items():
        conv.weight.requires_grad_(key in tail_keys)
        conv.bias.requires_grad_(key in tail_keys)

    dev = torch.device(a.device)
    net.to(dev)
    y_tr = torch.tensor([CLASSES.index(r["severity"]) for r in tr])
    s_tr = torch.tensor([sources.index(r["source"]) for r in tr])
    g_tr = torch.tensor([float(r["geographic_mean"]) / 8.0 if r["geographic_mean"] else -1.0 for r in tr])
    y_va = torch.tensor([CLASSES.index(r["severity"]) for r in va])
    s_va = torch.tensor([sources.index(r["source"]) for r in va])

    head = Head(a.dims)
    clf = nn.Linear(a.dims, len(CLASSES))
    sev = nn.Linear(a.dims, 1)
    adv = nn.Sequential(nn.Linear(a.dims + len(CLASSES), 64), nn.ReLU(), nn.Linear(64, len(sources)))
    for m_ in (head, clf, sev, adv):
        m_.to(dev)
    tail_params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [
            {"params": tail_params, "lr": a.lr_tail},
            {"params": list(head.parameters()) + list(clf.parameters()) + list(sev.parameters()), "lr": a.lr_head},
            {"params": adv.parameters(), "lr": a.lr_head},
        ],
        weight_decay=1e-4,
    )
    total_steps = a.epochs * a.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 30) * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps))
    )

    groups = defaultdict(list)
    for i, r in enumerate(tr):
        groups[(r["source"], r["severity"])].append(i)
    group_keys = sorted(groups)
    log("groups: " + ", ".join(f"{s.split('/')[0]}/{c}={len(groups[(s, c)])}" for s, c in group_keys))
    class_w = torch.tensor([1.0 / max(1, int((y_tr == c).sum())) for c in range(len(CLASSES))])
    class_w = (class_w / class_w.sum() * len(CLASSES)).to(dev)
    brng = random.Random(a.seed + 1)
    ref_idx = first_tr  # clean views as the monitoring reference

    history = []
    best = None
    step = 0
    for epoch in range(1, a.epochs + 1):
        net.train()
        head.train()
        te = time.time()
        sums = defaultdict(float)
        for _ in range(a.steps_per_epoch):
            # Source x class balanced: pick a group uniformly, then an image, then one of its views.
            imgs = [brng.choice(groups[brng.choice(group_keys)]) for _ in range(a.batch)]
            idx = torch.tensor([int(first_tr[i]) + brng.randrange(n_views_tr[i]) for i in imgs])
            imgs = torch.tensor(imgs)
            y, s, g = y_tr[imgs].to(dev), s_tr[imgs].to(dev), g_tr[imgs].to(dev)
            f = net.forward_from(stem[idx].float().to(dev), cut)
            z = head(f)
            l_con = supcon(z, y, s, a.tau, a.cross_source_weight)
            l_ce = F.cross_entropy(clf(z), y, weight=class_w)
            lam = a.adv_weight * min(1.0, step / (0.3 * total_steps))
            adv_in = torch.cat([GradReverse.apply(z, lam), F.one_hot(y, len(CLASSES)).float()], dim=1)
            l_adv = F.cross_entropy(adv(adv_in), s)
            scored = g >= 0
            l_sev = F.mse_loss(torch.sigmoid(sev(z[scored]).squeeze(1)), g[scored]) if scored.any() else z.sum() * 0
            loss = l_con + a.ce_weight * l_ce + l_adv + a.sev_weight * l_sev
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            for k_, v_ in (("loss", loss), ("supcon", l_con), ("ce", l_ce), ("adv", l_adv), ("sev", l_sev)):
                sums[k_] += float(v_)
        net.eval()
        head.eval()
        zr = embed_cached(stem, ref_idx, net, cut, head)
        zv = embed_cached(stem, va_views, net, cut, head)
        pur = knn_purity(zv, y_va, s_va, zr, y_tr, s_tr)
        m = {k_: v_ / a.steps_per_epoch for k_, v_ in sums.items()}
        score = min(pur["all"].get(c, 1.0) for c in CLASSES)
        history.append({"epoch": epoch, **m, "val": pur, "seconds": time.time() - te})
        log(
            f"epoch {epoch}: " + " ".join(f"{k_} {v_:.3f}" for k_, v_ in m.items())
            + f" | val all {json.dumps({k_: round(v_, 3) for k_, v_ in pur['all'].items()})}"
            + f" other {json.dumps({k_: round(v_, 3) for k_, v_ in pur['otherSource'].items()})} ({time.time() - te:.0f} s)"
        )
        if best is None or score >= best[0]:
            best = (score, epoch)
            torch.save({"net": net.state_dict(), "head": head.state_dict(), "args": vars(a), "cut": cut}, os.path.join(a.out, "best.pt"))
    net.cpu()
    head.cpu()
    torch.save({"net": net.state_dict(), "head": head.state_dict(), "args": vars(a), "cut": cut}, os.path.join(a.out, "last.pt"))
    summary = {
        "args": vars(a),
        "cache": index.get("summary", {}),
        "train_images": len(tr),
        "val_images": len(va),
        "sources": sources,
        "best_epoch": best[1],
        "best_min_val_purity": best[0],
        "history": history,
        "wall_seconds": time.time() - t_start,
        "cpu_seconds": time.process_time() - cpu_start,
        "torch": torch.__version__,
    }
    with open(os.path.join(a.out, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
    log(f"done: best epoch {best[1]} (min val purity {best[0]:.3f}); wall {summary['wall_seconds']:.0f} s, cpu {summary['cpu_seconds']:.0f} s")


if __name__ == "__main__":
    main()
