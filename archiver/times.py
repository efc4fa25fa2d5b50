"""UTC timestamps as archiver writes them, each form made in one place.

`format_utc` / `utc_now`: the canonical form the index stores (comparing text compares time).
`iso_seconds`: RFC 3339 to the second (`2024-03-04T18:22:31Z`), for files people and tools read.
`iso_precise`: RFC 3339 with microseconds when there are any (WACZ page times).
`stamp`: compact, to the millisecond, for file names (`20240304T182231.250Z`). `digits14`: the 14 digits of Wayback and
CDX timestamps (`20240304182231`). `report_minute`: what a person reads (`2024-03-04 18:22 UTC`).
Each takes a datetime (naive = UTC already) and defaults to now.

Canonical form: `YYYY-MM-DDTHH:MM:SS.mmmZ` (millisecond precision, the precision of Twitter's
snowflake IDs). Posts whose time is known only to the day keep a bare `YYYY-MM-DD` in `posted_at`;
for filtering they cover the whole UTC day (see `posted_bounds`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

# A user-written bound: a date, or a date and time with optional seconds, fraction and offset.
# The time zone is only allowed with a time: "2024-03-04+02:00" means nothing.
_BOUND_RE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d{1,9})?)?"
    r"(?P<tz>Z|z|[+-]\d{2}:?\d{2})?)?"
)


def in_utc(moment: datetime) -> datetime | None:
    """`moment` in UTC (naive = UTC already); None when UTC has no such moment within the years 1 to
    9999 a datetime holds (`0001-01-01T00:00+05:00` falls in year 0, `9999-12-31T23:59-05:00` in
    year 10000): such a time, read from a page or a platform's data, is no date."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def _placed(moment: datetime) -> datetime:
    """`moment` in UTC; NoSuchMoment (a ValueError) when UTC has no such moment in years 1 to 9999."""
    utc = in_utc(moment)
    if utc is None:
        raise NoSuchMoment(f"{moment.isoformat()} falls outside the years 1 to 9999 in UTC")
    return utc


def format_utc(moment: datetime) -> str:
    """The canonical text of a datetime; a naive datetime is taken to be UTC already. NoSuchMoment
    (a ValueError) for a moment UTC cannot hold within the years 1 to 9999."""
    moment = _placed(moment)
    # The year written with four digits whatever the C library's %Y does (glibc writes year 99 as "99").
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def utc_now() -> str:
    """Now, in canonical form."""
    return format_utc(datetime.now(UTC))


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return _placed(moment)


