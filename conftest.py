"""Test configuration shared by the unit tests and the notebooks that nbval executes.

Set before any kernel starts, so every notebook run by pytest (and the kernels nbval launches, which
inherit this environment) is small and headless:

- ``AMINET_PRESET=smoke``: notebooks, training, benchmarks and ablations pick tiny sizes
  (``setdefault``: export another value to run the notebooks at full size under pytest);
- ``MPLBACKEND=Agg``: figures render off-screen;
- ``AMINET_HEADLESS=1``: the course explorer draws a static figure instead of widgets;
- ``OMP_NUM_THREADS=1``: pytest-xdist runs two workers on the two cores; torch's intra-op threads
  on top of them would oversubscribe the CPU (tiny models ran 10-20x slower that way, measured).
"""

import os

os.environ.setdefault("AMINET_PRESET", "smoke")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("AMINET_HEADLESS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
