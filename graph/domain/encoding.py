"""JSON of analytics values, written once: what the stored reasons, reports and truth files hold.

The pipeline, the ingest report and the simulator each had their own `default` for the values the
encoders do not know (timestamps, dates, sets, numpy scalars, paths), and each knew a different
subset of them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson


def json_default(o: Any) -> Any:
    """The JSON form of a value the encoders do not know (for orjson's and the json module's `default`)."""
    if isinstance(o, (datetime, date)):  # pandas Timestamps are datetimes
        return o.isoformat()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o).__name__)


def to_json(x: Any) -> str:
    """Compact JSON text (numpy arrays and scalars included), as stored in the graph."""
    return orjson.dumps(x, option=orjson.OPT_SERIALIZE_NUMPY, default=json_default).decode()
