#!/usr/bin/python3
"""Train Spadework's default landscape model (SPADE + VAE style encoder) on SIFT Flow.

CPU-only, resumable, meant to run unattended for hours on 2 cores:

    /usr/bin/python3 train/train.py --data ../shared/data/siftflow --out train/run

Design, after the SPADE paper, with the deviations the CPU budget forces:
- Generator: SPADE blocks, spectral norm, param-free batch norm, 3x3 SPADE kernels.
- Encoder: six stride-2 convs with instance norm; z = mu + eps * std; KL weight 0.05.
- Discriminator: multi-scale PatchGAN with spectral + instance norm, hinge loss,
  feature matching (weight 10).
- TTUR: Adam beta = (0, 0.9), lr_G 1e-4, lr_D 4e-4.
Deviations (see train/README.md for measurements):
- No VGG perceptual loss (no pretrained VGG here). A multi-scale L1 reconstruction
  loss against the photo the style was encoded from stands in for it.
- Patch training: the generator renders an aligned 128x128 window of the 256x256
  frame (the 8x8 fc map is cropped to the matching 4x4 cells), a quarter of the
  cost of a full frame. The encoder always sees the full photo.
- Smaller widths: ngf 16, nhidden 32, D ndf 32 with 3 layers.
Only trainval.txt is read; a fixed slice of it is held out for validation.
"""

import argparse
import copy
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ckpt_io  # noqa: E402
import spade  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "siftflow"))
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "run"))
    p.add_argument("--ngf", type=int, default=16)
    p.add_argument("--nhidden", type=int, default=32)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--n_layers_D", type=int, default=3)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=128, help="training window (multiple of 32, <= 256)")
    p.add_argument("--iters", type=int, default=200000)
    p.add_argument("--lr_g", type=float, default=1e-4)
    p.add_argument("--lr_d", type=float, default=4e-4)
    p.add_argument("--decay_from", type=int, default=0,
                   help="iteration where G's and D's learning rates start falling linearly to zero, as the "
                        "reference's second half does (0 = constant rates)")
    p.add_argument("--decay_iters", type=int, default=0,
                   help="iterations the fall from --lr_g/--lr_d to zero takes")
    p.add_argument("--lambda_feat", type=float, default=10.0)
    p.add_argument("--lambda_l1", type=float, default=10.0)
    p.add_argument("--lambda_kld", type=float, default=0.05)
    p.add_argument("--lambda_seg", type=float, default=0.0,
                   help="weight of the segmenting discriminator's loss on G (0 = no such discriminator)")
    p.add_argument("--seg_ckpt", default="",
                   help="a segmenter from seg_pretrain.py whose class-balanced cross entropy on the "
                        "generated window is added to G's loss (weight --lambda_segp)")
    p.add_argument("--lambda_segp", type=float, default=2.0)
    p.add_argument("--lr_segp", type=float, default=3e-4,
                   help="the segmenter keeps learning on each batch's real windows at this rate (0 = frozen)")
    p.add_argument("--ema", type=float, default=0.999,
                   help="decay of the exponential moving average of G's and E's weights that export.py "
                        "ships (0 = none)")
    p.add_argument("--balance", type=float, default=0.0,
                   help="repeat-factor sampling threshold t (LVIS): an image is drawn in proportion to "
                        "max over its classes of max(1, sqrt(t / share of images with the class)); 0 = uniform")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ckpt_every_s", type=float, default=600)
    p.add_argument("--sample_every", type=int, default=250)
    p.add_argument("--val_every", type=int, default=1000)
    p.add_argument("--max_hours", type=float, default=0, help="stop cleanly after this long (0 = no limit)")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


# SIFT Flow's label file: 0 = void, 1..33 = classes. Channels: class k -> k-1, void -> 33 (don't care).
LABEL_NC = 33


def label_to_channels(lab):
    out = lab.astype(np.int64) - 1
    out[lab == 0] = LABEL_NC
    return out


def read_split(data, name):
    with open(os.path.join(data, name)) as f:
        return [ln.strip() for ln in f if ln.strip()]


def split_trainval(names):
    """Every 25th trainval name is held out for validation (about 100 images)."""
    train = [n for i, n in enumerate(names) if i % 25 != 7]
    val = [n for i, n in enumerate(names) if i % 25 == 7]
    return train, val


