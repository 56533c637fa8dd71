"""The figures of KPI entries as the reads and the rollups count them: money in whole cents,
the four sums together, and the canonical text a day's checksum covers."""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from bson import Decimal128

CENT = Decimal("0.01")
EMPTY_CHECKSUM = hashlib.sha256(b"").hexdigest()
DECIMAL128_EXPONENT_BIAS = 6176
EXACT_CENTS_DIGITS = 26  # times 100 within the default context's 28 digits, and below 2**113


def money_text(amount: Decimal) -> str:
    """An amount as the API writes it: to the cent (half-up), always two decimals: `1250.50`."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):f}"


def to_cents(amount: Decimal | Decimal128) -> int:
    """A stored amount (two decimals) as a whole number of cents."""
    value = amount.to_decimal() if isinstance(amount, Decimal128) else amount
    return int((value / CENT).to_integral_value(rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return Decimal(cents) * CENT


def stored_amount(amount: Decimal) -> Decimal128:
    """An amount to the cent as it is stored, built from its cents for the usual two decimals:
    bson's own conversion walks the digits in Python (5 µs an amount, 0.5 ms a 100-entry sync).
    IEEE 754-2008 BID: the sign, the exponent biased by 6176 and the 113-bit coefficient."""
    sign, digits, exponent = amount.as_tuple()
    if exponent != -2 or len(digits) > EXACT_CENTS_DIGITS:
        return Decimal128(amount)
    cents = abs(int(amount * 100))
    high = sign << 63 | (exponent + DECIMAL128_EXPONENT_BIAS) << 49 | cents >> 64
    low = cents & 0xFFFF_FFFF_FFFF_FFFF
    return Decimal128.from_bid(low.to_bytes(8, "little") + high.to_bytes(8, "little"))


class Figures(NamedTuple):
    """Sums over some entries: money in cents, the counts, and how many entries. A tuple: the
    projector adds and subtracts hundreds a fold, and a tuple is built three times faster than
    a frozen dataclass (0.28 against 0.91 µs)."""

    ca_cents: int = 0
    nb_ventes: int = 0
    nb_articles: int = 0
    prospects: int = 0
    entries: int = 0

    @classmethod
    def of_sums(cls, sums: Mapping[str, Any]) -> "Figures":
        """Sums read back from the database (absent fields count as zero)."""
        return cls(*(int(sums.get(name) or 0) for name in FIGURE_FIELDS))

    def __add__(self, other: "Figures") -> "Figures":  # type: ignore[override]
        return Figures(
            self.ca_cents + other.ca_cents,
            self.nb_ventes + other.nb_ventes,
            self.nb_articles + other.nb_articles,
            self.prospects + other.prospects,
            self.entries + other.entries,
        )

    def __sub__(self, other: "Figures") -> "Figures":
        return Figures(
            self.ca_cents - other.ca_cents,
            self.nb_ventes - other.nb_ventes,
            self.nb_articles - other.nb_articles,
            self.prospects - other.prospects,
            self.entries - other.entries,
        )

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.ca_cents, self.nb_ventes, self.nb_articles, self.prospects, self.entries)

    def as_fields(self) -> dict[str, int]:
        return dict(zip(FIGURE_FIELDS, self.as_tuple(), strict=True))

    @property
    def ca(self) -> Decimal:
        return from_cents(self.ca_cents)


FIGURE_FIELDS = ("ca_cents", "nb_ventes", "nb_articles", "prospects", "entries")


def packed(figures: Mapping[str, Figures]) -> str:
    """Figures by key as a month rollup keeps them: one JSON object, keys sorted, each value the
    figures in FIGURE_FIELDS order. SecantusDB reads one text far faster than a nested map."""
    by_key = {key: figures[key].as_tuple() for key in sorted(figures) if figures[key].entries}
    return json.dumps(by_key, separators=(",", ":"))


def packed_sums(text: str | None) -> dict[str, list[int]]:
    """The figures by key of `packed` text, as lists in FIGURE_FIELDS order (none if absent)."""
    sums: dict[str, list[int]] = json.loads(text or "{}")
    return sums


def unpacked(text: str | None) -> dict[str, Figures]:
    """The figures by key of `packed` text."""
    return {key: Figures(*values) for key, values in packed_sums(text).items()}


@dataclass(frozen=True)
class DayLine:
    """One seller's entry of a day: what the rollups sum and the day's checksum covers."""

    seller_id: str
    ca_journalier: Decimal
    nb_ventes: int
    nb_articles: int
    prospects: int

    @classmethod
    def of_document(cls, entry: Mapping[str, Any]) -> "DayLine":
        """A stored entry, as the driver returns it (one stored before prospects existed has
        none)."""
        amount = entry["ca_journalier"]
        return cls(
            seller_id=str(entry["seller_id"]),
            ca_journalier=amount.to_decimal() if isinstance(amount, Decimal128) else amount,
            nb_ventes=int(entry["nb_ventes"]),
            nb_articles=int(entry["nb_articles"]),
            prospects=int(entry.get("prospects", 0)),
        )

    @property
    def figures(self) -> Figures:
        """The entry's contribution to the sums."""
        return Figures(
            ca_cents=to_cents(self.ca_journalier),
            nb_ventes=self.nb_ventes,
            nb_articles=self.nb_articles,
            prospects=self.prospects,
            entries=1,
        )

    def canonical(self) -> str:
        """`seller_id|ca|nb_ventes|nb_articles|prospects` and a newline, ca as in money_text."""
        values = (self.nb_ventes, self.nb_articles, self.prospects)
        return "|".join([self.seller_id, money_text(self.ca_journalier), *map(str, values)]) + "\n"


def canonical_day(lines: Iterable[DayLine]) -> str:
    """What a day's checksum is taken over: one line per entry, sorted by seller_id."""
    return "".join(line.canonical() for line in sorted(lines, key=lambda line: line.seller_id))


def day_checksum(lines: Iterable[DayLine]) -> str:
    """SHA-256 (lowercase hex) of the UTF-8 canonical form of a day's entries."""
    return hashlib.sha256(canonical_day(lines).encode()).hexdigest()
