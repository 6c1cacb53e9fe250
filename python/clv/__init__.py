"""clv: churn and customer-lifetime-value models, fast and exact, from a Rust engine.

    >>> import clv
    >>> summary = clv.summarize(transactions, calibration_end="1997-09-30")
    >>> bgf = clv.BGNBD().fit(summary)
    >>> ggf = clv.GammaGamma().fit(summary)
    >>> ggf.clv(bgf, summary)

Errors are :class:`ClvError` subclasses, one per kind of the engine's errors, with its message.
"""

from ._core import (
    ERROR_KINDS,
    BadInputError,
    ClvError,
    IncompatibleModelError,
    InvalidParameterError,
    IoError,
    NumericalError,
    __version__,
)
from .models import (
    BGBB,
    BGNBD,
    MBGNBD,
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGamma,
    GammaGammaFitter,
    GGomNBD,
    Model,
    ModifiedBetaGeoFitter,
    ParetoNBD,
    ParetoNBDFitter,
    ShiftedBetaGeometric,
    TransactionModel,
    load_model,
    model_kinds,
)
from .bundle import Bundle
from .churn import ChurnModel, describe, evaluate_churn
from .simulate import simulate, simulate_transactions
from .summary import summarize, summarize_with_accounting, summary_data_from_transaction_data

__all__ = [
    "ERROR_KINDS", "BadInputError", "ClvError", "IncompatibleModelError", "InvalidParameterError",
    "IoError", "NumericalError", "__version__",
    "BGBB", "BGNBD", "MBGNBD", "GGomNBD", "GammaGamma", "ParetoNBD", "ShiftedBetaGeometric",
    "BetaGeoBetaBinomFitter", "BetaGeoFitter", "GammaGammaFitter", "ModifiedBetaGeoFitter",
    "ParetoNBDFitter", "Model", "TransactionModel", "load_model", "model_kinds",
    "summarize", "summarize_with_accounting", "summary_data_from_transaction_data", "Bundle",
    "simulate", "simulate_transactions", "ChurnModel", "evaluate_churn", "describe",
]