def load_set(data, names):
    imgs = np.zeros((len(names), 256, 256, 3), np.uint8)
    labs = np.zeros((len(names), 256, 256), np.uint8)
    for i, n in enumerate(names):
        im = Image.open(os.path.join(data, "images", n + ".jpg")).convert("RGB")
        lb = Image.open(os.path.join(data, "labels", n + ".png"))
        if im.size != (256, 256):
            im = im.resize((256, 256), Image.BICUBIC)
        if lb.size != (256, 256):
            lb = lb.resize((256, 256), Image.NEAREST)
        imgs[i] = np.asarray(im)
        labs[i] = np.asarray(lb)
    if labs.max() > LABEL_NC:
        raise ValueError("label value %d out of range in %s" % (labs.max(), data))
    return imgs, labs


def repeat_factors(labs, t):
    """Per-image sampling weights of repeat-factor sampling (Gupta et al., LVIS, 2019):
    a class seen in a share f of the images gets r = max(1, sqrt(t / f)), an image the
    largest r of its classes, so images with rare classes come round more often without
    any class being cut. Void does not count."""
    present = np.zeros((len(labs), LABEL_NC + 1), bool)
    for i, lab in enumerate(labs):
        present[i, np.unique(lab)] = True
    present[:, 0] = False
    share = present.mean(0)
    r_class = np.where(share > 0, np.sqrt(t / np.maximum(share, 1e-9)), 1.0)
    r_class = np.maximum(r_class, 1.0)
    return np.where(present, r_class[None, :], 1.0).max(1), r_class


def augment(img, lab, rng):
    """Random flip and scale/crop jitter; returns a 256x256 pair."""
    if rng.random() < 0.5:
        img = img[:, ::-1]
        lab = lab[:, ::-1]
    s = int(rng.integers(256, 321))
    if s > 256:
        pi = Image.fromarray(np.ascontiguousarray(img)).resize((s, s), Image.BICUBIC)
        pl = Image.fromarray(np.ascontiguousarray(lab)).resize((s, s), Image.NEAREST)
        x, y = int(rng.integers(0, s - 255)), int(rng.integers(0, s - 255))
        img = np.asarray(pi)[y:y + 256, x:x + 256]
        lab = np.asarray(pl)[y:y + 256, x:x + 256]
    return np.ascontiguousarray(img), np.ascontiguousarray(lab)


def to_tensors(imgs, labs, cfg):
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float() / 127.5 - 1
    ch = torch.from_numpy(np.stack([label_to_channels(l) for l in labs]))
    return x, spade.one_hot(ch, cfg)


def palette_colors():
    rng = np.random.default_rng(7)
    c = rng.integers(40, 255, (LABEL_NC + 1, 3)).astype(np.uint8)
    c[LABEL_NC] = 0
    return c


def save_grid(path, rows):
    """rows: list of (label_rgb, fake, real) uint8 HxWx3 arrays."""
    h = rows[0][0].shape[0]
    grid = np.zeros((h * len(rows), h * 3, 3), np.uint8)
    for r, trip in enumerate(rows):
        for c, a in enumerate(trip):
            grid[r * h:(r + 1) * h, c * h:(c + 1) * h] = a
    Image.fromarray(grid).save(path)


def tensor_to_u8(t):
    a = ((t.detach().permute(1, 2, 0).numpy() + 1) / 2 * 255).clip(0, 255)
    return a.astype(np.uint8)


