"""Bad rows through clv.spark: counted and reported as the CLI counts them (same reasons, same
rows, same values), the good rows summarized as the CLI summarizes them; on_error="fail" names
the first bad row."""

import csv
import subprocess

import numpy as np
import pandas as pd
import pytest

import clv
from clv import spark as cs

ROWS = [
    ("1", "2024-01-01", "10.5", "paid"),
    ("", "2024-01-02", "3", "paid"),            # empty id
    ("2", "2024-13-01", "4", "paid"),           # no month 13
    ("2", "2024-02-30", "4", "paid"),           # no 30 February
    ("2", "2024-02-29", "4", "email"),          # a leap day
    ("3", "2024-01-05", "abc", "paid"),         # not a number
    ("3", "2024-01-05", "-2", "paid"),          # a refund
    ("3", "2024-01-06", "inf", "paid"),         # not finite
    ("3", "2024-01-06", "NaN", "paid"),         # not finite
    ("4", "20240107", "5", "email"),            # compact date
    ("4", "2024-01-08T10:00:00Z", "6", "email"),
    ("4", "2024-01-08 10:00", "1.25", "paid"),  # same day, other layout
    ("4", "2024-01-09T25:00", "1", "paid"),     # no hour 25
    ("5", "2024-03-01", "7", "paid"),           # after the observation end
    ("  5 ", "2024-01-09", " 8 ", "paid"),      # spaces around id and amount
    ("1", "1/5/2024", "2", "paid"),             # not a layout the core reads
    ("1", "2024-01-20", "", "paid"),            # empty amount
    ("1", "2024-02-10", "12", "organic"),
]
END = "2024-02-29"


@pytest.fixture(scope="module")
def bad_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bad") / "orders.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "date", "amount", "channel"])
        w.writerows(ROWS)
    return path


def cli_summary(clv_bin, path, tmp_path):
    out, rejects = tmp_path / "summary.csv", tmp_path / "rejects.csv"
    subprocess.run([str(clv_bin), "summarize", "--input", str(path), "--on-error", "skip",
                    "--observation-end", END, "--rejects", str(rejects), "--output", str(out)],
                   check=True, capture_output=True, text=True)
    return pd.read_csv(out, dtype={"customer_id": str, "channel": str}), pd.read_csv(
        rejects, dtype=str, keep_default_na=False)


def test_bad_rows_are_counted_and_reported_as_the_cli_does(spark_local, bad_file, clv_bin,
                                                            tmp_path):
    tx = spark_local.read.csv(str(bad_file), header=True)
    summary, accounting = cs.summarize(tx, observation_end=END, on_error="skip")
    want_summary, want_rejects = cli_summary(clv_bin, bad_file, tmp_path)
    assert accounting.rows_read == len(ROWS)
    assert accounting.rows_used + accounting.rows_rejected == len(ROWS)
    assert accounting.rows_rejected == len(want_rejects) == 11
    assert accounting.rejected_by_reason == want_rejects["reason"].value_counts().to_dict()
    # The CLI counts lines from the header (line 1); clv.spark counts rows.
    got = [(line + 1, column, value, reason) for line, column, value, reason in accounting.rejections]
    want = [(int(r.line), r.column, r.value, r.reason) for r in want_rejects.itertuples()]
    assert got == want
    got_summary = summary.toPandas().sort_values("customer_id").reset_index(drop=True)
    want_summary = want_summary.sort_values("customer_id").reset_index(drop=True)
    assert got_summary["customer_id"].tolist() == want_summary["customer_id"].tolist() == [
        "1", "2", "4", "5"]
    for name in ["frequency", "recency", "T", "monetary_value", "orders", "total_spend"]:
        # The CLI writes 8 significant digits.
        np.testing.assert_allclose(got_summary[name], want_summary[name], rtol=1e-7, err_msg=name)
    assert got_summary["channel"].tolist() == want_summary["channel"].tolist()


def test_the_first_bad_row_fails_the_call_by_default(spark_local, bad_file):
    tx = spark_local.read.csv(str(bad_file), header=True)
    with pytest.raises(clv.BadInputError) as e:
        cs.summarize(tx, observation_end=END)
    assert str(e.value) == "transactions:2: column 'customer_id': empty customer id (value '')"
    with pytest.raises(clv.BadInputError, match="orders:2: column 'date': unparsable date "
                                                r"\(value '2024-13-01'\)"):
        cs.summarize(tx.filter("customer_id is not null"), observation_end=END, source="orders")


def test_typed_columns_and_settings_are_checked(spark_local):
    df = spark_local.createDataFrame(pd.DataFrame({
        "customer_id": ["a", "a"], "date": pd.to_datetime(["2024-01-01", "2024-01-03"]),
        "amount": [1.0, -1.0]}))
    summary, acc = cs.summarize(df, on_error="skip")
    assert acc.rejected_by_reason == {"negative amount (refund)": 1}
    assert acc.rejections == [(2, "amount", "-1.0", "negative amount (refund)")]
    assert summary.count() == 1
    with pytest.raises(clv.InvalidParameterError, match="after the last date"):
        cs.summarize(df, calibration_end="2024-02-01", on_error="skip")
    with pytest.raises(clv.InvalidParameterError, match="unknown time unit 'year'"):
        cs.summarize(df, unit="year")
    with pytest.raises(clv.BadInputError, match="missing column 'amount'"):
        cs.summarize(df.drop("amount"))
    with pytest.raises(clv.BadInputError, match="empty input"):
        cs.summarize(df.limit(0))
