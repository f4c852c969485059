"""Faces in ordinary photographs: alignment to the training framing, detection, paste-back.

:mod:`aminet.faces.align` (numpy + Pillow only) warps a face with five known landmarks to the
128x128 framing the models were trained in, and back; :mod:`aminet.faces.detect` finds faces and
estimates their landmarks with OpenCV's shipped cascades (the optional ``faces`` extra).
"""

from aminet.faces.align import TEMPLATE_128, estimate_similarity, paste_back, template, warp_face

__all__ = ["TEMPLATE_128", "estimate_similarity", "paste_back", "template", "warp_face"]
