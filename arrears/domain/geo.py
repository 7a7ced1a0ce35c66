"""Where a customer may be: zones from a phone number, countries from a zone.

Small tables, deliberately: they cover the portfolios we serve and say "unknown"
otherwise (the account's own zone then stands alone). A phone whose zone
differs from the billing address's makes the location ambiguous, and the
contact window must then hold in both (Regulation F comment 6(b)(1)(i)-2).
"""

# Single-zone country codes, and North American area codes by zone.
_COUNTRY_CODES = {"86": "Asia/Shanghai", "44": "Europe/London", "852": "Asia/Hong_Kong", "65": "Asia/Singapore"}
_NANP_AREAS = {
    "America/New_York": ("212", "332", "347", "646", "718", "917", "929", "617", "305", "404", "202"),
    "America/Chicago": ("312", "773", "872", "214", "713", "512"),
    "America/Denver": ("303", "720", "801"),
    "America/Phoenix": ("480", "602", "623"),
    "America/Los_Angeles": ("213", "310", "323", "415", "510", "628", "650", "206", "503", "702"),
    "Pacific/Honolulu": ("808",),
    "America/Anchorage": ("907",),
}
_AREA_ZONE = {area: zone for zone, areas in _NANP_AREAS.items() for area in areas}

_ZONE_COUNTRY_PREFIX = (
    ("America/", "US"),
    ("Pacific/Honolulu", "US"),
    ("Europe/London", "GB"),
    ("Asia/Hong_Kong", "HK"),
    ("Asia/Singapore", "SG"),
    ("Asia/Shanghai", "CN"),
    ("Asia/Urumqi", "CN"),
)


def phone_zone(phone: str) -> str | None:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not phone.strip().startswith("+"):
        return None
    if digits.startswith("1") and len(digits) >= 4:
        return _AREA_ZONE.get(digits[1:4])
    for length in (3, 2):
        zone = _COUNTRY_CODES.get(digits[:length])
        if zone:
            return zone
    return None


def zone_country(zone: str) -> str | None:
    for prefix, country in _ZONE_COUNTRY_PREFIX:
        if zone.startswith(prefix):
            return country
    return None


# Channels that reach the person wherever the phone is: a call, a text, an IM and an email all
# communicate when sent (comment 6(b)(1)(i)-1), so the time must suit every location the record
# suggests, the phone's included (comment 6(b)(1)(i)-2). A letter is read, and a visit made, at the
# address: the account's zone is where those happen.
LOCATED_BY_PHONE = frozenset({"call", "sms", "im", "email"})


def possible_zones(account_zone: str, phone: str, channel: str) -> tuple[str, ...]:
    """The account's zone, and the phone's where it differs (for channels that reach the person by phone or online)."""
    if channel not in LOCATED_BY_PHONE:
        return (account_zone,)
    return zones_for(account_zone, [phone])


def zones_for(account_zone: str, phones: list[str]) -> tuple[str, ...]:
    """Every zone the person may be in: the account's first, then each phone's that differs."""
    zones = [account_zone]
    for phone in phones:
        other = phone_zone(phone)
        # A +86 number says only "China": within China the account's own zone is the better answer.
        if other and other not in zones and not (zone_country(other) == zone_country(account_zone) == "CN"):
            zones.append(other)
    return tuple(zones)
