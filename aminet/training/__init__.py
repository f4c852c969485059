"""Training AMINet and its relatives (L1, or AMIGAN with ``gan=True``): ``train(TrainConfig)``.

One file per thing, in the order a run uses them::

    config.py       TrainConfig: every option, its checks, the presets (smoke, short, full)
    runfolder.py    the output folder: refusal, --overwrite, run.lock, log trimming on resume
    distributed.py  torchrun setup, the DDP wrapper, what the processes agree on
    build.py        datasets, the model (--init, zeroed tail), optimizer, schedule, scaler, step
    schedule.py     ScheduleShape (cosine | multistep | constant) and the run's length
    resume.py       what a resume may change (RESUME_FIXED) and restoring from last.pt
    sampling.py     the data order and crops: a function of the step only (exact resume, DDP)
    steps.py        PixelStep, one step of eq. 17 (AMIGAN's step extends it: aminet.gan)
    state.py        RNG state, Parts (what trains) and Progress (where it stands), checkpoints
    interrupts.py   Ctrl-C / SIGTERM: finish the step, save last.pt, say how to resume
    curves.py       curves.png: loss and validation PSNR-Y
    loop.py         train(): set up, build or restore, take the steps, validate, save, report

Paper defaults (Sec. IV-A): Adam(beta1=0.9, beta2=0.99), learning rate 2e-4, L1 loss (eq. 17);
AMIGAN (Sec. III-D, IV-B): the generator at ``lr_g`` 1e-4, the discriminator at ``lr_d`` 4e-4.
``aminet.train`` re-exports this package's public names (the stable import path).
"""

from aminet.training.config import PRESETS, TINY_MODEL, TrainConfig, option_flag, preset_config
from aminet.training.curves import save_curves
from aminet.training.interrupts import StopRequest
from aminet.training.loop import train
from aminet.training.resume import RESUME_FIXED, resume_changes
from aminet.training.runfolder import (
    LOCK_NAME,
    RUN_CHECKPOINTS,
    RUN_FILES,
    RunFolderError,
    RunLockedError,
    acquire_run_lock,
    release_run_lock,
    run_in_folder,
)
from aminet.training.sampling import EpochBatchSampler, random_crops
from aminet.training.schedule import ScheduleShape
from aminet.training.steps import PIXEL_LOSSES, PixelStep

__all__ = [
    "PRESETS",
    "TINY_MODEL",
    "TrainConfig",
    "option_flag",
    "preset_config",
    "train",
    "save_curves",
    "StopRequest",
    "RESUME_FIXED",
    "resume_changes",
    "LOCK_NAME",
    "RUN_CHECKPOINTS",
    "RUN_FILES",
    "RunFolderError",
    "RunLockedError",
    "acquire_run_lock",
    "release_run_lock",
    "run_in_folder",
    "EpochBatchSampler",
    "random_crops",
    "ScheduleShape",
    "PIXEL_LOSSES",
    "PixelStep",
]
