"""SynthFaces: procedural 128x128 faces, made on the fly, so the course trains with no download.

Every face is drawn from a random generator seeded by ``(seed, split, index)``, so a given index is
the same picture on every machine and every run. The drawing is vectorised numpy on a 128x128
coordinate grid (no per-pixel Python loops): each part of the face is a soft-edged shape
(anti-aliased over about one pixel) alpha-blended onto the canvas, in painter's order.

What makes it a super-resolution task: the coarse layout (face oval, hair mass, eye and mouth
positions) survives the 16x16 LR image, but the detail between 16 and 128 pixels does not: skin
pores and freckles, hair strands, eyelashes, iris stripes, eye highlights, lip lines, teeth, beard
stubble and glasses rims. That detail is deterministic given the face, so a network can learn it.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch.utils.data import Dataset

from aminet.data.degradation import degrade

try:  # the ufunc behind np.clip; np.clip adds ~10 us of Python per call
    from numpy._core.umath import clip as _umath_clip
except ImportError:  # numpy < 2
    from numpy.core.umath import clip as _umath_clip

__all__ = ["SynthFaces", "render_face", "natural_patch", "soften", "SPLIT_SIZES", "IMAGE_SIZE"]

IMAGE_SIZE = 128
# Train/test mirror the paper's CelebA counts (18,000 / 1,000). The validation split is small on
# purpose: it is evaluated every few hundred steps during training, on 2-core machines too.
SPLIT_SIZES = {"train": 18_000, "val": 200, "test": 1_000}
_SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
_LOW_RES = 32  # grid for the slowly varying fields (hair flow), then upsampled

SKIN_TONES = np.array(
    [
        [0.98, 0.84, 0.74],
        [0.93, 0.76, 0.63],
        [0.86, 0.66, 0.52],
        [0.76, 0.56, 0.42],
        [0.62, 0.43, 0.31],
        [0.47, 0.31, 0.21],
        [0.35, 0.23, 0.16],
    ],
    dtype=np.float32,
)
HAIR_COLOURS = np.array(
    [
        [0.07, 0.06, 0.05],  # black
        [0.20, 0.13, 0.08],  # dark brown
        [0.40, 0.26, 0.14],  # brown
        [0.78, 0.62, 0.38],  # blond
        [0.55, 0.24, 0.10],  # red
        [0.68, 0.67, 0.66],  # grey
    ],
    dtype=np.float32,
)
IRIS_COLOURS = np.array(
    [
        [0.30, 0.18, 0.09],  # brown
        [0.16, 0.10, 0.06],  # dark brown
        [0.28, 0.45, 0.62],  # blue
        [0.30, 0.45, 0.28],  # green
        [0.45, 0.36, 0.18],  # hazel
        [0.40, 0.45, 0.50],  # grey
    ],
    dtype=np.float32,
)


def _clip01(x):
    """np.clip(x, 0, 1) without its Python-level wrapper (called thousands of times per image)."""
    return _umath_clip(x, 0.0, 1.0)


@lru_cache(maxsize=16)
def _interp_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices and weights of linear interpolation from n_in to n_out samples (pixel centres)."""
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def _resize_bilinear(field: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upsampling of a square 2-D field by gathers (no BLAS: its threads spin and make
    the small matrix products of a matmul-based version ten times slower on busy machines)."""
    lo, hi, w = _interp_taps(field.shape[-2], size)
    rows = field[..., lo, :]
    rows += (field[..., hi, :] - rows) * w[:, None]
    lo, hi, w = _interp_taps(field.shape[-1], size)
    out = rows[..., lo]
    out += (rows[..., hi] - out) * w
    return out


@lru_cache(maxsize=4)
def _radius_sq(size: int) -> np.ndarray:
    u, v = _pixel_grid(size)
    return u**2 + v**2


@lru_cache(maxsize=4)
def _pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [-1, 1] (x right, y down)."""
    c = ((np.arange(size, dtype=np.float32) + 0.5) / size) * 2 - 1
    return np.meshgrid(c, c, indexing="xy")


class _Draws:
    """Scalar random choices, drawn from one pre-generated batch: a numpy generator call costs
    microseconds, and a face makes about a hundred such choices."""

    def __init__(self, rng: np.random.Generator, n: int = 160):
        self._values = iter(rng.random(n).tolist())

    def uniform(self, lo: float = 0.0, hi: float = 1.0) -> float:
        return lo + (hi - lo) * next(self._values)

    def chance(self, p: float) -> bool:
        return next(self._values) < p

    def index(self, weights) -> int:
        """An index drawn with probabilities proportional to ``weights``."""
        r = next(self._values) * sum(weights)
        for i, w in enumerate(weights):
            r -= w
            if r < 0:
                return i
        return len(weights) - 1

    def colour(self, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
        return np.array([self.uniform(lo, hi) for _ in range(3)], dtype=np.float32)


class _Canvas:
    """An RGB float canvas plus the face-local coordinate grid (after the pose transform)."""

    def __init__(self, rng: np.random.Generator, size: int):
        self.rng = rng
        self.draw = _Draws(rng)
        self.size = size
        self.u, self.v = _pixel_grid(size)  # image coordinates
        self.img = np.zeros((3, size, size), dtype=np.float32)  # planar: fast broadcasting

    def set_pose(self, cx: float, cy: float, scale: float, angle: float) -> None:
        self.pose = (cx, cy, scale, math.cos(angle), math.sin(angle))
        cos, sin = self.pose[3], self.pose[4]
        du, dv = self.u - cx, self.v - cy
        self.x = (cos * du + sin * dv) / scale
        self.y = (-sin * du + cos * dv) / scale
        self.px = 2.0 / self.size / scale  # one pixel in face-local units
        ul, vl = _pixel_grid(_LOW_RES)
        self.x_lo = (cos * (ul - cx) + sin * (vl - cy)) / scale
        self.y_lo = (-sin * (ul - cx) + cos * (vl - cy)) / scale

    def region(self, x0: float, y0: float, radius: float, radius_y: float | None = None) -> _Canvas:
        """A window of the canvas around face-local point (x0, y0): small parts are drawn there.

        The window shares the canvas pixels (numpy views), so drawing into it draws into the
        face; it only saves the time of evaluating far-away pixels that a part cannot touch.
        """
        cx, cy, scale, cos, sin = self.pose
        u = cx + scale * (cos * x0 - sin * y0)
        v = cy + scale * (sin * x0 + cos * y0)
        ry = radius if radius_y is None else radius_y
        px_per_unit = scale * self.size / 2
        half_w = (abs(cos) * radius + abs(sin) * ry) * px_per_unit + 2  # box of the rotated box
        half_h = (abs(sin) * radius + abs(cos) * ry) * px_per_unit + 2
        col, row = (u + 1) * self.size / 2, (v + 1) * self.size / 2
        rows = slice(max(int(row - half_h), 0), max(min(int(row + half_h) + 1, self.size), 0))
        cols = slice(max(int(col - half_w), 0), max(min(int(col + half_w) + 1, self.size), 0))
        sub = object.__new__(_Canvas)
        sub.rng, sub.draw, sub.size, sub.px, sub.pose = (
            self.rng,
            self.draw,
            None,
            self.px,
            self.pose,
        )
        sub.u, sub.v = self.u[rows, cols], self.v[rows, cols]
        sub.x, sub.y = self.x[rows, cols], self.y[rows, cols]
        sub.img = self.img[:, rows, cols]
        return sub

    def noise(self, cells: int, size: int | None = None) -> np.ndarray:
        """Smooth value noise in [0, 1] with ``cells`` random values per side."""
        return _resize_bilinear(
            self.rng.random((cells, cells), dtype=np.float32), size or self.size
        )

    def upsample(self, coarse: np.ndarray) -> np.ndarray:
        """Bilinear upsampling of coarse (..., n, n) fields to the canvas size."""
        return _resize_bilinear(coarse.astype(np.float32, copy=False), self.size)

    def blend(self, alpha: np.ndarray, colour) -> None:
        """Alpha-blend a colour (RGB triple or (3, H, W) array) onto the canvas."""
        colour = np.asarray(colour, dtype=np.float32)
        if colour.ndim == 1:
            colour = colour.reshape(3, 1, 1)
        delta = colour - self.img
        delta *= alpha
        self.img += delta

    def shade(self, alpha: np.ndarray, factor: np.ndarray | float) -> None:
        """Multiply the canvas by ``factor`` where ``alpha`` is 1 (shadows and highlights)."""
        self.img *= (1 + alpha * (np.asarray(factor, dtype=np.float32) - 1))[None]

    def ellipse(self, x0, y0, a, b, x=None, y=None) -> tuple[np.ndarray, np.ndarray]:
        """Soft mask of an ellipse and its normalised radius (1 on the border)."""
        x = self.x if x is None else x
        y = self.y if y is None else y
        d = np.sqrt(((x - x0) / a) ** 2 + ((y - y0) / b) ** 2)
        return self.edge((1 - d) * min(a, b)), d

    def edge(self, signed_dist: np.ndarray) -> np.ndarray:
        """Turn a signed distance (positive inside) into a mask anti-aliased over one pixel."""
        return _clip01(signed_dist / self.px + 0.5)


def _jitter(draw: _Draws, colour, amount):
    return _clip01(colour * (1 + draw.colour(-amount, amount))).astype(np.float32)


def _draw_background(c: _Canvas) -> None:
    d = c.draw
    base = d.colour(0.1, 0.9)
    other = _clip01(base + d.colour(-0.35, 0.35))
    angle = d.uniform(0, 2 * np.pi)
    t = _clip01(0.5 + 0.5 * (np.cos(angle) * c.u + np.sin(angle) * c.v))
    blobs = c.noise(3 + d.index([1, 1, 1, 1]))
    t = _clip01(0.7 * t + 0.6 * (blobs - 0.5) * d.uniform())
    base, other = base.reshape(3, 1, 1), other.reshape(3, 1, 1)
    c.img[:] = base + t[None] * (other - base)
    if d.chance(0.4):  # textured wall or fabric behind the person
        freq = d.uniform(20, 60)
        stripes = 0.5 + 0.5 * np.sin(freq * (c.u * np.cos(angle) - c.v * np.sin(angle)))
        c.img *= (1 - 0.08 * stripes)[None]


def _draw_shoulders(c: _Canvas, p: dict) -> None:
    cloth = c.draw.colour(0.05, 0.9)
    body = c.region(0.0, 1.3, 0.95)  # shoulders and collar: the bottom of the picture
    shoulders, _ = body.ellipse(0.0, 1.45, 0.95, 0.62)
    body.blend(shoulders, cloth)
    if c.draw.chance(0.5):  # striped or knitted clothes: more fine texture
        freq = c.draw.uniform(25, 70)
        body.shade(shoulders, 1 - 0.15 * (np.sin(freq * body.y + 3 * np.sin(6 * body.x)) > 0.3))
    collar, _ = body.ellipse(0.0, 0.88, 0.26, 0.14)
    body.blend(collar * shoulders, _clip01(cloth * 0.7))
    neck_c = c.region(0.0, 0.68, 0.42)
    half_w = 0.2 * p["face_w"] / 0.55
    neck = neck_c.edge(np.minimum(half_w - np.abs(neck_c.x), 1.05 - neck_c.y))
    neck_c.blend(neck * neck_c.edge(neck_c.y - 0.3), p["skin"] * 0.82)


def _hair_texture(c: _Canvas, p: dict) -> np.ndarray:
    """Per-pixel hair colour: strands radiating from the crown, with waves and highlights."""
    # The strand direction and waviness vary slowly: compute them on a coarse grid, upsample,
    # and evaluate only the fast oscillation (the strands themselves) at full resolution.
    hx, hy = p["parting"], -1.1
    ang = np.arctan2(c.x_lo - hx, c.y_lo - hy)
    r = np.sqrt((c.x_lo - hx) ** 2 + (c.y_lo - hy) ** 2)
    warp = (c.noise(6, c.x_lo.shape[0]) - 0.5) * p["curl"]
    phase1, phase2, sheen = c.upsample(
        np.stack(
            [
                ang * p["strand_freq"] + warp * 6 + 0.8 * np.sin(r * 9),
                ang * (p["strand_freq"] * 1.73) + warp * 9,
                0.5 + 0.5 * np.sin(r * 5.5 + c.draw.uniform(0, 6)),  # broad band of light
            ]
        )
    )
    fine = 0.5 + 0.3 * np.sin(phase1) + 0.2 * np.sin(phase2)
    level = 0.62 + 0.55 * fine**2 + 0.25 * sheen * p["sheen"]
    return _clip01(p["hair"] * level[None] + 0.04 * (fine[None] - 0.5))


def _draw_back_hair(c: _Canvas, p: dict, hair_rgb: np.ndarray) -> None:
    style = p["hair_style"]
    if style == 0:
        return
    fw, fh = p["face_w"], p["face_h"]
    top, _ = c.ellipse(0.0, -0.12, fw * 1.2, fh * 1.05)
    mask = top
    if style >= 2:  # long hair falling behind the shoulders
        length = p["hair_length"]
        drop = c.edge(
            np.minimum(fw * 1.18 - np.abs(c.x) + 0.05 * np.sin(c.y * 14), length - c.y)
        ) * (c.y > -0.2)
        mask = np.maximum(mask, drop)
    c.blend(mask, hair_rgb * 0.8)


def _draw_ears(c: _Canvas, p: dict) -> None:
    fw = p["face_w"]
    for side in (-1, 1):
        size = 1 - 0.5 * max(0.0, side * p["yaw"]) / 0.25
        ex = side * fw * 0.97 + p["yaw"] * 0.1
        w = c.region(ex, 0.02, 0.16)
        ear, _ = w.ellipse(ex, 0.02, 0.075 * size + 0.01, 0.13)
        w.blend(ear, p["skin"] * 0.88)
        inner, _ = w.ellipse(ex + side * 0.01, 0.03, 0.035 * size + 0.005, 0.08)
        w.shade(inner * ear, 0.78)


def _face_mask(c: _Canvas, p: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fw, fh = p["face_w"], p["face_h"]
    ty = _clip01(c.y / fh)
    half_w = fw * (1 - p["jaw"] * ty**2)  # narrower towards the chin
    nx = (c.x - p["yaw"] * 0.05) / half_w
    ny = c.y / fh
    d = np.sqrt(nx**2 + ny**2)
    return c.edge((1 - d) * fw), nx, ny


def _draw_face(c: _Canvas, p: dict) -> np.ndarray:
    rng = c.rng
    mask, nx, ny = _face_mask(c, p)
    nz = np.sqrt(_clip01(1 - nx**2 - ny**2))
    lx, ly, lz = p["light"]
    lambert = _clip01(nx * lx + ny * ly + nz * lz)
    shading = 0.55 + 0.5 * lambert
    # Skin: blotches (mid frequency) and pores (the finest scale, gone at 16x16).
    blotch = (c.noise(12) - 0.5) * 0.08
    pores = (rng.random((c.size, c.size), dtype=np.float32) - 0.5) * p["pores"]
    skin = p["skin"] * (shading + blotch + pores)[None]
    cheeks = np.exp(-(((np.abs(c.x) - 0.26) / 0.1) ** 2 + ((c.y - 0.2) / 0.09) ** 2))
    skin = skin + cheeks[None] * p["blush"] * np.array([0.10, -0.03, -0.03], np.float32).reshape(
        3, 1, 1
    )
    c.blend(mask, _clip01(skin))
    if p["freckles"]:
        spots = (rng.random((c.size, c.size), dtype=np.float32) < 0.04) * np.exp(
            -((c.x / 0.35) ** 2 + ((c.y - 0.1) / 0.15) ** 2)
        )
        c.shade(spots * mask, 0.8)
    return mask


def _draw_beard(c: _Canvas, p: dict, face: np.ndarray) -> None:
    if not p["beard"]:
        return
    rng = c.rng
    my = p["mouth_y"]
    region = face * c.edge(c.y - (my - 0.12)) * c.edge(0.2 - np.abs(c.x) + (c.y - my) * 1.2)
    region = np.maximum(region * (c.y > my - 0.15), 0)
    mustache = np.exp(-((c.x / 0.15) ** 4 + ((c.y - (my - 0.06)) / 0.03) ** 2))
    jaw = face * c.edge(c.y - (my - 0.05) - 0.25 * (c.x / p["face_w"]) ** 2 * -1)
    area = _clip01(np.maximum(np.maximum(region, mustache * face), jaw * (c.y > 0.25)))
    stubble = rng.random((c.size, c.size), dtype=np.float32) < p["beard_density"]
    c.blend(area * stubble * 0.9, p["hair"] * 0.9)
    c.shade(area, 1 - 0.25 * p["beard_density"])


def _draw_nose(c: _Canvas, p: dict) -> None:
    nx0 = p["yaw"] * 0.18
    ny0 = p["nose_y"]
    c = c.region(nx0, ny0 / 2, ny0 / 2 + 0.2)
    side = -1 if p["light"][0] > 0 else 1  # the shadow falls on the side away from the light
    bridge = (
        np.exp(-(((c.x - nx0 - side * 0.05) / 0.025) ** 2)) * c.edge(c.y + 0.02) * c.edge(ny0 - c.y)
    )
    c.shade(bridge, 0.88)
    tip = np.exp(-(((c.x - nx0) / 0.045) ** 2 + ((c.y - ny0 + 0.02) / 0.035) ** 2))
    c.shade(tip, 1.1)
    under = np.exp(-(((c.x - nx0) / 0.08) ** 2 + ((c.y - ny0 - 0.035) / 0.02) ** 2))
    c.shade(under, 0.8)
    for s in (-1, 1):
        nostril, _ = c.ellipse(nx0 + s * p["nose_w"], ny0 + 0.02, 0.022, 0.012)
        c.blend(nostril * 0.85, p["skin"] * 0.35)


def _draw_mouth(c: _Canvas, p: dict) -> None:
    mx, my, mw = p["yaw"] * 0.12, p["mouth_y"], p["mouth_w"]
    c = c.region(mx, my + 0.02, mw + 0.06)
    t = (c.x - mx) / mw
    f = _clip01(1 - t**2)
    mid = my - p["smile"] * 0.035 * (t**2 - 0.3)  # corners rise when smiling
    gap = p["open"] * np.sqrt(f)
    upper = c.edge(
        np.minimum(mid - gap - (c.y - 0.0), (c.y - (mid - gap - p["lip_h"] * np.sqrt(f) * 0.8)))
    ) * (f > 0)
    lower = c.edge(np.minimum(c.y - (mid + gap), (mid + gap + p["lip_h"] * np.sqrt(f)) - c.y)) * (
        f > 0
    )
    lips = _clip01(p["skin"] * 0.75 + p["lip_tint"])
    c.blend(upper, lips * 0.85)
    c.blend(lower, lips)
    lip_lines = 0.5 + 0.5 * np.sin(c.x * 180)  # vertical lip wrinkles, pixel scale
    c.shade((upper + lower) * 0.6, 1 - 0.12 * lip_lines)
    if p["open"] > 0.004:
        inside = c.edge(np.minimum(c.y - (mid - gap), (mid + gap) - c.y)) * (f > 0.05)
        c.blend(inside, [0.25, 0.06, 0.07])
        teeth = inside * c.edge(mid - gap * 0.1 - c.y)
        tooth_gaps = 1 - 0.3 * (np.abs(np.sin((c.x - mx) * 55)) < 0.15)
        c.blend(teeth, np.array([0.93, 0.9, 0.84], np.float32).reshape(3, 1, 1) * tooth_gaps[None])
    line = c.edge(c.px * 0.9 - np.abs(c.y - mid)) * (f > 0)
    c.blend(line * 0.8, lips * 0.35)
    shadow = np.exp(
        -(((c.x - mx) / (mw * 0.5)) ** 2 + ((c.y - mid - gap - p["lip_h"] - 0.03) / 0.02) ** 2)
    )
    c.shade(shadow, 0.88)


def _draw_eyes(c: _Canvas, p: dict) -> None:
    """Both eyes in one pass: every pixel belongs to the eye on its side of the face, so the
    per-call cost of the ~60 array operations is paid once."""
    mid = p["yaw"] * 0.15
    ey, ew, eh = p["eye_y"], p["eye_w"], p["eye_h"]
    c = c.region(mid, ey - eh, p["eye_dx"] + ew * 2.2, ew * 2.2)
    side = np.where(c.x >= mid, np.float32(1), np.float32(-1))
    ex = side * p["eye_dx"] + mid
    t = (c.x - ex) / ew
    f = 1 - t**2
    top = ey - eh * f
    bottom = ey + 0.65 * eh * f
    # socket shadow and lid crease
    socket = np.exp(-(((c.x - ex) / (ew * 1.1)) ** 2 + ((c.y - ey + eh * 0.8) / (eh * 2.2)) ** 2))
    c.shade(socket, 0.9)
    crease = c.edge(c.px - np.abs(c.y - (top - eh * 0.55))) * (f > 0.15)
    c.shade(crease, 0.85)
    eye = c.edge(np.minimum(c.y - top, bottom - c.y) * 0.999) * (f > 0)
    c.blend(eye, np.array([0.93, 0.91, 0.88], np.float32) * 0.95)
    ix, iy = ex + p["gaze"][0] * ew * 0.4, ey + p["gaze"][1] * eh * 0.3
    ri = p["iris_r"]
    iris_d = np.sqrt((c.x - ix) ** 2 + (c.y - iy) ** 2)
    iris_mask = c.edge(ri - iris_d) * eye
    ang = np.arctan2(c.y - iy, c.x - ix)
    fibres = 0.85 + 0.3 * (0.5 + 0.5 * np.sin(ang * 23 + 2 * np.sin(ang * 7)))
    ring = 1 - 0.35 * _clip01((iris_d / ri - 0.75) / 0.25)  # darker limbal ring
    c.blend(iris_mask, _clip01(p["iris"] * (fibres * ring)[None]))
    pupil = c.edge(ri * p["pupil"] - iris_d) * eye
    c.blend(pupil, [0.03, 0.03, 0.03])
    hl = (
        c.edge(ri * 0.22 - np.sqrt((c.x - ix - ri * 0.35) ** 2 + (c.y - iy + ri * 0.35) ** 2)) * eye
    )
    c.blend(hl, [0.98, 0.98, 0.98])
    # upper lid line and lashes: one or two pixels wide, lost entirely at 16x16
    lid = c.edge(c.px * 1.1 - np.abs(c.y - top)) * (f > -0.05)
    c.blend(lid, [0.08, 0.05, 0.04])
    above = top - c.y
    lash_zone = (above > 0) * (above < p["lash_len"] * _clip01(f + 0.3)) * (f > -0.1)
    lashes = (
        np.sin((c.x - ex) * 260 + above * 80 * side * np.sign(c.x - ex + 1e-6)) > 0.2
    ) * lash_zone
    c.blend(lashes * 0.85, [0.06, 0.04, 0.03])
    low = c.edge(c.px * 0.6 - np.abs(c.y - bottom)) * (f > 0)
    c.shade(low, 0.82)


def _draw_brows(c: _Canvas, p: dict) -> None:
    """Both eyebrows in one pass (as :func:`_draw_eyes`)."""
    mid = p["yaw"] * 0.15
    by = p["eye_y"] - p["brow_gap"]
    bw = p["eye_w"] * 1.35
    c = c.region(mid, by, p["eye_dx"] + bw + 0.08, bw + 0.08)
    side = np.where(c.x >= mid, np.float32(1), np.float32(-1))
    bx = side * p["eye_dx"] + mid
    t = (c.x - bx) / bw
    tilt = side * p["brow_tilt"] * t
    centre = by - 0.035 * (1 - t**2) + tilt
    thick = p["brow_thick"] * (1 - 0.55 * _clip01(side * t))
    mask = c.edge(np.minimum(thick - np.abs(c.y - centre), (1 - np.abs(t)) * bw))
    hairs = 0.5 + 0.5 * np.sin((c.x - bx) * 200 * side - (c.y - centre) * 120)
    colour = _clip01(p["brow_colour"] * (0.7 + 0.6 * hairs)[None])
    c.blend(mask * 0.95, colour)


def _draw_front_hair(c: _Canvas, p: dict, hair_rgb: np.ndarray) -> None:
    fw, fh = p["face_w"], p["face_h"]
    head, _ = c.ellipse(0.0, -0.1, fw * 1.1, fh * 1.02)
    x = c.x - p["parting"]
    line = p["hairline"] + p["fringe_curve"] * x**2 + 0.015 * np.sin(c.x * p["fringe_wave"])
    if p["fringe"]:  # bangs: the hair comes down over the forehead, with a ragged edge
        line = line + p["fringe"] + 0.02 * np.abs(np.sin(c.x * 40))
    cap = head * c.edge(line - c.y)
    sides = (
        head * c.edge(np.abs(c.x) - fw * 0.88) * c.edge(0.05 - c.y) if p["hair_style"] > 0 else 0
    )
    mask = np.maximum(cap, sides)
    c.blend(mask, hair_rgb)


def _draw_glasses(c: _Canvas, p: dict) -> None:
    if not p["glasses"]:
        return
    frame = (
        np.array([0.05, 0.05, 0.06], np.float32) if c.draw.chance(0.6) else c.draw.colour(0.0, 0.6)
    )
    r = p["glasses_r"]
    thick = p["glasses_thick"]
    c = c.region(p["yaw"] * 0.15, p["eye_y"], p["eye_dx"] + r * 1.2 + 0.05)
    for side in (-1, 1):
        gx = side * p["eye_dx"] + p["yaw"] * 0.15
        _, d = c.ellipse(gx, p["eye_y"] + 0.01, r * 1.15, r)
        lens = c.edge((1 - d) * r)
        c.shade(lens, p["lens_tint"])
        rim = c.edge(thick - np.abs(d - 1) * r)
        c.blend(rim, frame)
        glint = np.exp(
            -(((c.x - gx + r * 0.4) / 0.02) ** 2 + ((c.y - p["eye_y"] + r * 0.5) / 0.06) ** 2)
        )
        c.blend(glint * lens * 0.4, [1, 1, 1])
    bridge = c.edge(
        np.minimum(
            thick - np.abs(c.y - p["eye_y"] + r * 0.3),
            p["eye_dx"] - r * 1.1 - np.abs(c.x - p["yaw"] * 0.15),
        )
    )
    c.blend(bridge, frame)


def _sample_params(draw: _Draws) -> dict:
    """All the random choices that define one face (Python floats: numpy float64 scalars would
    silently promote every float32 image operation to float64)."""

    uniform, chance = draw.uniform, draw.chance
    skin_t = uniform(0, len(SKIN_TONES) - 1)
    lo = int(skin_t)
    skin = SKIN_TONES[lo] + (skin_t - lo) * (
        SKIN_TONES[min(lo + 1, len(SKIN_TONES) - 1)] - SKIN_TONES[lo]
    )
    hair = _jitter(draw, HAIR_COLOURS[draw.index([1] * len(HAIR_COLOURS))], 0.15)
    light = np.array([uniform(-0.6, 0.6), uniform(-0.5, 0.2), 1.0])
    light = tuple(float(v) for v in light / np.linalg.norm(light))
    face_w = uniform(0.47, 0.6)
    beard = chance(0.18)
    smile = uniform(-0.3, 1.0)
    params = {
        "skin": _jitter(draw, skin, 0.05),
        "hair": hair,
        "brow_colour": _clip01(hair * 0.8 + 0.02),
        "iris": _jitter(draw, IRIS_COLOURS[draw.index([1] * len(IRIS_COLOURS))], 0.12),
        "light": light,
        "face_w": face_w,
        "face_h": face_w * uniform(1.25, 1.45),
        "jaw": uniform(0.15, 0.45),
        "yaw": uniform(-0.2, 0.2),
        "pores": uniform(0.04, 0.12),
        "blush": uniform(0, 1),
        "freckles": chance(0.15),
        "hair_style": draw.index([0.12, 0.38, 0.35, 0.15]),
        "hair_length": uniform(0.4, 1.1),
        "hairline": uniform(-0.6, -0.45),
        "fringe": uniform(0.08, 0.25) if chance(0.3) else 0.0,
        "fringe_curve": uniform(0.2, 0.8),
        "fringe_wave": uniform(10, 30),
        "parting": uniform(-0.25, 0.25),
        "curl": uniform(0.2, 2.0),
        "strand_freq": uniform(70, 140),
        "sheen": uniform(0.2, 1.0),
        "eye_dx": face_w * uniform(0.36, 0.44),
        "eye_y": uniform(-0.1, 0.0),
        "eye_w": uniform(0.09, 0.12),
        "eye_h": uniform(0.036, 0.056) * (1 - 0.25 * max(smile, 0)),
        "iris_r": uniform(0.038, 0.05),
        "pupil": uniform(0.3, 0.5),
        "gaze": (uniform(-1, 1), uniform(-1, 1)),
        "lash_len": uniform(0.015, 0.035),
        "brow_gap": uniform(0.08, 0.13),
        "brow_tilt": uniform(-0.03, 0.05),
        "brow_thick": uniform(0.012, 0.025),
        "nose_y": uniform(0.16, 0.24),
        "nose_w": uniform(0.03, 0.045),
        "mouth_y": uniform(0.38, 0.46),
        "mouth_w": uniform(0.13, 0.19),
        "smile": smile,
        "open": uniform(0, 0.03) if chance(0.35) else 0.0,
        "lip_h": uniform(0.022, 0.038),
        "lip_tint": np.array([uniform(0.05, 0.25), -0.05, -0.02], np.float32),
        "beard": beard,
        "beard_density": uniform(0.25, 0.7),
        "glasses": chance(0.2),
        "glasses_r": uniform(0.1, 0.14),
        "glasses_thick": uniform(0.006, 0.014),
        "lens_tint": uniform(0.75, 1.0),
    }
    for key in ("skin", "hair", "brow_colour", "iris", "lip_tint"):
        params[key] = params[key].astype(np.float32).reshape(3, 1, 1)
    return params


def render_face(rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    """Draw one face; returns an (size, size, 3) uint8 array. All randomness comes from ``rng``."""
    c = _Canvas(rng, size)
    p = _sample_params(c.draw)
    c.set_pose(
        cx=c.draw.uniform(-0.06, 0.06),
        cy=c.draw.uniform(0.0, 0.1),
        scale=c.draw.uniform(0.85, 1.05),
        angle=c.draw.uniform(-0.2, 0.2),
    )
    _draw_background(c)
    _draw_shoulders(c, p)
    hair_rgb = _hair_texture(c, p)
    _draw_back_hair(c, p, hair_rgb)
    _draw_ears(c, p)
    face = _draw_face(c, p)
    _draw_beard(c, p, face)
    _draw_nose(c, p)
    _draw_mouth(c, p)
    _draw_eyes(c, p)
    _draw_brows(c, p)
    _draw_front_hair(c, p, hair_rgb)
    _draw_glasses(c, p)
    # global light fall-off (no sensor noise: it would only add an error floor nobody can learn)
    vignette = 1 - (0.15 * c.draw.uniform()) * _radius_sq(size)
    c.img *= vignette[None]
    return (_clip01(c.img) * 255 + 0.5).astype(np.uint8).transpose(1, 2, 0)


def face_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of one face: independent streams for every (seed, split, index)."""
    # Philox is counter-based: distinct keys give independent streams, and keying it directly is
    # ten times cheaper than hashing a SeedSequence for every image.
    key = np.array([(_SPLIT_CODES[split] << 40) + index, seed], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=key))


# Photographs that installed packages ship, for photographic texture (``natural_mix``): all of
# scikit-image's colour and grey sample photos that load offline, *except* the astronaut, which
# aminet evaluates on (aminet.data.realfaces). Chelsea and cat are one photo; it counts once.
NATURAL_IMAGES = (
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "stereo_motorcycle",
    "retina",
    "grass",
    "gravel",
    "brick",
    "camera",
    "clock",
)


@lru_cache(maxsize=1)
def _natural_images() -> tuple[np.ndarray, ...]:
    try:
        from skimage import data
    except ImportError:
        raise ImportError(
            "natural_mix needs scikit-image's sample photos: pip install scikit-image"
        ) from None
    images = []
    for name in NATURAL_IMAGES:
        try:
            arr = getattr(data, name)()
        except Exception:  # a sample a given scikit-image version does not ship offline
            continue
        arr = arr[0] if isinstance(arr, tuple) else arr  # stereo pairs
        arr = np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr[..., :3]
        images.append(np.ascontiguousarray(arr.astype(np.uint8)))
    if not images:
        raise ImportError("scikit-image ships none of its sample photos here")
    return tuple(images)


def natural_patch(rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    """A random ``size`` x ``size`` crop of one shipped photo (random scale 1/4-1, antialiased),
    as (size, size, 3) uint8: photographic texture, grain and edges for training."""
    from PIL import Image

    images = _natural_images()
    img = images[int(rng.integers(len(images)))]
    h, w = img.shape[:2]
    side = int(rng.integers(size, max(size + 1, min(h, w, 4 * size) + 1)))
    top, left = int(rng.integers(h - side + 1)), int(rng.integers(w - side + 1))
    crop = img[top : top + side, left : left + side]
    if side != size:
        crop = np.asarray(Image.fromarray(crop).resize((size, size), Image.Resampling.BICUBIC))
    return np.array(crop[:, ::-1] if rng.random() < 0.5 else crop)  # a writable copy


# Optical softness of a photograph at 128x128, in pixels (Gaussian sigma): a drawing's edges are
# anti-aliased over one pixel; a photo's are spread by the lens, focus, motion and JPEG.
CAMERA_BLUR_SIGMA = (0.4, 1.2)


def soften(image: np.ndarray, sigma: float) -> np.ndarray:
    """``image`` (H, W, 3) uint8 blurred by a Gaussian of ``sigma`` pixels (a camera's softness)."""
    from PIL import Image, ImageFilter

    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius=sigma))).copy()


class SynthFaces(Dataset):
    """The built-in procedural face dataset: 18,000 train / 200 val / 1,000 test faces of 128x128.

    Items are dicts ``{"lr": (3,16,16), "input": (3,128,128), "hr": (3,128,128), "name": str}``,
    float32 in [0, 1], like every dataset of :func:`aminet.data.build_dataset`. Faces are drawn
    when asked for (about 2-4 ms each), so nothing is stored and the splits never overlap
    (each split has its own seed stream).
    """

    def __init__(
        self,
        split: str = "train",
        *,
        size: int | None = None,
        seed: int = 0,
        augment: bool = False,
        scale: int = 8,
        natural_mix: float = 0.0,
        camera_blur: float = 0.0,
    ):
        for name, value in (("natural_mix", natural_mix), ("camera_blur", camera_blur)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        # training levers, train split only: validation and test stay the plain drawings
        self.natural_mix = float(natural_mix) if split == "train" else 0.0
        self.camera_blur = float(camera_blur) if split == "train" else 0.0
        if split not in SPLIT_SIZES:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLIT_SIZES)}")
        n = SPLIT_SIZES[split] if size is None else int(size)
        if n < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        self.split, self.n, self.seed, self.augment, self.scale = (
            split,
            n,
            int(seed),
            augment,
            scale,
        )

    def __len__(self) -> int:
        return self.n

    def image(self, index: int) -> np.ndarray:
        """The HR face ``index`` as an (128, 128, 3) uint8 array."""
        if not 0 <= index < self.n:
            raise IndexError(
                f"index {index} out of range for SynthFaces({self.split!r}) of size {self.n}"
            )
        if self.natural_mix > 0:
            # a separate stream (seed offset) decides, so the faces themselves stay the same
            pick = face_rng(self.seed + (1 << 31), self.split, index)
            if pick.random() < self.natural_mix:
                return natural_patch(pick)
        face = render_face(face_rng(self.seed, self.split, index))
        if self.camera_blur > 0:
            pick = face_rng(self.seed + (1 << 30), self.split, index)  # its own stream, too
            if pick.random() < self.camera_blur:
                face = soften(face, sigma=pick.uniform(*CAMERA_BLUR_SIGMA))
        return face

    def __getitem__(self, index: int) -> dict:
        if index < 0:
            index += self.n
        hr = torch.from_numpy(self.image(index)).permute(2, 0, 1).float().div_(255.0)
        if self.augment and torch.rand(()) < 0.5:  # torch's RNG: seeded per DataLoader worker
            hr = hr.flip(-1)
        lr, lr_up = degrade(hr, self.scale, quantize=True)
        return {"lr": lr, "input": lr_up, "hr": hr, "name": f"synth_{self.split}_{index:05d}"}
