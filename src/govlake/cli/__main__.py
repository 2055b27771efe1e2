"""``python -m govlake.cli``."""

from govlake.cli import app

app()
