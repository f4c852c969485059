"""Image quality metrics with the face super-resolution field's conventions, stated explicitly.

All functions take batches (N, 3, H, W) float in [0, 1] and return one value per image (Tensor[N]).

- PSNR / SSIM on the **Y channel** by default, with MATLAB's formula
  ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` (RGB in [0, 1], Y in [16, 235] on a
  0-255 scale), **peak 255**, no border crop; SSIM with an 11x11 **Gaussian window, sigma 1.5**,
  K1 = 0.01, K2 = 0.03, averaged over the valid region (as MATLAB's ``ssim_index``, BasicSR and
  scikit-image's ``structural_similarity(gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False)``). ``y_channel=False`` gives RGB PSNR (one MSE over the three
  channels) and RGB SSIM (mean of the per-channel SSIMs). RGB PSNR is lower than Y PSNR on the
  same pair, by an amount that depends on the images (2.2 dB for bicubic on 200 SynthFaces test
  faces, notebook 00): always say which one a table shows.
- VIF: **VIF-p**, the pixel-domain Visual Information Fidelity of Sheikh & Bovik (2006), four
  scales, Gaussian windows of 17/9/5/3 pixels (sigma = size / 5), HVS noise variance 2, on the Y
  channel in [0, 255]. The paper's group uses the wavelet-domain VIF, whose values differ: compare
  VIF numbers only within one implementation.
- LPIPS: the ``lpips`` package (AlexNet, version 0.1, inputs in [-1, 1]) with the pretrained
  AlexNet from the torch cache; never computed with a random backbone (see :class:`LPIPS`).
- FID: Frechet distance between Inception-v3 pool features of two image sets (:class:`FID`).
- Identity similarity: cosine similarity of embeddings from a face-recognition model that the
  user supplies (the paper does not name its model).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from aminet.weights import HOW_TO_ALLOW, fetch_pretrained

__all__ = [
    "FID",
    "LPIPS",
    "MetricUnavailable",
    "frechet_distance",
    "identity_similarity",
    "psnr",
    "rgb_to_y",
    "ssim",
    "vif",
]

ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
INCEPTION_FILE = "inception_v3_google-0cc3c7bd.pth"


class MetricUnavailable(RuntimeError):
    """A metric that needs pretrained weights which are not on this machine."""


def _check_pair(sr: torch.Tensor, hr: torch.Tensor) -> None:
    if sr.shape != hr.shape:
        raise ValueError(
            f"sr and hr must have the same shape, got {tuple(sr.shape)} and {tuple(hr.shape)}"
        )
    if sr.ndim != 4 or sr.shape[1] != 3:
        raise ValueError(f"expected RGB batches (N, 3, H, W), got {tuple(sr.shape)}")


def rgb_to_y(img: torch.Tensor) -> torch.Tensor:
    """MATLAB's luma: (N, 3, H, W) RGB in [0, 1] -> (N, 1, H, W) Y in [16, 235] (0-255 scale)."""
    weights = torch.tensor([65.481, 128.553, 24.966], dtype=img.dtype, device=img.device)
    return 16.0 + torch.einsum("nchw,c->nhw", img, weights).unsqueeze(1)


