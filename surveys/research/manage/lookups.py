"""A survey's wave by its number, or a 404: the one lookup the manage views share."""
from __future__ import annotations

from flask import abort

from ...models import Survey, Wave


def wave_or_404(survey: Survey, number: int) -> Wave:
    wave = next((w for w in survey.waves if w.number == number), None)
    if wave is None:
        abort(404, description="No such wave.")
    return wave
