"""A failed teacher answer said in a user's words: the stored error is the SDK's (a class name,
an HTTP status, the JSON body), which a walker read as "answer did not fit the schema twice:
not JSON: Expecting value: line 1 column 1 (char 0)". The stored text stays as it is, for
whoever reads the logs; this says what happened and what to do."""

from __future__ import annotations

import re

SCHEMA_FAILED = "answer did not fit the schema twice"   # anthropic_teacher's words for a second bad answer

_BY_STATUS = {
    400: "Claude refused the request as malformed",
    401: "Claude did not accept the app's key (an admin checks ANTHROPIC_API_KEY)",
    403: "the app's key may not use this model (an admin checks the key's permissions)",
    404: "Claude does not know the model the app asked for (an admin checks the model name)",
    413: "the post (with its image) was too large for Claude",
    429: "Claude is rate-limited for this key and did not answer after the app's retries; try again in a minute",
    500: "Claude's service failed and did not answer after the app's retries; try again later",
    529: "Claude's service is overloaded and did not answer after the app's retries; try again later",
}
_BY_CLASS = {
    "APITimeoutError": "Claude did not answer in time; try again",
    "APIConnectionError": "Claude could not be reached (the network or the service's address); try again later",
}


def error_words(error: str) -> str:
    """What the user reads for a stored teacher error: a plain sentence, then the detail."""
    error = (error or "").strip()
    if not error:
        return "Claude did not answer"
    if error.startswith(SCHEMA_FAILED):
        said = "Claude answered twice, and neither answer had the form the app asks for"
    else:
        m = re.match(r"(\w+)(?: (\d{3}))?:", error)
        name, status = (m.group(1), int(m.group(2)) if m.group(2) else None) if m else ("", None)
        said = (_BY_STATUS.get(status) or _BY_CLASS.get(name)
                or (f"Claude's service answered with an error (HTTP {status})" if status else None))
        if said is None:   # not the live teacher's (a recorded teacher's, say): its own words
            return error
    detail = error if len(error) <= 160 else error[:157] + "…"
    return f"{said} (detail: {detail})"
