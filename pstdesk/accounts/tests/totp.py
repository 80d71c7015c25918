"""RFC 6238 computed here from the key a person types by hand (independent of django-otp): what an authenticator
app on the officer's phone shows."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time


def key_from_page(html: str) -> str:
    found = re.search(r'data-testid="manual-key">([A-Z2-7 ]+)<', html)
    assert found, "no manual key on the page"
    return found.group(1)


def totp(manual_key: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    raw = manual_key.replace(" ", "").upper()
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(value).zfill(digits)