def iso_seconds(moment: datetime | None = None) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` (now, by default)."""
    moment = _utc(moment)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"


def iso_precise(moment: datetime | None = None) -> str:
    """`YYYY-MM-DDTHH:MM:SS[.ffffff]Z`: microseconds only when there are some."""
    moment = _utc(moment)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S.%f}Z" if moment.microsecond else iso_seconds(moment)


def stamp(moment: datetime | None = None) -> str:
    """`YYYYMMDDTHHMMSS.mmmZ`, for file names (ISO 8601's basic form, to the millisecond)."""
    moment = _utc(moment)
    return f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z"


def digits14(moment: datetime | None = None) -> str:
    """`YYYYMMDDHHMMSS`, the timestamps of the Wayback Machine and of CDX lines."""
    return f"{_utc(moment):%Y%m%d%H%M%S}"


def cdxj_timestamp(warc_date: str) -> str:
    """The timestamp an index line of an export gives a record of `warc_date` (a WARC-Date): its 14
    digits, then its milliseconds when it has a fraction of a second; "" for a date that cannot be
    read. ReplayWeb.page reads the 15th to 17th digits as milliseconds; pywb reads the first 14."""
    from warcio.timeutils import iso_date_to_timestamp

    try:
        stamp = str(iso_date_to_timestamp(warc_date))
    except (ValueError, TypeError, IndexError, OverflowError):  # (OverflowError: a date of 14 digits alone)
        return ""
    return stamp + (warc_millis(warc_date) or "")


def warc_millis(warc_date: str) -> str | None:
    """The milliseconds of `warc_date` as 3 digits (its fraction cut to them, padded), or None when
    it gives whole seconds."""
    match = _FRACTION.search(warc_date)
    return (match.group(1) + "00")[:3] if match else None


# A WARC-Date's fraction of a second: what follows the seconds (`...:SS.ffffff`, then `Z` or an offset).
_FRACTION = re.compile(r"T\d\d:\d\d:\d\d[.,](\d+)")


def report_minute(moment: datetime | None = None) -> str:
    """`YYYY-MM-DD HH:MM UTC`, for people."""
    return f"{_utc(moment):%Y-%m-%d %H:%M} UTC"


def from_epoch_ms(ms: int) -> str:
    """Milliseconds since the epoch in canonical form."""
    return format_utc(datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=(ms % 1000) * 1000))


def is_bare_date(value: str) -> bool:
    """True for a valid `YYYY-MM-DD` and nothing else."""
    if not _DATE_RE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _iso_datetime(text: str) -> datetime | None:
    """`text` read as an ISO 8601 datetime (naive = UTC), whether or not UTC can hold it; None when it
    is no ISO datetime (a bare date included)."""
    if not text or is_bare_date(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_timestamp(value: str) -> datetime | None:
    """An ISO 8601 datetime (with `Z`, an offset, or naive = UTC) as an aware datetime; None otherwise,
    and None for one UTC cannot hold within the years 1 to 9999 (`0001-01-01T00:00:00+05:00`)."""
    moment = _iso_datetime(value.strip())
    return moment if moment is not None and in_utc(moment) is not None else None


def normalise_timestamp(value: str) -> str:
    """Canonical form of an ISO 8601 datetime; ValueError when it is not one."""
    moment = parse_timestamp(value)
    if moment is None:
        raise ValueError(f"not an ISO 8601 datetime: {value!r}")
    return format_utc(moment)


def normalise_posted_at(value: str | None) -> str | None:
    """A bare date stays a bare date, a datetime becomes canonical UTC, anything else is kept as given;
    a datetime UTC cannot hold within the years 1 to 9999 is no date (None)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if is_bare_date(text):
        return text
    moment = _iso_datetime(text)
    if moment is None:
        return value
    utc = in_utc(moment)
    return format_utc(utc) if utc is not None else None


def posted_bounds(posted_at: str | None) -> tuple[str | None, str | None]:
    """The earliest and latest instant `posted_at` can stand for: a whole UTC day for a bare date."""
    if posted_at is None:
        return None, None
    text = posted_at.strip()
    if is_bare_date(text):
        return f"{text}T00:00:00.000Z", f"{text}T23:59:59.999Z"
    moment = parse_timestamp(text)
    if moment is None:
        return None, None
    canonical = format_utc(moment)
    return canonical, canonical


def is_more_precise(new: str, old: str) -> bool:
    """True when `new` says more than `old`: a full time over a bare date (the full time comes from
    the ID or the platform's data, the date from a localized signature that may even name the
    previous day), or a time to the millisecond over the same time to the second (the time a
    post's ID encodes over one a page printed)."""
    if is_bare_date(old.strip()):
        return parse_timestamp(new) is not None
    fine, coarse = parse_timestamp(new), parse_timestamp(old)
    return (fine is not None and coarse is not None and coarse.microsecond == 0 and fine.microsecond != 0
            and fine.replace(microsecond=0) == coarse)


class NoSuchMoment(ValueError):
    """A bound written in the right form that names no moment this tool can place: a date not on
    the calendar (2024-02-30), a time of day that does not exist (10:61), or one past year 9999
    (also what `format_utc` and the other formatters raise for a moment UTC cannot hold).
    Its message says which."""


def parse_bound(value: str, *, end: bool) -> str:
    """A user-written lower (end=False) or upper (end=True) bound in canonical form.

    An upper bound includes the whole unit written: `2024-03-04` runs to 23:59:59.999,
    `2024-03-04T10:15` to 10:15:59.999, `...T10:15:30` to 10:15:30.999. ValueError when unreadable,
    NoSuchMoment when written right but naming no moment.
    """
    match = _BOUND_RE.fullmatch(value.strip())
    if not match:
        raise ValueError(value)
    year, month, day = (int(part) for part in match["date"].split("-"))
    try:
        date(year, month, day)
    except ValueError as e:
        raise NoSuchMoment(f"no such date: {match['date']} ({e})") from None
    if match["hour"] is None:
        start = datetime(year, month, day, tzinfo=UTC)
        unit = timedelta(days=1)
    else:
        tz: tzinfo = UTC
        if match["tz"] and match["tz"].upper() != "Z":
            sign = 1 if match["tz"][0] == "+" else -1
            digits = match["tz"][1:].replace(":", "")
            tz_offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if tz_offset >= timedelta(hours=24):
                raise ValueError(value)
            tz = timezone(sign * tz_offset)
        micro = int((match["fraction"] or ".0")[1:7].ljust(6, "0"))
        try:
            start = datetime(
                year, month, day, int(match["hour"]), int(match["minute"]), int(match["second"] or 0), micro,
                tzinfo=tz,
            )
        except ValueError as e:
            raise NoSuchMoment(f"no such time: {value.strip()} ({e})") from None
        if match["fraction"]:
            # `...59.9` names a tenth of a second, as `...59` names a second: to the millisecond at most.
            unit = timedelta(milliseconds=10 ** max(0, 4 - len(match["fraction"])))
        elif match["second"]:
            unit = timedelta(seconds=1)
        else:
            unit = timedelta(minutes=1)
    if not end and start.microsecond % 1000:
        # Times are held to the millisecond: `...17.6491` is first met at `...17.650`.
        start += timedelta(microseconds=1000 - start.microsecond % 1000)
    try:
        return format_utc(start + (unit - timedelta(milliseconds=1)) if end else start)
    except (OverflowError, NoSuchMoment):  # in UTC it falls before year 1 or after 9999
        raise NoSuchMoment(f"{value.strip()} runs past the years 1 to 9999 this tool handles") from None

