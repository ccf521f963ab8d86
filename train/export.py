#!/usr/bin/python3
"""Export a training checkpoint to Spadework's native .safetensors model file.

    /usr/bin/python3 train/export.py --ckpt train/checkpoint/latest.pt \
        --labels-json train/siftflow_labels.json --styles train/styles.json \
        --out assets/models/default.safetensors --fp16

Spectral norm is folded (W = weight_orig / (u^T W_mat v), as torch computes it in
eval mode), batch-norm running statistics are kept, num_batches_tracked is dropped,
the encoder is stored under netE. and the named style presets (z = mu of the
encoder for chosen trainval photos) under `styles`. See docs/ARCHITECTURE.md.
"""

import argparse
import datetime
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ckpt_io  # noqa: E402
import safetensors_io  # noqa: E402
import spade  # noqa: E402


def fold_state_dict(sd, prefix):
    out = {}
    for k, v in sd.items():
        if k.endswith("num_batches_tracked") or k.endswith("weight_u") or k.endswith("weight_v"):
            continue
        if k.endswith("weight_orig"):
            base = k[: -len("_orig")]
            w = v.double()
            u = sd[base + "_u"].double()
            vv = sd[base + "_v"].double()
            sigma = torch.dot(u, torch.mv(w.reshape(w.shape[0], -1), vv))
            out[prefix + base] = (w / sigma).float()
        else:
            out[prefix + k] = v.float()
    return out


def pick_weights(ck, which, path):
    """G's and E's state dicts from a training checkpoint: the moving average
    (train.py --ema) or the live weights; returns them and which it chose."""
    if which == "auto":
        which = "ema" if "G_ema" in ck else "live"
    if which == "live":
        return ck["G"], ck["E"], "live"
    if "G_ema" not in ck:
        raise SystemExit("%s has no averaged weights (trained without --ema): use --weights live" % path)
    return ck["G_ema"], ck["E_ema"], "ema (decay %g)" % ck.get("ema", 0)


def siftflow_channels():
    ch = [[0, 33]]
    for i in range(1, 34):
        ch.append([i, i - 1])
    return ch


def encode_styles(E, data, styles):
    names, zs = [], []
    E.eval()
    with torch.no_grad():
        for name, image in styles:
            im = np.asarray(Image.open(os.path.join(data, "images", image + ".jpg")).convert("RGB"))
            x = torch.from_numpy(im.copy()).permute(2, 0, 1).float().unsqueeze(0) / 127.5 - 1
            mu, _ = E(x)
            names.append(name)
            zs.append(mu[0])
    return names, torch.stack(zs) if zs else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--labels-json", required=True, help="SIFT Flow label list: [{id,name,color}]")
    p.add_argument("--styles", help="JSON list of [name, trainval image name]")
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "siftflow"))
    p.add_argument("--fp16", action="store_true")
    p.add_argument("--weights", choices=("auto", "ema", "live"), default="auto",
                   help="the averaged (ema) or the last (live) G and E; auto = ema where the checkpoint has it")
    a = p.parse_args()

    ck = ckpt_io.load(a.ckpt)
    g_sd, e_sd, which = pick_weights(ck, a.weights, a.ckpt)
    cfg = spade.Config(**ck["cfg"])
    G = spade.SPADEGenerator(cfg)
    E = spade.ConvEncoder(cfg)
    G.load_state_dict(g_sd)
    E.load_state_dict(e_sd)
    tensors = fold_state_dict(g_sd, "netG.")
    tensors.update(fold_state_dict(e_sd, "netE."))

    trainval = set(open(os.path.join(a.data, "trainval.txt")).read().split())
    style_names = []
    if a.styles:
        styles = json.load(open(a.styles))
        for _, image in styles:
            if image not in trainval:
                raise SystemExit("style photo %s is not in trainval.txt" % image)
        style_names, z = encode_styles(E, a.data, styles)
        tensors["styles"] = z

    with open(a.labels_json) as f:
        labels = json.load(f)
    meta = {
        "format": "spadework-model",
        "format_version": "1",
        "name": "Spadework landscapes (SIFT Flow, 256)",
        "id": "spadework-siftflow-256-v1",
        "config": json.dumps(ck["cfg"], sort_keys=True),
        "labels": json.dumps({"set": "siftflow", "unlabeled": 0, "labels": labels,
                              "channels": siftflow_channels()}),
        "style_names": json.dumps(style_names),
        "provenance": json.dumps({
            "trained_by": "Spadework train/train.py",
            "data": "SIFT Flow (LabelMe Outdoor) trainval split, C. Liu, J. Yuen, A. Torralba, CVPR 2009",
            "iterations": ck["iter"], "weights": which, "train_hours": round(ck.get("hours", 0.0), 2),
            "args": ck["args"], "exported": datetime.date.today().isoformat()}),
        "license": "Weights trained by the Spadework authors on SIFT Flow, which its authors "
                   "distribute for research use; cite Liu, Yuen and Torralba (CVPR 2009).",
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    safetensors_io.write(a.out, tensors, meta, a.fp16)
    n = sum(t.numel() for t in tensors.values())
    print("wrote %s: %d tensors, %.2fM values, iteration %d, %s weights" % (a.out, len(tensors), n / 1e6, ck["iter"], which))


if __name__ == "__main__":
    main()
