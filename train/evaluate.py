#!/usr/bin/python3
"""Quality of a Spadework model on the 200 held-out SIFT Flow test label maps.

    go build -o spadework . && /usr/bin/python3 train/evaluate.py --model default --out train/results

Renders through the Go binary (what users get), then measures:
- label fidelity: ../shared/tools/segeval segments each render and scores it against the
  label map it was rendered from, beside the real photos' score. Twice: with a random style
  (seed = index), and with the style encoded from the test photo, which is what the SPADE
  reference's test script does for a VAE model (it encodes the real image);
- diversity: mean pairwise L1 (0..1) between 5 seeds on the first 50 maps;
- style transfer: L1 to the test photo when rendered with the photo's own encoded style vs
  with random styles, on the first 50 maps.
Test images are only evaluated on, never trained or tuned on.

--variety V renders the random styles at z ~ N(0, V^2 I) (spadework render -variety) and writes
metrics_variety<V>.json and its segeval report beside the default run's; photo styles do not
depend on it and are not measured again.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load(p):
    return np.asarray(Image.open(p).convert("RGB")).astype(np.float32) / 255.0


def grid(a, names, lab, dirs, seeds):
    """Rows of: two random styles | the photo's own encoded style. Neither the dataset's photos
    nor its label maps (which the palette colours would reproduce exactly) go into the repo."""
    rows = []
    for n in names:
        cells = [np.asarray(Image.open(os.path.join(dirs["div"], "%s_%d.png" % (n, s))).convert("RGB")) for s in seeds[:2]]
        cells.append(np.asarray(Image.open(os.path.join(dirs["sty"], n + ".png")).convert("RGB")))
        rows.append(np.concatenate(cells, 1))
    Image.fromarray(np.concatenate(rows, 0)).save(os.path.join(a.out, "test_grid.jpg"), quality=88)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="default")
    ap.add_argument("--bin", default=os.path.join(ROOT, "spadework"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "siftflow"))
    ap.add_argument("--segeval", default=os.path.join(ROOT, "..", "shared", "tools", "segeval"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--work", default="/tmp/spadework-eval")
    ap.add_argument("--skip-segeval", action="store_true")
    ap.add_argument("--variety", type=float, default=1.0, help="scale of the random styles (truncation)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N test maps (a dry run; not for reporting)")
    a = ap.parse_args()

    names = open(os.path.join(a.data, "test.txt")).read().split()
    if a.limit:
        names = names[:a.limit]
    os.makedirs(a.out, exist_ok=True)
    dirs = {k: os.path.join(a.work, k) for k in ("fid", "div", "sty")}
    # "sty" holds every test map rendered in its own photo's encoded style.
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    lab = lambda n: os.path.join(a.data, "labels", n + ".png")  # noqa: E731
    photo = lambda n: os.path.join(a.data, "images", n + ".jpg")  # noqa: E731
    pairs = []
    for i, n in enumerate(names):
        pairs.append((lab(n), "seed:%d" % (i + 1), os.path.join(dirs["fid"], n + ".png")))
        pairs.append((lab(n), photo(n), os.path.join(dirs["sty"], n + ".png")))
    sub = names[:50]
    seeds = [1001, 1002, 1003, 1004, 1005]
    for n in sub:
        for s in seeds:
            pairs.append((lab(n), "seed:%d" % s, os.path.join(dirs["div"], "%s_%d.png" % (n, s))))
    pf = os.path.join(a.work, "pairs.tsv")
    with open(pf, "w") as f:
        for p in pairs:
            f.write("\t".join(p) + "\n")
    subprocess.run([a.bin, "render", "--model", a.model, "--variety", repr(a.variety), "--pairs", pf], check=True)
    suffix = "" if a.variety == 1 else "_variety%g" % a.variety

    div = []
    for n in sub:
        ims = [load(os.path.join(dirs["div"], "%s_%d.png" % (n, s))) for s in seeds]
        div.append(np.mean([np.abs(x - y).mean() for x, y in itertools.combinations(ims, 2)]))
    own, rnd = [], []
    for n in sub:
        ph = load(photo(n))
        own.append(np.abs(load(os.path.join(dirs["sty"], n + ".png")) - ph).mean())
        rnd.append(np.mean([np.abs(load(os.path.join(dirs["div"], "%s_%d.png" % (n, s))) - ph).mean()
                            for s in seeds]))
    res = {
        "model": a.model,
        "variety": a.variety,
        "diversity_mean_pairwise_l1": float(np.mean(div)),
        "style_l1_own_photo": float(np.mean(own)),
        "style_l1_random": float(np.mean(rnd)),
        "style_own_closer_share": float(np.mean(np.array(own) < np.array(rnd))),
    }
    if not a.skip_segeval:
        real = json.load(open(os.path.join(a.segeval, "reference", "siftflow_test_real.json")))
        for k in ("pixel_acc", "miou", "miou_landscape"):
            res["real_" + k] = real[k]
        # Keys without a prefix: random styles; "photo_style_": the photo's encoded style.
        runs = [("", dirs["fid"], "segeval_report%s.txt" % suffix)]
        if not suffix:
            runs.append(("photo_style_", dirs["sty"], "segeval_report_photo_style.txt"))
        for prefix, images, report in runs:
            seg_out = os.path.join(a.work, "segeval_" + (prefix or "random_"))
            subprocess.run([sys.executable, "eval_generated.py", "--images", images,
                            "--labels", os.path.join(a.data, "labels"), "--split", os.path.join(a.data, "test.txt"),
                            "--out", seg_out, "--compare", "reference/siftflow_test_real.npz"],
                           cwd=a.segeval, check=True)
            gen = json.load(open(seg_out + ".json"))
            for k in ("pixel_acc", "miou", "miou_landscape"):
                res[prefix + k] = gen[k]
            res[prefix + "miou_ratio_to_real"] = gen["miou"] / real["miou"]
            with open(seg_out + ".txt") as f:
                open(os.path.join(a.out, report), "w").write(f.read())
    json.dump(res, open(os.path.join(a.out, "metrics%s.json" % suffix), "w"), indent=1)
    if not suffix:
        grid(a, sub[:50:8], lab, dirs, seeds)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
