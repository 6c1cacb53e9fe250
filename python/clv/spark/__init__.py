"""``clv`` on Apache Spark: Spark does the distributed work, the engine the modelling, with the
same numbers as on one machine (``pip install "clv[spark]"``; needs Java 17).

- :func:`summarize`: transactions to the RFM table with Spark's own aggregations, equal to
  :func:`clv.summarize`'s, bad rows counted by reason;
- :func:`fit`: any model fitted on the driver from the weighted patterns Spark aggregates;
- :func:`score`, :func:`score_bundle`, :func:`score_new`: the core on each partition's Arrow
  batches (``mapInArrow``) with the model or bundle broadcast;
- :func:`register_sql_functions`: the same as SQL functions;
- :func:`train_bundle`: a :class:`clv.Bundle` trained from Spark transactions.

The whole job::

    >>> import clv
    >>> from clv import spark as cs
    >>> tx = spark.read.parquet("s3://shop/orders/")
    >>> summary, accounting = cs.summarize(tx, calibration_end="2025-06-30", on_error="skip")
    >>> bgf = cs.fit(clv.BGNBD(), summary)
    >>> ggf = cs.fit(clv.GammaGamma(), summary)
    >>> cs.score(summary, bgf, ggf, horizon=52).write.parquet("s3://shop/clv/")
"""

from .bundle import score_bundle, score_bundle_with_accounting, score_new, train_bundle
from .fit import fit, pattern_columns, patterns
from .score import register_sql_functions, score
from .summary import Accounting, check_transactions, summarize

__all__ = [
    "Accounting", "check_transactions", "fit", "pattern_columns", "patterns",
    "register_sql_functions", "score", "score_bundle", "score_bundle_with_accounting",
    "score_new", "summarize", "train_bundle",
]
