"""Rule inference on DDL import: one assertion per rule."""

from __future__ import annotations

from typing import Any

import pytest

from dwsim_shared.ddl import import_ddl
from dwsim_shared.ddl.inference import CHOICE_RULES, FAKER_RULES, faker_max_length, infer_rules
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation.faker_pools import faker_has_rule


def col(name: str, data_type: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "data_type": data_type, **fields}


def faker(table: str, name: str, length: int | None = 100, kind: str = "VARCHAR") -> str | None:
    return infer_rules(table, col(name, kind, varchar_length=length)).get("faker_rule")


def test_email() -> None:
    assert infer_rules("users", col("email", "VARCHAR", varchar_length=120)) == {
        "faker_rule": "email", "inferred": ["faker_rule"],
    }  # fmt: skip


def test_first_and_last_name() -> None:
    assert (faker("users", "first_name"), faker("users", "LastName")) == ("first_name", "last_name")


def test_full_name_only_in_a_table_of_people() -> None:
    assert (faker("customer", "c_name"), faker("products", "name")) == ("name", None)


def test_company_names_in_a_table_of_companies() -> None:
    assert (faker("accounts", "company_name"), faker("vendors", "name")) == ("company", "company")


def test_phone_falls_back_to_a_shorter_format() -> None:
    assert (faker("t", "phone", 30), faker("t", "c_phone", 15)) == (
        "phone_number", "basic_phone_number",
    )  # fmt: skip


def test_city() -> None:
    assert faker("stores", "city") == "city"


def test_country_fits_the_length() -> None:
    assert (faker("t", "country", 60), faker("t", "country", 2)) == ("country", "country_code")


def test_country_code() -> None:
    assert faker("t", "country_code", 2, kind="CHAR") == "country_code"


def test_company() -> None:
    assert faker("t", "employer") == "company"


def test_url_and_path() -> None:
    assert (faker("t", "website"), faker("t", "page_path")) == ("url", "uri_path")


def test_ip_addresses() -> None:
    assert (faker("t", "ip_address", 45), faker("t", "client_ipv6", 45)) == ("ipv4", "ipv6")


def test_postcode_and_street() -> None:
    assert (faker("t", "zip_code"), faker("t", "street_address")) == ("postcode", "street_address")


def test_currency_code() -> None:
    assert faker("t", "currency", 3, kind="CHAR") == "currency_code"


def test_free_text_gets_a_sentence_cut_to_its_length() -> None:
    assert (faker("t", "comment", 117), faker("t", "comment", 20)) == ("sentence", "sentence")
    assert faker("t", "comment", 12) is None  # too short to read as prose


def test_dates_get_a_recent_range() -> None:
    assert infer_rules("orders", col("order_date", "DATE")) == {
        "date_start": "2022-01-01", "date_end": "2024-12-31",
        "inferred": ["date_start", "date_end"],
    }  # fmt: skip


def test_timestamps_named_at() -> None:
    assert infer_rules("t", col("created_at", "TIMESTAMPTZ"))["inferred"] == [
        "date_start", "date_end",
    ]  # fmt: skip


def test_birth_dates_are_in_the_past() -> None:
    assert infer_rules("people", col("birth_date", "DATE"))["date_end"] == "2006-12-31"


def test_a_date_named_column_of_another_type_gets_nothing() -> None:
    assert infer_rules("t", col("created_date", "VARCHAR", varchar_length=20)) == {}


def test_amounts_are_positive_lognormal_within_the_scale() -> None:
    assert infer_rules("t", col("total_amount", "DECIMAL", precision=12, scale=2)) == {
        "min_value": 0.01, "max_value": 100000.0,
        "distribution": {"type": "lognormal", "parameters": {"mean": 4.6, "sigma": 1.2}},
        "inferred": ["min_value", "max_value", "distribution"],
    }  # fmt: skip
    small = infer_rules("t", col("total_amount", "DECIMAL", precision=5, scale=2))
    assert small["max_value"] == 999.99


def test_prices_and_quantities_have_long_tails() -> None:
    price = infer_rules("t", col("unit_price", "FLOAT"))
    assert (price["max_value"], price["distribution"]["type"]) == (10000, "lognormal")
    units = infer_rules("t", col("units_sold", "INT"))
    assert (units["min_value"], units["max_value"], units["distribution"]["type"]) == (
        1,
        100,
        "lognormal",
    )
    assert infer_rules("t", col("visit_count", "INT"))["min_value"] == 0


def test_rates_and_percentages_by_name() -> None:
    assert infer_rules("t", col("return_rate", "FLOAT"))["max_value"] == 1.0
    assert infer_rules("t", col("discount_pct", "FLOAT"))["max_value"] == 100.0


def test_amount_ranges_fit_the_decimal_precision() -> None:
    assert infer_rules("t", col("amount", "DECIMAL", precision=5, scale=2))["max_value"] == 999.99


