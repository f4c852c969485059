"""aminet: AMINet for x8 face super-resolution, as a library and a course.

>>> import aminet
>>> model = aminet.create_model("aminet")
>>> aminet.list_models()[:2]
['aminet', 'aminet-s']
"""

# isort: off
from aminet.registry import create_model, get_model_entry, list_models, register_model

# The model families register themselves on import (the registry imports no model code);
# AMINet's first, so ``list_models()`` starts with them.
from aminet import model, baselines  # noqa: F401

# isort: on

__version__ = "0.1.0"
__all__ = ["create_model", "get_model_entry", "list_models", "register_model", "__version__"]
