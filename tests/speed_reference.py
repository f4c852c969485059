"""The slower, first implementations of the modules that were later made fast (kept as references).

Every speed change in ``aminet/modules`` must leave the maths unchanged. These functions are the
code as it was before each change; ``tests/test_speed_equivalence.py`` checks the fast modules
against them (``allclose``) and ``scripts/speed_changes.py`` times both side by side. They take the
module whose parameters they use, so one set of weights serves both versions.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from aminet.modules import RDFE, SKAF, SelfAttention

__all__ = ["rdfe_forward_before", "sa_forward_before", "skaf_forward_before", "use_reference"]


def sa_forward_before(sa: SelfAttention, x: torch.Tensor) -> torch.Tensor:
    """SA as first written: q and k L2-normalised over HW (two full passes), then q k^T."""
    n, c, h, w = x.shape
    q, k, v = sa.qkv_dwconv(sa.qkv(x)).chunk(3, dim=1)
    shape = (n, sa.num_heads, c // sa.num_heads, h * w)
    q, k, v = q.reshape(shape), k.reshape(shape), v.reshape(shape)
    if sa.normalize_qk:
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        logits = (q @ k.transpose(-2, -1)) * sa.temperature
    else:
        logits = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    out = (logits.softmax(dim=-1) @ v).reshape(n, c, h, w)
    return sa.project(out)


def rdfe_forward_before(rdfe: RDFE, x: torch.Tensor) -> torch.Tensor:
    """RDFE as first written: the AU pools a full-resolution concatenation of the branches."""
    feats = [F.gelu(conv(x)) for conv in rdfe.extract]
    if rdfe.au is not None:
        concat = torch.cat(feats, dim=1)
        pooled = F.adaptive_avg_pool2d(concat, 1)
        logits = rdfe.au.excite(F.relu(rdfe.au.squeeze(pooled)))
        weights = logits.reshape(x.shape[0], rdfe.au.branches, rdfe.au.channels, 1, 1).softmax(1)
        feats = [f * weights[:, i] for i, f in enumerate(feats)]
    feats = [conv(f) for conv, f in zip(rdfe.refine, feats)]
    out = rdfe.fuse(torch.cat(feats, dim=1)) + x
    return rdfe.frm(out) if rdfe.frm is not None else out


def skaf_forward_before(skaf: SKAF, x: torch.Tensor):
    """SKAF as first written: concatenate the conv outputs, then pool along the channels."""
    x3 = torch.cat([conv(x) for conv in skaf.convs], dim=1) if skaf.convs else x
    descriptors = []
    if skaf.use_avgpool:
        descriptors.append(x3.mean(dim=1, keepdim=True))
    if skaf.use_maxpool:
        descriptors.append(x3.amax(dim=1, keepdim=True))
    weights = torch.sigmoid(skaf.mix(torch.cat(descriptors, 1) if descriptors else x3))
    return weights[:, :1], weights[:, 1:]


_REFERENCES = {
    SelfAttention: sa_forward_before,
    RDFE: rdfe_forward_before,
    SKAF: skaf_forward_before,
}


def use_reference(model: torch.nn.Module, kinds=(SelfAttention, RDFE, SKAF)) -> int:
    """Make every module of the given kinds in ``model`` run its *before* forward; returns how many.

    Sets an instance attribute ``forward`` (``nn.Module.__call__`` looks it up on the instance), so
    the weights stay shared and ``del module.forward`` restores the fast path.
    """
    count = 0
    for module in model.modules():
        for kind in kinds:
            if type(module) is kind:
                module.forward = _REFERENCES[kind].__get__(module)
                count += 1
    return count
