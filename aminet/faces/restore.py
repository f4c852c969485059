"""The GFPGAN-style pipeline for ordinary photos: detect, align, super-resolve, paste back.

A photo is taken as low resolution: the output is the photo enlarged x8 (bicubic), and every face
in it is replaced by the model's restoration. Each face is warped (similarity transform from its
five landmarks) to the 16x16 framing of the training data's LR faces, super-resolved to 128x128,
warped back into the enlarged photo and blended with a soft-edged mask.

A face much larger than that 16x16 framing (more than ``max_shrink`` times) is left as bicubic
and reported (``pasted=False``): the model only knows how to go from 16 to 128 pixels, and
shrinking such a face to 16x16 first would throw away detail the photo has (the restoration was
visibly blurrier than the bicubic around it). Shrink such photos first, or evaluate the model on
aligned crops as HR faces (``aminet upscale --input-kind hr``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aminet.faces.align import paste_back, warp_face

__all__ = ["FaceRestoration", "restore_photo"]

SCALE = 8
LR_SIZE = 16


@dataclass
class FaceRestoration:
    lr: np.ndarray  # (16, 16, 3) uint8: the aligned LR face, the model's input before bicubic
    bicubic: np.ndarray  # (128, 128, 3) uint8: the bicubic enlargement (the network input)
    restored: np.ndarray  # (128, 128, 3) uint8: the model's output
    matrix: np.ndarray  # 2x3: photo pixels -> LR crop pixels
    face_px: float  # eye-to-mouth size of the face in the photo, in pixels (16 px framing: ~3.7)
    shrink: float  # how many times the face was shrunk to fit the 16x16 framing (<= 1: not)
    pasted: bool  # pasted into the photo (False: larger than max_shrink allows, left bicubic)


def _to_tensor(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(arr)).permute(2, 0, 1).float().div_(255.0)


def _to_uint8(t: torch.Tensor) -> np.ndarray:
    return (t.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).cpu().numpy()


def _scale_matrix(matrix: np.ndarray, factor: int) -> np.ndarray:
    """The same similarity between the photo and the crop, both enlarged ``factor`` times
    (pixel-centre coordinates: X = factor * (x + 0.5) - 0.5)."""
    a, t = matrix[:, :2], matrix[:, 2]
    c = (factor - 1) / 2
    out = np.empty_like(matrix)
    out[:, :2] = a
    out[:, 2] = factor * t + c - a @ np.array([c, c])
    return out


def restore_photo(
    photo: np.ndarray,
    model: torch.nn.Module,
    landmarks: list,
    *,
    device="cpu",
    max_shrink: float = 1.5,
) -> tuple[np.ndarray, list[FaceRestoration]]:
    """Enlarge ``photo`` (H, W, 3) uint8 x8 and restore the faces at ``landmarks`` (a list of
    (5, 2) arrays). Returns ``(the enlarged photo (8H, 8W, 3) uint8, one FaceRestoration each)``."""
    from PIL import Image

    from aminet.data.degradation import quantize_8bit, resize_bicubic

    h, w = photo.shape[:2]
    out = np.asarray(
        Image.fromarray(photo).resize((w * SCALE, h * SCALE), Image.Resampling.BICUBIC)
    )
    restorations = []
    for points in landmarks:
        points = np.asarray(points, np.float64).reshape(5, 2)
        lr, matrix = warp_face(photo, points, LR_SIZE)
        inp = quantize_8bit(resize_bicubic(_to_tensor(lr), LR_SIZE * SCALE).clamp(0, 1))
        with torch.inference_mode():
            sr = model(inp[None].to(device))[0].float().clamp(0, 1).cpu()
        restored = _to_uint8(sr)
        shrink = 1.0 / float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
        pasted = shrink <= max_shrink
        if pasted:
            out = paste_back(out, restored, _scale_matrix(matrix, SCALE))
        face_px = float(np.linalg.norm(points[3:].mean(0) - points[:2].mean(0)))
        restorations.append(
            FaceRestoration(lr, _to_uint8(inp), restored, matrix, face_px, shrink, pasted)
        )
    return out, restorations
