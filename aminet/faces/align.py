"""Five-point face alignment: the similarity transform to the training framing, and back.

The training framing is CelebA's: ``img_align_celeba`` (178x218) puts the eyes about 39 px apart,
their midpoint near (89, 111), the mouth about 41 px below them; aminet crops rows 20-198 and
shrinks the 178x178 square to 128x128 (see :data:`aminet.data.datasets.CELEBA_CROP`).
:data:`TEMPLATE_128` is CelebA's mean aligned landmarks carried through that crop, so a face warped
onto it is framed like the faces the model was trained on (SynthFaces are drawn in the same
framing). This is the FFHQ/GFPGAN recipe (five landmarks, least-squares similarity, warp) with
CelebA's template instead of FFHQ's.

Landmark order everywhere: left eye, right eye, nose tip, left mouth corner, right mouth corner,
as (x, y) pixel coordinates, "left" meaning the left of the picture.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = [
    "CELEBA_ALIGNED_LANDMARKS",
    "TEMPLATE_128",
    "estimate_similarity",
    "paste_back",
    "warp_face",
]

# CelebA's mean landmarks in the 178x218 aligned images (list_landmarks_align_celeba.txt).
CELEBA_ALIGNED_LANDMARKS = np.array(
    [[69.0, 111.0], [108.6, 111.0], [88.7, 134.9], [72.9, 152.3], [106.4, 152.4]]
)
_CROP_TOP, _CROP_SIDE = 20.0, 178.0  # aminet's CelebA crop: rows 20-198, all 178 columns


def template(size: int = 128) -> np.ndarray:
    """The five canonical landmarks in a ``size`` x ``size`` crop of the training framing."""
    pts = CELEBA_ALIGNED_LANDMARKS - np.array([0.0, _CROP_TOP])
    return pts * (size / _CROP_SIDE)


TEMPLATE_128 = template(128)


def estimate_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 similarity (rotation, uniform scale, translation; no reflection) that maps the
    points ``src`` (N, 2) onto ``dst`` (N, 2) in the least-squares sense (Umeyama, 1991)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError(
            f"need two matching (N, 2) point sets, N >= 2; got {src.shape}, {dst.shape}"
        )
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    flip = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        flip[1, 1] = -1
    rot = u @ flip @ vt
    var_s = (s**2).sum() / len(src)
    scale = (sig * np.diag(flip)).sum() / var_s
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


def _invert(matrix: np.ndarray) -> np.ndarray:
    a, t = matrix[:, :2], matrix[:, 2]
    inv = np.linalg.inv(a)
    return np.concatenate([inv, (-inv @ t)[:, None]], axis=1)


def _warp(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Sample ``image`` (H, W, C) uint8 at ``matrix^-1 @ output pixel``; outside is reflected."""
    w_out, h_out = size
    inv = _invert(matrix)
    # where the output corners land in the source: pad the source by reflection to cover them
    corners = np.array([[0, 0, 1], [w_out, 0, 1], [0, h_out, 1], [w_out, h_out, 1]], float)
    src = corners @ inv.T
    h, w = image.shape[:2]
    pad_l = int(max(0, np.ceil(-src[:, 0].min()) + 2))
    pad_t = int(max(0, np.ceil(-src[:, 1].min()) + 2))
    pad_r = int(max(0, np.ceil(src[:, 0].max() - w) + 2))
    pad_b = int(max(0, np.ceil(src[:, 1].max() - h) + 2))
    if pad_l or pad_t or pad_r or pad_b:
        mode = "reflect" if max(pad_l, pad_r) < w and max(pad_t, pad_b) < h else "edge"
        image = np.pad(image, ((pad_t, pad_b), (pad_l, pad_r), (0, 0)), mode=mode)
        inv = inv.copy()
        inv[:, 2] += [pad_l, pad_t]
    # PIL's affine takes the output->input map; pixel centres: PIL samples at (x+0.5, y+0.5)
    coeffs = _centre_corrected(inv)
    channels = image.shape[2]
    pil = Image.fromarray(image if channels != 1 else image[..., 0])
    out = pil.transform((w_out, h_out), Image.Transform.AFFINE, coeffs, Image.Resampling.BICUBIC)
    out = np.asarray(out)
    return out if out.ndim == 3 else out[..., None]


