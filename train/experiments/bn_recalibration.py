#!/usr/bin/python3
"""Validation L1 of a checkpoint before and after recomputing the generator's batch-norm
running statistics on full 256x256 trainval frames (patch training collects them on 128x128
windows). Trainval only; the validation slice is train.py's.

    /usr/bin/python3 train/experiments/bn_recalibration.py --ckpt-dir train/run [--frames 256]
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import train as T  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt-dir", default="train/run", help="folder holding latest.pt")
    ap.add_argument("--data", default="../shared/data/siftflow")
    ap.add_argument("--frames", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    sys.argv = ["train.py", "--data", a.data, "--out", a.ckpt_dir]
    args = T.parse_args()
    tr = T.Trainer(args)
    if not tr.load():
        sys.exit("no latest.pt in " + a.ckpt_dir)
    names = T.read_split(args.data, "trainval.txt")
    train_names, val_names = T.split_trainval(names)
    vi, vl = T.load_set(args.data, val_names)
    print("iteration %d: validation L1 %.4f with the training running statistics" % (tr.it, tr.validate(vi, vl)))
    idx = np.random.default_rng(0).choice(len(train_names), a.frames, replace=False)
    ti, tl = T.load_set(args.data, [train_names[i] for i in idx])
    T.recalibrate_batch_norm(tr.G, tr.E, ti, tl, tr.cfg)
    print("after recalibration on %d full frames: validation L1 %.4f" % (a.frames, tr.validate(vi, vl)))


if __name__ == "__main__":
    main()
