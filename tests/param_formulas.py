"""Closed-form parameter counts of every module, as stated in the module docstrings and in
docs/architecture.md. Tests compare them with what PyTorch counts."""


def sa(c, heads, normalize_qk=True):
    return 4 * c * c + 27 * c + (heads if normalize_qk else 0)


def skaf(c, conv5=True, conv7=True, avgpool=True, maxpool=True, mix=7):
    c1, c2 = c // 2, c - c // 2
    n = (25 * c * c1 + c1 if conv5 else 0) + (49 * c * c2 + c2 if conv7 else 0)
    x3 = (c1 if conv5 else 0) + (c2 if conv7 else 0) or c  # without pooling, mix reads X3
    descriptor = int(avgpool) + int(maxpool) or x3
    return n + mix * mix * descriptor * 2 + 2


def edff(c, **skaf_options):
    return 2 * c * c + c + skaf(c, **skaf_options)


def attention_unit(c, k=3, reduction=4):
    r = max(k * c // reduction, 8)
    return k * c * r + r + r * k * c + k * c


def hourglass(c, depth, mid=48):
    return (
        (9 * c * mid + mid)
        + 3 * depth * (9 * mid * mid + mid)
        + (9 * mid * mid + mid)
        + (9 * mid + 1)
    )


def frm(c, depth, mid=48):
    return 18 * c * c + 8 * c + hourglass(c, depth, mid)


def rdfe(c, kernels=(3, 5, 7), depth=4, mid=48, use_au=True, use_frm=True):
    k = len(kernels)
    n = 2 * sum(s * s * c + c for s in kernels)
    n += attention_unit(c, k) if use_au and k > 1 else 0
    n += k * c * c + c
    return n + (frm(c, depth, mid) if use_frm else 0)


def lgfi(c, heads, depth, mid=48):
    return 2 * c + sa(c, heads) + rdfe(c, depth=depth, mid=mid) + skaf(c)


def downsample(c):
    return 18 * c * c + 2 * c + 36 * c * c + 2 * c


def upsample(c):
    return 72 * c * c + c + 9 * c * c + c


def aminet(c=26, heads=(1, 2, 4, 8), depths=(5, 4, 3, 2), mid=48, bottleneck=2, stem=1):
    widths = [c * 2**i for i in range(4)]
    packed = 3 * stem * stem  # channels after PixelUnshuffle(stem); shuffles have no weights
    n = (9 * packed * c + c) + (9 * c * packed + packed)  # head and tail 3x3 convs
    for i in range(3):
        block = lgfi(widths[i], heads[i], depths[i], mid)
        n += 2 * block + downsample(widths[i]) + upsample(widths[i]) + edff(widths[i])
    return n + bottleneck * lgfi(widths[3], heads[3], depths[3], mid)
