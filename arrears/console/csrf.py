"""A CSRF token on every form: a post without the session's token (or, for sign-in, without the token of
the sign-in page's own short cookie) is refused with 403 before anything is read or done."""

import hmac
import secrets

PRE_COOKIE = "arrears_console_signin"  # the sign-in form's token, before any session exists
FIELD = "csrf"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str | None, presented: object) -> bool:
    return bool(expected) and bool(presented) and hmac.compare_digest(str(expected), str(presented))