def recalibrate_batch_norm(G, E, imgs, labs, cfg, batch=8, seed=0):
    """Recompute G's batch-norm running statistics as a plain average over the given
    frames, rendered with G's and E's own weights (style sampled from E's posterior, as in
    training). Training keeps the statistics of the live weights; the averaged weights
    (--ema) are a different network whose activations have other statistics."""
    bns = [m for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    gen = torch.Generator().manual_seed(seed)
    G.train()
    E.eval()
    with torch.no_grad():
        for s in range(0, len(imgs), batch):
            real, seg = to_tensors(list(imgs[s:s + batch]), list(labs[s:s + batch]), cfg)
            mu, logvar = E(real)
            G(seg, mu + torch.randn(mu.shape, generator=gen) * torch.exp(0.5 * logvar))
    for m, mom in zip(bns, saved):
        m.momentum = mom
    G.eval()


def hinge_d(pred, real):
    loss = 0
    for feats in pred:
        p = feats[-1]
        loss = loss + (F.relu(1 - p).mean() if real else F.relu(1 + p).mean())
    return loss / len(pred)


def class_balance(ids, ignore):
    """Per-pixel weights that give every class present in the batch the same total weight
    (mean 1 over the counted pixels); 0 on pixels of the ignored (void) channel."""
    valid = ids != ignore
    counts = torch.bincount(ids[valid], minlength=ignore + 1).float()
    present = int((counts > 0).sum())
    if present == 0:
        return torch.zeros(ids.shape)
    per_class = torch.where(counts > 0, valid.sum() / (present * counts.clamp(min=1)), torch.zeros(()))
    return per_class[ids] * valid


def weighted_ce(logits, target, weights):
    """Cross entropy per pixel, weighted, averaged over the pixels with weight > 0."""
    ce = F.cross_entropy(logits, target, reduction="none")
    return (ce * weights).sum() / (weights > 0).sum().clamp(min=1)


def multiscale_l1(a, b):
    loss = 0
    for i in range(3):
        loss = loss + (a - b).abs().mean()
        a = F.avg_pool2d(a, 2)
        b = F.avg_pool2d(b, 2)
    return loss / 3


def load_segmenter_state(path):
    """The segmenter's weights from a seg_pretrain.py output or from a train.py checkpoint."""
    ck = ckpt_io.load(path)  # reads train.py's compact format and plain torch.save files
    if "S_segp" in ck:
        return ck["S_segp"]
    if "S" in ck and "iter" not in ck:  # in a train.py checkpoint "S" is the segmenting discriminator
        return ck["S"]
    raise SystemExit("%s: no segmenter in it (neither a seg_pretrain.py output nor a checkpoint "
                     "trained with --seg_ckpt)" % path)


class Trainer:
    def __init__(self, args):
        self.args = args
        torch.manual_seed(args.seed)
        self.cfg = spade.Config(label_nc=LABEL_NC, ngf=args.ngf, nhidden=args.nhidden,
                                norm_G="spectralspadebatch3x3")
        self.G = spade.SPADEGenerator(self.cfg)
        self.E = spade.ConvEncoder(self.cfg)
        self.D = spade.MultiscaleDiscriminator(self.cfg.semantic_nc + 3, args.ndf, args.n_layers_D, 2)
        for n in (self.G, self.E, self.D):
            spade.init_weights(n)
        self.opt_g = torch.optim.Adam(list(self.G.parameters()) + list(self.E.parameters()),
                                      lr=args.lr_g, betas=(0.0, 0.9))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=args.lr_d, betas=(0.0, 0.9))
        # The segmenting discriminator (OASIS-style) sits beside the patch discriminator.
        self.S = self.opt_s = None
        if args.lambda_seg > 0:
            self.S = spade.SegDiscriminator(LABEL_NC)
            spade.init_weights(self.S)
            self.opt_s = torch.optim.Adam(self.S.parameters(), lr=args.lr_d, betas=(0.0, 0.9))
        # A segmenter trained on real photos (seg_pretrain.py): a label-fidelity loss for G.
        # It only ever learns from real photos, so it stays a judge of what a class looks like.
        self.S_label = self.opt_segp = None
        if args.seg_ckpt:
            self._make_segmenter(load_segmenter_state(args.seg_ckpt))
        # Averaged copies of G and E: the weights a GAN's generator ends on are one
        # point of an oscillation; their running mean renders steadier pictures.
        self.G_ema = self.E_ema = None
        self.ema_n = 0  # updates since the average started
        if args.ema > 0:
            self.G_ema, self.E_ema = copy.deepcopy(self.G), copy.deepcopy(self.E)
        self.draw_p = None  # per-image draw probabilities; None = uniform (see repeat_factors)
        self.it = 0
        self.rng = np.random.default_rng(args.seed)
        self.hours = 0.0
        self.log = []

    def _make_segmenter(self, state):
        self.S_label = spade.LabelSegmenter(LABEL_NC)
        self.S_label.load_state_dict(state)
        self.S_label.eval().requires_grad_(False)
        if self.args.lr_segp > 0:
            self.opt_segp = torch.optim.AdamW(self.S_label.parameters(), lr=self.args.lr_segp, weight_decay=1e-4)

    # ---- checkpoints -------------------------------------------------------
    def ckpt_path(self):
        return os.path.join(self.args.out, "latest.pt")

    @staticmethod
    def _slim_opt(state):
        # With beta1 = 0, Adam's first moment is overwritten by the next gradient
        # before it is read, so dropping it keeps resume exact and saves a third.
        st = {"param_groups": state["param_groups"], "state": {}}
        for k, v in state["state"].items():
            st["state"][k] = {"step": v["step"], "exp_avg_sq": v["exp_avg_sq"]}
        return st

    @staticmethod
    def _fat_opt(st):
        for v in st["state"].values():
            v["exp_avg"] = torch.zeros_like(v["exp_avg_sq"])
        return st

    def save(self):
        assert self.args.lr_g and self.opt_g.param_groups[0]["betas"][0] == 0.0
        ck = {
            "iter": self.it, "hours": self.hours, "cfg": self.cfg.__dict__, "args": vars(self.args),
            "G": self.G.state_dict(), "E": self.E.state_dict(), "D": self.D.state_dict(),
            "opt_g": self._slim_opt(self.opt_g.state_dict()), "opt_d": self._slim_opt(self.opt_d.state_dict()),
            "torch_rng": torch.get_rng_state(), "np_rng": self.rng.bit_generator.state,
            "log": self.log[-2000:],
        }
        if self.G_ema is not None:
            ck["G_ema"], ck["E_ema"], ck["ema"] = self.G_ema.state_dict(), self.E_ema.state_dict(), self.args.ema
            ck["ema_n"] = self.ema_n
        if self.S_label is not None:
            ck["S_segp"] = self.S_label.state_dict()
            if self.opt_segp is not None:
                ck["opt_segp"] = self.opt_segp.state_dict()
        if self.S is not None:
            ck["S"] = self.S.state_dict()
            ck["opt_s"] = self._slim_opt(self.opt_s.state_dict())
        ckpt_io.save(ck, self.ckpt_path())

    def load(self):
        p = self.ckpt_path()
        if not os.path.exists(p):
            return False
        ck = ckpt_io.load(p)
        self.G.load_state_dict(ck["G"])
        self.E.load_state_dict(ck["E"])
        self.D.load_state_dict(ck["D"])
        self.opt_g.load_state_dict(self._fat_opt(ck["opt_g"]))
        self.opt_d.load_state_dict(self._fat_opt(ck["opt_d"]))
        if self.G_ema is not None and "ema_n" in ck:
            self.G_ema.load_state_dict(ck["G_ema"])
            self.E_ema.load_state_dict(ck["E_ema"])
            self.ema_n = ck["ema_n"]
        elif self.G_ema is not None:
            print("the checkpoint has no averaged weights: the average starts from its G and E", flush=True)
            self.G_ema.load_state_dict(ck["G"])
            self.E_ema.load_state_dict(ck["E"])
        if self.S_label is None and "S_segp" in ck and self.args.lambda_segp > 0:
            # A run that trained with the segmenter's loss goes on with it (--lambda_segp 0 stops it).
            print("the checkpoint trains with a segmenter's loss: it goes on", flush=True)
            self._make_segmenter(ck["S_segp"])
        if (self.S_label is not None and "S_segp" in ck and self.args.seg_ckpt
                and ck.get("args", {}).get("seg_ckpt") != self.args.seg_ckpt):
            # A segmenter newly named on the command line replaces the checkpoint's and its
            # optimizer state; a run resumed with the same --seg_ckpt goes on with its own.
            print("the segmenter from %s replaces the checkpoint's" % self.args.seg_ckpt, flush=True)
        elif self.S_label is not None and "S_segp" in ck:
            self.S_label.load_state_dict(ck["S_segp"])
            if self.opt_segp is not None and "opt_segp" in ck:
                self.opt_segp.load_state_dict(ck["opt_segp"])
        if self.S is not None and "S" in ck:
            self.S.load_state_dict(ck["S"])
            self.opt_s.load_state_dict(self._fat_opt(ck["opt_s"]))
        elif self.S is not None:
            print("the checkpoint has no segmenting discriminator: it starts fresh", flush=True)
        torch.set_rng_state(ck["torch_rng"])
        self.rng.bit_generator.state = ck["np_rng"]
        # The command line's learning rates win over the checkpoint's, so a run
        # can be resumed with a new schedule; the change is logged.
        for opt, lr, name in ((self.opt_g, self.args.lr_g, "lr_g"), (self.opt_d, self.args.lr_d, "lr_d")):
            for g in opt.param_groups:
                if g["lr"] != lr:
                    print("%s: %g in the checkpoint, %g from the command line" % (name, g["lr"], lr), flush=True)
                    g["lr"] = lr
        self.it = ck["iter"]
        self.hours = ck.get("hours", 0.0)
        self.log = ck.get("log", [])
        return True

    def scheduled_lr(self, base):
        """base, or its linear fall to zero after --decay_from; a function of the
        iteration alone, so a resumed run continues the same schedule."""
        a = self.args
        if a.decay_from <= 0 or a.decay_iters <= 0 or self.it < a.decay_from:
            return base
        return base * max(0.0, 1.0 - (self.it - a.decay_from) / a.decay_iters)

    def apply_lr_schedule(self):
        pairs = [(self.opt_g, self.args.lr_g), (self.opt_d, self.args.lr_d)]
        if self.S is not None:
            pairs.append((self.opt_s, self.args.lr_d))
        for opt, base in pairs:
            for g in opt.param_groups:
                g["lr"] = self.scheduled_lr(base)

    # ---- one step ------------------------------------------------------------
    def batch(self, imgs, labs):
        if self.draw_p is None:
            idx = self.rng.integers(0, len(imgs), self.args.batch)
        else:
            idx = self.rng.choice(len(imgs), self.args.batch, p=self.draw_p)
        pairs = [augment(imgs[i], labs[i], self.rng) for i in idx]
        return to_tensors([p[0] for p in pairs], [p[1] for p in pairs], self.cfg)

    def crop_window(self):
        c = self.args.crop
        cells = (256 - c) // 32
        return int(self.rng.integers(0, cells + 1)) * 32, int(self.rng.integers(0, cells + 1)) * 32

    def generate(self, seg, z, oy=0, ox=0, size=256):
        """Run G on the window [oy:oy+size, ox:ox+size] of a 256x256 frame."""
        if size == 256:
            return self.G(seg, z)
        # Same graph as SPADEGenerator.forward, starting from the matching fc cells.
        G, cfg = self.G, self.cfg
        x = G.fc(z).view(-1, 16 * cfg.ngf, G.sh, G.sw)
        cy, cx, cn = oy // 32, ox // 32, size // 32
        x = x[:, :, cy:cy + cn, cx:cx + cn]
        x = G.head_0(x, seg)
        x = G.G_middle_0(G.up(x), seg)
        x = G.G_middle_1(x, seg)
        for name in ("up_0", "up_1", "up_2", "up_3"):
            x = getattr(G, name)(G.up(x), seg)
        return torch.tanh(G.conv_img(F.leaky_relu(x, 0.2)))

    def step(self, imgs, labs):
        a = self.args
        real_full, seg_full = self.batch(imgs, labs)
        oy, ox = self.crop_window()
        c = a.crop
        real = real_full[:, :, oy:oy + c, ox:ox + c]
        seg = seg_full[:, :, oy:oy + c, ox:ox + c]

        # Generator + encoder.
        self.G.train()
        self.E.train()
        mu, logvar = self.E(real_full)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        fake = self.generate(seg, z, oy, ox, c)
        pred_fake = self.D(torch.cat([seg, fake], 1))
        with torch.no_grad():
            pred_real = self.D(torch.cat([seg, real], 1))
        g_gan = 0
        for pf in pred_fake:
            g_gan = g_gan - pf[-1].mean()
        g_gan = g_gan / len(pred_fake)
        g_feat = 0
        for pf, pr in zip(pred_fake, pred_real):
            for f, r in zip(pf[:-1], pr[:-1]):
                g_feat = g_feat + F.l1_loss(f, r.detach())
        g_feat = g_feat * a.lambda_feat / len(pred_fake)
        g_l1 = multiscale_l1(fake, real) * a.lambda_l1
        g_kld = spade.kld(mu, logvar) / mu.shape[0] * a.lambda_kld
        g_loss = g_gan + g_feat + g_l1 + g_kld
        if self.S is not None:
            self.S.requires_grad_(False)  # G's step needs gradients through S, not S's own
            ids = seg.argmax(1)  # channel per pixel; LABEL_NC is the don't-care (void) channel
            weights = class_balance(ids, LABEL_NC)
            g_seg = weighted_ce(self.S(fake), ids.masked_fill(ids == LABEL_NC, 0), weights) * a.lambda_seg
            g_loss = g_loss + g_seg
        if self.S_label is not None:
            ids_p = seg.argmax(1)
            target_p, weights_p = ids_p.masked_fill(ids_p == LABEL_NC, 0), class_balance(ids_p, LABEL_NC)
            g_segp = weighted_ce(self.S_label(fake), target_p, weights_p) * a.lambda_segp
            g_loss = g_loss + g_segp
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.update_ema()

        # Discriminator.
        fake = fake.detach()
        d_fake = hinge_d(self.D(torch.cat([seg, fake], 1)), False)
        d_real = hinge_d(self.D(torch.cat([seg, real], 1)), True)
        self.opt_d.zero_grad(set_to_none=True)
        (d_fake + d_real).backward()
        self.opt_d.step()
        out = {"G_gan": float(g_gan), "G_feat": float(g_feat), "G_l1": float(g_l1), "KLD": float(g_kld),
               "D_fake": float(d_fake), "D_real": float(d_real)}
        if self.S_label is not None:
            out["G_segp"] = float(g_segp)
            if self.opt_segp is not None:
                S = self.S_label
                S.train().requires_grad_(True)
                s_loss = weighted_ce(S(real), target_p, weights_p)
                self.opt_segp.zero_grad(set_to_none=True)
                s_loss.backward()
                self.opt_segp.step()
                S.eval().requires_grad_(False)
                out["S_real"] = float(s_loss)

        if self.S is not None:
            self.S.requires_grad_(True)
            # Real pixels are to be segmented as their class, generated ones as "fake" (index LABEL_NC).
            s_real = weighted_ce(self.S(real), ids.masked_fill(ids == LABEL_NC, 0), weights)
            s_fake = weighted_ce(self.S(fake), torch.full_like(ids, LABEL_NC), weights)
            self.opt_s.zero_grad(set_to_none=True)
            (s_real + s_fake).backward()
            self.opt_s.step()
            out.update(G_seg=float(g_seg), S_real=float(s_real), S_fake=float(s_fake))
        self.it += 1
        return out

    def update_ema(self):
        if self.G_ema is None:
            return
        # Warm-up (as TensorFlow's ExponentialMovingAverage with num_updates): a
        # young average forgets its starting point faster instead of carrying it
        # for thousands of iterations.
        decay = min(self.args.ema, (1 + self.ema_n) / (10 + self.ema_n))
        self.ema_n += 1
        with torch.no_grad():
            for avg, live in ((self.G_ema, self.G), (self.E_ema, self.E)):
                for pa, pl in zip(avg.parameters(), live.parameters()):
                    pa.lerp_(pl, 1 - decay)
                # Spectral norm's power-iteration vectors and batch norm's running
                # statistics are estimates, not weights: the live ones are the freshest.
                for ba, bl in zip(avg.buffers(), live.buffers()):
                    ba.copy_(bl)

    # ---- looking at it ---------------------------------------------------------
    def samples(self, imgs, labs, path, n=6):
        self.G.eval()
        self.E.eval()
        colors = palette_colors()
        rows = []
        with torch.no_grad():
            for i in range(n):
                j = (i * 17) % len(imgs)
                real, seg = to_tensors([imgs[j]], [labs[j]], self.cfg)
                mu, _ = self.E(real)
                fake = self.G(seg, mu)
                rows.append((colors[label_to_channels(labs[j])], tensor_to_u8(fake[0]), imgs[j]))
        save_grid(path, rows)

    def validate(self, imgs, labs, ema=False):
        """Mean L1 (0..2 scale) of full-frame reconstructions from the encoded style."""
        G, E = (self.G_ema, self.E_ema) if ema else (self.G, self.E)
        G.eval()
        E.eval()
        tot = 0.0
        with torch.no_grad():
            for s in range(0, len(imgs), 16):
                real, seg = to_tensors(list(imgs[s:s + 16]), list(labs[s:s + 16]), self.cfg)
                mu, _ = E(real)
                tot += float((G(seg, mu) - real).abs().mean()) * len(real)
        return tot / len(imgs)


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    names = read_split(a.data, "trainval.txt")
    train_names, val_names = split_trainval(names)
    t0 = time.time()
    imgs, labs = load_set(a.data, train_names)
    vimgs, vlabs = load_set(a.data, val_names)
    print("loaded %d train + %d val in %.1fs" % (len(imgs), len(vimgs), time.time() - t0), flush=True)

    tr = Trainer(a)
    if a.balance > 0:
        r_img, r_class = repeat_factors(labs, a.balance)
        tr.draw_p = r_img / r_img.sum()
        names33 = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "siftflow_labels.json")))
        boosted = ["%s %.1fx" % (names33[c]["name"], r_class[c]) for c in np.argsort(-r_class) if r_class[c] > 1]
        print("repeat-factor sampling t=%g: %d of %d images drawn more often; classes: %s" % (
            a.balance, int((r_img > 1).sum()), len(r_img), ", ".join(boosted)), flush=True)
    if tr.load():
        print("resumed at iteration %d (%.2f h so far)" % (tr.it, tr.hours), flush=True)
    else:
        print("fresh start: G %.2fM params, %.2f GMACs/frame; E %.2fM; D %.2fM" % (
            sum(p.numel() for p in tr.G.parameters()) / 1e6, spade.count_macs(tr.G, tr.cfg) / 1e9,
            sum(p.numel() for p in tr.E.parameters()) / 1e6, sum(p.numel() for p in tr.D.parameters()) / 1e6),
            flush=True)
    start = time.time()
    last_ckpt = start
    last_hours = tr.hours
    window = []
    stop = []
    import signal
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.append(1))
    while tr.it < a.iters and not stop:
        ts = time.time()
        tr.apply_lr_schedule()
        losses = tr.step(imgs, labs)
        window.append(time.time() - ts)
        window = window[-50:]
        tr.hours = last_hours + (time.time() - start) / 3600
        if tr.it % 10 == 0:
            sp = sum(window) / len(window)
            eta = (a.iters - tr.it) * sp / 3600
            print("it %d  %s  %.2f it/s  %.2f h trained  ETA %.1f h%s" % (
                tr.it, " ".join("%s %.3f" % kv for kv in losses.items()), 1 / sp, tr.hours, eta,
                "  lr_g %.3g" % tr.opt_g.param_groups[0]["lr"] if a.decay_from > 0 else ""), flush=True)
            tr.log.append(dict(it=tr.it, **losses))
        if tr.it % a.sample_every == 0:
            tr.samples(vimgs, vlabs, os.path.join(a.out, "samples_%06d.jpg" % tr.it))
            tr.samples(vimgs, vlabs, os.path.join(a.out, "samples_latest.jpg"))
        if tr.it % a.val_every == 0:
            v = tr.validate(vimgs, vlabs)
            rec = {"it": tr.it, "val_l1": v, "hours": tr.hours}
            if tr.G_ema is not None:
                rec["val_l1_ema"] = tr.validate(vimgs, vlabs, ema=True)
            print("val L1 %.4f (averaged weights %.4f) at it %d" % (v, rec.get("val_l1_ema", float("nan")), tr.it),
                  flush=True)
            with open(os.path.join(a.out, "val.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
        if time.time() - last_ckpt > a.ckpt_every_s:
            tr.save()
            last_ckpt = time.time()
        if a.max_hours and time.time() - start > a.max_hours * 3600:
            break
    tr.save()
    print("saved at iteration %d" % tr.it, flush=True)


if __name__ == "__main__":
    main()
