#!/usr/bin/python3
"""Pretrain the segmenter behind train.py's --seg_ckpt label-fidelity loss.

A small U-Net (spade.LabelSegmenter) learns to segment the real trainval photos (the
validation slice held out, as in train.py) on the same flips, scale jitter and 128x128
windows the generator trains on, with class-balanced cross entropy so rare natural classes
count. It never sees test.txt, and it is independent of ../shared/tools/segeval, which
scores the generator. It reports pixel accuracy and mIoU on the validation slice.

    /usr/bin/python3 train/seg_pretrain.py --data ../shared/data/siftflow --out train/run/segmenter.pt --minutes 25 --batch 16

--init starts from an earlier segmenter instead, such as the one a train.py checkpoint carries
(its S_segp); a train.py run given the result with --seg_ckpt uses it in place of its own.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spade  # noqa: E402
import train as tr  # noqa: E402


def evaluate(S, imgs, labs, cfg):
    """Pixel accuracy and mIoU (classes present in the slice) on full 256x256 frames."""
    S.eval()
    n = tr.LABEL_NC
    conf = torch.zeros(n, n, dtype=torch.int64)
    with torch.no_grad():
        for s in range(0, len(imgs), 16):
            x, seg = tr.to_tensors(list(imgs[s:s + 16]), list(labs[s:s + 16]), cfg)
            ids = seg.argmax(1)
            pred = S(x).argmax(1)
            ok = ids != n
            conf += torch.bincount(ids[ok] * n + pred[ok], minlength=n * n).view(n, n)
    acc = float(conf.diag().sum()) / float(conf.sum())
    inter = conf.diag().float()
    union = conf.sum(0).float() + conf.sum(1).float() - inter
    present = conf.sum(1) > 0
    return acc, float((inter[present] / union[present]).mean())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "siftflow"))
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=25)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--init", default="",
                   help="start from this segmenter instead of from scratch: a seg_pretrain.py output, "
                        "or a train.py checkpoint whose segmenter (S_segp) goes on learning")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    train_names, val_names = tr.split_trainval(tr.read_split(a.data, "trainval.txt"))
    imgs, labs = tr.load_set(a.data, train_names)
    vimgs, vlabs = tr.load_set(a.data, val_names)
    cfg = spade.Config(label_nc=tr.LABEL_NC)
    S = spade.LabelSegmenter(tr.LABEL_NC)
    if a.init:
        S.load_state_dict(tr.load_segmenter_state(a.init))
        acc, miou = evaluate(S, vimgs, vlabs, cfg)
        print("from %s: val pixel acc %.1f  mIoU %.1f" % (a.init, 100 * acc, 100 * miou), flush=True)
    print("segmenter: %.2fM params; %d train, %d val photos" % (
        sum(q.numel() for q in S.parameters()) / 1e6, len(imgs), len(vimgs)), flush=True)
    opt = torch.optim.AdamW(S.parameters(), lr=a.lr, weight_decay=1e-4)
    start = time.time()
    budget = a.minutes * 60
    it = 0
    while time.time() - start < budget:
        # Cosine decay over the time budget rather than a step count: the budget is wall time.
        frac = min(1.0, (time.time() - start) / budget)
        for g in opt.param_groups:
            g["lr"] = a.lr * 0.5 * (1 + np.cos(np.pi * frac))
        idx = rng.integers(0, len(imgs), a.batch)
        pairs = [tr.augment(imgs[i], labs[i], rng) for i in idx]
        x, seg = tr.to_tensors([q[0] for q in pairs], [q[1] for q in pairs], cfg)
        c = a.crop
        oy, ox = (int(rng.integers(0, 256 - c + 1)) for _ in range(2))
        x, seg = x[:, :, oy:oy + c, ox:ox + c], seg[:, :, oy:oy + c, ox:ox + c]
        ids = seg.argmax(1)
        weights = tr.class_balance(ids, tr.LABEL_NC)
        S.train()
        loss = tr.weighted_ce(S(x), ids.masked_fill(ids == tr.LABEL_NC, 0), weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        it += 1
        if it % 50 == 0:
            print("it %d  ce %.3f  lr %.2e  %.2f it/s" % (it, float(loss), opt.param_groups[0]["lr"],
                                                       it / (time.time() - start)), flush=True)
        if it % 500 == 0:
            acc, miou = evaluate(S, vimgs, vlabs, cfg)
            print("val pixel acc %.1f  mIoU %.1f at it %d" % (100 * acc, 100 * miou, it), flush=True)
    acc, miou = evaluate(S, vimgs, vlabs, cfg)
    print("final: val pixel acc %.1f  mIoU %.1f after %d iterations, %.1f min" % (
        100 * acc, 100 * miou, it, (time.time() - start) / 60), flush=True)
    torch.save({"S": S.state_dict(), "iters": it, "val_acc": acc, "val_miou": miou}, a.out)


if __name__ == "__main__":
    main()
