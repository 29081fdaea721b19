"""Custom methods from TOML, YAML or JSON files, validated with errors that name the key.

A file states a whole method, or starts from a preset (``based_on``) and overrides keys::

    name = "acme-medicaid-2025"
    based_on = "medicaid"
    paths = ["self_selection", "claims", "geographic"]   # selections outrank claims

    [[passes]]
    months = 12
    buckets = ["pcp", "npp"]          # or "any"
    services = "primary_care"         # or "any"
    description = "12-month PCP/NPP primary care"
    weights = [[6, 3], [12, 2]]       # optional: recent 6 months weigh 3, months 7-12 weigh 2

    [gate]                            # optional pre-step for passes without `requires`
    months = 12
    buckets = ["pcp"]
    services = "primary_care"
    participants_only = false

    [gates.npp_12]                    # named conditions for `requires` (also: gate = "name")
    months = 12
    buckets = ["npp"]
    services = "primary_care"

    [[passes]]                        # a pass with its own requirement and first year
    months = 24
    buckets = ["pcp", "npp"]
    services = "primary_care"
    description = "24-month primary care, NPP seen in 12 months"
    requires = ["npp_12", "not gate"]  # all must hold; "not NAME" must not; [] = no gate
    from_year = 2025

    [value_sets]                      # optional
    edition = 2025
    extra_primary_care_codes = ["99439"]

    [[setting_exclusions]]            # optional; [] switches the preset's off
    name = "snf"
    hcpcs = ["99304", "99305"]        # not primary care when furnished in the setting:
    places_of_service = ["31"]        # on a line with this place of service, or
    bill_type_prefixes = ["21", "22"] # within a facility claim with such a bill type

Keys: name, based_on, unit (npi|aco), paths, ranking (allowed_amount_desc, visits_desc,
last_service_desc), eligibility_months, fqhc_revenue_codes, year_anchor_offset_months, check_npi,
year_anchors (year → date), passes (months, buckets, services, description, weights, requires,
from_year), gate (a table, a gate name, or false), gates (name → table), the line options
(true/false: service_date_start_only, collapse_duplicates, drop_reversed_claims,
directory_required, visits_from_encounters, yearly_fallback_eligibility_window,
code_lists_by_year; text:
unknown_bucket_label), fallback (provider_id, provider_bucket, prov_specialty,
step_description), value_sets (edition, primary_care_codes, extra_primary_care_codes),
setting_exclusions (name, hcpcs, places_of_service, bill_type_prefixes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path as FilePath
from typing import Any, TypeVar

from provider_attribution.model.method import (
    PRESETS,
    Fallback,
    Gate,
    Method,
    Pass,
    Path,
    RankKey,
    Requirement,
    Services,
    SettingExclusion,
    Unit,
)
from provider_attribution.model.valuesets import BUCKETS, ValueSets

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

E = TypeVar("E", bound=Enum)
T = TypeVar("T")

# The method's true/false line options (docs/METHOD.md, "Line options").
_FLAG_KEYS = (
    "check_npi",
    "service_date_start_only",
    "collapse_duplicates",
    "drop_reversed_claims",
    "directory_required",
    "visits_from_encounters",
    "yearly_fallback_eligibility_window",
    "code_lists_by_year",
)

_TOP_KEYS = {
    *_FLAG_KEYS,
    "unknown_bucket_label",
    "name",
    "based_on",
    "unit",
    "paths",
    "ranking",
    "eligibility_months",
    "fqhc_revenue_codes",
    "year_anchor_offset_months",
    "year_anchors",
    "passes",
    "gate",
    "gates",
    "fallback",
    "value_sets",
    "setting_exclusions",
}


class MethodFileError(ValueError):
    """A method file that cannot be used; the message names the file, key and problem."""


@dataclasses.dataclass(frozen=True)
class LoadedMethod:
    """A method read from a file, with the value sets it asks for (None: the default)."""

    method: Method
    valuesets: ValueSets | None


def _fail(where: str, problem: str) -> MethodFileError:
    return MethodFileError(f"{where}: {problem}")


def _check_keys(where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")


def _enum(where: str, kind: type[E], value: Any) -> E:
    try:
        return kind(value)
    except ValueError:
        choices = [e.value for e in kind]
        raise _fail(where, f"{value!r} is not one of {choices}") from None


def _int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"expected an integer, got {value!r}")
    return value


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"expected true or false, got {value!r}")
    return value


def _strings(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, f"expected a list of strings, got {value!r}")
    return value


def _buckets(where: str, value: Any) -> frozenset[str] | None:
    if value is None or value == "any":
        return None
    names = _strings(where, value)
    bad = [n for n in names if n not in (*BUCKETS, "unknown")]
    if bad:
        raise _fail(where, f'{bad} are not buckets; use {[*BUCKETS, "unknown"]} or "any"')
    return frozenset(names)


def _guard(where: str, build: Callable[[], T]) -> T:
    try:
        return build()
    except MethodFileError:
        raise
    except (ValueError, TypeError, LookupError) as error:
        raise _fail(where, str(error)) from None


def _requires(where: str, value: Any, gates: Mapping[str, Gate]) -> tuple[Requirement, ...]:
    """``["name", "not name", ...]`` → requirements on the named gates."""
    result = []
    for i, item in enumerate(_strings(where, value)):
        words = item.split()
        negated = len(words) == 2 and words[0] == "not"
        name = words[-1] if words else ""
        if len(words) != (2 if negated else 1) or name not in gates:
            raise _fail(
                f"{where}[{i}]",
                f"{item!r} is not a gate name or 'not NAME'; gates: {sorted(gates)}",
            )
        result.append(Requirement(gates[name], negated=negated))
    return tuple(result)


def _pass(where: str, data: Any, gates: Mapping[str, Gate]) -> Pass:
    if not isinstance(data, Mapping):
        raise _fail(where, f"expected a table, got {data!r}")
    allowed = {"months", "buckets", "services", "description", "weights", "requires", "from_year"}
    _check_keys(where, data, allowed)
    for required in ("months", "services", "description"):
        if required not in data:
            raise _fail(where, f"missing key {required!r}")
    weights = data.get("weights")
    segments = None
    if weights is not None:
        if not isinstance(weights, list) or not all(
            isinstance(w, list) and len(w) == 2 for w in weights
        ):
            raise _fail(f"{where}.weights", f"expected [[months, weight], ...], got {weights!r}")
        segments = tuple(
            (_int(f"{where}.weights", m), _int(f"{where}.weights", w)) for m, w in weights
        )
    return _guard(
        where,
        lambda: Pass(
            months=_int(f"{where}.months", data["months"]),
            buckets=_buckets(f"{where}.buckets", data.get("buckets", "any")),
            services=_enum(f"{where}.services", Services, data["services"]),
            description=str(data["description"]),
            weights=segments,
            requires=(
                _requires(f"{where}.requires", data["requires"], gates)
                if "requires" in data
                else None
            ),
            from_year=(
                _int(f"{where}.from_year", data["from_year"]) if "from_year" in data else None
            ),
        ),
    )


def _gate(where: str, data: Any, name: str = "gate") -> Gate:
    if not isinstance(data, Mapping):
        raise _fail(where, f"expected a table, got {data!r}")
    _check_keys(where, data, {"months", "buckets", "services", "participants_only"})
    return _guard(
        where,
        lambda: Gate(
            months=_int(f"{where}.months", data.get("months")),
            buckets=_buckets(f"{where}.buckets", data.get("buckets", "any")),
            services=_enum(f"{where}.services", Services, data.get("services")),
            participants_only=_bool(
                f"{where}.participants_only", data.get("participants_only", True)
            ),
            name=name,
        ),
    )


def _named_gates(where: str, data: Mapping[str, Any], base: Method | None) -> dict[str, Gate]:
    """Gates a file can name: the base preset's, then the file's ``[gates.NAME]`` tables."""
    gates: dict[str, Gate] = {}
    if base is not None:
        gates.update({g.name: g for g in base.conditions})
        if base.gate is not None and "gate" not in data:
            gates["gate"] = base.gate
    if "gates" in data:
        table = data["gates"]
        if not isinstance(table, Mapping):
            raise _fail(f"{where}.gates", f"expected a table of name = gate, got {table!r}")
        for name, spec in table.items():
            if not str(name).isidentifier() or name == "not":
                raise _fail(f"{where}.gates.{name}", "gate names are words (letters, digits, _)")
            gates[name] = _gate(f"{where}.gates.{name}", spec, name)
    return gates


def _method_gate(where: str, value: Any, gates: Mapping[str, Gate]) -> Gate | None:
    """``gate``: false (none), a gate name, or a table."""
    if value is False:
        return None
    if isinstance(value, str):
        if value not in gates:
            raise _fail(where, f"unknown gate {value!r}; gates: {sorted(gates)}")
        return gates[value]
    return _gate(where, value)


def _setting_exclusion(where: str, data: Any) -> SettingExclusion:
    if not isinstance(data, Mapping):
        raise _fail(where, f"expected a table, got {data!r}")
    _check_keys(where, data, {"name", "hcpcs", "places_of_service", "bill_type_prefixes"})
    for required in ("name", "hcpcs"):
        if required not in data:
            raise _fail(where, f"missing key {required!r}")

    def codes(key: str, upper: bool = False) -> frozenset[str]:
        found = [c.strip() for c in _strings(f"{where}.{key}", data.get(key, []))]
        return frozenset(c.upper() if upper else c for c in found)

    return _guard(
        where,
        lambda: SettingExclusion(
            name=str(data["name"]),
            hcpcs=codes("hcpcs", upper=True),
            places_of_service=codes("places_of_service"),
            bill_type_prefixes=codes("bill_type_prefixes"),
        ),
    )


def _anchors(where: str, data: Any) -> dict[int, dt.date]:
    if not isinstance(data, Mapping):
        raise _fail(where, f"expected a table of year = date, got {data!r}")
    result = {}
    for year, day in data.items():
        try:
            result[int(year)] = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        except (TypeError, ValueError):
            raise _fail(f"{where}.{year}", f"expected YYYY-MM-DD, got {day!r}") from None
    return result


def _valuesets(where: str, data: Any) -> ValueSets:
    if not isinstance(data, Mapping):
        raise _fail(where, f"expected a table, got {data!r}")
    _check_keys(where, data, {"edition", "primary_care_codes", "extra_primary_care_codes"})
    edition = data.get("edition")
    sets = _guard(
        where,
        lambda: ValueSets.for_year(None if edition is None else _int(f"{where}.edition", edition)),
    )
    if "primary_care_codes" in data:
        sets = sets.with_primary_care_codes(
            _strings(f"{where}.primary_care_codes", data["primary_care_codes"])
        )
    if "extra_primary_care_codes" in data:
        extra = _strings(f"{where}.extra_primary_care_codes", data["extra_primary_care_codes"])
        sets = sets.with_primary_care_codes([*sets.primary_care_hcpcs, *extra])
    return sets


def method_from_dict(data: Mapping[str, Any], where: str = "method") -> LoadedMethod:
    """Build and validate a method from plain data (see the module docstring)."""
    _check_keys(where, data, _TOP_KEYS)
    base: Method | None = None
    if "based_on" in data:
        if data["based_on"] not in PRESETS:
            raise _fail(
                f"{where}.based_on", f"unknown preset {data['based_on']!r}; {sorted(PRESETS)}"
            )
        base = PRESETS[data["based_on"]]
    elif "passes" not in data:
        raise _fail(where, "give passes, or based_on a preset")
    if "name" not in data:
        raise _fail(where, "missing key 'name'")
    fields: dict[str, Any] = {"name": str(data["name"])}
    gates = _named_gates(where, data, base)
    if "gate" in data:
        fields["gate"] = _method_gate(f"{where}.gate", data["gate"], gates)
        if fields["gate"] is not None:
            gates["gate"] = fields["gate"]
    if "passes" in data:
        passes = data["passes"]
        if not isinstance(passes, list) or not passes:
            raise _fail(f"{where}.passes", "expected a non-empty list of tables")
        fields["passes"] = tuple(
            _pass(f"{where}.passes[{i}]", p, gates) for i, p in enumerate(passes)
        )
    if "unit" in data:
        fields["unit"] = _enum(f"{where}.unit", Unit, data["unit"])
    if "paths" in data:
        fields["paths"] = tuple(
            _enum(f"{where}.paths", Path, p) for p in _strings(f"{where}.paths", data["paths"])
        )
    if "ranking" in data:
        fields["ranking"] = tuple(
            _enum(f"{where}.ranking", RankKey, r)
            for r in _strings(f"{where}.ranking", data["ranking"])
        )
    if "eligibility_months" in data:
        fields["eligibility_months"] = _int(
            f"{where}.eligibility_months", data["eligibility_months"]
        )
    if "fqhc_revenue_codes" in data:
        codes = _strings(f"{where}.fqhc_revenue_codes", data["fqhc_revenue_codes"])
        fields["fqhc_revenue_codes"] = frozenset(c.strip() for c in codes)
    if "year_anchor_offset_months" in data:
        fields["year_anchor_offset_months"] = _int(
            f"{where}.year_anchor_offset_months", data["year_anchor_offset_months"]
        )
    if "year_anchors" in data:
        fields["year_anchors"] = _anchors(f"{where}.year_anchors", data["year_anchors"])
    for flag in _FLAG_KEYS:
        if flag in data:
            fields[flag] = _bool(f"{where}.{flag}", data[flag])
    if "unknown_bucket_label" in data:
        label = data["unknown_bucket_label"]
        if not isinstance(label, str):
            raise _fail(f"{where}.unknown_bucket_label", f"expected text, got {label!r}")
        fields["unknown_bucket_label"] = label
    if "setting_exclusions" in data:
        rules = data["setting_exclusions"]
        if not isinstance(rules, list):
            raise _fail(f"{where}.setting_exclusions", f"expected a list of tables, got {rules!r}")
        fields["setting_exclusions"] = tuple(
            _setting_exclusion(f"{where}.setting_exclusions[{i}]", r) for i, r in enumerate(rules)
        )
    if "fallback" in data:
        fb = data["fallback"]
        if not isinstance(fb, Mapping):
            raise _fail(f"{where}.fallback", f"expected a table, got {fb!r}")
        allowed = {f.name for f in dataclasses.fields(Fallback)}
        _check_keys(f"{where}.fallback", fb, allowed)
        fields["fallback"] = Fallback(**{k: str(v) for k, v in fb.items()})
    if base is not None:
        method = _guard(where, lambda: dataclasses.replace(base, **fields))
    else:
        method = _guard(where, lambda: Method(**fields))
    valuesets = (
        _valuesets(f"{where}.value_sets", data["value_sets"]) if "value_sets" in data else None
    )
    return LoadedMethod(method, valuesets)


def load_method(path: str | FilePath) -> LoadedMethod:
    """Read a method file: ``.toml``, ``.yaml``/``.yml`` or ``.json``."""
    path = FilePath(path)
    where = f"method file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise _fail(where, f"cannot be read ({error.strerror})") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix in {".yaml", ".yml"}:
            import yaml

            data = yaml.safe_load(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            raise _fail(where, "use a .toml, .yaml, .yml or .json file")
    except MethodFileError:
        raise
    except Exception as error:
        raise _fail(where, f"is not valid {suffix[1:].upper()}: {error}") from None
    if not isinstance(data, Mapping):
        raise _fail(where, "the top level must be a table of keys")
    return method_from_dict(data, where)


def resolve_method(name_or_path: str) -> LoadedMethod:
    """A preset by name, or a method file by path."""
    if name_or_path in PRESETS:
        return LoadedMethod(PRESETS[name_or_path], None)
    if FilePath(name_or_path).suffix.lower() in {".toml", ".yaml", ".yml", ".json"}:
        return load_method(name_or_path)
    raise MethodFileError(
        f"unknown method {name_or_path!r}: use one of {sorted(PRESETS)} or a "
        ".toml/.yaml/.json method file"
    )
