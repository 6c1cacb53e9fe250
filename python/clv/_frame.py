"""DataFrames in and out.

Input: pandas or polars DataFrames, pyarrow Tables / RecordBatches, anything else with the
Arrow PyCapsule interface (``__arrow_c_stream__`` or ``__arrow_c_array__``, read by the engine
through the Arrow C data interface, so neither pyarrow nor polars is needed), or a mapping of column name to array. Each column crosses to the engine as
one array (``bytes`` of float64 or int64 day numbers, or one list of ids): no Python code runs
per row, except to name the offending value once a column has been refused.

Output: pandas by default, or ``output="polars"``, ``"pyarrow"`` or ``"numpy"`` (a dict of
numpy arrays).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Sequence

import numpy as np

from . import _core
from ._core import BadInputError, InvalidParameterError

OUTPUTS = ("pandas", "polars", "pyarrow", "numpy")


def _module(data: Any) -> str:
    return type(data).__module__.split(".")[0]


class Table:
    """The columns of one input table, by name, whatever its kind."""

    def __init__(self, data: Any, source: str) -> None:
        self.source = source
        kind = _module(data)
        if kind in ("pandas", "polars"):
            self.names = [str(c) for c in data.columns]
            self._get: Callable[[str], Any] = lambda n: data[n]
            self.kind = kind
        elif kind == "pyarrow" and hasattr(data, "column_names"):
            self.names = list(data.column_names)
            self._get = data.column
            self.kind = "pyarrow"
        elif isinstance(data, Mapping):
            self.names = [str(k) for k in data.keys()]
            self._get = lambda n: data[n]
            self.kind = "mapping"
        elif hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
            self.__init__(_from_capsule(data, source), source)
            return
        else:
            raise InvalidParameterError(
                f"{source}: expected a DataFrame (pandas, polars), a pyarrow Table, an object with "
                f"the Arrow PyCapsule interface or a dict of arrays, got {type(data).__name__}"
            )

    def has(self, name: str) -> bool:
        return name in self.names

    def require(self, names: Sequence[str], what: str) -> None:
        """The core's message for a missing column."""
        for n in names:
            if n not in self.names:
                raise BadInputError(
                    f"{self.source}: missing column '{n}' ({what} needs {', '.join(names)}; "
                    f"columns are: {', '.join(self.names)})"
                )

    def __len__(self) -> int:
        return len(self._get(self.names[0])) if self.names else 0

    def raw(self, name: str) -> np.ndarray:
        col = self._get(name)
        if self.kind == "pyarrow":
            return col.to_numpy(zero_copy_only=False)
        if self.kind == "pandas":
            # Nullable dtypes: NA becomes NaN (then refused by the engine with its row).
            if col.dtype.kind in "iufb" or str(col.dtype) in ("Int64", "Float64", "Int32"):
                return col.to_numpy(dtype="float64", na_value=np.nan)
            return col.to_numpy()
        if self.kind == "polars":
            return col.to_numpy()
        return np.asarray(col)

    def column(self, name: str) -> Any:
        """A column as its library holds it (a pandas array, else numpy), for an output."""
        if self.kind == "pandas":
            return self._get(name).array
        return self.raw(name)

    def floats(self, name: str) -> bytes:
        """A numeric column as float64 bytes; nulls become NaN, which the engine refuses with
        the row; a column of another type is refused here, naming the first bad value."""
        a = self.raw(name)
        if a.dtype.kind in "fiub":
            return np.ascontiguousarray(a, dtype=np.float64).tobytes()
        if a.dtype.kind == "O":
            try:
                return np.asarray(a, dtype=np.float64).tobytes()
            except (TypeError, ValueError):
                pass
        self._refuse(name, a, lambda v: float(v), "not a number")

    def days(self, name: str) -> bytes:
        """A date column as int64 days since 1970-01-01 (NaT for nulls)."""
        a = self.raw(name)
        try:
            if a.dtype.kind == "M":
                d = a.astype("datetime64[D]")
            else:
                d = np.asarray(a, dtype="datetime64[s]").astype("datetime64[D]")
        except (TypeError, ValueError):
            self._refuse(name, a, lambda v: np.datetime64(v, "s"), "unparsable date")
        return np.ascontiguousarray(d.astype(np.int64)).tobytes()

    def ids(self, name: str) -> list:
        """Ids (or any text column) as one list; nulls are empty ids for the engine."""
        col = self._get(name)
        if self.kind in ("pyarrow", "polars"):
            return col.to_pylist() if self.kind == "pyarrow" else col.to_list()
        if self.kind == "pandas":
            # pandas' missing values (None, NaN, NA, NaT) all as None.
            return col.astype(object).where(col.notna(), None).tolist()
        return np.asarray(col, dtype=object).tolist()

    def text(self, name: str) -> Any:
        """Ids (or any text column) for the summaries, the fast way when it can: an Arrow stream
        of a one-column table (strings, integers or categoricals; nulls are empty ids), read by
        the engine without a Python object per value. Other columns (mixed objects, floats), or
        pandas and numpy without pyarrow installed, go as one list (``ids``)."""
        col = self._get(name)
        if self.kind == "polars":
            import polars as pl

            if col.dtype in (pl.String, pl.Categorical, pl.Enum) or col.dtype.is_integer():
                return col.to_frame().__arrow_c_stream__()
            return self.ids(name)
        try:
            import pyarrow as pa
        except ImportError:
            return self.ids(name)
        try:
            if self.kind == "pyarrow":
                array = col
            elif self.kind == "pandas":
                array = pa.array(col, from_pandas=True)
            else:
                array = pa.array(np.asarray(col), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            return self.ids(name)
        t = array.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
                or pa.types.is_integer(t)):
            return pa.table({name: array}).__arrow_c_stream__()
        return self.ids(name)

    def _refuse(self, name: str, a: np.ndarray, parse: Callable[[Any], Any], reason: str):
        for i, v in enumerate(a.tolist()):
            if v is None:
                continue
            try:
                parse(v)
            except (TypeError, ValueError):
                raise BadInputError(
                    f"{self.source}:{i + 1}: column '{name}': {reason} (value '{v}')"
                ) from None
        raise BadInputError(f"{self.source}: column '{name}': {reason}s expected, dtype {a.dtype}")


