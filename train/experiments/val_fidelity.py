#!/usr/bin/python3
"""Label fidelity of training checkpoints on the validation slice of trainval (never test.txt).

    /usr/bin/python3 train/experiments/val_fidelity.py train/run/A/latest.pt train/run/B/latest.pt:live

A checkpoint path may end in :ema or :live to choose the averaged or the last weights
(export.py --weights); without a suffix it scores what export.py would ship. A further +recal
(e.g. latest.pt:ema+recal) first recomputes the generator's batch-norm running statistics with
those weights on --recal-frames training frames (train.recalibrate_batch_norm).

For each checkpoint: render the 100 validation label maps in PyTorch (eval mode, the full
256x256 frame, a random style seeded by the map's index, the same seeds for every checkpoint),
segment the renders with ../shared/tools/segeval and print pixel accuracy, mIoU and landscape
mIoU. Checkpoints of one run are compared on the same maps and styles, so the difference between
them is the training's, not the sample's. Every checkpoint after the first is also compared with
the first, paired over the maps (segeval's --compare): the difference in mIoU and landscape mIoU
with its 95% bootstrap interval, which says whether 100 maps can tell the two apart. This is what
training decisions are made on; the held-out test maps are only for the final report
(train/evaluate.py).
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import ckpt_io  # noqa: E402
import export  # noqa: E402
import spade  # noqa: E402
import train as T  # noqa: E402


def render_all(ckpt, names, labs, out_dir, z_scale=1.0, recal_set=None):
    path, which, recal = ckpt, "auto", False
    if path.endswith("+recal"):
        path, recal = path[:-len("+recal")], True
    if path.endswith(":ema") or path.endswith(":live"):
        path, which = path.rsplit(":", 1)
    ck = ckpt_io.load(path)
    g_sd, e_sd, _ = export.pick_weights(ck, which, path)
    cfg = spade.Config(**ck["cfg"])
    G = spade.SPADEGenerator(cfg)
    G.load_state_dict(g_sd)
    if recal:
        E = spade.ConvEncoder(cfg)
        E.load_state_dict(e_sd)
        T.recalibrate_batch_norm(G, E, recal_set[0], recal_set[1], cfg)
    G.eval()
    os.makedirs(out_dir, exist_ok=True)
    with torch.no_grad():
        for i, (n, lab) in enumerate(zip(names, labs)):
            seg = spade.one_hot(torch.from_numpy(T.label_to_channels(lab))[None], cfg)
            z = torch.from_numpy(np.random.default_rng(1000 + i).standard_normal((1, cfg.z_dim)).astype(np.float32)) * z_scale
            img = T.tensor_to_u8(G(seg, z)[0])
            Image.fromarray(img).save(os.path.join(out_dir, n + ".png"))
    return ck["iter"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpts", nargs="+")
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "..", "shared", "data", "siftflow"))
    ap.add_argument("--segeval", default=os.path.join(HERE, "..", "..", "..", "shared", "tools", "segeval"))
    ap.add_argument("--work", default="/tmp/spadework-val-fidelity")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--z-scale", type=float, default=1.0,
                    help="multiply each random style by this (truncation; 1 = z ~ N(0, I))")
    ap.add_argument("--recal-frames", type=int, default=256,
                    help="training frames a checkpoint suffixed +recal recomputes batch-norm statistics on")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    _, val = T.split_trainval(T.read_split(a.data, "trainval.txt"))
    _, labs = T.load_set(a.data, val)
    os.makedirs(a.work, exist_ok=True)
    split = os.path.join(a.work, "val.txt")
    with open(split, "w") as f:
        f.write("\n".join(val) + "\n")
    recal_set = None
    if any(ck.endswith("+recal") for ck in a.ckpts):
        train_names, _ = T.split_trainval(T.read_split(a.data, "trainval.txt"))
        idx = np.random.default_rng(0).choice(len(train_names), a.recal_frames, replace=False)
        recal_set = T.load_set(a.data, [train_names[i] for i in idx])
    rows = []
    for k, ck in enumerate(a.ckpts):
        d = os.path.join(a.work, "ckpt%d" % k)
        it = render_all(ck, val, labs, d, a.z_scale, recal_set)
        out = os.path.join(a.work, "seg%d" % k)
        cmd = [sys.executable, "eval_generated.py", "--images", os.path.abspath(d),
               "--labels", os.path.abspath(os.path.join(a.data, "labels")), "--split", split, "--out", out]
        if k > 0:
            cmd += ["--compare", os.path.join(a.work, "seg0.npz")]
        subprocess.run(cmd, cwd=a.segeval, check=True, stdout=subprocess.DEVNULL)
        m = json.load(open(out + ".json"))
        rows.append((ck, it, m))
    print("checkpoint\titer\tpixel_acc\tmIoU\tlandscape_mIoU\tmIoU - first [95%]\tlandscape - first [95%]")
    for ck, it, m in rows:
        line = "%s\t%d\t%.1f\t%.1f\t%.1f" % (ck, it, 100 * m["pixel_acc"], 100 * m["miou"], 100 * m["miou_landscape"])
        c = m.get("compare")
        if c:
            for key in ("miou", "miou_landscape"):
                lo, hi = c["ci95"][key]
                line += "\t%+.1f [%+.1f, %+.1f]" % (100 * c[key], 100 * lo, 100 * hi)
        print(line)


if __name__ == "__main__":
    main()
