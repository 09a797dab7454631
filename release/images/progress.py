"""The progress display of a build: which image is at which step.

On a terminal, a live rich display with one line per image (phase, step bar, instruction); in
CI logs and pipes, one plain line per event. Both take `Event`s from any build thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn

from release.images.run import Event, Phase

PHASE_STYLE = {
    Phase.QUEUED: "dim",
    Phase.BUILDING: "cyan",
    Phase.STEP: "cyan",
    Phase.PROBING: "magenta",
    Phase.PUSHING: "blue",
    Phase.TAGGING: "blue",
    Phase.DONE: "green",
    Phase.FAILED: "bold red",
}


def _describe(event: Event) -> str:
    if event.phase is Phase.STEP and event.step is not None:
        return f"step {event.step.number}/{event.step.total}: {event.step.instruction}"
    first = event.detail.splitlines()[0] if event.detail else ""
    return f"{event.phase.value} {first}".strip()


class LineReporter:
    """One line per event, for logs (GitHub Actions, pipes, tests)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self.lock:
            self.console.print(f"{event.image}: {_describe(event)}", markup=False,
                               highlight=False, soft_wrap=True)


class LiveReporter:
    """A live display on a terminal: one progress line per image."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()

    def _task(self, image: str) -> TaskID:
        with self.lock:
            if image not in self.tasks:
                self.tasks[image] = self.progress.add_task(image, total=None, image=image,
                                                           what="")
            return self.tasks[image]

    def __call__(self, event: Event) -> None:
        task = self._task(event.image)
        style = PHASE_STYLE[event.phase]
        what = f"[{style}]{escape(_describe(event))}[/]"
        if event.phase is Phase.STEP and event.step is not None:
            self.progress.update(task, total=event.step.total, completed=event.step.number - 1,
                                 what=what)
        elif event.phase in (Phase.DONE, Phase.FAILED):
            total = self.progress.tasks[task].total or 1
            self.progress.update(task, total=total, completed=total, what=what)
        else:
            self.progress.update(task, what=what)


@contextmanager
def reporter(console: Console) -> Iterator[Callable[[Event], None]]:
    """The display for `console`: live on a terminal, plain lines otherwise."""
    if not console.is_terminal:
        yield LineReporter(console)
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[image]:<16}"),
        BarColumn(bar_width=20),
        TextColumn("{task.fields[what]}"),
        console=console,
        transient=False,
    )
    with progress:
        yield LiveReporter(progress)
