"""Trains radtrack_cxr_v3's heads on frozen v2 features (CPU, minutes) and reports held-out figures.

Input: the feature cache of dump_features.ts (pooled last-stage maps of radtrack_cxr_v2: 1280 + 320 + 160 values per
film), the corpus split of make_splits.py and the RALO / OOD metadata. Heads, all linear on the standardised features:
  - extent: ridge regression on the two readers' mean geographic extent (0-8), RALO training patients only, so the
    grade is learnt within one source (no hospital shortcut); interval = split-conformal half-width from out-of-fold
    residuals of the training patients (5 folds by patient), checked for coverage on the held-out patients;
  - embedding: a 256-d projection trained with soft-neighbour (NCA) losses: on RALO, the similarity-weighted mean
    extent of a film's neighbours (other patients only) should equal its own; on the corpus, neighbours should share
    the film's class (healthy vs infected vs severe, other patients only). So neighbours keep grades and similarities
    spread instead of collapsing a class to a point;
  - view: softmax over frontal / lateral / ct / other, plus a Mahalanobis-type distance to frontal films (whitened
    top principal components of frontal training films): the gate refuses a film whose frontal probability is low or
    whose distance is beyond what frontal films from the training hospitals reach.
Writes heads.npz + heads.json (weights, thresholds, held-out figures) for build_v3.py.

  /usr/bin/python3 models/training/train_heads.py --feats .data/training/feats-v2 --splits .data/cxr-splits \
      --ralo ../shared/data/ralo --ood ../shared/data/ood --out .data/training/heads-v3
"""
import argparse
import csv
import hashlib
import json
import os
from collections import defaultdict

import numpy as np
import torch

VIEWS = ["frontal", "lateral", "ct", "other"]
CLASSES = ["healthy", "infected", "severe"]
FEATURES = ["pool1280", "pool320", "pool160"]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def bucket(key: str, seed: int) -> float:
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def pearson(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.corrcoef(a, b)[0, 1])


def spearman(a, b):
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    return pearson(ra, rb)


def bootstrap(groups, stat, n=1000, seed=3):
    """95% interval of stat(indices) resampling patients (groups: list of index arrays)."""
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n):
        pick = rng.integers(0, len(groups), len(groups))
        idx = np.concatenate([groups[p] for p in pick])
        v = stat(idx)
        if np.isfinite(v):
            vals.append(v)
    return [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))]


def load(args):
    index = json.load(open(os.path.join(args.feats, "index.json")))
    mats = [np.fromfile(os.path.join(args.feats, f"{n}.f32"), dtype=np.float32).reshape(index["rows"], -1) for n in args.features.split(",")]
    X = np.concatenate(mats, axis=1).astype(np.float64)
    items = [it for it in index["items"] if it["row"] is not None]
    return X, items, index


def ridge_fit(Z, y, lam, w=None):
    w = np.ones(len(y)) if w is None else w
    Zb = np.hstack([Z, np.ones((len(Z), 1))])
    A = Zb.T @ (Zb * w[:, None]) + lam * np.diag(np.r_[np.ones(Z.shape[1]), 0.0])
    return np.linalg.solve(A, Zb.T @ (w * y))


def ridge_predict(Z, beta):
    return np.clip(Z @ beta[:-1] + beta[-1], 0, 8)


def folds_by_patient(patients, k, seed):
    return np.array([int(bucket(p, seed) * k) % k for p in patients])


