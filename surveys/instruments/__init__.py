"""Placeholder until the instrument loader lands (branch ``instruments``)."""
from pathlib import Path

DEFAULT_INSTRUMENT_PATH = Path(__file__).with_name("civic-trust-core.yaml")


class InstrumentError(ValueError):
    pass


def load_instrument(path):  # noqa: ANN001, ANN201
    raise InstrumentError("instrument loader not available yet")


def parse_instrument(text, source_name="<string>"):  # noqa: ANN001, ANN201
    raise InstrumentError("instrument loader not available yet")
