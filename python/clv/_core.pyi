"""Type stubs of the extension module clv._core (the Rust engine's thin wrappers)."""

from os import PathLike
from typing import Any, Optional, Union

__version__: str

class ClvError(Exception): ...
class BadInputError(ClvError): ...
class InvalidParameterError(ClvError): ...
class NumericalError(ClvError): ...
class IncompatibleModelError(ClvError): ...
class IoError(ClvError): ...

ERROR_KINDS: dict[str, type[ClvError]]

_Path = Union[str, PathLike]
# (name, kind, data): kind "f64" (float64 bytes), "i64" (int64 bytes), "date" (int64 day bytes),
# "str" or "bool" (a list).
_Column = tuple[str, str, Union[bytes, list]]

def read_arrow(
    source: str, stream: Any = None, schema: Any = None, array: Any = None
) -> list[_Column]: ...
def summarize(tx: dict, settings: dict) -> tuple[list[_Column], dict]: ...
def fit(
    kind: str, columns: dict[str, bytes], unit: str, penalty: float, source: str
) -> FittedModel: ...
def load_model(path: _Path) -> FittedModel: ...
def model_kinds() -> list[tuple[str, str, str, list[str], str]]: ...
def train_bundle(
    tx: dict,
    settings: dict,
    model: str,
    covariates: Optional[list[str]],
    penalty: float,
    attributes: Optional[dict] = None,
) -> tuple[Bundle, dict]: ...
def load_bundle(path: _Path) -> Bundle: ...
def simulate_summary(spec: dict, end: Optional[float] = None) -> tuple[list[int], list[bytes]]: ...
def simulate_orders(
    spec: dict, start: str, days_per_unit: float
) -> tuple[list[int], bytes, bytes, bytes, bytes]: ...

class FittedModel:
    @property
    def kind(self) -> str: ...
    @property
    def family(self) -> str: ...
    @property
    def left_out(self) -> Optional[int]: ...
    def json(self) -> str: ...
    def save(self, path: _Path) -> None: ...
    def predict(
        self,
        customer_id: list,
        columns: dict[str, bytes],
        horizon: float,
        spend: Optional[FittedModel] = None,
        discount_rate: Optional[float] = None,
        p_purchases: list[int] = ...,
        alive_ahead: list[int] = ...,
    ) -> tuple[list[str], list[bytes]]: ...
    def clv(
        self,
        customer_id: list,
        columns: dict[str, bytes],
        spend: FittedModel,
        periods: int,
        period_length: float,
        discount_per_period: float,
        margin: float,
    ) -> tuple[list[str], list[bytes]]: ...
    def new_customer_distribution(
        self, horizon: float, counts: list[int]
    ) -> tuple[list[str], list[bytes]]: ...
    def expected_purchases_new(self, horizons: bytes) -> bytes: ...
    def expected_spend_new(self) -> float: ...
    def expected_transactions_new(self, n: int) -> float: ...
    def retention(self, periods: list[int]) -> list[tuple[float, float, float]]: ...

class Bundle:
    @property
    def time_unit(self) -> str: ...
    def json(self) -> str: ...
    def save(self, path: _Path) -> None: ...
    def score(
        self,
        tx: dict,
        settings: dict,
        horizon: float,
        horizon_unit: Optional[str],
        discount_rate: float,
        margin: float,
        churn_window: Optional[float],
        at_risk: tuple[float, Optional[int], float],
        currency: str,
        intervals: bool = False,
    ) -> tuple[list[_Column], list[_Column], str, dict]: ...
    def report(
        self,
        tx: dict,
        settings: dict,
        path: _Path,
        horizon: float,
        horizon_unit: Optional[str],
        discount_rate: float,
        margin: float,
        churn_window: Optional[float],
        at_risk: tuple[float, Optional[int], float],
        currency: str,
        target_ltv_cac: float,
        interval_draws: int,
        title: str,
    ) -> tuple[str, list[str]]: ...
    def score_new(
        self,
        names: list[str],
        columns: list[list],
        horizon: float,
        horizon_unit: Optional[str],
        discount_rate: float,
        margin: float,
        target_ltv_cac: float,
        currency: str,
        intervals: bool = False,
    ) -> tuple[list[str], list[bytes], Optional[str]]: ...
