"""Test configuration shared by the unit tests and the notebooks that nbval executes.

Set before any kernel starts, so every notebook run by pytest (and the kernels nbval launches, which
inherit this environment) is small and headless:

- ``AMINET_PRESET=smoke``: notebooks, training, benchmarks and ablations pick tiny sizes
  (``setdefault``: export another value to run the notebooks at full size under pytest);
- ``MPLBACKEND=Agg``: figures render off-screen;
- ``AMINET_HEADLESS=1``: the course explorer draws a static figure instead of widgets.
"""

import os

os.environ.setdefault("AMINET_PRESET", "smoke")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("AMINET_HEADLESS", "1")
