"""Ctrl-C and ``kill``: finish the step, save ``last.pt``, say how to resume."""

from __future__ import annotations

__all__ = ["StopRequest"]


class StopRequest:
    """SIGINT/SIGTERM handlers that ask the training loop to stop after the current step.

    The loop then saves ``last.pt`` (atomically) and prints how to resume. A second Ctrl-C raises
    ``KeyboardInterrupt`` at once, for a user who does not want to wait. Handlers can only be set
    in the main thread; elsewhere (a worker thread) signals keep their usual effect.
    """

    def __init__(self):
        self.signal_name: str | None = None
        self._previous: dict = {}

    def __enter__(self) -> StopRequest:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._previous[sig] = signal.signal(sig, self._handle)
                except (ValueError, OSError):
                    pass
        return self

    def _handle(self, signum, frame) -> None:
        import signal

        name = signal.Signals(signum).name
        if self.signal_name is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal_name = name
        print(
            f"\n{name} received: finishing the current step, then saving last.pt "
            "(press Ctrl-C again to stop at once without saving)",
            flush=True,
        )

    def __exit__(self, *exc) -> None:
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
