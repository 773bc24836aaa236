from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """Last time a named process (the worker) showed it is alive."""

    name = models.CharField(max_length=50, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
