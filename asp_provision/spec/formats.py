"""Formats checked without any network look-up: e-mail, currency, country codes, text."""

from __future__ import annotations

import re
from functools import lru_cache

RESERVED_DOMAINS = frozenset({"test", "invalid", "localhost", "local", "onion", "arpa"})

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What no value of a spec may hold: control characters (a line break, an escape), line
and paragraph separators, and the bidirectional embeddings, overrides and isolates that
make text read other than it is stored. A value lands in configuration lines (a zone, a
firewall, cron) and on terminals."""

_NAMES = {
    "\n": "a line break",
    "\r": "a carriage return",
    "\t": "a tab",
    "\x1b": "an escape",
    "\x85": "a line break",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
}


def control_character(value: str) -> str | None:
    """Why ``value`` may not be used (its first control character), or None."""
    found = CONTROL.search(value)
    if found is None:
        return None
    char = found.group()
    code = ord(char)
    if char in _NAMES:
        what = f"{_NAMES[char]} (U+{code:04X})"
    elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        what = f"a bidirectional control character (U+{code:04X})"
    else:
        what = f"a control character (U+{code:04X})"
    return f"contains {what}; a value is one line of printable text"


# ISO 3166-1 alpha-2 country codes
_COUNTRIES_TEXT = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL "
    "BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV "
    "CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD "
    "GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM "
    "IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK "
    "LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW "
    "MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR "
    "PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS "
    "ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY "
    "UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
)
COUNTRIES = frozenset(_COUNTRIES_TEXT.split())

# member states of the European Union, for reverse-charge VAT
_EU_COUNTRIES_TEXT = (
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
)
EU_COUNTRIES = frozenset(_EU_COUNTRIES_TEXT.split())

# ISO 4217 active codes (funds and precious metals left out)
CURRENCIES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)


# A conservative subset of valid addresses (ASCII, dot-atom local part, LDH domain
# labels, alphabetic TLD). Anything it does not match goes through email-validator,
# whose import costs more than validating a whole spec does.
_PLAIN_EMAIL = re.compile(
    r"(?=.{6,254}$)(?=[^@]{1,64}@)[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63})",
    re.IGNORECASE,
)


@lru_cache(maxsize=65536)
def check_email(value: str) -> str:
    """Return the normalised address, or raise ValueError saying what is wrong."""
    plain = _PLAIN_EMAIL.fullmatch(value)
    if plain is not None:
        if plain.group(1).lower() in RESERVED_DOMAINS:
            raise ValueError(f"'{value}' uses a reserved domain that can never receive mail")
        return value
    import email_validator

    try:
        result = email_validator.validate_email(
            value,
            check_deliverability=False,
            allow_smtputf8=True,
            globally_deliverable=True,
        )
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"'{value}' is not a valid e-mail address: {exc}") from None
    if result.domain.rsplit(".", 1)[-1].lower() in RESERVED_DOMAINS:
        raise ValueError(f"'{value}' uses a reserved domain that can never receive mail")
    return str(result.normalized)
