"""The VGG19 perceptual loss of AMIGAN (paper eq. 19), with ImageNet weights that never download.

    L_pcp = sum over layers l of mean | f_l(I_SR) - f_l(I_HR) |        (the 1/M_l of eq. 19 = the mean)

Layers: the *pre-activation* outputs of conv1_2, conv2_2, conv3_4, conv4_4 and conv5_4 of
torchvision's VGG19 (``features`` indices 2, 7, 16, 25, 34), each weighted 1, as in SPARNetHD
(chaofengc/Face-SPARNet, the face SR relative whose GAN setting AMIGAN's learning rates match);
ESRGAN uses conv5_4 alone. Pre-activation features keep the sign information that ReLU would
throw away. Images are normalised with ImageNet's mean and standard deviation, as VGG was trained.

Weights: torchvision's ImageNet file ``vgg19-dcbb9e9d.pth``, read from the torch hub cache
(``$TORCH_HOME/hub/checkpoints``, by default ``~/.cache/torch/hub/checkpoints``). Nothing is
downloaded here: offline machines get an error saying which file to put where. A run can opt out
with ``perceptual="none"`` (CLI ``--perceptual none``); such runs say so in every output.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from aminet.weights import HOW_TO_ALLOW, fetch_pretrained

__all__ = [
    "VGG19_FILE",
    "VGG19_LAYERS",
    "VGG19_URL",
    "VGGPerceptualLoss",
    "vgg19_weights_path",
    "PerceptualWeightsMissing",
]

VGG19_FILE = "vgg19-dcbb9e9d.pth"
VGG19_URL = f"https://download.pytorch.org/models/{VGG19_FILE}"
VGG19_LAYERS = {"conv1_2": 2, "conv2_2": 7, "conv3_4": 16, "conv4_4": 25, "conv5_4": 34}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PerceptualWeightsMissing(FileNotFoundError):
    """The VGG19 ImageNet weights are not on this machine."""


def vgg19_weights_path() -> Path:
    """Where torchvision keeps (and where we look for) the VGG19 ImageNet weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILE


def _missing_message(path: Path) -> str:
    return (
        f"VGG19 ImageNet weights not found: put {VGG19_FILE} in {path.parent}/ (download it on a "
        f"machine with internet from {VGG19_URL}, or run torchvision.models.vgg19(weights='IMAGENET1K_V1') "
        "there once and copy the file), or train without the perceptual term with --perceptual none, "
        + HOW_TO_ALLOW
    )


def _vgg19_features(last_index: int) -> nn.Sequential:
    """torchvision's VGG19 convolutional stack up to ``last_index`` (no 120M-parameter classifier)."""
    from torchvision.models.vgg import cfgs, make_layers

    return make_layers(cfgs["E"], batch_norm=False)[: last_index + 1]


class VGGPerceptualLoss(nn.Module):
    """Eq. 19 on the chosen VGG19 layers; frozen, always in eval mode."""

    def __init__(
        self, layers: tuple[str, ...] = tuple(VGG19_LAYERS), weights_path: str | Path | None = None
    ):
        super().__init__()
        unknown = [name for name in layers if name not in VGG19_LAYERS]
        if unknown:
            raise ValueError(f"unknown VGG19 layer(s) {unknown}; choose from {list(VGG19_LAYERS)}")
        path = Path(weights_path) if weights_path else vgg19_weights_path()
        if not fetch_pretrained(path, VGG19_URL):
            raise PerceptualWeightsMissing(_missing_message(path))
        self.indices = sorted(VGG19_LAYERS[name] for name in layers)
        self.features = _vgg19_features(self.indices[-1])
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:
            raise ValueError(
                f"{path} is not a readable VGG19 weight file ({type(err).__name__}); replace it with {VGG19_URL}"
            ) from None
        wanted = {
            k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")
        }
        own = self.features.state_dict()
        missing = [k for k in own if k not in wanted]
        if missing:
            raise ValueError(
                f"{path} does not hold VGG19 features (missing {missing[:3]}); replace it with {VGG19_URL}"
            )
        self.features.load_state_dict({k: wanted[k] for k in own})
        self.features.requires_grad_(False).eval()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(
        self, mode: bool = True
    ):  # the VGG stays frozen in eval mode whatever the caller does
        return super().train(False)

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        x = (torch.cat([sr, hr]).float() - self.mean) / self.std
        loss = x.new_zeros(())
        wanted = set(self.indices)
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in wanted:
                f_sr, f_hr = x.chunk(2)
                loss = loss + F.l1_loss(f_sr, f_hr.detach())
            if i >= self.indices[-1]:
                break
        return loss


def build_perceptual(
    mode: str, weights_path: str | Path | None = None
) -> tuple[nn.Module | None, str]:
    """``(loss module or None, a sentence for every output of the run)`` for mode vgg19 | none | auto."""
    if mode not in ("vgg19", "none", "auto"):
        raise ValueError(f"perceptual must be vgg19, none or auto, got {mode!r}")
    path = Path(weights_path) if weights_path else vgg19_weights_path()
    if mode == "none":
        return (
            None,
            "perceptual loss DISABLED (--perceptual none): L = lambda_pix L_pix + lambda_adv L_adv, not the paper's eq. 22",
        )
    if mode == "auto" and not path.is_file():
        return None, (
            f"perceptual loss DISABLED: {VGG19_FILE} is not in {path.parent}/ (offline); "
            "L = lambda_pix L_pix + lambda_adv L_adv, not the paper's eq. 22"
        )
    return VGGPerceptualLoss(
        weights_path=path
    ), f"perceptual loss: VGG19 {', '.join(VGG19_LAYERS)} ({path})"
