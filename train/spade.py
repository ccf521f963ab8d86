"""SPADE generator, style encoder and multi-scale discriminator in PyTorch.

Written for Spadework from the paper (Park et al., CVPR 2019). The module and
parameter names follow the public reference implementation, so a state_dict
saved from these modules has the same keys as an official checkpoint
(head_0.norm_0.mlp_shared.0.weight, up_3.conv_0.weight_orig, ...). The Go
engine (synth/) and its importer rely on those names.

The same classes build the small models behind the Go parity fixtures
(train/fixtures.py) and the default landscape model (train/train.py).
"""

import dataclasses
import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm


@dataclasses.dataclass
class Config:
    """The subset of the reference's options that shapes the networks."""

    label_nc: int = 33  # classes, not counting the don't-care channel
    contain_dontcare_label: bool = True
    no_instance: bool = True
    ngf: int = 16
    nhidden: int = 128
    norm_G: str = "spectralspadebatch3x3"
    norm_E: str = "spectralinstance"
    num_upsampling_layers: str = "normal"
    crop_size: int = 256
    aspect_ratio: float = 1.0
    use_vae: bool = True
    z_dim: int = 256

    @property
    def semantic_nc(self):
        return (self.label_nc + (1 if self.contain_dontcare_label else 0)
                + (0 if self.no_instance else 1))

    def latent_size(self):
        """(sw, sh): the spatial size of the generator's first feature map."""
        n = {"normal": 5, "more": 6, "most": 7}[self.num_upsampling_layers]
        sw = self.crop_size // (2 ** n)
        sh = round(sw / self.aspect_ratio)
        return sw, sh


class SPADE(nn.Module):
    """Parameter-free norm, then a per-pixel scale and shift predicted from the label map."""

    def __init__(self, config_text, norm_nc, label_nc, nhidden=128):
        super().__init__()
        m = re.fullmatch(r"spade(\D+)(\d)x\d", config_text)
        if m is None:
            raise ValueError("bad SPADE config %r" % config_text)
        kind, ks = m.group(1), int(m.group(2))
        if kind == "instance":
            self.param_free_norm = nn.InstanceNorm2d(norm_nc, affine=False)
        elif kind in ("batch", "syncbatch"):
            self.param_free_norm = nn.BatchNorm2d(norm_nc, affine=False)
        else:
            raise ValueError("unknown param-free norm %r" % kind)
        pw = ks // 2
        self.mlp_shared = nn.Sequential(
            nn.Conv2d(label_nc, nhidden, kernel_size=ks, padding=pw), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(nhidden, norm_nc, kernel_size=ks, padding=pw)
        self.mlp_beta = nn.Conv2d(nhidden, norm_nc, kernel_size=ks, padding=pw)

    def forward(self, x, segmap):
        normalized = self.param_free_norm(x)
        segmap = F.interpolate(segmap, size=x.shape[2:], mode="nearest")
        actv = self.mlp_shared(segmap)
        return normalized * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)


class SPADEResnetBlock(nn.Module):
    def __init__(self, fin, fout, cfg):
        super().__init__()
        self.learned_shortcut = fin != fout
        fmiddle = min(fin, fout)
        self.conv_0 = nn.Conv2d(fin, fmiddle, kernel_size=3, padding=1)
        self.conv_1 = nn.Conv2d(fmiddle, fout, kernel_size=3, padding=1)
        if self.learned_shortcut:
            self.conv_s = nn.Conv2d(fin, fout, kernel_size=1, bias=False)
        if "spectral" in cfg.norm_G:
            self.conv_0 = spectral_norm(self.conv_0)
            self.conv_1 = spectral_norm(self.conv_1)
            if self.learned_shortcut:
                self.conv_s = spectral_norm(self.conv_s)
        spade_cfg = cfg.norm_G.replace("spectral", "")
        self.norm_0 = SPADE(spade_cfg, fin, cfg.semantic_nc, cfg.nhidden)
        self.norm_1 = SPADE(spade_cfg, fmiddle, cfg.semantic_nc, cfg.nhidden)
        if self.learned_shortcut:
            self.norm_s = SPADE(spade_cfg, fin, cfg.semantic_nc, cfg.nhidden)

    def forward(self, x, seg):
        if self.learned_shortcut:
            x_s = self.conv_s(self.norm_s(x, seg))
        else:
            x_s = x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, seg), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, seg), 0.2))
        return x_s + dx


