"""Fixtures of the dataset tests."""

import pytest
from recordio_writer import write_recordio as _write_recordio


@pytest.fixture
def write_recordio():
    """``write_recordio(path_prefix, samples, insightface_header=True)``: write a test set.

    Writes ``<path_prefix>.rec`` and ``.idx`` from ``(label, encoded image)`` pairs, in
    insightface's layout (see ``recordio_writer.write_recordio``).
    """
    return _write_recordio
