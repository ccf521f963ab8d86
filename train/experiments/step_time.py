#!/usr/bin/python3
"""Seconds per training step (batch 8, 128x128 windows, fresh weights) for variants of the
implementation, alternated in one run so that the machine's load affects them alike.

    /usr/bin/python3 train/experiments/step_time.py [--threads 1] [--steps 3]

Variants: "conv2d" (what train.py does), "matmul" (the learned 1x1 shortcuts, which torch 1.13
sends to its slow im2col path on the CPU, computed as a matrix product instead) and
"channels_last" (G, E, D and the batches in channels_last memory format).
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import train as T  # noqa: E402


def matmul_1x1(self, x):
    """nn.Conv2d.forward for a bias-free 1x1 conv, as a matrix product."""
    if self.kernel_size != (1, 1) or self.bias is not None:
        return self._conv_forward(x, self.weight, self.bias)
    n, c, h, w = x.shape
    y = torch.matmul(self.weight.view(self.out_channels, c), x.reshape(n, c, h * w))
    return y.view(n, self.out_channels, h, w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/siftflow")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    sys.argv = ["train.py", "--data", a.data, "--out", "/tmp/spadework-step-time"]
    args = T.parse_args()
    train_names, _ = T.split_trainval(T.read_split(args.data, "trainval.txt"))
    ti, tl = T.load_set(args.data, train_names[:64])
    conv_forward = torch.nn.Conv2d.forward
    to_tensors = T.to_tensors

    def channels_last(*xs):
        x, s = to_tensors(*xs)
        return x.contiguous(memory_format=torch.channels_last), s.contiguous(memory_format=torch.channels_last)

    for _ in range(a.rounds):
        for variant in ("conv2d", "matmul", "channels_last"):
            torch.nn.Conv2d.forward = matmul_1x1 if variant == "matmul" else conv_forward
            T.to_tensors = channels_last if variant == "channels_last" else to_tensors
            tr = T.Trainer(args)
            if variant == "channels_last":
                for net in (tr.G, tr.E, tr.D):
                    net.to(memory_format=torch.channels_last)
            tr.step(ti, tl)  # warm-up
            t0 = time.time()
            for _ in range(a.steps):
                tr.step(ti, tl)
            print("%-14s %.2f s/step" % (variant, (time.time() - t0) / a.steps), flush=True)


if __name__ == "__main__":
    main()