class SPADEGenerator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        nf = cfg.ngf
        self.sw, self.sh = cfg.latent_size()
        if cfg.use_vae:
            self.fc = nn.Linear(cfg.z_dim, 16 * nf * self.sw * self.sh)
        else:
            self.fc = nn.Conv2d(cfg.semantic_nc, 16 * nf, 3, padding=1)
        self.head_0 = SPADEResnetBlock(16 * nf, 16 * nf, cfg)
        self.G_middle_0 = SPADEResnetBlock(16 * nf, 16 * nf, cfg)
        self.G_middle_1 = SPADEResnetBlock(16 * nf, 16 * nf, cfg)
        self.up_0 = SPADEResnetBlock(16 * nf, 8 * nf, cfg)
        self.up_1 = SPADEResnetBlock(8 * nf, 4 * nf, cfg)
        self.up_2 = SPADEResnetBlock(4 * nf, 2 * nf, cfg)
        self.up_3 = SPADEResnetBlock(2 * nf, 1 * nf, cfg)
        final_nc = nf
        if cfg.num_upsampling_layers == "most":
            self.up_4 = SPADEResnetBlock(nf, nf // 2, cfg)
            final_nc = nf // 2
        self.conv_img = nn.Conv2d(final_nc, 3, 3, padding=1)

    @staticmethod
    def up(x):
        return F.interpolate(x, scale_factor=2, mode="nearest")

    def forward(self, seg, z=None, trace=None):
        """trace, if a dict, receives every block's output by name (for fixtures)."""
        cfg = self.cfg
        if cfg.use_vae:
            if z is None:
                z = torch.randn(seg.shape[0], cfg.z_dim)
            x = self.fc(z).view(-1, 16 * cfg.ngf, self.sh, self.sw)
        else:
            x = self.fc(F.interpolate(seg, size=(self.sh, self.sw)))

        def rec(name, v):
            if trace is not None:
                trace[name] = v
            return v

        rec("fc", x)
        x = rec("head_0", self.head_0(x, seg))
        x = self.up(x)
        x = rec("G_middle_0", self.G_middle_0(x, seg))
        if cfg.num_upsampling_layers in ("more", "most"):
            x = self.up(x)
        x = rec("G_middle_1", self.G_middle_1(x, seg))
        for name in ("up_0", "up_1", "up_2", "up_3"):
            x = self.up(x)
            x = rec(name, getattr(self, name)(x, seg))
        if cfg.num_upsampling_layers == "most":
            x = self.up(x)
            x = rec("up_4", self.up_4(x, seg))
        x = self.conv_img(F.leaky_relu(x, 0.2))
        return rec("out", torch.tanh(x))


def _nonspade_norm(layer, norm_type):
    """conv -> [spectral] -> instance norm, dropping the conv bias the norm makes moot."""
    if norm_type.startswith("spectral"):
        layer = spectral_norm(layer)
        sub = norm_type[len("spectral"):]
    else:
        sub = norm_type
    if sub in ("", "none"):
        return layer
    if getattr(layer, "bias", None) is not None:
        delattr(layer, "bias")
        layer.register_parameter("bias", None)
    if sub == "instance":
        return nn.Sequential(layer, nn.InstanceNorm2d(layer.out_channels, affine=False))
    raise ValueError("unsupported norm %r" % norm_type)


class ConvEncoder(nn.Module):
    """Photo -> (mu, logvar) of the style vector."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        ndf = cfg.ngf
        chans = [3, ndf, ndf * 2, ndf * 4, ndf * 8, ndf * 8]
        for i in range(5):
            setattr(self, "layer%d" % (i + 1), _nonspade_norm(
                nn.Conv2d(chans[i], chans[i + 1], 3, stride=2, padding=1), cfg.norm_E))
        if cfg.crop_size >= 256:
            self.layer6 = _nonspade_norm(nn.Conv2d(ndf * 8, ndf * 8, 3, stride=2, padding=1), cfg.norm_E)
        self.fc_mu = nn.Linear(ndf * 8 * 4 * 4, cfg.z_dim)
        self.fc_var = nn.Linear(ndf * 8 * 4 * 4, cfg.z_dim)

    def forward(self, x, trace=None):
        if x.shape[2] != 256 or x.shape[3] != 256:
            x = F.interpolate(x, size=(256, 256), mode="bilinear", align_corners=False)
        x = self.layer1(x)
        n = 6 if self.cfg.crop_size >= 256 else 5
        for i in range(2, n + 1):
            if trace is not None:
                trace["layer%d" % (i - 1)] = x
            x = getattr(self, "layer%d" % i)(F.leaky_relu(x, 0.2))
        if trace is not None:
            trace["layer%d" % n] = x
        x = F.leaky_relu(x, 0.2).flatten(1)
        return self.fc_mu(x), self.fc_var(x)


class NLayerDiscriminator(nn.Module):
    """PatchGAN with spectral norm and instance norm; returns every layer's features."""

    def __init__(self, input_nc, ndf=64, n_layers=4):
        super().__init__()
        kw, pw = 4, 2
        seqs = [[nn.Conv2d(input_nc, ndf, kw, stride=2, padding=pw), nn.LeakyReLU(0.2)]]
        nf = ndf
        for n in range(1, n_layers):
            prev, nf = nf, min(nf * 2, 512)
            stride = 1 if n == n_layers - 1 else 2
            seqs.append([_nonspade_norm(nn.Conv2d(prev, nf, kw, stride=stride, padding=pw),
                                        "spectralinstance"), nn.LeakyReLU(0.2)])
        seqs.append([nn.Conv2d(nf, 1, kw, stride=1, padding=pw)])
        for i, s in enumerate(seqs):
            self.add_module("model%d" % i, nn.Sequential(*s))
        self.n = len(seqs)

    def forward(self, x):
        feats = []
        for i in range(self.n):
            x = getattr(self, "model%d" % i)(x)
            feats.append(x)
        return feats


class MultiscaleDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf=64, n_layers=4, num_D=2):
        super().__init__()
        for i in range(num_D):
            self.add_module("discriminator_%d" % i, NLayerDiscriminator(input_nc, ndf, n_layers))
        self.num_D = num_D

    def forward(self, x):
        out = []
        for i in range(self.num_D):
            out.append(getattr(self, "discriminator_%d" % i)(x))
            x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
        return out


