"""aminet: AMINet for x8 face super-resolution, as a library and a course.

>>> import aminet
>>> model = aminet.create_model("aminet")
>>> aminet.list_models()[:2]
['aminet', 'aminet-s']
"""

from aminet.registry import create_model, get_model_entry, list_models, register_model

__version__ = "0.1.0"
__all__ = ["create_model", "get_model_entry", "list_models", "register_model", "__version__"]