def consecutive_pairs(idx, patient, when, y):
    """Consecutive films of one patient (by exam time) whose expert extent differs by >= 1 point."""
    by = defaultdict(list)
    for i in idx:
        by[patient[i]].append(i)
    pairs = []
    for films in by.values():
        films.sort(key=lambda i: when[i])
        for a, b in zip(films, films[1:]):
            if abs(y[b] - y[a]) >= 1:
                pairs.append((a, b))
    return pairs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feats", required=True)
    ap.add_argument("--splits", required=True)
    ap.add_argument("--ralo", required=True)
    ap.add_argument("--ood", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--ralo-test", type=float, default=0.2)
    ap.add_argument("--coverage", type=float, default=0.8)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--features", default=",".join(FEATURES), help="cached outputs to concatenate, in graph order")
    ap.add_argument("--embedding", choices=["nca", "mix"], default="mix",
                    help="nca: one projection trained on grades and classes; mix: v2's class embedding joined with a graded part trained on RALO grades, weighted so purity stays at v2's")
    ap.add_argument("--graded-dims", type=int, default=64)
    ap.add_argument("--arc-weight", type=float, default=0.8, help="share (cosine weight) of the arc in an arc+nca graded part")
    ap.add_argument("--graded", choices=["nca", "arc", "arc+nca"], default="nca",
                    help="graded part of a mix embedding: an NCA projection, or the extent estimate on a quarter circle")
    ap.add_argument("--ralo-weight", type=float, default=1.0, help="weight of the RALO soft-neighbour extent loss")
    ap.add_argument("--class-weight", type=float, default=1.0, help="weight of the corpus soft-neighbour class losses")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    X, items, index_meta = load(args)
    n = len(items)
    mu, sd = X.mean(0), X.std(0) + 1e-6

    corpus_train = {r["id"]: r for r in read_csv(os.path.join(args.splits, "train", "metadata.csv"))}
    corpus_test = {r["id"]: r for r in read_csv(os.path.join(args.splits, "test", "metadata.csv"))}
    ralo = {r["id"]: r for r in read_csv(os.path.join(args.ralo, "metadata.csv"))}
    ood = {r["id"]: r for r in read_csv(os.path.join(args.ood, "metadata.csv"))}

    rows = np.array([it["row"] for it in items])
    Xs = (X[rows] - mu) / sd  # standardised, in item order
    set_ = np.array([it["set"] for it in items])
    ids = [it["id"] for it in items]
    patient = np.array([
        ralo[i]["patient_id"] if s == "ralo" else (corpus_train.get(i) or corpus_test.get(i) or {}).get("patient_id", i)
        for i, s in zip(ids, set_)
    ])
    ralo_mask = set_ == "ralo"
    ralo_test = np.array([m and bucket(patient[k], args.seed) < args.ralo_test for k, m in enumerate(ralo_mask)])
    ralo_train = ralo_mask & ~ralo_test
    # Augmented copies (other grey levels) of frontal films follow their source film's split; the gate only uses them.
    aug = np.array([s.startswith("aug-") for s in set_])
    base = [i[4:] if a else i for i, a in zip(ids, aug)]
    ralo_train_ids = {ids[k] for k in np.where(ralo_train)[0]}
    aug_train = np.array([a and (b in ralo_train_ids or b in corpus_train) for a, b in zip(aug, base)])
    aug_test = aug & ~aug_train
    y = np.full(n, np.nan)
    r1 = np.full(n, np.nan)
    r2 = np.full(n, np.nan)
    when = [""] * n
    for k, i in enumerate(ids):
        if set_[k] == "ralo":
            r = ralo[i]
            r1[k], r2[k] = float(r["reader1_geographic"]), float(r["reader2_geographic"])
            y[k] = (r1[k] + r2[k]) / 2
            when[k] = r["exam_datetime"]
    cls = np.array([
        CLASSES.index(ralo[i]["severity"]) if s == "ralo" else
        CLASSES.index((corpus_train.get(i) or corpus_test.get(i))["severity"]) if (i in corpus_train or i in corpus_test) and (corpus_train.get(i) or corpus_test.get(i))["severity"] in CLASSES else -1
        for i, s in zip(ids, set_)
    ])
    in_ctrain = np.array([s == "cxr" and i in corpus_train for i, s in zip(ids, set_)])
    in_ctest = np.array([s == "cxr" and i in corpus_test for i, s in zip(ids, set_)])
    adult = np.array([
        (corpus_train.get(i) or corpus_test.get(i) or {}).get("age_group", "") in ("adult", "", "unknown") for i in ids
    ])

    # ---- extent head: ridge, lambda by grouped CV on the RALO training patients
    tr = np.where(ralo_train)[0]
    te = np.where(ralo_test)[0]
    fold = folds_by_patient(patient[tr], 5, args.seed + 1)
    best = None
    for lam in [30, 100, 300, 1000, 3000]:
        oof = np.zeros(len(tr))
        for f in range(5):
            a, b = tr[fold != f], tr[fold == f]
            oof[fold == f] = ridge_predict(Xs[b], ridge_fit(Xs[a], y[a], lam))
        mae = float(np.mean(np.abs(oof - y[tr])))
        print(f"extent ridge lam={lam}: OOF r={pearson(oof, y[tr]):.3f} MAE={mae:.3f}")
        if best is None or mae < best[1]:
            best = (lam, mae, oof)
    lam, _, oof = best
    beta = ridge_fit(Xs[tr], y[tr], lam)
    half = float(np.quantile(np.abs(oof - y[tr]), min(1.0, args.coverage * (1 + 1 / len(tr)))))
    pred = ridge_predict(Xs, beta)

    # ---- embedding head: soft-neighbour losses
    Xt = torch.tensor(Xs, dtype=torch.float32)
    U, S, Vt = np.linalg.svd(Xs[ralo_train | in_ctrain], full_matrices=False)
    pdims = args.graded_dims if args.embedding == "mix" else 256
    P = torch.nn.Parameter(torch.tensor(Vt[:pdims].T / S[:pdims] * np.sqrt(S[:pdims].sum()), dtype=torch.float32))
    opt = torch.optim.Adam([P], lr=2e-3, weight_decay=1e-3 if args.embedding == "mix" else 1e-4)
    tau = 0.1
    rtr = torch.tensor(np.where(ralo_train)[0])
    ctr = torch.tensor(np.where(in_ctrain & (cls >= 0))[0])
    yt = torch.tensor(np.nan_to_num(y), dtype=torch.float32)
    ct = torch.tensor(cls)
    pt = torch.tensor([hash(p) % (2**31) for p in patient])
    g = torch.Generator().manual_seed(args.seed)

    def soft(idx):
        z = torch.nn.functional.normalize(Xt[idx] @ P, dim=1)
        logits = z @ z.T / tau
        same = pt[idx][:, None] == pt[idx][None, :]
        return logits.masked_fill(same, -1e9).softmax(1)

    for step in range(args.steps):
        bi = rtr[torch.randperm(len(rtr), generator=g)[:384]]
        w = soft(bi)
        loss_r = (((w @ yt[bi]) - yt[bi]) / 8).pow(2).mean()
        if args.embedding == "mix":
            # The class structure comes from v2's embedding; this part only grades.
            opt.zero_grad()
            loss_r.backward()
            opt.step()
            if step % 100 == 0 or step == args.steps - 1:
                print(f"graded step {step}: ralo {loss_r.item():.4f}", flush=True)
            continue
        bc = ctr[torch.randperm(len(ctr), generator=g)[:384]]
        w = soft(bc)
        same_c = (ct[bc][:, None] == ct[bc][None, :]).float()
        loss_c = -torch.log((w * same_c).sum(1) + 1e-6).mean()
        # Healthy vs abnormal is what neighbour purity reads first: its own term, so grading cannot blur it.
        healthy = ct[bc] == 0
        same_h = (healthy[:, None] == healthy[None, :]).float()
        loss_c = loss_c + -torch.log((w * same_h).sum(1) + 1e-6).mean()
        loss = args.ralo_weight * loss_r + args.class_weight * loss_c
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"embed step {step}: ralo {loss_r.item():.4f} class {loss_c.item():.4f}")
    Pn = P.detach().numpy().astype(np.float64)
    Z = Xs @ Pn
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    if args.embedding == "mix" and args.graded in ("arc", "arc+nca"):
        # Films the extent head grades alike are near: 0 and 8 points are a quarter circle apart (cosine 0).
        theta = pred * np.pi / 16
        A = np.stack([np.cos(theta), np.sin(theta)], axis=1)
        if args.graded == "arc":
            Z = A
        else:
            # The arc orders by grade; the projection keeps appearance, so similarities still spread.
            c = args.arc_weight
            Z = np.hstack([c * A, np.sqrt(1 - c * c) * Z])
    alpha = None
    if args.embedding == "mix":
        V2 = np.fromfile(os.path.join(args.feats, "embedding.f32"), dtype=np.float32).reshape(index_meta["rows"], -1)[rows].astype(np.float64)
        V2 /= np.linalg.norm(V2, axis=1, keepdims=True)
        # Choose the weight of v2's class part on training films only: corpus training films against each other
        # (other patients) for purity, RALO training films against each other for the neighbours' extent.
        cq_tr = np.where(in_ctrain & adult & (cls >= 0))[0]
        def train_figures(a):
            Zm = np.hstack([a * V2, np.sqrt(1 - a * a) * Z])
            s_c = Zm[cq_tr] @ Zm[cq_tr].T
            s_c[patient[cq_tr][:, None] == patient[cq_tr][None, :]] = -9
            top_c = np.argsort(-s_c, axis=1)[:, :36]
            nc = cls[cq_tr][top_c]
            qc = cls[cq_tr]
            hp = float(np.mean((nc[qc == 0] == 0).mean(1)))
            ip = float(np.mean((nc[qc != 0] != 0).mean(1)))
            s_r = Zm[tr] @ Zm[tr].T
            s_r[patient[tr][:, None] == patient[tr][None, :]] = -9
            top_r = np.argsort(-s_r, axis=1)[:, :36]
            return hp, ip, pearson(y[tr][top_r].mean(1), y[tr])
        base = train_figures(1.0)
        print(f"alpha 1.00 (v2 alone): train purity healthy {base[0]:.3f} abnormal {base[1]:.3f}, ralo neighbours r {base[2]:.3f}", flush=True)
        alpha = 1.0
        for a in [0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5]:
            hp, ip, rr = train_figures(a)
            print(f"alpha {a:.2f}: train purity healthy {hp:.3f} abnormal {ip:.3f}, ralo neighbours r {rr:.3f}", flush=True)
            if hp >= base[0] - 0.01 and ip >= base[1] - 0.01:
                alpha = a
        Z = np.hstack([alpha * V2, np.sqrt(1 - alpha * alpha) * Z])
        print(f"chose alpha {alpha}", flush=True)

    # neighbours of held-out RALO films among the RALO training films (the scored reference)
    sims = Z[te] @ Z[tr].T
    top = np.argsort(-sims, axis=1)[:, :36]
    nb_mean = y[tr][top].mean(1)
    top_sims = np.take_along_axis(sims, top, 1)
    # purity: held-out adult corpus films among the corpus training films
    cq = np.where(in_ctest & adult & (cls >= 0))[0]
    cr = np.where(in_ctrain & (cls >= 0))[0]
    csims = Z[cq] @ Z[cr].T
    ctop = np.argsort(-csims, axis=1)[:, :36]
    nbcls = cls[cr][ctop]
    purity = {
        "healthy": float(np.mean((nbcls[cls[cq] == 0] == 0).mean(1))),
        "infected": float(np.mean((nbcls[cls[cq] == 1] != 0).mean(1))),
        "severe": float(np.mean((nbcls[cls[cq] == 2] != 0).mean(1))),
    }

    # ---- view gate
    kind = np.array([
        "frontal" if s in ("cxr", "ralo") or s.startswith("aug-") else (it["kind"] if it["kind"] in VIEWS else "other")
        for it, s in zip(items, set_)
    ])
    syn_seed = np.array([int(i.rsplit("-", 1)[1]) % 100000 if s == "synthetic" else -1 for i, s in zip(ids, set_)])
    ood_patient = np.array([
        (ood[i]["notes"].split("patientid=")[1].split(";")[0].strip() if s == "ood" and "patientid=" in ood[i]["notes"] else i)
        for i, s in zip(ids, set_)
    ])
    frontal_train = ralo_train | in_ctrain | aug_train
    frontal_test = ralo_test | in_ctest | aug_test

    def fit_gate(train_idx):
        lab = torch.tensor([VIEWS.index(k) for k in kind[train_idx]])
        counts = torch.bincount(lab, minlength=len(VIEWS)).float().clamp(min=1)
        W = torch.zeros(Xs.shape[1], len(VIEWS), requires_grad=True)
        b = torch.zeros(len(VIEWS), requires_grad=True)
        o = torch.optim.LBFGS([W, b], max_iter=200, line_search_fn="strong_wolfe")
        xt = Xt[train_idx]

        def closure():
            o.zero_grad()
            l = torch.nn.functional.cross_entropy(xt @ W + b, lab, weight=counts.sum() / counts / len(VIEWS))
            l = l + 1e-3 * W.pow(2).sum()
            l.backward()
            return l

        o.step(closure)
        return W.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64)

    def fit_distance(train_idx, k=48):
        mean = Xs[train_idx].mean(0)
        _, S_, Vt_ = np.linalg.svd(Xs[train_idx] - mean, full_matrices=False)
        std = S_[:k] / np.sqrt(len(train_idx) - 1)
        return mean, Vt_[:k].T / std

    def distance(M, idx):
        mean, W = M
        return np.sqrt(np.mean(((Xs[idx] - mean) @ W) ** 2, axis=1))

    def softmax(a):
        a = a - a.max(1, keepdims=True)
        e = np.exp(a)
        return e / e.sum(1, keepdims=True)

    neg = np.isin(kind, ["lateral", "ct", "other"])
    syn_train = (set_ == "synthetic") & (syn_seed < 60)
    syn_test = (set_ == "synthetic") & (syn_seed >= 60)
    # Out-of-fold gate scores for the OOD images (5 folds by source patient) and the held-out synthetic pictures.
    ood_idx = np.where(set_ == "ood")[0]
    ofold = folds_by_patient(ood_patient[ood_idx], 5, args.seed + 2)
    p_front = np.full(n, np.nan)
    dist = np.full(n, np.nan)
    for f in range(5):
        train_idx = np.where(frontal_train | syn_train)[0]
        train_idx = np.concatenate([train_idx, ood_idx[ofold != f]])
        Wg, bg = fit_gate(train_idx)
        M = fit_distance(np.where(frontal_train)[0])
        held = ood_idx[ofold == f]
        p_front[held] = softmax(Xs[held] @ Wg + bg)[:, 0]
        dist[held] = distance(M, held)
    final_train = np.concatenate([np.where(frontal_train | syn_train)[0], ood_idx])
    Wg, bg = fit_gate(final_train)
    M = fit_distance(np.where(frontal_train)[0])
    rest = np.where(~np.isin(np.arange(n), ood_idx))[0]
    p_front[rest] = softmax(Xs[rest] @ Wg + bg)[:, 0]
    dist[rest] = distance(M, rest)
    # Thresholds from frontal training films only. Frontal probability: 0.5 (or lower, should more than 0.5% of the
    # training films fall below it). Distance: 25% beyond the farthest training film (journal figures and odd
    # exports included), so it only catches pictures far from every film seen; the view head does the fine work.
    p_min = float(min(0.5, np.quantile(p_front[frontal_train], 0.005)))
    d_max = float(dist[frontal_train].max() * 1.25)
    refused = (p_front < p_min) | (dist > d_max)
    gate = {
        "frontalRefused": {
            "ralo_test": float(refused[ralo_test].mean()),
            "corpus_test_adult": float(refused[in_ctest & adult].mean()),
            "corpus_test_all": float(refused[in_ctest].mean()),
            "augmented_test": float(refused[aug_test].mean()) if aug_test.any() else None,
            "augmented_test_n": int(aug_test.sum()),
            "training_films": float(refused[frontal_train].mean()),
        },
        "refusedByKind": {
            k: {"refused": float(refused[(kind == k) & (set_ == "ood")].mean()), "n": int(((kind == k) & (set_ == "ood")).sum()), "note": "out-of-fold (5 folds by source patient)"}
            for k in ["lateral", "ct"]
        },
    }
    syn_kinds = sorted({it["kind"] for it, s in zip(items, set_) if s == "synthetic"})
    for k in syn_kinds:
        m = syn_test & np.array([it["kind"] == k for it in items])
        gate["refusedByKind"][f"synthetic-{k}"] = {"refused": float(refused[m].mean()), "n": int(m.sum()), "note": "held-out seeds"}

    # ---- held-out severity figures
    groups = defaultdict(list)
    for j, k in enumerate(te):
        groups[patient[k]].append(j)
    groups = [np.array(v) for v in groups.values()]
    pe, ye = pred[te], y[te]
    pairs = consecutive_pairs(te, patient, when, y)
    agree = [np.sign(pred[b] - pred[a]) == np.sign(y[b] - y[a]) for a, b in pairs]
    dpred = [pred[b] - pred[a] for a, b in pairs]
    dy = [y[b] - y[a] for a, b in pairs]
    inside = np.abs(pe - ye) <= half
    report = {
        "split": {"raloTrainPatients": int(len(set(patient[tr]))), "raloTestPatients": int(len(set(patient[te]))), "raloTrainFilms": int(len(tr)), "raloTestFilms": int(len(te)), "seed": args.seed},
        "severity": {
            "extent": {
                "pearson": pearson(pe, ye), "spearman": spearman(pe, ye), "mae": float(np.mean(np.abs(pe - ye))),
                "ci95": {
                    "pearson": bootstrap(groups, lambda i: pearson(pe[i], ye[i])),
                    "mae": bootstrap(groups, lambda i: float(np.mean(np.abs(pe[i] - ye[i])))),
                },
                "interval": {"halfWidth": half, "nominal": args.coverage, "heldOutCoverage": float(inside.mean())},
                "ridgeLambda": lam,
            },
            "neighbours": {"pearson": pearson(nb_mean, ye), "top36SimilarityMean": float(top_sims.mean()), "top36SimilaritySd": float(top_sims.std(1).mean()), "top1MinusTop36": float((top_sims[:, 0] - top_sims[:, -1]).mean())},
        },
        "drift": {"pairs": len(pairs), "directionAgreement": float(np.mean(agree)) if agree else None, "deltaSpearman": spearman(dpred, dy) if pairs else None},
        "readers": {"pearson": pearson(r1[te], r2[te]), "mae": float(np.mean(np.abs(r1[te] - r2[te])))},
        "purity": purity,
        "gate": {**gate, "thresholds": {"frontalMinProbability": p_min, "maxDistance": d_max}},
    }
    print(json.dumps(report, indent=1))
    # Fold the standardisation into the weights: the graph takes raw pooled features.
    inv = 1 / sd
    def fold(Wm, bvec):
        return Wm * inv[:, None], bvec - (mu * inv) @ Wm
    We, be = fold(Pn, np.zeros(Pn.shape[1]))
    Wx, bx = fold(beta[:-1, None], np.array([beta[-1]]))
    Wv, bv = fold(Wg, bg)
    Wd, bd = fold(M[1], -(M[0] @ M[1]))
    np.savez(os.path.join(args.out, "heads.npz"), We=We, be=be, Wx=Wx, bx=bx, Wv=Wv, bv=bv, Wd=Wd, bd=bd)
    report["embedding"] = {"kind": args.embedding, "graded": args.graded, "alpha": alpha, "arcWeight": args.arc_weight if args.graded == "arc+nca" else None, "gradedDims": {"arc": 2, "nca": int(Pn.shape[1]), "arc+nca": 2 + int(Pn.shape[1])}[args.graded]}
    json.dump({"views": VIEWS, "features": args.features.split(","), "embedding": report["embedding"], "report": report}, open(os.path.join(args.out, "heads.json"), "w"), indent=1)
    print(f"wrote {args.out}/heads.npz and heads.json")


if __name__ == "__main__":
    main()