class SegDiscriminator(nn.Module):
    """A discriminator that segments: per pixel, logits over the label classes plus one "fake" class.

    After OASIS (Schoenfeld et al., ICLR 2021, "You Only Need Adversarial Supervision for Semantic
    Image Synthesis"): trained to label real photos with their classes and generated pixels as
    fake, it tells the generator, pixel by pixel, which class a region fails to look like. A small
    U-Net with spectral norm; logits come out at half the input size and are resized up.
    """

    def __init__(self, num_classes, widths=(32, 64, 96, 128)):
        super().__init__()
        sn = spectral_norm
        w = widths
        self.enc = nn.ModuleList()
        prev = 3
        for c in w:
            self.enc.append(sn(nn.Conv2d(prev, c, 3, stride=2, padding=1)))
            prev = c
        self.dec = nn.ModuleList()
        for i in range(len(w) - 1, 0, -1):
            self.dec.append(sn(nn.Conv2d(prev + w[i - 1], w[i - 1], 3, padding=1)))
            prev = w[i - 1]
        self.out = sn(nn.Conv2d(prev, num_classes + 1, 1))

    def forward(self, x):
        size = x.shape[2:]
        skips = []
        for conv in self.enc:
            x = F.leaky_relu(conv(x), 0.2)
            skips.append(x)
        for i, conv in enumerate(self.dec):
            skip = skips[-2 - i]
            x = F.interpolate(x, size=skip.shape[2:], mode="nearest")
            x = F.leaky_relu(conv(torch.cat([x, skip], 1)), 0.2)
        return F.interpolate(self.out(x), size=size, mode="bilinear", align_corners=False)


