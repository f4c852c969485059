"""torch.hub entry points: ``torch.hub.load("OWNER/aminet", "aminet_cpu", weights=PATH_OR_URL)``.

Also from a clone: ``torch.hub.load("path/to/aminet", "aminet", source="local")``. Every entry
point is :func:`aminet.create_model` for one registered name; ``weights`` (a path or URL, checked
by SHA-256 with ``weights_sha256`` or a ``NAME-<hex>.pt`` file name) loads trained weights, such
as the ``best.pt`` that ``aminet demo`` writes. No weights are downloaded unless you give a URL.
"""

dependencies = ["torch", "numpy", "PIL", "yaml"]

from aminet.registry import create_model, list_models  # noqa: E402


def _entry(name: str):
    def build(weights=None, weights_sha256=None, **overrides):
        return create_model(name, weights=weights, weights_sha256=weights_sha256, **overrides)

    build.__name__ = name.replace("-", "_")
    build.__doc__ = f"aminet.create_model({name!r}, weights=..., **overrides)"
    return build


aminet = _entry("aminet")
aminet_s = _entry("aminet-s")
aminet_cpu = _entry("aminet-cpu")
aminet_tiny = _entry("aminet-tiny")
sparnet = _entry("sparnet")
bicubic = _entry("bicubic")


def model(name: str, weights=None, weights_sha256=None, **overrides):
    """Any registered model by name (see ``aminet list-models``)."""
    return create_model(name, weights=weights, weights_sha256=weights_sha256, **overrides)


__all__ = [
    "aminet",
    "aminet_cpu",
    "aminet_s",
    "aminet_tiny",
    "bicubic",
    "list_models",
    "model",
    "sparnet",
]
