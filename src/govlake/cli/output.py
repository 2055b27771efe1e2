"""What every command prints with: the consoles, a progress bar, a clean failure."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()
err = Console(stderr=True)


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    )


def fail(message: str) -> None:
    """One red line on stderr and exit 1: the message is the error, not a stack trace."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)