def _from_capsule(data: Any, source: str) -> dict:
    """An object with only the Arrow PyCapsule interface, read by the engine through the Arrow
    C stream (or array) interface: no pyarrow or polars needed."""
    if hasattr(data, "__arrow_c_stream__"):
        columns = _core.read_arrow(source, stream=data.__arrow_c_stream__())
    else:
        schema, array = data.__arrow_c_array__()
        columns = _core.read_arrow(source, schema=schema, array=array)
    return decode(columns)


def frame(columns: dict, output: str = "pandas") -> Any:
    """Columns (numpy arrays or lists) as a DataFrame of the kind asked for."""
    if output == "pandas":
        import pandas as pd

        # Float columns without a copy, the others (ids, text) inserted as they are.
        numeric = {k: v for k, v in columns.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"}
        df = pd.DataFrame(numeric, copy=False)
        for i, (k, v) in enumerate(columns.items()):
            if k not in numeric:
                df.insert(i, k, v)
        return df
    # Columns held as pandas arrays go to the other libraries as numpy.
    columns = {k: v if isinstance(v, (np.ndarray, list)) else np.asarray(v) for k, v in columns.items()}
    if output == "polars":
        import polars as pl

        return pl.DataFrame(columns)
    if output == "pyarrow":
        import pyarrow as pa

        return pa.table(columns)
    if output == "numpy":
        return {k: np.asarray(v) for k, v in columns.items()}
    raise InvalidParameterError(f"unknown output '{output}' (use {', '.join(OUTPUTS)})")


def arrays(names: Sequence[str], values: Sequence[bytes]) -> dict:
    """The engine's result columns (float64 bytes) as numpy arrays."""
    return {n: np.frombuffer(v, dtype=np.float64) for n, v in zip(names, values)}


def decode(columns) -> dict:
    """The engine's typed columns ``(name, kind, data)`` as numpy arrays (ids stay lists)."""
    out = {}
    for name, kind, data in columns:
        if kind == "f64":
            out[name] = np.frombuffer(data, dtype=np.float64)
        elif kind == "i64":
            out[name] = np.frombuffer(data, dtype=np.int64)
        elif kind == "date":
            out[name] = np.frombuffer(data, dtype=np.int64).astype("datetime64[D]")
        elif kind == "bool":
            out[name] = np.array(data, dtype=bool)
        else:
            out[name] = data
    return out
