"""Objects known only through the Arrow PyCapsule interface are read by the engine through the
Arrow C stream / array interface: no pyarrow or polars on clv's code path. pyarrow builds the
test tables here; while clv reads them, importing pyarrow or polars is made to fail."""

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import clv


class StreamOnly:
    """A table with only ``__arrow_c_stream__``."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


class ArrayOnly:
    """A record batch with only ``__arrow_c_array__``."""

    def __init__(self, batch):
        self._batch = batch

    def __arrow_c_array__(self, requested_schema=None):
        return self._batch.__arrow_c_array__(requested_schema)


def transactions():
    return pd.DataFrame({
        "customer_id": ["a", "a", "b", "a", "c", "b", "d", "d"],
        "date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-03", "2020-02-01",
                                "2020-01-20", "2020-03-10", "2020-01-05", "2020-01-25"]),
        "amount": [10.0, 5.0, 3.0, 20.0, 7.0, 4.0, 2.5, 8.0],
        "channel": ["web", "web", "shop", "web", "shop", "web", "web", "web"],
    })


def numpy_summary(data):
    return clv.summarize(data, unit="day", calibration_end="2020-02-15", output="numpy")


def assert_same(got: dict, want: dict):
    assert list(got) == list(want)
    for name in want:
        assert np.asarray(got[name]).tolist() == np.asarray(want[name]).tolist(), name


def test_capsule_only_objects_are_read_without_pyarrow_or_polars(monkeypatch):
    tx = transactions()
    want = numpy_summary(tx)
    table = pa.Table.from_pandas(tx, preserve_index=False)
    # Several batches, as a stream from a file or a query would deliver them.
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=3))
    assert len(chunked.to_batches()) == 3
    batch = table.combine_chunks().to_batches()[0]
    summary = pa.Table.from_pandas(clv.summarize(tx, unit="day"), preserve_index=False)
    want_fit = clv.BGNBD().fit(clv.summarize(tx, unit="day")).params_

    for name in ("pyarrow", "polars"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError):
        import pyarrow  # noqa: F401  (the guard works)
    assert_same(numpy_summary(StreamOnly(chunked)), want)
    assert_same(numpy_summary(ArrayOnly(batch)), want)
    assert clv.BGNBD().fit(StreamOnly(summary)).params_ == want_fit


def test_arrow_types_cross_exactly():
    tx = transactions()
    want = numpy_summary(tx)
    big = 2**60  # beyond float64's exact integers: ids must not go through floats
    codes = {"a": big + 1, "b": big + 2, "c": big + 3, "d": big + 4}
    ids64 = [codes[c] for c in tx["customer_id"]]
    variants = {
        "int64 ids, timestamp[us, UTC], float32 amounts": pa.table({
            "customer_id": pa.array(ids64, pa.int64()),
            "date": pa.array(tx["date"], pa.timestamp("us", tz="UTC")),
            "amount": pa.array(tx["amount"], pa.float32()),
            "channel": pa.array(tx["channel"], pa.large_string()),
        }),
        "uint64 ids, date32, int32 amounts": pa.table({
            "customer_id": pa.array([2**63 + v - big for v in ids64], pa.uint64()),
            "date": pa.array(tx["date"].dt.date, pa.date32()),
            "amount": pa.array((tx["amount"] * 2).astype(int), pa.int32()),
            "channel": pa.array(tx["channel"], pa.string_view()),
        }),
    }
    got = numpy_summary(StreamOnly(variants["int64 ids, timestamp[us, UTC], float32 amounts"]))
    assert list(got["customer_id"]) == [str(codes[c]) for c in want["customer_id"]]
    for col in ("frequency", "recency", "T", "monetary_value", "frequency_holdout"):
        assert np.array_equal(got[col], want[col]), col
    assert list(got["channel"]) == list(want["channel"])
    got = numpy_summary(StreamOnly(variants["uint64 ids, date32, int32 amounts"]))
    assert list(got["customer_id"]) == [str(2**63 + codes[c] - big) for c in want["customer_id"]]
    assert np.array_equal(got["recency"], want["recency"])
    assert np.array_equal(got["monetary_value"], want["monetary_value"] * 2)


def test_nulls_and_unusable_columns_are_the_cores_errors():
    tx = pa.Table.from_pandas(transactions(), preserve_index=False)
    amounts = tx.column("amount").to_pylist()
    amounts[1] = None
    with_null = tx.set_column(2, "amount", pa.array(amounts, pa.float64()))
    with pytest.raises(clv.BadInputError, match=r"transactions:2: column 'amount'"):
        clv.summarize(StreamOnly(with_null))
    dates = tx.column("date").to_pylist()
    dates[3] = None
    with pytest.raises(clv.BadInputError, match=r"transactions:4: column 'date'.*NaT"):
        clv.summarize(StreamOnly(tx.set_column(1, "date", pa.array(dates, pa.timestamp("ns")))))
    ids = tx.column("customer_id").to_pylist()
    ids[4] = None
    with pytest.raises(clv.BadInputError, match=r"transactions:5: column 'customer_id': empty customer id"):
        clv.summarize(StreamOnly(tx.set_column(0, "customer_id", pa.array(ids))))
    nested = tx.append_column("tags", pa.array([[1]] * tx.num_rows))
    with pytest.raises(clv.BadInputError, match=r"transactions: column 'tags': Arrow type List.* is not supported"):
        clv.summarize(StreamOnly(nested))
    with pytest.raises(clv.BadInputError, match=r"missing column 'amount'"):
        clv.summarize(StreamOnly(tx.drop_columns(["amount"])))


def test_dictionary_encoded_columns_are_decoded():
    # pandas categoricals and polars enums reach Arrow as dictionary arrays; a capsule-only
    # reader (duckdb, nanoarrow) may hand them over as they are. Several batches, so each
    # batch's own dictionary is decoded.
    tx = transactions()
    want = numpy_summary(tx)
    table = pa.table({
        "customer_id": pa.array(tx["customer_id"]).dictionary_encode(),
        "date": pa.array(tx["date"]),
        "amount": pa.array(tx["amount"]).dictionary_encode(),
        "channel": pa.array(tx["channel"]).dictionary_encode(),
    })
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=3))
    assert pa.types.is_dictionary(chunked.schema.field("customer_id").type)
    assert_same(numpy_summary(StreamOnly(chunked)), want)
    # A null behind a dictionary is still the core's error, with its row.
    ids = pa.DictionaryArray.from_arrays(pa.array([0, 0, 1, 0, None, 1, 2, 2], pa.int8()),
                                         pa.array(["a", "b", "d"]))
    with pytest.raises(clv.BadInputError, match=r"transactions:5: column 'customer_id': empty customer id"):
        clv.summarize(StreamOnly(table.set_column(0, "customer_id", ids)))
