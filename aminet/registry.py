"""A torchvision-style model registry: ``create_model(name, **overrides)`` and ``list_models()``.

Every trainable network of the project (AMINet, its variants, the baselines) registers a builder
here under a stable name, so that training, evaluation, benchmarking and the notebooks can all take
a model by name. Variants are configuration: a builder is usually ``partial(AMINet, **options)``.

As timm's ``_registry.py``, this module only stores entries and imports no model code: each model
family's module (``aminet.model``, ``aminet.baselines``) calls :func:`register_model` when it is
imported, and ``aminet/__init__.py`` imports the families, so ``import aminet`` (or any
``aminet.*`` import) registers every built-in model, in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

__all__ = ["ModelEntry", "create_model", "get_model_entry", "list_models", "register_model"]


@dataclass(frozen=True)
class ModelEntry:
    name: str
    builder: Callable[..., nn.Module]
    description: str
    paper_params: float | None = None  # millions, as printed in the paper (None: not reported)
    table: str | None = None  # the paper's table the variant comes from, e.g. "I"
    defaults: dict = field(default_factory=dict)


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(
    name: str,
    builder: Callable[..., nn.Module],
    description: str,
    *,
    paper_params: float | None = None,
    table: str | None = None,
    **defaults,
) -> ModelEntry:
    """Register ``builder(**defaults, **overrides)`` under ``name``; returns the entry."""
    if name in _REGISTRY:
        raise ValueError(f"model name {name!r} is already registered")
    entry = ModelEntry(name, builder, description, paper_params, table, dict(defaults))
    _REGISTRY[name] = entry
    return entry


def list_models(table: str | None = None) -> list[str]:
    """Registered model names in registration order; ``table="I"`` filters to one paper table."""
    return [n for n, e in _REGISTRY.items() if table is None or e.table == table]


def get_model_entry(name: str) -> ModelEntry:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(_REGISTRY)
        raise ValueError(f"unknown model {name!r}; known models: {known}") from None


def create_model(
    name: str, *, weights: str | None = None, weights_sha256: str | None = None, **overrides
) -> nn.Module:
    """Build the registered model ``name``; keyword ``overrides`` replace its default options.

    ``weights``: a path or URL of trained weights (an aminet checkpoint such as the demo's
    ``best.pt``, or a bare state dict), as torchvision's ``weights=``. Their SHA-256 is checked
    against ``weights_sha256`` (or the hash in a torch.hub-style name ``NAME-<hex>.pt``); a
    mismatch, a checkpoint of another model or weights that do not fit raise a clear error.
    A checkpoint's own options are used unless ``overrides`` are given.
    """
    entry = get_model_entry(name)
    state = None
    if weights is not None:
        from aminet.weights import WeightsError, read_weights

        state = read_weights(weights, weights_sha256)
        saved = state.get("model_name")
        if saved and saved != name:
            raise WeightsError(f"{state['path']} holds weights of {saved!r}, not {name!r}")
        if not overrides:
            overrides = dict(state.get("model_kwargs") or {})
    kwargs = {**entry.defaults, **overrides}
    model = entry.builder(**kwargs)
    # Remember how the model was made so checkpoints can rebuild it.
    model.model_name = name
    model.model_kwargs = dict(overrides)
    if state is not None:
        try:
            model.load_state_dict(state["model"])
        except RuntimeError as err:
            first = str(err).strip().splitlines()[0]
            raise WeightsError(
                f"{state['path']}: the weights do not fit {name!r}: {first[:200]}"
            ) from None
        model.eval()
    return model
