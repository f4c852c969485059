"""The trainer: ``train(TrainConfig) -> history``, one plain function for the CLI, notebooks and tests.

The code lives in :mod:`aminet.training`, one file per part of a run (config, run folder,
schedule, data order, step, state, resume, loop); this module is the stable import path
(``from aminet.train import TrainConfig, preset_config, train``) and re-exports its names.

What a run does, in order (each rule has a reason, kept next to the code):

- Paper defaults (Sec. IV-A): Adam(beta1=0.9, beta2=0.99), learning rate 2e-4, L1 loss (eq. 17).
- Schedule (``training/schedule.py``): ``cosine`` (default; from ``lr`` down to
  ``lr * min_lr_ratio`` over the run, after an optional linear warm-up), ``multistep`` or
  ``constant``. The paper does not give its schedule; cosine needs no tuning of milestones and
  ends every budget, long or short, at a small learning rate.
- Length: ``steps``, or ``epochs`` (converted to steps), and/or a wall-clock budget ``minutes``.
  With a budget the trainer measures its own speed and re-estimates the number of steps that fit
  (every 20 steps), so the cosine schedule still ends at the small learning rate when time is up.
  The seconds spent are saved in checkpoints: a resumed budget run ends where the original would.
- Run folders (``training/runfolder.py``; docs/training.md, "What a run folder guarantees"): a
  fresh run into a folder that holds a ``last.pt``/``best.pt`` is refused (``resume`` or
  ``overwrite``); ``run.lock`` keeps a second process out; SIGINT/SIGTERM finish the step, save
  ``last.pt`` and print how to resume; a resume refuses changes to the options that define the
  optimisation (``RESUME_FIXED``).
- Batches (``training/sampling.py``): ``batch_size`` is the *global* batch (split evenly across
  DDP processes). The order is a permutation per epoch seeded by ``(seed, epoch)`` and random
  crops are seeded by ``(seed, step)``, so the data seen at step k depends only on k: resuming
  continues the exact sequence, and N processes see the same global batch as one.
- Device cuda -> mps -> cpu (printed); AMP on CUDA (bf16 where the GPU runs it natively, sm_80+,
  else fp16 + GradScaler: :func:`aminet.device.autocast_dtype`);
  optional channels_last; gradient-norm clipping; seed and a deterministic option.
- Validation every ``val_every`` steps (PSNR/SSIM on Y with :func:`aminet.evaluation.evaluate`);
  ``best.pt`` (highest validation PSNR-Y) and ``last.pt`` written atomically with everything that
  exact resumption needs (model, optimizer, scheduler, scaler, RNG states, step, history).
- Logs: ``log.jsonl`` (one JSON object per step and per validation), ``curves.png`` (loss and
  PSNR-Y), ``config.json``; a ``tqdm.auto`` bar with the loss and the speed in images/s.
- A guard against divergence: a non-finite pixel loss, or an L1 above ``divergence_threshold``
  (1.0 = every pixel wrong by the whole [0, 1] range on average, impossible for a sane model),
  stops training with a message and leaves the last good checkpoint untouched.
- Multi-GPU (``training/distributed.py``): launched with ``torchrun``, the model is wrapped in
  DistributedDataParallel (NCCL on GPUs, gloo on CPUs; BatchNorm becomes SyncBatchNorm on GPUs).
- AMIGAN (``gan=True``, Sec. III-D): see :mod:`aminet.gan` for the discriminator, the losses and
  its step, a :class:`~aminet.training.steps.PixelStep` grown into eq. 22.
"""

from __future__ import annotations

from aminet.optim import amp_dtype as _amp_dtype  # noqa: F401 (older spellings, kept importable)
from aminet.optim import make_adam  # noqa: F401
from aminet.training import *  # noqa: F403 (the public names, listed in aminet.training.__all__)
from aminet.training import __all__  # noqa: F401 (the same names: this module adds none)
from aminet.training.build import zero_residual_tail as _zero_residual_tail  # noqa: F401
from aminet.training.steps import divergence_hint as _divergence_hint  # noqa: F401
from aminet.training.steps import pixel_step as _pixel_step  # noqa: F401
