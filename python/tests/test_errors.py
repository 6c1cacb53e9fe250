"""Bad input gives the core's clear message as the exception of its kind."""

import numpy as np
import pandas as pd
import polars as pl
import pytest

import clv


def summary():
    return pd.DataFrame({
        "customer_id": ["a", "b", "c"],
        "frequency": [2.0, 0.0, 1.0],
        "recency": [10.0, 0.0, 5.0],
        "T": [20.0, 15.0, 30.0],
        "monetary_value": [12.0, 0.0, 8.0],
    })


def test_one_exception_class_per_kind_under_one_base():
    assert set(clv.ERROR_KINDS) == {
        "bad_input", "invalid_parameter", "numerical", "incompatible_model", "io"
    }
    for cls in clv.ERROR_KINDS.values():
        assert issubclass(cls, clv.ClvError) and cls is not clv.ClvError
    assert len(set(clv.ERROR_KINDS.values())) == 5


def test_nulls_name_row_column_and_value():
    df = summary()
    df.loc[1, "T"] = None
    with pytest.raises(clv.BadInputError, match=r"data:2: column 'T': not a finite number >= 0 \(value 'NaN'\)"):
        clv.BGNBD().fit(df)
    pl_df = pl.from_pandas(summary()).with_columns(
        pl.when(pl.col("customer_id") == "c").then(None).otherwise(pl.col("recency")).alias("recency")
    )
    with pytest.raises(clv.BadInputError, match=r"data:3: column 'recency'"):
        clv.BGNBD().fit(pl_df)


def test_impossible_histories_are_refused_where_they_are():
    df = summary()
    df.loc[0, "recency"] = 25.0
    with pytest.raises(clv.BadInputError, match=r"customers:1: column 'recency'.*after T"):
        clv.BGNBD().fit(summary()).p_alive(df)
    df = summary()
    df.loc[2, "frequency"] = 1.5
    with pytest.raises(clv.BadInputError, match=r"data:3: column 'frequency'.*whole number"):
        clv.ParetoNBD().fit(df)


def test_wrong_dtypes_and_missing_columns():
    df = summary().assign(frequency=["2", "x", "1"])
    with pytest.raises(clv.BadInputError, match=r"data:2: column 'frequency': not a number \(value 'x'\)"):
        clv.BGNBD().fit(df)
    with pytest.raises(clv.BadInputError, match=r"missing column 'T'.*columns are: customer_id, frequency, recency, monetary_value"):
        clv.BGNBD().fit(summary().drop(columns="T"))
    with pytest.raises(clv.InvalidParameterError, match="expected a DataFrame"):
        clv.BGNBD().fit([1, 2, 3])


def test_bad_transactions_fail_or_are_counted():
    tx = pd.DataFrame({"customer_id": ["a", None, "b"], "date": ["2020-01-01", "2020-01-02", "2020-01-05"],
                       "amount": [1.0, 2.0, -3.0]})
    with pytest.raises(clv.BadInputError, match=r"transactions:2: column 'customer_id': empty customer id"):
        clv.summarize(tx)
    s, acc = clv.summarize_with_accounting(tx, on_error="skip")
    assert (acc["rows_read"], acc["rows_used"], acc["rows_rejected"]) == (3, 1, 2)
    assert [r[0] for r in acc["rejections"]] == [2, 3]
    assert list(s["customer_id"]) == ["a"]
    as_strings = tx.assign(customer_id=tx["customer_id"].astype("string"))
    with pytest.raises(clv.BadInputError, match=r"transactions:2: column 'customer_id': empty customer id"):
        clv.summarize(as_strings)
    bad_date = tx.assign(customer_id=["a", "b", "c"], amount=1.0, date=["2020-01-01", "soon", "2020-01-02"])
    with pytest.raises(clv.BadInputError, match=r"transactions:2: column 'date': unparsable date \(value 'soon'\)"):
        clv.summarize(bad_date)
    nat = bad_date.assign(date=pd.to_datetime(["2020-01-01", None, "2020-01-02"]))
    with pytest.raises(clv.BadInputError, match=r"transactions:2: column 'date'.*NaT"):
        clv.summarize(nat)


def test_parameters_and_files():
    bg = clv.BGNBD().fit(summary())
    with pytest.raises(clv.InvalidParameterError, match="horizon"):
        bg.predict(summary(), horizon=-1)
    with pytest.raises(clv.InvalidParameterError, match="Pareto/NBD"):
        bg.predict(summary(), horizon=1, discount_rate=0.1)
    with pytest.raises(clv.InvalidParameterError, match="unknown time unit"):
        clv.summarize({"customer_id": ["a"], "date": ["2020-01-01"], "amount": [1.0]}, unit="year")
    with pytest.raises(clv.InvalidParameterError, match="not fitted"):
        clv.GammaGamma().expected_spend(summary())


def test_model_files_that_cannot_be_used(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(clv.IncompatibleModelError):
        clv.load_model(bad)
    with pytest.raises(clv.ClvError):
        clv.load_model(tmp_path / "missing.json")
    path = tmp_path / "bg.json"
    clv.BGNBD().fit(summary()).save(path)
    with pytest.raises(clv.IncompatibleModelError, match="holds a bgnbd model"):
        clv.GammaGamma.load(path)
    text = path.read_text().replace('"r": ', '"r": -', 1)
    path.write_text(text)
    with pytest.raises(clv.ClvError):
        clv.load_model(path)
