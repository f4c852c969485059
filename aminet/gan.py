"""AMIGAN (paper Sec. III-D): AMINet as the generator, a discriminator, and the losses of eqs. 18-22.

    L_pix = mean | G(I_LR) - I_HR |                                   (18)
    L_pcp = VGG19 feature distance, see aminet.perceptual             (19)
    L_dis = -E[log D(I_HR)] - E[log(1 - D(G(I_LR)))]                  (20)  discriminator
    L_adv = -E[log D(G(I_LR))]                                        (21)  generator
    L     = lambda_pix L_pix + lambda_pcp L_pcp + lambda_adv L_adv    (22)  1 / 0.01 / 0.01

The paper does not describe its discriminator. We use a *multi-scale PatchGAN with spectral
normalisation*, the discriminator of SPARNetHD (chaofengc/Face-SPARNet, pix2pixHD's design), because
SPARNetHD is AMINet's closest face-SR relative with a GAN and its learning rates (G 1e-4, D 4e-4)
are exactly AMIGAN's. For 128x128 faces: 2 scales (the face and a 64x64 average-pooled copy), each
3 stride-2 4x4 convolutions (64, 128, 256 channels) then two stride-1 4x4 convolutions (512, 1),
LeakyReLU 0.2, spectral norm on every convolution (keeps D 1-Lipschitz-ish, so the 4x larger
D learning rate stays stable). Each output is a map of logits, one per overlapping patch (about
34x34 pixels at the first scale); eqs. 20-21 are applied to every patch (binary cross-entropy with
logits, the numerically stable form of the log terms) and averaged. SPARNetHD uses the hinge loss;
we keep the paper's log loss.

The adversarial step alternates: one discriminator update on (HR, detached SR), then one
generator update through the frozen discriminator. The generator learns at
``TrainConfig.lr_g`` (1e-4, the paper's Sec. IV-B), the discriminator at ``lr_d`` (4e-4).

Not in the paper: starting the generator from an L1-trained AMINet (``init_from``). The paper does
not say how AMIGAN is initialised; warm-starting from the L1 model is the common practice of GAN
face SR (ESRGAN, SPARNetHD), and recommended here because a short adversarial run from random
weights learns little.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from aminet.optim import make_adam, optimizer_step
from aminet.training.steps import PixelStep

__all__ = [
    "PatchDiscriminator",
    "MultiScaleDiscriminator",
    "discriminator_loss",
    "generator_adversarial_loss",
    "AMIGANStep",
]


def _sn_conv(cin: int, cout: int, stride: int) -> nn.Module:
    return spectral_norm(nn.Conv2d(cin, cout, 4, stride=stride, padding=1))


class PatchDiscriminator(nn.Module):
    """A PatchGAN: a map of real/fake logits, one per overlapping image patch."""

    def __init__(self, in_channels: int = 3, base_channels: int = 64, num_down: int = 3):
        super().__init__()
        layers, ch = (
            [_sn_conv(in_channels, base_channels, 2), nn.LeakyReLU(0.2, inplace=True)],
            base_channels,
        )
        for _ in range(num_down - 1):
            layers += [_sn_conv(ch, min(ch * 2, 512), 2), nn.LeakyReLU(0.2, inplace=True)]
            ch = min(ch * 2, 512)
        layers += [
            _sn_conv(ch, min(ch * 2, 512), 1),
            nn.LeakyReLU(0.2, inplace=True),
            _sn_conv(min(ch * 2, 512), 1, 1),
        ]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class MultiScaleDiscriminator(nn.Module):
    """PatchGANs at the full size and at successive 2x average-pooled copies; returns their logit maps."""

    def __init__(
        self, in_channels: int = 3, base_channels: int = 64, num_down: int = 3, num_scales: int = 2
    ):
        super().__init__()
        self.scales = nn.ModuleList(
            PatchDiscriminator(in_channels, base_channels, num_down) for _ in range(num_scales)
        )
        # each scale ends with two 4x4 stride-1 convolutions: its input must be >= 3 * 2**num_down pixels
        self.min_size = 3 * 2**num_down * 2 ** (num_scales - 1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(
                f"the discriminator expects faces (N, 3, H, W), got shape {tuple(x.shape)}"
            )
        if min(x.shape[-2:]) < self.min_size:
            raise ValueError(
                f"the discriminator needs images of at least {self.min_size}x{self.min_size} pixels "
                f"(got {x.shape[-1]}x{x.shape[-2]}); use --crop-size {self.min_size} or more with --gan"
            )
        outputs = []
        for i, disc in enumerate(self.scales):
            if i:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outputs.append(disc(x))
        return outputs


def _bce(logits: list[torch.Tensor], target: float) -> torch.Tensor:
    losses = [
        F.binary_cross_entropy_with_logits(t.float(), torch.full_like(t.float(), target))
        for t in logits
    ]
    return torch.stack(losses).mean()


def discriminator_loss(
    real_logits: list[torch.Tensor], fake_logits: list[torch.Tensor]
) -> torch.Tensor:
    """Eq. 20: -log D(HR) - log(1 - D(SR)), averaged over patches and scales."""
    return _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)


def generator_adversarial_loss(fake_logits: list[torch.Tensor]) -> torch.Tensor:
    """Eq. 21: -log D(SR), averaged over patches and scales."""
    return _bce(fake_logits, 1.0)


class AMIGANStep(PixelStep):
    """One step of AMIGAN: the pixel step of eq. 18 grown into eq. 22 with a discriminator (eq. 20).

    Holds the discriminator, its optimizer and scaler, and the perceptual loss; the generator's
    model, optimizer and scaler are the trainer's, as for :class:`PixelStep`. Its ``state_dict``
    adds the discriminator's state to a checkpoint, its ``log_fields`` the separate loss terms.
    """

    def __init__(self, model: nn.Module, optimizer, scaler, *, cfg, world: int = 1, **options):
        """``options``: PixelStep's (``amp_dtype``, ``device``, ``grad_clip``); ``cfg`` gives the
        loss weights, the perceptual term and the discriminator's learning rate."""
        from aminet.perceptual import build_perceptual

        super().__init__(model, optimizer, scaler, **options)
        device = self.device
        self.cfg = cfg
        self.perceptual, self.note = build_perceptual(cfg.perceptual)
        if self.perceptual is not None:
            self.perceptual.to(device)
        disc = MultiScaleDiscriminator().to(device)
        self.disc = disc
        self.disc_ddp = nn.parallel.DistributedDataParallel(disc) if world > 1 else disc
        self.optimizer_d = make_adam(disc.parameters(), cfg.lr_d, cfg.betas)
        self.scaler_d = torch.amp.GradScaler(device.type, enabled=self.amp_dtype == torch.float16)

    def __call__(self, inp: torch.Tensor, hr: torch.Tensor) -> dict:
        cfg = self.cfg
        with self.autocast():
            sr = self.model(inp)

        # Discriminator: eq. 20 on real faces and detached SR faces.
        self.disc.requires_grad_(True)
        with self.autocast():
            loss_d = discriminator_loss(self.disc_ddp(hr), self.disc_ddp(sr.detach()))
        optimizer_step(loss_d, self.optimizer_d, self.scaler_d, self.disc.parameters())

        # Generator: eq. 22 through the frozen discriminator (unwrapped: D gets no gradients here).
        self.disc.requires_grad_(False)
        sr32 = sr.float()
        loss_pix = F.l1_loss(sr32, hr)
        loss_pcp = self.perceptual(sr32, hr) if self.perceptual is not None else sr32.new_zeros(())
        with self.autocast():
            loss_adv = generator_adversarial_loss(self.disc(sr))
        loss = cfg.lambda_pix * loss_pix + cfg.lambda_pcp * loss_pcp + cfg.lambda_adv * loss_adv
        optimizer_step(loss, self.optimizer, self.scaler, self.model.parameters(), self.grad_clip)
        return {
            "loss": loss.item(),
            "loss_pix": loss_pix.item(),
            "loss_pcp": loss_pcp.item(),
            "loss_adv": loss_adv.item(),
            "loss_d": loss_d.item(),
        }

    def log_fields(self, losses: dict) -> dict:
        return {**{k: v for k, v in losses.items() if k != "loss"}, "perceptual": self.note}

    def state_dict(self) -> dict:
        return {
            "discriminator": self.disc.state_dict(),
            "optimizer_d": self.optimizer_d.state_dict(),
            "scaler_d": self.scaler_d.state_dict(),
            "perceptual": self.note,
        }

    def load_state_dict(self, state: dict) -> None:
        if "discriminator" not in state:
            return  # a checkpoint of an L1 run: the discriminator starts afresh
        self.disc.load_state_dict(state["discriminator"])
        self.optimizer_d.load_state_dict(state["optimizer_d"])
        self.scaler_d.load_state_dict(state["scaler_d"])
