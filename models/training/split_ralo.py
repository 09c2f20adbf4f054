"""Patient-level split of the RALO serial films, the same rule train_heads.py uses (sha256 of "<seed>:<patient>"):
train/ and test/ folders in the corpus format (metadata.csv subset + symlinks to the images), for `npm run eval`.

  /usr/bin/python3 models/training/split_ralo.py --ralo ../shared/data/ralo --out .data/ralo-splits --test 0.2 --seed 11
"""
import argparse
import csv
import hashlib
import os


def bucket(key: str, seed: int) -> float:
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ralo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--test", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    with open(os.path.join(args.ralo, "metadata.csv"), newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        fields = reader.fieldnames
    for part in ("train", "test"):
        d = os.path.join(args.out, part)
        os.makedirs(d, exist_ok=True)
        chosen = [r for r in rows if (bucket(r["patient_id"], args.seed) < args.test) == (part == "test")]
        with open(os.path.join(d, "metadata.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(chosen)
        for r in chosen:
            link = os.path.join(d, f"{r['id']}.jpg")
            if not os.path.lexists(link):
                os.symlink(os.path.abspath(os.path.join(args.ralo, f"{r['id']}.jpg")), link)
        print(f"{part}: {len(chosen)} films, {len({r['patient_id'] for r in chosen})} patients")


if __name__ == "__main__":
    main()
