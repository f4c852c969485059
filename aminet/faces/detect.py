"""Find faces in a photograph and estimate their five landmarks, offline.

The detector is OpenCV's Viola-Jones cascades (``haarcascade_frontalface_default.xml`` for faces,
``haarcascade_eye.xml`` and ``haarcascade_eye_tree_eyeglasses.xml`` for eyes), whose trained
weights ship inside the ``opencv-python-headless`` wheel (OpenCV 4.x; the 5.0 wheels no longer
carry them), so nothing is downloaded. Install it with ``pip install -e ".[faces]"``.

Why not MTCNN or RetinaFace (what GFPGAN and facexlib use)? Their PyPI packages either download
the weights at run time or pin torch and numpy far below what Colab runs (facenet-pytorch:
torch<2.3, numpy<2); see docs/data.md. The cascades are weaker: frontal faces only, and they give
boxes, not landmarks. The five landmarks are therefore *estimated*:

- the eyes are measured when the eye cascades find a plausible pair in the upper face (one eye
  found: the other is mirrored about the face's axis);
- everything else comes from where the landmarks sit, on average, in the cascade's box
  (:data:`BOX_LANDMARKS`, measured on the two public-domain photos of :mod:`aminet.data.realfaces`
  against their MTCNN landmarks; error about 5% of the box width).

Good enough for a similarity warp to the training framing, which only needs the eyes and mouth to
within a few pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BOX_LANDMARKS", "DetectedFace", "FacesExtraMissing", "detect_faces"]

# where the five landmarks sit, on average, in the frontal-face cascade's box, as fractions of its
# width and height (mean of the two shipped photos, see the module docstring)
BOX_LANDMARKS = np.array(
    [[0.308, 0.386], [0.724, 0.384], [0.517, 0.635], [0.314, 0.777], [0.708, 0.783]]
)
INSTALL_HINT = 'face detection needs the optional "faces" extra: pip install -e ".[faces]"'


class FacesExtraMissing(ImportError):
    """OpenCV (with its shipped cascades) is not installed; the message names the extra."""


@dataclass
class DetectedFace:
    box: tuple[int, int, int, int]  # x, y, width, height in pixels of the photo
    landmarks: np.ndarray  # (5, 2): left eye, right eye, nose, left/right mouth corner
    score: float  # the cascade's confidence (its final-stage weight; higher is surer)
    eyes_measured: int  # 0, 1 or 2 eyes found by the eye cascades (the rest estimated)


_CASCADES: dict[str, object] = {}


def _cascade(name: str):
    try:
        import cv2
    except ImportError:
        raise FacesExtraMissing(INSTALL_HINT) from None
    if name not in _CASCADES:
        folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
        from pathlib import Path

        path = Path(folder or "") / name
        if not folder or not path.is_file():
            raise FacesExtraMissing(
                f"OpenCV {cv2.__version__} has no {name} (OpenCV 5 wheels no longer ship the "
                'cascades); install OpenCV 4: pip install -e ".[faces]"'
            )
        classifier = cv2.CascadeClassifier(str(path))
        if classifier.empty():
            raise FacesExtraMissing(f"OpenCV could not read {path}")
        _CASCADES[name] = classifier
    return _CASCADES[name]


def _gray(image: np.ndarray) -> np.ndarray:
    import cv2

    gray = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    return cv2.equalizeHist(gray)


def _find_eyes(gray: np.ndarray, box, prior: np.ndarray) -> tuple[np.ndarray, int]:
    """The two eye centres in the face ``box``: measured where the cascades find them, else the
    box prior. Returns ``((2, 2) array, number measured)``."""
    x, y, w, h = box
    top, bottom = y + int(0.15 * h), y + int(0.6 * h)
    roi = gray[top:bottom, x : x + w]
    found = []
    for name in ("haarcascade_eye.xml", "haarcascade_eye_tree_eyeglasses.xml"):
        eyes = _cascade(name).detectMultiScale(
            roi, scaleFactor=1.1, minNeighbors=3, minSize=(max(4, w // 10), max(4, w // 10))
        )
        found += [(ex + ew / 2 + x, ey + eh / 2 + top, ew) for ex, ey, ew, eh in eyes]
    centre_x = x + 0.516 * w
    near = max(0.12 * w, 1.0)  # a candidate must lie this close to the prior
    picked = []
    for side, expected in enumerate(prior):
        cands = [
            (abs(cx - expected[0]) + abs(cy - expected[1]), cx, cy)
            for cx, cy, _ in found
            if (cx < centre_x) == (side == 0)
            and abs(cx - expected[0]) < near
            and abs(cy - expected[1]) < near
        ]
        picked.append(min(cands)[1:] if cands else None)
    eyes = prior.copy()
    measured = sum(p is not None for p in picked)
    for side, p in enumerate(picked):
        if p is not None:
            eyes[side] = p
        elif picked[1 - side] is not None:  # mirror the eye that was found about the face axis
            other = picked[1 - side]
            eyes[side] = (2 * centre_x - other[0], other[1])
    return eyes, measured


def detect_faces(image: np.ndarray, *, min_size: int = 32, upsample: int = 1) -> list[DetectedFace]:
    """Every frontal face of at least ``min_size`` pixels in ``image`` (H, W, 3) uint8 RGB, with
    five estimated landmarks, largest first. Raises :class:`FacesExtraMissing` without OpenCV.

    The face cascade's window is 24x24 pixels: smaller faces (a low-resolution photo) are found
    with ``upsample=2`` or more, which runs the detector on a bicubic enlargement; boxes and
    landmarks are returned in the pixels of ``image``."""
    if upsample > 1:
        from PIL import Image

        h, w = image.shape[:2]
        big = np.asarray(
            Image.fromarray(np.ascontiguousarray(image[..., :3])).resize(
                (w * upsample, h * upsample), Image.Resampling.BICUBIC
            )
        )
        faces = detect_faces(big, min_size=min_size * upsample)
        for f in faces:
            f.box = tuple(int(round(v / upsample)) for v in f.box)
            f.landmarks = (f.landmarks + 0.5) / upsample - 0.5  # pixel centres
        return faces
    faces_cascade = _cascade("haarcascade_frontalface_default.xml")
    gray = _gray(image)
    boxes, _, weights = faces_cascade.detectMultiScale3(
        gray,
        scaleFactor=1.1,
        minNeighbors=5,
        minSize=(min_size, min_size),
        outputRejectLevels=True,
    )
    faces = []
    for (x, y, w, h), score in zip(np.asarray(boxes).reshape(-1, 4), np.ravel(weights)):
        box = (int(x), int(y), int(w), int(h))
        prior = BOX_LANDMARKS * [w, h] + [x, y]
        eyes, measured = _find_eyes(gray, box, prior[:2])
        landmarks = prior.copy()
        landmarks[:2] = eyes
        # nose and mouth follow the eyes' measured shift (the box may sit a little off the face)
        landmarks[2:] += (eyes - prior[:2]).mean(0)
        faces.append(DetectedFace(box, landmarks, float(score), measured))
    faces.sort(key=lambda f: -f.box[2] * f.box[3])
    return faces
