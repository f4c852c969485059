"""The building blocks of AMINet, one per file, named as the paper names them."""

from aminet.modules.edff import EDFF
from aminet.modules.frm import FRM, HourGlass
from aminet.modules.lgfi import LGFI
from aminet.modules.norm import LayerNorm2d
from aminet.modules.rdfe import RDFE, AttentionUnit
from aminet.modules.sa import SelfAttention
from aminet.modules.sampling import Downsample, Upsample
from aminet.modules.skaf import SKAF
from aminet.modules.transformer import GatedFFN, TransformerBlock

__all__ = [
    "EDFF",
    "FRM",
    "LGFI",
    "RDFE",
    "SKAF",
    "AttentionUnit",
    "Downsample",
    "GatedFFN",
    "HourGlass",
    "LayerNorm2d",
    "SelfAttention",
    "TransformerBlock",
    "Upsample",
]
