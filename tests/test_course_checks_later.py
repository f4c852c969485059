"""The checks of notebooks 00 and 07-10 accept aminet's references and catch typical mistakes."""

import math

import pytest
import torch
import torch.nn.functional as F

from aminet.course import check
from aminet.course.checks import reference
from aminet.metrics import rgb_to_y

EXERCISES = [
    "data.degrade",
    "metrics.rgb_to_y",
    "metrics.psnr_y",
    "train.l1_step",
    "train.cosine_factor",
    "gan.discriminator_loss",
    "gan.generator_loss",
    "bench.time_calls",
    "ablation.difference",
]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_passes(exercise):
    assert check(exercise, reference(exercise), quiet=True) is reference(exercise)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_not_attempted_falls_back_to_reference(exercise):
    def stub(*args):
        raise NotImplementedError()

    assert check(exercise, stub, quiet=True) is reference(exercise)


def _bicubic(x, size, antialias=True):
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=antialias)


def _degrade(antialias=True, clamp=True):
    def degrade(hr, scale):
        x = hr[None] if hr.ndim == 3 else hr
        h, w = x.shape[-2:]
        lr = _bicubic(x, (h // scale, w // scale), antialias)
        lr = lr.clamp(0, 1) if clamp else lr
        up = _bicubic(lr, (h, w), antialias)
        up = up.clamp(0, 1) if clamp else up
        return (lr[0], up[0]) if hr.ndim == 3 else (lr, up)

    return degrade


def _step(loss_fn=F.l1_loss, zero="before", update=True):
    def step(model, optimizer, inp, hr):
        loss = loss_fn(model(inp), hr)
        if zero == "before":
            optimizer.zero_grad()
        loss.backward()
        if zero == "after":
            optimizer.zero_grad()
        if update:
            optimizer.step()
        return loss.item()

    return step


def _bce(logits, target):
    return torch.stack(
        [F.binary_cross_entropy_with_logits(t, torch.full_like(t, target)) for t in logits]
    ).mean()


def _timer(sync=True, warm=True):
    def time_calls(fn, synchronize, warmup, repeats, clock):
        for _ in range(warmup if warm else 0):
            fn()
        times = []
        for _ in range(repeats):
            if sync:
                synchronize()
            start = clock()
            fn()
            if sync:
                synchronize()
            times.append(clock() - start)
        return times

    return time_calls


MUTATIONS = {
    "degrade without antialias": ("data.degrade", _degrade(antialias=False)),
    "degrade without clamp": ("data.degrade", _degrade(clamp=False)),
    "luma without the +16": (
        "metrics.rgb_to_y",
        lambda img: (img * torch.tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1)).sum(1, True),
    ),
    "luma with BT.601 weights on 0-1 (missing 219/255)": (
        "metrics.rgb_to_y",
        lambda img: (
            16 + 255 * (img * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, True)
        ),
    ),
    "psnr with peak 1 on the 0-255 scale": (
        "metrics.psnr_y",
        lambda sr, hr: (
            10 * torch.log10(1 / (rgb_to_y(sr) - rgb_to_y(hr)).pow(2).flatten(1).mean(1))
        ),
    ),
    "psnr over the whole batch": (
        "metrics.psnr_y",
        lambda sr, hr: (
            10 * torch.log10(255**2 / (rgb_to_y(sr) - rgb_to_y(hr)).pow(2).mean())
        ).expand(sr.shape[0]),
    ),
    "psnr on RGB": (
        "metrics.psnr_y",
        lambda sr, hr: 10 * torch.log10(1 / (sr - hr).pow(2).flatten(1).mean(1)),
    ),
    "step without zero_grad": ("train.l1_step", _step(zero="never")),
    "step with zero_grad after backward": ("train.l1_step", _step(zero="after")),
    "step without optimizer.step": ("train.l1_step", _step(update=False)),
    "step with the MSE loss": ("train.l1_step", _step(loss_fn=F.mse_loss)),
    "cosine without the floor": (
        "train.cosine_factor",
        lambda step, total, m: 0.5 * (1 + math.cos(math.pi * min(step / total, 1))),
    ),
    "cosine not clamped after the last step": (
        "train.cosine_factor",
        lambda step, total, m: m + (1 - m) * 0.5 * (1 + math.cos(math.pi * step / total)),
    ),
    "cosine without the one-half": (
        "train.cosine_factor",
        lambda step, total, m: m + (1 - m) * (1 + math.cos(math.pi * min(step / total, 1))),
    ),
    "discriminator with swapped labels": (
        "gan.discriminator_loss",
        lambda r, f: _bce(r, 0) + _bce(f, 1),
    ),
    "discriminator without the fake term": ("gan.discriminator_loss", lambda r, f: _bce(r, 1)),
    "discriminator summing the scales": (
        "gan.discriminator_loss",
        lambda r, f: (
            sum(F.binary_cross_entropy_with_logits(t, torch.ones_like(t)) for t in r)
            + sum(F.binary_cross_entropy_with_logits(t, torch.zeros_like(t)) for t in f)
        ),
    ),
    "generator minimising log D (fake labelled fake)": ("gan.generator_loss", lambda f: _bce(f, 0)),
    "generator maximising log(1 - D) (saturating)": ("gan.generator_loss", lambda f: -_bce(f, 0)),
    "timing without synchronisation": ("bench.time_calls", _timer(sync=False)),
    "timing without warm-up": ("bench.time_calls", _timer(warm=False)),
    "spread with the population variance": (
        "ablation.difference",
        lambda a, b: (
            b.mean() - a.mean(),
            (a.var(unbiased=False) / 3 + b.var(unbiased=False) / 3).sqrt(),
        ),
    ),
    "difference with the wrong sign": (
        "ablation.difference",
        lambda a, b: (a.mean() - b.mean(), (a.var() / a.numel() + b.var() / b.numel()).sqrt()),
    ),
    "spread of the scores, not of the mean": (
        "ablation.difference",
        lambda a, b: (b.mean() - a.mean(), (a.var() + b.var()).sqrt()),
    ),
}


@pytest.mark.parametrize("mistake", sorted(MUTATIONS))
def test_typical_mistake_is_caught(mistake):
    exercise, wrong = MUTATIONS[mistake]
    with pytest.raises(AssertionError, match=exercise.replace(".", r"\.")):
        check(exercise, wrong, quiet=True)


@pytest.mark.parametrize(
    "exercise, right",
    [
        ("train.l1_step", _step(loss_fn=lambda sr, hr: (sr - hr).abs().mean())),
        (
            "gan.discriminator_loss",
            lambda r, f: (
                torch.stack([-F.logsigmoid(t).mean() for t in r]).mean()
                + torch.stack([-F.logsigmoid(-t).mean() for t in f]).mean()
            ),
        ),
        ("bench.time_calls", _timer()),
        (
            "train.cosine_factor",
            lambda step, total, m: (
                m + (1 - m) * (math.cos(math.pi * min(step, total) / total) + 1) / 2
            ),
        ),
    ],
)
def test_equivalent_answers_pass(exercise, right):
    assert check(exercise, right, quiet=True) is right
