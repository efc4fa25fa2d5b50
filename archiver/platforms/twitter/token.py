"""The syndication token Twitter's embed computes in JavaScript, reproduced bit for bit.

react-tweet (and the real Tweet.html) compute
``((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\\.)/g, '')``. Python's own float
formatting cannot produce V8's radix-36 digits of a float, so `v8_radix_string` re-implements the
algorithm of V8's ``DoubleToRadixStringView`` (v8/src/numbers/conversions.cc): emit fractional
digits only while they are significant at the input's precision (half an ULP), round half to even
with carry, then emit integer digits, padding with zeros what a double cannot represent.
"""

from __future__ import annotations

import math
import re

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_SMALLEST_DENORMAL = math.nextafter(0.0, 1.0)


def _binary_exponent(x: float) -> int:
    """V8's ``Double::Exponent()``: x == significand * 2**exponent with a 53-bit significand."""
    if x == 0.0 or not math.isfinite(x):
        return -1074
    _, e = math.frexp(x)  # x = m * 2**e with 0.5 <= m < 1
    # Denormals have a fixed exponent in V8; frexp normalises them, so clamp.
    return max(e - 53, -1074)


def v8_radix_string(value: float, radix: int) -> str:
    """`Number.prototype.toString(radix)` as V8 computes it (radix 10 excluded)."""
    # Radix 10 takes V8's shortest-decimal path instead, which this module does not need.
    if not 2 <= radix <= 36 or radix == 10:
        raise ValueError(f"radix must be 2-9 or 11-36, not {radix}")
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "0"  # -0 too, as in JavaScript

    negative = value < 0
    if negative:
        value = -value
    integer = math.floor(value)
    fraction = value - integer
    # Digits beyond half the gap to the next double carry no information about the input.
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), _SMALLEST_DENORMAL)

    frac_digits: list[int] = []
    carry_into_integer = False
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            frac_digits.append(digit)
            fraction -= digit
            if (fraction > 0.5 or (fraction == 0.5 and digit & 1)) and fraction + delta > 1:
                # Round up: propagate the carry through the digits already written.
                while frac_digits:
                    last = frac_digits.pop()
                    if last + 1 < radix:
                        frac_digits.append(last + 1)
                        break
                else:
                    carry_into_integer = True
                break
            if fraction < delta:
                break
    integer_value = float(integer) + (1.0 if carry_into_integer else 0.0)

    int_digits: list[str] = []
    # Above 2**53 the low digits are not representable: V8 writes zeros for them.
    while _binary_exponent(integer_value / radix) > 0:
        integer_value /= radix
        int_digits.append("0")
    while True:
        remainder = math.fmod(integer_value, radix)
        int_digits.append(_DIGITS[int(remainder)])
        integer_value = (integer_value - remainder) / radix
        if not integer_value > 0:
            break

    out = "".join(reversed(int_digits))
    # A carry can pop every fractional digit: V8 then leaves no point either.
    if frac_digits:
        out += "." + "".join(_DIGITS[d] for d in frac_digits)
    return "-" + out if negative else out


def syndication_token(post_id: str | int) -> str:
    """The `token=` parameter cdn.syndication.twimg.com expects for a post ID."""
    number = float(int(str(post_id).strip()))  # JavaScript's Number(id): nearest double
    value = (number / 1e15) * math.pi
    return re.sub(r"0+|\.", "", v8_radix_string(value, 36))