def _to_255(
    sr: torch.Tensor, hr: torch.Tensor, y_channel: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both images on the 0-255 scale in float64 (metrics are not the place to save bits)."""
    _check_pair(sr, hr)
    if sr.device.type == "mps":  # Apple GPUs have no float64: measure on the CPU
        sr, hr = sr.cpu(), hr.cpu()
    sr, hr = sr.detach().double(), hr.detach().double()
    if y_channel:
        return rgb_to_y(sr), rgb_to_y(hr)
    return sr * 255.0, hr * 255.0


def psnr(sr: torch.Tensor, hr: torch.Tensor, y_channel: bool = True) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB (peak 255), one value per image; inf for identical images."""
    a, b = _to_255(sr, hr, y_channel)
    mse = (a - b).pow(2).flatten(1).mean(1)
    return (10.0 * torch.log10(255.0**2 / mse)).float()


def _gaussian_kernel(size: int, sigma: float, dtype, device) -> torch.Tensor:
    """1-D factor of the normalised Gaussian window (MATLAB's fspecial('gaussian', size, sigma)
    is the outer product of this vector with itself)."""
    coords = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def _filter_valid(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Per-channel 'valid' Gaussian filtering (MATLAB's filter2(win, x, 'valid')), done as two
    1-D passes: 2k instead of k^2 multiplications per pixel, same result."""
    c, k = x.shape[1], g.numel()
    x = F.conv2d(x, g.view(1, 1, 1, k).expand(c, 1, 1, k), groups=c)
    return F.conv2d(x, g.view(1, 1, k, 1).expand(c, 1, k, 1), groups=c)


def ssim(sr: torch.Tensor, hr: torch.Tensor, y_channel: bool = True) -> torch.Tensor:
    """Structural similarity (Gaussian window 11x11, sigma 1.5, peak 255), one value per image."""
    a, b = _to_255(sr, hr, y_channel)
    if min(a.shape[-2:]) < 11:
        raise ValueError(f"SSIM needs images of at least 11x11 pixels, got {tuple(a.shape[-2:])}")
    k = _gaussian_kernel(11, 1.5, a.dtype, a.device)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _filter_valid(a, k), _filter_valid(b, k)
    var_a = _filter_valid(a * a, k) - mu_a**2
    var_b = _filter_valid(b * b, k) - mu_b**2
    cov = _filter_valid(a * b, k) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return (num / den).mean(dim=(2, 3)).mean(1).float()


def vif(sr: torch.Tensor, hr: torch.Tensor, y_channel: bool = True) -> torch.Tensor:
    """VIF-p (pixel-domain Visual Information Fidelity), ``hr`` the reference; one value per image.

    1 for identical images, below 1 for blur and noise, above 1 for contrast enhancement. On RGB
    (``y_channel=False``) it averages the three channels. Images must be at least 41x41.
    """
    dist, ref = _to_255(sr, hr, y_channel)
    if min(ref.shape[-2:]) < 41:
        raise ValueError(
            f"VIF-p needs images of at least 41x41 pixels, got {tuple(ref.shape[-2:])}"
        )
    n, c = ref.shape[:2]
    ref, dist = ref.reshape(n * c, 1, *ref.shape[-2:]), dist.reshape(n * c, 1, *dist.shape[-2:])
    sigma_nsq, eps = 2.0, 1e-10
    num = torch.zeros(n * c, dtype=ref.dtype, device=ref.device)
    den = torch.zeros_like(num)
    for scale in range(4):
        size = 2 ** (4 - scale) + 1
        win = _gaussian_kernel(size, size / 5.0, ref.dtype, ref.device)
        if scale > 0:
            ref = _filter_valid(ref, win)[..., ::2, ::2]
            dist = _filter_valid(dist, win)[..., ::2, ::2]
        mu1, mu2 = _filter_valid(ref, win), _filter_valid(dist, win)
        sigma1_sq = (_filter_valid(ref * ref, win) - mu1**2).clamp_min(0)
        sigma2_sq = (_filter_valid(dist * dist, win) - mu2**2).clamp_min(0)
        sigma12 = _filter_valid(ref * dist, win) - mu1 * mu2
        g = sigma12 / (sigma1_sq + eps)
        sv_sq = sigma2_sq - g * sigma12
        # the special cases of the reference MATLAB code (vifp_mscale.m), in its order
        flat_ref = sigma1_sq < eps
        g = torch.where(flat_ref, 0.0, g)
        sv_sq = torch.where(flat_ref, sigma2_sq, sv_sq)
        sigma1_sq = torch.where(flat_ref, 0.0, sigma1_sq)
        flat_dist = sigma2_sq < eps
        g = torch.where(flat_dist, 0.0, g)
        sv_sq = torch.where(flat_dist, 0.0, sv_sq)
        negative = g < 0
        sv_sq = torch.where(negative, sigma2_sq, sv_sq)
        g = g.clamp_min(0)
        sv_sq = sv_sq.clamp_min(eps)
        num += torch.log10(1 + g**2 * sigma1_sq / (sv_sq + sigma_nsq)).sum(dim=(1, 2, 3))
        den += torch.log10(1 + sigma1_sq / sigma_nsq).sum(dim=(1, 2, 3))
    return (num / den).reshape(n, c).mean(1).float()


def identity_similarity(
    sr: torch.Tensor, hr: torch.Tensor, embed: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    """Cosine similarity between face embeddings of SR and HR, one value per image.

    ``embed`` is a face-recognition model you supply (ArcFace, FaceNet, ...), called on RGB
    batches in [0, 1] and returning (N, D): do the model's own resizing and normalisation inside
    it. The paper reports identity similarity without naming its model, so numbers from
    different embedders are not comparable.
    """
    _check_pair(sr, hr)
    with torch.no_grad():
        e_sr, e_hr = embed(sr), embed(hr)
    if e_sr.ndim != 2 or e_sr.shape != e_hr.shape or e_sr.shape[0] != sr.shape[0]:
        raise ValueError(
            f"embed must return (N, D) embeddings, got {tuple(e_sr.shape)} for {sr.shape[0]} images"
        )
    return F.cosine_similarity(e_sr.float(), e_hr.float(), dim=1)


def _hub_checkpoints() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def _require_file(path: Path, what: str, url: str) -> Path:
    if not fetch_pretrained(path, url):
        raise MetricUnavailable(
            f"{what} unavailable: pretrained weights not found. Put the file {path.name} in "
            f"{path.parent} (download it from {url} on a machine with internet access, or set "
            f"TORCH_HOME to a folder whose hub/checkpoints/ holds it), {HOW_TO_ALLOW}"
        )
    return path


class LPIPS(nn.Module):
    """LPIPS (AlexNet, v0.1) from the ``lpips`` package, built only from weights found locally.

    The package ships its small linear heads; the AlexNet backbone is torchvision's ImageNet
    model, which the package would download at run time. Here it is read from the torch cache
    (``$TORCH_HOME/hub/checkpoints/alexnet-owt-7be5be79.pth``) or from ``alexnet_path``, with
    ``torch.load(weights_only=True)``; when it is missing the constructor raises
    :class:`MetricUnavailable` naming the file and the folder. A random backbone is never used.
    """

    def __init__(self, alexnet_path: str | os.PathLike | None = None):
        super().__init__()
        import lpips

        path = Path(alexnet_path) if alexnet_path else _hub_checkpoints() / ALEXNET_FILE
        _require_file(path, "LPIPS", f"https://download.pytorch.org/models/{ALEXNET_FILE}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        # pnet_rand=True only stops the package from downloading; the backbone is replaced below
        # by the real weights, and a file that does not fit raises instead of leaving it random.
        with warnings.catch_warnings():  # lpips passes torchvision's deprecated 'pretrained'
            warnings.simplefilter("ignore", UserWarning)
            model = lpips.LPIPS(net="alex", version="0.1", pnet_rand=True, verbose=False)
        backbone = {}
        for name, _ in model.net.named_parameters():  # "slice2.3.weight" <- "features.3.weight"
            _, index, kind = name.split(".")
            key = f"features.{index}.{kind}"
            if key not in state:
                raise MetricUnavailable(
                    f"LPIPS unavailable: {path} is not torchvision's AlexNet state dict (no {key})"
                )
            backbone[name] = state[key]
        model.net.load_state_dict(backbone, strict=True)
        self.model = model.eval().requires_grad_(False)

    @torch.no_grad()
    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        _check_pair(sr, hr)
        return self.model(sr * 2 - 1, hr * 2 - 1, normalize=False).flatten()


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2)), the distance behind FID."""
    from scipy import linalg

    diff = mu1 - mu2
    covmean = linalg.sqrtm(cov1 @ cov2)
    if not np.isfinite(covmean).all():  # singular product: regularise as pytorch-fid does
        offset = np.eye(cov1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((cov1 + offset) @ (cov2 + offset))
    covmean = covmean.real
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(covmean))


class FID:
    """Frechet Inception Distance between the SR and HR image sets, accumulated batch by batch.

    Features are the 2048-d pool features of torchvision's ImageNet Inception-v3, read from
    ``inception_path`` or ``$TORCH_HOME/hub/checkpoints/inception_v3_google-0cc3c7bd.pth``
    (:class:`MetricUnavailable` otherwise). These weights differ from the TensorFlow Inception of
    pytorch-fid, so values are not comparable with papers that use it. ``feature_extractor``
    replaces Inception with any module mapping (N, 3, H, W) in [0, 1] to (N, D).
    """

    def __init__(
        self,
        inception_path: str | os.PathLike | None = None,
        feature_extractor: nn.Module | None = None,
        device=None,
    ):
        self.features = (
            feature_extractor if feature_extractor is not None else self._inception(inception_path)
        )
        self.device = torch.device(device) if device else torch.device("cpu")
        self.features = self.features.to(self.device).eval()
        self._sr: list[np.ndarray] = []
        self._hr: list[np.ndarray] = []

    @staticmethod
    def _inception(path) -> nn.Module:
        from torchvision.models import inception_v3

        path = Path(path) if path else _hub_checkpoints() / INCEPTION_FILE
        _require_file(path, "FID", f"https://download.pytorch.org/models/{INCEPTION_FILE}")
        # transform_input=True: these Google weights expect it, as torchvision sets when it loads them
        net = inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=True)
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        net.fc = nn.Identity()
        return _InceptionFeatures(net)

    @torch.no_grad()
    def update(self, sr: torch.Tensor, hr: torch.Tensor) -> None:
        _check_pair(sr, hr)
        self._sr.append(self.features(sr.to(self.device)).double().cpu().numpy())
        self._hr.append(self.features(hr.to(self.device)).double().cpu().numpy())

    def compute(self) -> float:
        sr, hr = np.concatenate(self._sr), np.concatenate(self._hr)
        if len(sr) < 2:
            raise ValueError("FID needs at least 2 images per set")
        return frechet_distance(
            sr.mean(0), np.cov(sr, rowvar=False), hr.mean(0), np.cov(hr, rowvar=False)
        )


class _InceptionFeatures(nn.Module):
    """Resize to 299, ImageNet-normalise, return Inception's 2048-d pooled features."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False, antialias=True)
        out = self.net((x - self.mean) / self.std)
        return out.logits if hasattr(out, "logits") else out
