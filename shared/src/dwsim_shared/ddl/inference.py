"""Rule inference: realistic generation rules proposed from a column's name, type and length.

Rules are data, tried in order; the first that fits the column's type (and length, for
strings) wins. Each proposal names the fields it set in `inferred`, so a user sees and can
override them. Key, unique, foreign-key and sequence columns are never touched.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from faker import Faker

from dwsim_shared.experiment import INTEGER_LIMITS, INTEGER_TYPES, STRING_TYPES, TEMPORAL_TYPES
from dwsim_shared.generation.faker_pools import faker_has_rule

LENGTH_SAMPLES = 300
PERSON_TABLE = re.compile(
    r"customer|user|employee|person|people|contact|member|patient|student|author|staff|client"
)
COMPANY_TABLE = re.compile(
    r"supplier|vendor|compan|merchant|partner|manufacturer|organi[sz]ation|employer|brand|carrier"
)
ORDER_TABLE = re.compile(r"order|shipment|deliver")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
Variants = tuple[tuple[tuple[str, ...], tuple[float, ...]], ...]


@dataclass(frozen=True)
class FakerRule:
    """Faker methods for matching string columns; the first that exists and fits wins."""

    name: str
    methods: tuple[str, ...]
    table: str | None = None


@dataclass(frozen=True)
class ChoiceRule:
    """Value sets for status-like string columns; the first set whose values fit wins."""

    name: str
    variants: Variants
    table: str | None = None


@dataclass(frozen=True)
class RangeRule:
    """A numeric range: `whole` for integer columns (and DECIMAL scale 0), `fractional` else;
    `law` shapes values inside it (quantities and prices have long right tails)."""

    name: str
    whole: tuple[int, int] | None
    fractional: tuple[float, float] | None
    law: dict[str, Any] | None = None


# Small positive counts with a long tail (median about 5), prices (median about 25) and
# amounts (median about 100): lognormal, as such figures are in real warehouses.
QUANTITY_LAW = {"type": "lognormal", "parameters": {"mean": 1.6, "sigma": 0.9}}
PRICE_LAW = {"type": "lognormal", "parameters": {"mean": 3.2, "sigma": 1.0}}
AMOUNT_LAW = {"type": "lognormal", "parameters": {"mean": 4.6, "sigma": 1.2}}
SHARE_LAW = {"type": "beta", "parameters": {"alpha": 2.0, "beta": 8.0}}


@dataclass(frozen=True)
class DateRule:
    name: str
    start: dt.date
    end: dt.date


def _choices(
    values: tuple[str, ...], weights: tuple[float, ...], short: tuple[str, ...] | None = None
) -> Variants:
    """The values, then one-letter codes (for CHAR(1) columns) when those are distinct."""
    codes = short or tuple(v[0].upper() for v in values)
    if len(set(codes)) < len(codes):
        return ((values, weights),)
    return ((values, weights), (codes, weights))


FAKER_RULES: tuple[FakerRule, ...] = (
    FakerRule(r"e_?mail(_?addr(ess)?)?$", ("email",)),
    FakerRule(r"(first_?name|fname|given_?name|forename)$", ("first_name",)),
    FakerRule(r"(last_?name|lname|surname|family_?name)$", ("last_name",)),
    FakerRule(r"(full_?name|customer_?name|contact_?name|employee_?name|person_?name)$", ("name",)),
    FakerRule(r"(^|_)(user_?name|login|screen_?name)$", ("user_name",)),
    FakerRule(r"(^|_)(company|company_?name|employer|organi[sz]ation|vendor_?name|supplier_?name|merchant_?name)$", ("company",)),
    FakerRule(r"(^|_)name$", ("name",), table=PERSON_TABLE.pattern),
    FakerRule(r"(^|_)name$", ("company",), table=COMPANY_TABLE.pattern),
    FakerRule(r"(^|_)name$", ("country", "country_code"), table=r"countr|nation"),
    FakerRule(r"(^|_)name$", ("city",), table=r"(^|_)cit(y|ies)$"),
    FakerRule(r"(phone(_?number|_?no)?|(^|_)(tel|fax|cell|mobile))$", ("phone_number", "basic_phone_number", "msisdn")),
    FakerRule(r"(^|_)(country_?code|country_?iso|iso_?country)$", ("country_code",)),
    FakerRule(r"(^|_)(country|country_?name|nation)$", ("country", "country_code")),
    FakerRule(r"(^|_)(state_?code|state_?abbr)$", ("state_abbr",)),
    FakerRule(r"^((billing|shipping|home|mailing)_?)?(state|province|state_?province)$", ("state", "state_abbr")),
    FakerRule(r"(^|_)(city|town|city_?name)$", ("city",)),
    FakerRule(r"(^|_)(zip|zip_?code|postal_?code|post_?code|postcode)$", ("postcode",)),
    FakerRule(r"ipv6(_?address)?$", ("ipv6",)),
    FakerRule(r"(^|_)(ip|ip_?address|ip_?addr|ipv4)$", ("ipv4",)),
    FakerRule(r"(^|_)mac_?address$", ("mac_address",)),
    FakerRule(r"(^|_)(street|street_?address|address_?line_?1|address1|address)$", ("street_address",)),
    FakerRule(r"(url|website|web_?site|homepage|(^|_)link)$", ("url",)),
    FakerRule(r"(^|_)(page_?path|url_?path|uri_?path|uri|path)$", ("uri_path",)),
    FakerRule(r"(^|_)user_?agent$", ("user_agent",)),
    FakerRule(r"(^|_)domain(_?name)?$", ("domain_name",)),
    FakerRule(r"(^|_)(job|job_?title|occupation)$", ("job",)),
    FakerRule(r"(^|_)month_?name$", ("month_name",)),
    FakerRule(r"(^|_)(day|weekday)_?name$", ("day_of_week",)),
    FakerRule(r"(^|_)(currency|currency_?code)$", ("currency_code",)),
    FakerRule(r"(^|_)colou?r$", ("color_name",)),
    FakerRule(r"(^|_)(uuid|guid)$", ("uuid4",)),
    FakerRule(r"(^|_)iban$", ("iban",)),
    FakerRule(r"(description|comments?|notes?|remarks?|summary|(^|_)bio)$", ("sentence",)),
)  # fmt: skip

_ORDER_STATUS = ("delivered", "shipped", "processing", "pending", "cancelled")
_ORDER_WEIGHTS = (0.5, 0.2, 0.15, 0.1, 0.05)
_ORDER_VARIANTS: Variants = ((_ORDER_STATUS, _ORDER_WEIGHTS), (("F", "O", "P"), (0.5, 0.45, 0.05)))
CHOICE_RULES: tuple[ChoiceRule, ...] = (
    ChoiceRule(r"payment_?status$", _choices(("paid", "pending", "failed", "refunded"), (0.8, 0.1, 0.05, 0.05))),
    ChoiceRule(r"(order|shipment|shipping|delivery)_?status$", _ORDER_VARIANTS),
    ChoiceRule(r"status$", _ORDER_VARIANTS, table=ORDER_TABLE.pattern),
    ChoiceRule(r"status$", _choices(("active", "inactive", "pending", "closed"), (0.7, 0.1, 0.1, 0.1))),
    ChoiceRule(r"priority$", _choices(("low", "medium", "high", "urgent"), (0.4, 0.35, 0.2, 0.05))),
    ChoiceRule(r"(^|_)(gender|sex)$", _choices(("female", "male", "non-binary"), (0.49, 0.49, 0.02), ("F", "M", "X"))),
    ChoiceRule(r"(market_?segment|mkt_?segment)$", ((("AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY"), (0.2, 0.2, 0.2, 0.2, 0.2)),)),
    ChoiceRule(r"segment$", _choices(("consumer", "corporate", "small_business"), (0.6, 0.3, 0.1), ("C", "B", "S"))),
    ChoiceRule(r"(tier|loyalty_?level|membership_?level)$", _choices(("bronze", "silver", "gold", "platinum"), (0.5, 0.3, 0.15, 0.05))),
    ChoiceRule(r"(^|_)(sales_?|order_?)?channel$", _choices(("web", "store", "mobile", "phone"), (0.45, 0.3, 0.2, 0.05), ("W", "S", "M", "P"))),
    ChoiceRule(r"(payment_?method|payment_?type|pay_?method)$", _choices(("card", "paypal", "bank_transfer", "cash"), (0.6, 0.2, 0.1, 0.1), ("C", "P", "B", "X"))),
    ChoiceRule(r"(ship_?mode|shipping_?method|delivery_?method)$", _choices(("TRUCK", "MAIL", "AIR", "RAIL", "SHIP"), (0.3, 0.2, 0.2, 0.15, 0.15), ("T", "M", "A", "R", "S"))),
    ChoiceRule(r"(^|_)event_?(type|name)$", _choices(("page_view", "click", "scroll", "add_to_cart", "purchase"), (0.5, 0.25, 0.15, 0.07, 0.03))),
    ChoiceRule(r"(^|_)(user_?)?role$", _choices(("member", "admin", "viewer", "owner"), (0.6, 0.15, 0.2, 0.05))),
    ChoiceRule(r"(^|_)(device|device_?type|platform)$", _choices(("desktop", "mobile", "tablet"), (0.5, 0.4, 0.1))),
    ChoiceRule(r"(^|_)plan$|plan_?(name|type)$", _choices(("free", "basic", "pro", "enterprise"), (0.5, 0.25, 0.2, 0.05))),
    ChoiceRule(r"flag$", ((("Y", "N"), (0.8, 0.2)),)),
)  # fmt: skip

RANGE_RULES: tuple[RangeRule, ...] = (
    RangeRule(r"(^|_)(lat|latitude)$", None, (-90.0, 90.0)),
    RangeRule(r"(^|_)(lon|lng|long|longitude)$", None, (-180.0, 180.0)),
    RangeRule(r"(^|_)age$", (18, 90), (18.0, 90.0)),
    RangeRule(r"(^|_)(year|yr)$", (2000, 2025), None),
    RangeRule(r"(^|_)quarter$|(^|_)qtr$", (1, 4), None),
    RangeRule(r"(^|_)(month|month_?num(ber)?)$", (1, 12), None),
    RangeRule(r"(day_?of_?week|(^|_)dow|(^|_)weekday)$", (1, 7), None),
    RangeRule(r"(^|_)(day|day_?of_?month)$", (1, 31), None),
    RangeRule(r"(^|_)hour$", (0, 23), None),
    RangeRule(r"(rating|stars)$", (1, 5), (1.0, 5.0)),
    RangeRule(r"credit_?score$", (300, 850), (300.0, 850.0)),
    RangeRule(r"score$", (0, 100), (0.0, 100.0)),
    RangeRule(r"(percent|pct|percentage)$", (0, 100), (0.0, 100.0), SHARE_LAW),
    RangeRule(r"(_rate|ratio)$", None, (0.0, 1.0), SHARE_LAW),
    RangeRule(r"(discount|tax)$", (0, 25), (0.0, 0.25)),
    RangeRule(r"(salary|income|wage)$", (30000, 200000), (30000.0, 200000.0)),
    RangeRule(r"(quantity|qty|units(_?(sold|ordered|shipped))?|item_?count|num_?items|availqty)$", (1, 100), (1.0, 100.0), QUANTITY_LAW),
    RangeRule(r"(_count|_cnt)$|^(num|number)_of_|^num_", (0, 1000), None, QUANTITY_LAW),
    RangeRule(r"(price|cost|fee)$", (1, 1000), (0.01, 10000.0), PRICE_LAW),
    RangeRule(r"(amount|amt|total|revenue|sales|balance|acctbal|payment|charge|subtotal|spend)(_?(due|paid|net|gross|usd|eur))?$", (0, 10000), (0.01, 100000.0), AMOUNT_LAW),
)  # fmt: skip

DATE_RULES: tuple[DateRule, ...] = (
    DateRule(r"(birth|dob|birthday)", dt.date(1950, 1, 1), dt.date(2006, 12, 31)),
    DateRule(r"hire", dt.date(2010, 1, 1), dt.date(2024, 12, 31)),
    DateRule(r"(expir|expires|valid_?to|valid_?until|end_?date|_end$)", dt.date(2024, 1, 1), dt.date(2027, 12, 31)),
    DateRule(r"(ship|deliver|receipt|commit)", dt.date(2022, 1, 1), dt.date(2025, 6, 30)),
    DateRule(r"(date|_at|_on|_ts|_dt|time|timestamp|_day|_from|_start)$|^(date|day|created|updated|modified|deleted)", dt.date(2022, 1, 1), dt.date(2024, 12, 31)),
)  # fmt: skip


_SAMPLING = threading.Lock()  # one seeded Faker per locale, shared by request threads


@lru_cache(maxsize=16)
def _sampler(locale: str) -> Faker:
    return Faker(locale)


@lru_cache(maxsize=512)
def faker_max_length(locale: str, method: str) -> int:
    """The longest of a fixed sample of `Faker(locale).<method>()` values."""
    with _SAMPLING:
        fake = _sampler(locale)
        fake.seed_instance(0)
        produce = getattr(fake, method)
        return max(len(str(produce())) for _ in range(LENGTH_SAMPLES))


def _fits(length: int | None, size: int) -> bool:
    return length is None or size <= length


def _table_ok(rule_table: str | None, table: str) -> bool:
    return rule_table is None or re.search(rule_table, table.lower()) is not None


def _strings(table: str, name: str, col: dict[str, Any], locale: str) -> dict[str, Any]:
    length = col.get("varchar_length")
    for rule in FAKER_RULES:
        if re.search(rule.name, name) and _table_ok(rule.table, table):
            for method in rule.methods:
                fits = method in CUT_TO_LENGTH and (length is None or length >= MIN_PROSE_LENGTH)
                if faker_has_rule(locale, method) and (
                    fits or _fits(length, faker_max_length(locale, method))
                ):
                    return {"faker_rule": method}
            return {}
    for choice in CHOICE_RULES:
        if re.search(choice.name, name) and _table_ok(choice.table, table):
            for values, weights in choice.variants:
                if _fits(length, max(len(v) for v in values)):
                    return {"choices": list(values), "weights": list(weights)}
            return {}
    return _codes(name, col)


# Prose that reads fine cut at the column's length (generation cuts every value to fit).
CUT_TO_LENGTH = frozenset({"sentence"})
MIN_PROSE_LENGTH = 20
LONGEST_CODE = 12
_YES_NO = re.compile(r"(^|_)(is|has|can|was)_|(^|_)(active|enabled|deleted|valid|current)$")


def _codes(name: str, col: dict[str, Any]) -> dict[str, Any]:
    """CHAR(n) columns no name rule knows: yes/no flags, one-letter codes, n-character codes."""
    length = col.get("varchar_length")
    if col["data_type"] != "CHAR" or length is None:
        return {}
    if length == 1:
        if _YES_NO.search(name):
            return {"choices": ["Y", "N"], "weights": [0.7, 0.3]}
        return {"choices": ["A", "B", "C", "D"], "weights": [0.4, 0.3, 0.2, 0.1]}
    if length <= LONGEST_CODE:
        return {"pattern": ("?" if length <= 3 else "*") * length}
    return {}


def _numbers(name: str, col: dict[str, Any]) -> dict[str, Any]:
    kind = col["data_type"]
    whole = kind in INTEGER_TYPES or (kind == "DECIMAL" and (col.get("scale") or 0) == 0)
    for rule in RANGE_RULES:
        if not re.search(rule.name, name):
            continue
        bounds = rule.whole if whole else rule.fractional
        if bounds is None:
            return {}
        low, high = bounds
        if kind in INTEGER_LIMITS:
            high = min(high, INTEGER_LIMITS[kind])
        elif kind == "DECIMAL" and col.get("precision"):
            scale = col.get("scale") or 0
            largest = 10 ** (col["precision"] - scale) - 10.0**-scale
            high, low = min(high, largest), max(low, -largest)
        if low >= high:
            return {}
        proposal: dict[str, Any] = {"min_value": low, "max_value": high}
        if rule.law is not None:
            proposal["distribution"] = rule.law
        return proposal
    return {}


def _dates(name: str) -> dict[str, Any]:
    for rule in DATE_RULES:
        if re.search(rule.name, name):
            return {"date_start": rule.start.isoformat(), "date_end": rule.end.isoformat()}
    return {}


def snake_case(name: str) -> str:
    """`emailAddress` -> `email_address`, `Hire_Date` -> `hire_date`: names as rules expect."""
    return _CAMEL.sub("_", name).lower()


def infer_rules(table: str, col: dict[str, Any], locale: str = "en_US") -> dict[str, Any]:
    """Fields to add to a (non-key) column document, with `inferred` naming them; {} if none.

    >>> infer_rules("customers", {"name": "email", "data_type": "VARCHAR", "varchar_length": 120})
    {'faker_rule': 'email', 'inferred': ['faker_rule']}
    """
    name, kind = snake_case(col["name"]), col["data_type"]
    if kind in STRING_TYPES:
        proposal = _strings(table, name, col, locale)
    elif kind in INTEGER_TYPES or kind in ("DECIMAL", "FLOAT"):
        proposal = _numbers(name, col)
    elif kind in TEMPORAL_TYPES:
        proposal = _dates(name)
    else:
        proposal = {}
    if not proposal or any(col.get(field) is not None for field in proposal):
        return {}
    return {**proposal, "inferred": list(proposal)}