def _centre_corrected(inv: np.ndarray) -> tuple:
    # Landmarks are pixel-centre coordinates (pixel i spans [i-0.5, i+0.5]); PIL's transform works
    # in corner coordinates (pixel i spans [i, i+1]). Shift in, map, shift out.
    a, t = inv[:, :2], inv[:, 2]
    t = t + a @ np.array([-0.5, -0.5]) + 0.5
    return (a[0, 0], a[0, 1], t[0], a[1, 0], a[1, 1], t[1])


def warp_face(
    image: np.ndarray, landmarks, size: int = 128, *, antialias: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Crop the face with these five ``landmarks`` from ``image`` (H, W, 3) uint8 in the training
    framing; returns ``(crop (size, size, 3) uint8, matrix)`` where ``matrix`` (2x3) maps image
    pixels to crop pixels. Where the crop leaves the photo, the photo is mirrored at its border.

    ``antialias``: when the face is larger than the crop, the photo is first shrunk with PIL's
    antialiased bicubic by the transform's scale (a plain bicubic warp would alias, like a
    non-antialiased resize), and the remaining rotation and shift are applied to that.
    """
    image = np.ascontiguousarray(image)
    landmarks = np.asarray(landmarks, np.float64).reshape(5, 2)
    matrix = estimate_similarity(landmarks, template(size))
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    if antialias and scale < 1.0:
        h, w = image.shape[:2]
        new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
        small = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.Resampling.BICUBIC))
        sx, sy = new_w / w, new_h / h
        # pixel-centre coordinates: x_small = (x + 0.5) * sx - 0.5
        pre = np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5]])
        rest = estimate_similarity(landmarks @ pre[:, :2].T + pre[:, 2], template(size))
        return _warp(small, rest, (size, size)), matrix
    return _warp(image, matrix, (size, size)), matrix


def paste_back(
    photo: np.ndarray, face: np.ndarray, matrix: np.ndarray, *, feather: float = 0.1
) -> np.ndarray:
    """Warp a restored ``face`` crop (S, S, 3) back into ``photo`` (H, W, 3) through the inverse of
    ``matrix`` (photo -> crop) and blend it with a soft mask: 1 inside the crop, falling to 0 over
    ``feather`` of the crop's side at its border, so no seam shows. Returns a new uint8 array."""
    h, w = photo.shape[:2]
    side = face.shape[0]
    inv = _invert(matrix)  # crop -> photo
    ramp = max(1.0, feather * side)
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float64)
    edge_dist = np.minimum.reduce([xs + 0.5, ys + 0.5, side - 0.5 - xs, side - 0.5 - ys])
    mask = np.clip(edge_dist / ramp, 0, 1)
    mask = (mask * mask * (3 - 2 * mask) * 255 + 0.5).astype(np.uint8)  # smoothstep
    big = np.concatenate([face, mask[..., None]], axis=2)
    # photo <- crop: the warp's "matrix" argument maps the source (crop) to the output (photo)
    warped = _warp_no_pad(big, inv, (w, h)).astype(np.float32)
    alpha = warped[..., 3:4] / 255.0
    out = photo.astype(np.float32) * (1 - alpha) + warped[..., :3] * alpha
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _warp_no_pad(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    # outside the source is transparent black (alpha 0), as wanted for pasting
    inv = _invert(matrix)
    pil = Image.fromarray(np.ascontiguousarray(image), mode="RGBA")
    out = pil.transform(
        size, Image.Transform.AFFINE, _centre_corrected(inv), Image.Resampling.BICUBIC
    )
    return np.asarray(out)
