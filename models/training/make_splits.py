#!/usr/bin/env python3
"""Patient-level split of a corpus folder (shared/data/cxr format) into train / test folders.

No person is on both sides: patient ids are merged when the notes column links them ("also filed as cohen:N",
Hannover persons also in Cohen's collection). Persons are stratified by source x class (a person's class = the most
severe class among their images) and a seeded share goes to test. Each output folder holds a metadata.csv subset and
symlinks to the images, OUTSIDE the repository's tracked files (default .data/cxr-splits/, which git ignores).

    /usr/bin/python3 models/training/make_splits.py --corpus ../shared/data/cxr --out .data/cxr-splits --test 0.2 --seed 7
"""
import argparse
import csv
import os
import random
import re
from collections import defaultdict

RANK = {"healthy": 0, "infected": 1, "severe": 2}
LINK = re.compile(r"also filed as ((?:cohen|mhh|nih|ped):[A-Za-z0-9_.-]+)")


def person_keys(rows):
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            lo, hi = sorted([ra, rb])
            parent[hi] = lo

    for r in rows:
        for other in LINK.findall(r["notes"]):
            union(r["patient_id"], other)
    return {r["patient_id"]: find(r["patient_id"]) for r in rows}


def split(rows, test_share, seed):
    keys = person_keys(rows)
    persons = defaultdict(list)
    for r in rows:
        persons[keys[r["patient_id"]]].append(r)
    strata = defaultdict(list)
    for p, images in sorted(persons.items()):
        labelled = [RANK[i["severity"]] for i in images if i["severity"] in RANK]
        cls = max(labelled) if labelled else -1
        strata[(images[0]["source"], cls)].append(p)
    rng = random.Random(seed)
    test = set()
    for key in sorted(strata):
        ps = strata[key]
        rng.shuffle(ps)
        n = round(len(ps) * test_share)
        test.update(ps[:n])
    return {r["id"]: ("test" if keys[r["patient_id"]] in test else "train") for r in rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="../shared/data/cxr")
    ap.add_argument("--out", default=".data/cxr-splits")
    ap.add_argument("--test", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    corpus = os.path.abspath(a.corpus)
    with open(os.path.join(corpus, "metadata.csv"), newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        rows = list(reader)
    side = split(rows, a.test, a.seed)
    for name in ("train", "test"):
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        subset = [r for r in rows if side[r["id"]] == name]
        with open(os.path.join(d, "metadata.csv"), "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
            w.writeheader()
            w.writerows(subset)
        for r in subset:
            link = os.path.join(d, r["id"] + ".jpg")
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(os.path.join(corpus, r["id"] + ".jpg"), link)
        counts = defaultdict(int)
        for r in subset:
            counts[(r["source"].split("/")[0], r["severity"])] += 1
        print(name, len(subset), "images,", len({r["patient_id"] for r in subset}), "patient ids;",
              ", ".join(f"{s}/{c}={n}" for (s, c), n in sorted(counts.items())))


if __name__ == "__main__":
    main()