def one_hot(labels, cfg):
    """(N,H,W) int64 channel ids -> (N, semantic_nc, H, W) float one-hot (no instance edges)."""
    n, h, w = labels.shape
    out = torch.zeros(n, cfg.semantic_nc, h, w)
    out.scatter_(1, labels.unsqueeze(1), 1.0)
    return out


def count_macs(gen, cfg, h=None, w=None):
    """Multiply-accumulates of one generator pass, counted with forward hooks."""
    total = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
            total[0] += k * out.numel() // out.shape[0]
        elif isinstance(mod, nn.Linear):
            total[0] += mod.in_features * mod.out_features

    hs = [m.register_forward_hook(hook) for m in gen.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    sw, sh = cfg.latent_size()
    n = {"normal": 5, "more": 6, "most": 7}[cfg.num_upsampling_layers]
    h = h or sh * 2 ** n
    w = w or sw * 2 ** n
    with torch.no_grad():
        gen.eval()
        gen(torch.zeros(1, cfg.semantic_nc, h, w), torch.zeros(1, cfg.z_dim))
    for x in hs:
        x.remove()
    return total[0]


def init_weights(net, gain=0.02):
    """Xavier init as in the reference's BaseNetwork.init_weights('xavier')."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = getattr(m, "weight_orig", None)
            if w is None:
                w = m.weight
            nn.init.xavier_normal_(w, gain=gain)
            if getattr(m, "bias", None) is not None:
                nn.init.constant_(m.bias, 0.0)


def kld(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


class LabelSegmenter(nn.Module):
    """A small U-Net that segments photos into the label classes, trained on real photos only
    (train/seg_pretrain.py), and then only ever on the real windows of train.py's batches.

    Its cross entropy on generated windows is a label-fidelity loss for the generator: the
    stand-in, for label maps, of the perceptual loss the reference takes from a pretrained VGG.
    Unlike the segmenting discriminator above it has no "fake" class and never learns from
    generated pixels, and it is pretrained, so its signal is useful from the first step. Batch norm, no
    spectral norm: it is a classifier, not a critic. Logits come out at half the input size and
    are resized up.
    """

    def __init__(self, num_classes, widths=(32, 64, 128, 192), dec_widths=(128, 64, 32)):
        super().__init__()

        def block(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                                 nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.enc = nn.ModuleList()
        prev = 3
        for c in widths:
            self.enc.append(block(prev, c, 2))
            prev = c
        self.dec = nn.ModuleList()
        for skip, c in zip(reversed(widths[:-1]), dec_widths):
            self.dec.append(nn.Sequential(nn.Conv2d(prev + skip, c, 3, padding=1, bias=False),
                                          nn.BatchNorm2d(c), nn.ReLU(inplace=True)))
            prev = c
        self.out = nn.Conv2d(prev, num_classes, 1)

    def forward(self, x):
        size = x.shape[2:]
        skips = []
        for b in self.enc:
            x = b(x)
            skips.append(x)
        for i, conv in enumerate(self.dec):
            skip = skips[-2 - i]
            x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
            x = conv(torch.cat([x, skip], 1))
        return F.interpolate(self.out(x), size=size, mode="bilinear", align_corners=False)


if __name__ == "__main__":
    import sys
    for ngf, nh in [(16, 32), (16, 64), (24, 64), (64, 128)]:
        cfg = Config(ngf=ngf, nhidden=nh)
        g = SPADEGenerator(cfg)
        p = sum(t.numel() for t in g.state_dict().values())
        print("ngf", ngf, "nhidden", nh, "params %.2fM" % (p / 1e6), "GMACs %.2f" % (count_macs(g, cfg) / 1e9))
    sys.stdout.flush()
