"""Every number the AMINet paper prints, in one place (Tables I-X and the training settings).

These are the authors' results (CelebA / Helen / SCface, x8, models trained in full on an RTX 3090),
transcribed as printed: data to compare with, never results of this code. The registry's
``paper_params``, the ablation tables (:mod:`aminet.ablation`), ``aminet bench``'s Table X, the
notebooks and the docs all read them from here, so a typo is fixed once.

Rows of Tables I-VI and X name the registered model (``aminet list``) that reproduces them;
``None`` where this project has no such model (SFMNet, the other methods of Table X).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PaperRow",
    "PaperTable",
    "ABLATION_TABLES",
    "ComplexityRow",
    "TABLE_X",
    "TABLE_VII",
    "TABLE_VIII",
    "TABLE_IX",
    "TRAINING",
    "PaperTraining",
    "paper_params",
]


@dataclass(frozen=True)
class PaperRow:
    model: str  # registered model name
    label: str  # the row's name in the paper
    params_m: float | None = None  # millions, None where the table prints none
    psnr: float | None = None
    ssim: float | None = None
    vif: float | None = None
    lpips: float | None = None
    speed_ms: float | None = None  # RTX 3090, Table I only


@dataclass(frozen=True)
class PaperTable:
    key: str
    title: str
    reference: str  # the row every other row is compared with
    rows: tuple[PaperRow, ...]
    note: str = ""


# The full model's row, the same in Tables I-V.
_AMINET_ROW = dict(params_m=12.62, psnr=27.83, ssim=0.7961, vif=0.4725, lpips=0.1821)

# Tables I-VI: the ablations (CelebA test set, x8).
ABLATION_TABLES: dict[str, PaperTable] = {
    "I": PaperTable(
        "I",
        "Verify the effectiveness of LGFI",
        "aminet",
        (
            PaperRow("aminet-no-sa", "LGFI w/o SA", 12.3, 27.75, 0.7944, 0.4652, 0.1886, 33),
            PaperRow("aminet-no-rdfe", "LGFI w/o RDFE", 7.2, 27.51, 0.7840, 0.4495, 0.2085, 21),
            PaperRow("aminet-no-skaf", "LGFI w/o SKAF", 8.21, 27.74, 0.7932, 0.4611, 0.1979, 25),
            PaperRow("aminet", "LGFI (AMINet)", speed_ms=34, **_AMINET_ROW),
        ),
    ),
    "II": PaperTable(
        "II",
        "LGFI vs a serial Transformer block (Restormer-style)",
        "aminet",
        (
            PaperRow(
                "aminet-transformer-wide", "Transformer", 11.32, 27.73, 0.7952, 0.4511, 0.1878
            ),
            PaperRow("aminet", "LGFI (AMINet)", **_AMINET_ROW),
        ),
        note=(
            "The paper compares at similar parameters (11.32M vs 12.62M). `aminet-transformer-wide` "
            "widens the gated FFN's expansion from 2.66 to 11.25 to reach 11.32M; "
            "`aminet-transformer` (Restormer's 2.66, 8.24M) is the narrower alternative."
        ),
    ),
    "III": PaperTable(
        "III",
        "RDFE vs a feed-forward network",
        "aminet",
        (
            PaperRow("aminet-ffn", "FFN", 12.11, 27.72, 0.7931, 0.4578, 0.1922),
            PaperRow("aminet", "RDFE (AMINet)", **_AMINET_ROW),
        ),
    ),
    "IV": PaperTable(
        "IV",
        "Ablation of RDFE",
        "aminet",
        (
            PaperRow(
                "aminet-rdfe-dw3", "Single path (3x3 dw)", None, 27.73, 0.7934, 0.4619, 0.1915
            ),
            PaperRow(
                "aminet-rdfe-dw5", "Single path (5x5 dw)", None, 27.71, 0.7912, 0.4587, 0.1944
            ),
            PaperRow(
                "aminet-rdfe-dw7", "Single path (7x7 dw)", None, 27.72, 0.7926, 0.4602, 0.1922
            ),
            PaperRow("aminet-no-au", "RDFE w/o AU", None, 27.76, 0.7951, 0.4673, 0.1846),
            PaperRow("aminet-no-frm", "RDFE w/o FRM", None, 27.75, 0.7941, 0.4643, 0.1928),
            PaperRow("aminet", "RDFE (AMINet)", None, 27.83, 0.7961, 0.4725, 0.1821),
        ),
        note="The paper prints no parameter counts for Table IV.",
    ),
    "V": PaperTable(
        "V",
        "Ablation of SKAF (5x5 conv / 7x7 conv / avg-pool / max-pool)",
        "aminet",
        (
            PaperRow("aminet-lgfi-skaf-bare", "no conv, no pool (x x x x)", None, 27.69, 0.7919),
            PaperRow("aminet-lgfi-skaf-no-conv5", "w/o 5x5 conv (x v v v)", None, 27.76, 0.7955),
            PaperRow("aminet-lgfi-skaf-no-conv7", "w/o 7x7 conv (v x v v)", None, 27.73, 0.7946),
            PaperRow(
                "aminet-lgfi-skaf-conv7-no-pool", "7x7 conv, no pool (x v x x)", None, 27.74, 0.7931
            ),
            PaperRow(
                "aminet-lgfi-skaf-conv7-avgpool",
                "7x7 conv, avg-pool (x v v x)",
                None,
                27.79,
                0.7951,
            ),
            PaperRow(
                "aminet-lgfi-skaf-conv7-maxpool",
                "7x7 conv, max-pool (x v x v)",
                None,
                27.78,
                0.7946,
            ),
            PaperRow("aminet", "full SKAF (v v v v)", None, 27.83, 0.7961),
        ),
        note=(
            "The paper prints only PSNR/SSIM. The switches apply to LGFI's SKAF only (EDFF's stays "
            "whole). The earlier variants that switch every SKAF and keep both convs in rows 4-6 "
            "stay registered as `aminet-skaf-*` (see docs/ablations.md)."
        ),
    ),
    "VI": PaperTable(
        "VI",
        "EDFF added to SPARNet",
        "sparnet",
        (
            PaperRow("sparnet", "SPARNet (baseline)", 10.6, 27.73, 0.7949),
            PaperRow("sparnet-edff", "SPARNet + EDFF", 12.1, 27.85, 0.7964),
        ),
        note=(
            "The paper's SFMNet rows (8.6M 27.96/0.7996 -> +EDFF 10.7M 28.07/0.8011) are left "
            "out: SFMNet is not implemented in this project."
        ),
    ),
}

# Table VI's SFMNet rows (no model here): (params M, PSNR, SSIM) without and with EDFF.
TABLE_VI_SFMNET = {"SFMNet": (8.6, 27.96, 0.7996), "SFMNet + EDFF": (10.7, 28.07, 0.8011)}


@dataclass(frozen=True)
class ComplexityRow:
    label: str
    psnr: float  # CelebA x8, dB
    params_m: float
    macs_g: float  # the paper's MAC column (the thop convention, see aminet.complexity)
    speed_ms: float  # RTX 3090
    model: str | None = None  # the registered model, where this project has one


# Table X: model complexity on x8 CelebA.
TABLE_X: tuple[ComplexityRow, ...] = (
    ComplexityRow("FSRNet", 27.05, 27.5, 40.7, 89),
    ComplexityRow("SPARNet", 27.73, 16.6, 7.1, 40, "sparnet"),
    ComplexityRow("DICNet", 27.42, 22.8, 35.5, 121),
    ComplexityRow("AD-GNN", 27.82, 15.8, 15.0, 108),
    ComplexityRow("CTCNet", 28.37, 22.4, 47.2, 106),
    ComplexityRow("SCTANet", 28.26, 27.7, 10.4, 58),
    ComplexityRow("LAAT", 27.91, 22.4, 8.9, 36),
    ComplexityRow("ELSFace", 27.41, 6.8, 10.6, 32),
    ComplexityRow("SFMNet", 27.96, 8.6, 30.6, 48),
    ComplexityRow("AMINet-S", 27.93, 8.2, 9.4, 25, "aminet-s"),
    ComplexityRow("AMINet", 28.26, 12.62, 15.6, 35, "aminet"),
)

# Table VII: x8 FSR on CelebA and Helen, (PSNR, SSIM, VIF, LPIPS) per test set.
TABLE_VII: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "Bicubic": {
        "CelebA": (23.61, 0.6779, 0.1821, 0.4899),
        "Helen": (22.95, 0.6762, 0.1745, 0.4912),
    },
    "SAN": {"CelebA": (27.43, 0.7826, 0.4553, 0.2080), "Helen": (25.46, 0.7360, 0.4029, 0.3260)},
    "RCAN": {"CelebA": (27.45, 0.7824, 0.4618, 0.2205), "Helen": (25.50, 0.7383, 0.4049, 0.3437)},
    "HAN": {"CelebA": (27.47, 0.7838, 0.4673, 0.2087), "Helen": (25.40, 0.7347, 0.4074, 0.3274)},
    "SwinIR": {"CelebA": (27.88, 0.7967, 0.4590, 0.2001), "Helen": (26.53, 0.7856, 0.4398, 0.2644)},
    "FSRNet": {"CelebA": (27.05, 0.7714, 0.3852, 0.2127), "Helen": (25.45, 0.7364, 0.3482, 0.3090)},
    "DICNet": {"CelebA": (27.42, 0.7840, 0.4234, 0.2129), "Helen": (26.15, 0.7717, 0.4085, 0.2158)},
    "FACN": {"CelebA": (27.22, 0.7802, 0.4366, 0.1828), "Helen": (25.06, 0.7189, 0.3702, 0.3113)},
    "SPARNet": {
        "CelebA": (27.73, 0.7949, 0.4505, 0.1995),
        "Helen": (26.43, 0.7839, 0.4262, 0.2674),
    },
    "SISN": {"CelebA": (27.91, 0.7971, 0.4785, 0.2005), "Helen": (26.64, 0.7908, 0.4623, 0.2571)},
    "AD-GNN": {"CelebA": (27.82, 0.7962, 0.4470, 0.1937), "Helen": (26.57, 0.7886, 0.4363, 0.2432)},
    "Restormer-M": {
        "CelebA": (27.94, 0.8027, 0.4624, 0.1933),
        "Helen": (26.91, 0.8013, 0.4595, 0.2258),
    },
    "LAAT": {"CelebA": (27.91, 0.7994, 0.4624, 0.1879), "Helen": (26.89, 0.8005, 0.4569, 0.2255)},
    "ELSFace": {
        "CelebA": (27.41, 0.7922, 0.4451, 0.1867),
        "Helen": (26.04, 0.7873, 0.4193, 0.2811),
    },
    "SFMNet": {"CelebA": (27.96, 0.7996, 0.4644, 0.1937), "Helen": (26.86, 0.7987, 0.4573, 0.2322)},
    "SPADNet": {
        "CelebA": (27.82, 0.7966, 0.4589, 0.1987),
        "Helen": (26.47, 0.7857, 0.4295, 0.2654),
    },
    "AMINet": {"CelebA": (28.26, 0.8091, 0.4893, 0.1755), "Helen": (27.01, 0.8042, 0.4694, 0.2067)},
}

# Table VIII: GAN-based methods on Helen x8, (PSNR, SSIM, VIF, FID).
TABLE_VIII: dict[str, tuple[float, float, float, float]] = {
    "FSRGAN": (25.02, 0.7279, 0.3400, 146.55),
    "DICGAN": (25.59, 0.7398, 0.3925, 144.25),
    "SPARGAN": (25.86, 0.7518, 0.3932, 149.54),
    "SFMGAN": (25.96, 0.7618, 0.4019, 141.23),
    "AMIGAN": (26.35, 0.7769, 0.4101, 122.43),
}

# Table IX: cosine similarity on x8 SCface, cases 1-4.
TABLE_IX: dict[str, tuple[float, float, float, float]] = {
    "SAN": (0.8133, 0.8145, 0.8244, 0.8192),
    "RCAN": (0.8196, 0.8214, 0.8199, 0.8201),
    "FSRNet": (0.8032, 0.7982, 0.8105, 0.8087),
    "FACN": (0.8002, 0.7989, 0.8115, 0.8014),
    "SPARNet": (0.8215, 0.8209, 0.8244, 0.8195),
    "SISN": (0.8345, 0.8378, 0.8373, 0.8391),
    "LAAT": (0.8501, 0.8497, 0.8456, 0.8472),
    "ELSFace": (0.8165, 0.8124, 0.8136, 0.8148),
    "SFMNet": (0.8411, 0.8456, 0.8429, 0.8402),
    "AMINet": (0.8533, 0.8577, 0.8601, 0.8501),
}


@dataclass(frozen=True)
class PaperTraining:
    """Sec. IV-A/IV-B: data and optimisation as the paper states them (nothing else is stated:
    no batch size, iteration count, schedule or crop size)."""

    hr_size: int = 128
    lr_size: int = 16  # bicubic downsampling of the HR face
    train_images: int = 18_000  # CelebA
    test_images: int = 1_000
    optimizer: str = "Adam"
    betas: tuple[float, float] = (0.9, 0.99)
    lr: float = 2e-4  # AMINet (L1, eq. 17)
    lr_generator: float = 1e-4  # AMIGAN
    lr_discriminator: float = 4e-4
    lambda_pix: float = 1.0  # eq. 22
    lambda_pcp: float = 0.01
    lambda_adv: float = 0.01
    perceptual_network: str = "VGG19"
    gpu: str = "NVIDIA GeForce RTX 3090"


TRAINING = PaperTraining()


def paper_params(model: str) -> float | None:
    """The parameter count (millions) the paper prints for a registered model: Table X first (the
    main models), then the ablation tables; None when the paper prints none."""
    for row in TABLE_X:
        if row.model == model:
            return row.params_m
    for table in ABLATION_TABLES.values():
        for row in table.rows:
            if row.model == model and row.params_m is not None:
                return row.params_m
    return None