def test_quantities() -> None:
    assert infer_rules("t", col("quantity", "INT"))["min_value"] == 1


def test_rates_are_fractions() -> None:
    assert (
        infer_rules("t", col("l_discount", "DECIMAL", precision=15, scale=2))["max_value"] == 0.25
    )


def test_status_columns_get_choices() -> None:
    assert infer_rules("customers", col("status", "VARCHAR", varchar_length=10)) == {
        "choices": ["active", "inactive", "pending", "closed"],
        "weights": [0.7, 0.1, 0.1, 0.1],
        "inferred": ["choices", "weights"],
    }


def test_order_status_choices() -> None:
    choices = infer_rules("orders", col("o_orderstatus", "CHAR", varchar_length=1))["choices"]
    assert choices == ["F", "O", "P"]


def test_choices_fit_varchar_length() -> None:
    assert infer_rules("t", col("gender", "CHAR", varchar_length=1))["choices"] == ["F", "M", "X"]


def test_respects_varchar_length() -> None:
    """Nothing at all when no value set or Faker rule fits the column."""
    assert infer_rules("t", col("email", "VARCHAR", varchar_length=8)) == {}


def test_a_rule_already_set_is_kept() -> None:
    assert infer_rules("t", col("status", "VARCHAR", varchar_length=10, choices=["a"])) == {}


def test_columns_without_a_known_name_get_nothing() -> None:
    assert infer_rules("t", col("p_container", "VARCHAR", varchar_length=10)) == {}
    assert infer_rules("t", col("p_mfgr", "CHAR", varchar_length=25)) == {}


def test_char_codes_have_exactly_their_length() -> None:
    assert infer_rules("t", col("region", "CHAR", varchar_length=3))["pattern"] == "???"
    assert infer_rules("t", col("p_container", "CHAR", varchar_length=10))["pattern"] == "*" * 10
    assert infer_rules("t", col("is_member", "CHAR", varchar_length=1))["choices"] == ["Y", "N"]
    assert infer_rules("t", col("grade", "CHAR", varchar_length=1))["choices"] == [
        "A",
        "B",
        "C",
        "D",
    ]


def test_every_faker_rule_exists_in_faker() -> None:
    for rule in FAKER_RULES:
        assert all(faker_has_rule("en_US", m) for m in rule.methods), rule


def test_every_choice_set_has_one_weight_per_value() -> None:
    for rule in CHOICE_RULES:
        assert all(len(values) == len(weights) for values, weights in rule.variants), rule


def test_faker_lengths_are_measured() -> None:
    assert faker_max_length("en_US", "country_code") == 2


def test_locale_specific_rules_are_checked_in_that_locale() -> None:
    assert infer_rules("t", col("state", "VARCHAR", varchar_length=40), "ja_JP") == {}


def test_does_not_infer_on_key_or_foreign_key_columns() -> None:
    sql = """
    CREATE TABLE customers (email VARCHAR(100) PRIMARY KEY, status VARCHAR(10) UNIQUE,
                            created_at DATE, country CHAR(2), updated_at DATE,
                            UNIQUE (country, updated_at));
    CREATE TABLE orders (order_date DATE, email VARCHAR(100) REFERENCES customers (email),
                         amount DECIMAL(10,2), PRIMARY KEY (order_date, amount));
    """
    exp = import_ddl(sql, "redshift", name="shop").experiment
    inferred = {(t.name, c.name): c.inferred for t in exp.tables for c in t.columns}
    assert inferred == {
        ("customers", "email"): None, ("customers", "status"): None,
        ("customers", "created_at"): ["date_start", "date_end"],
        ("customers", "country"): None, ("customers", "updated_at"): None,
        ("orders", "order_date"): None, ("orders", "email"): None, ("orders", "amount"): None,
    }  # fmt: skip


def test_does_not_infer_on_sequences() -> None:
    sql = "CREATE TABLE t (quantity INT IDENTITY(1,1), total INT);"
    [quantity, total] = import_ddl(sql, "redshift", name="shop").experiment.tables[0].columns
    assert (quantity.inferred, total.inferred) == (None, ["min_value", "max_value", "distribution"])


def test_inferred_rules_make_a_valid_experiment() -> None:
    columns = [
        col("email", "VARCHAR", varchar_length=40), col("status", "CHAR", varchar_length=1),
        col("price", "DECIMAL", precision=4, scale=2), col("year", "SMALLINT"),
        col("created_at", "TIMESTAMP"), col("phone", "VARCHAR", varchar_length=13),
    ]  # fmt: skip
    for c in columns:
        c.update(infer_rules("customers", c))
    assert all(c.get("inferred") for c in columns)
    parse_experiment({"name": "x", "tables": [{"name": "customers", "columns": columns}]})


@pytest.mark.parametrize("kind", ["BOOLEAN", "VARIANT", "SUPER", "TIME"])
def test_types_without_rules(kind: str) -> None:
    assert infer_rules("t", col("status_flag_date", kind)) == {}
