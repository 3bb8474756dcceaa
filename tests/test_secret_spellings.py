"""A secret echoed back by SFMC is redacted in every spelling, not only as plain text.

An error answer that quotes the token request may hold the client secret JSON-escaped (``\\"``,
``\\\\``, ``\\u00e9``), escaped twice, percent-encoded (any case, ``+`` for a space), in base64
(alone or as the ``client_id:secret`` Basic credential) or as Python's repr: a property test over
secrets full of quotes, backslashes and non-ASCII characters, then the same echoes from the
simulator's ``malformed`` fault, end to end up to the page an editor sees.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.sfmc.client import SFMCClient, TokenCache
from journeys.sfmc.errors import REDACTED, SFMCError, redacted
from tests.factories import ConnectionFactory

CLIENT_ID = "sim-client-id"
NASTY = "sé\"cr\\et /+%2F ünï €😀 'q' <&>"


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _u_escaped(secret: str, upper: bool = False) -> str:
    units = secret.encode("utf-16-be", "surrogatepass")
    hexes = [units[i : i + 2].hex() for i in range(0, len(units), 2)]
    return "".join(f"\\u{h.upper() if upper else h}" for h in hexes)


def _b64(text: str, *, urlsafe: bool = False, pad: bool = True) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    encoded = encode(text.encode()).decode()
    return encoded if pad else encoded.rstrip("=")


SPELLINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda s: s,
    "json": lambda s: json.dumps(s)[1:-1],
    "json, non-ASCII kept": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "json twice": lambda s: json.dumps(json.dumps(s)[1:-1])[1:-1],
    "\\u-escaped": _u_escaped,
    "\\U-escaped, upper hex": lambda s: _u_escaped(s, upper=True),
    "quote": lambda s: quote(s, safe=""),
    "quote, / kept": quote,
    "quote, lower hex": lambda s: _lower_hex(quote(s, safe="")),
    "quote_plus": quote_plus,
    "quote_plus, lower hex": lambda s: _lower_hex(quote_plus(s)),
    "base64": _b64,
    "base64 unpadded": lambda s: _b64(s, pad=False),
    "base64 urlsafe": lambda s: _b64(s, urlsafe=True),
    "basic credential": lambda s: _b64(f"{CLIENT_ID}:{s}"),
    "basic credential urlsafe": lambda s: _b64(f"{CLIENT_ID}:{s}", urlsafe=True, pad=False),
    "repr": lambda s: repr(s)[1:-1],
}
SECRETS = (NASTY, f"{CLIENT_ID}:{NASTY}")

nasty_characters = st.sampled_from(list("\"'\\/ +%&<>=:éü€😀\n\t\x7f\u2028"))
secrets = st.text(
    alphabet=st.one_of(
        nasty_characters, st.characters(blacklist_categories=("Cs",), blacklist_characters="|")
    ),
    min_size=8,
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(secret=secrets, spelling=st.sampled_from(sorted(SPELLINGS)))
def test_every_spelling_of_a_secret_is_redacted(secret, spelling):
    echo = SPELLINGS[spelling](secret)

    shown = redacted(f"echo|{echo}|end", (secret, f"{CLIENT_ID}:{secret}"))

    assert shown == f"echo|{REDACTED}|end"


@settings(max_examples=60, deadline=None)
@given(secret=secrets, noise=st.binary(min_size=1, max_size=5))
def test_a_secret_inside_a_longer_base64_text_is_redacted(secret, noise):
    data = noise + secret.encode() + noise
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        echo = encode(data).decode()

        shown = redacted(f"echo|{echo}|end", (secret,))

        # Left around the redaction: the noise's groups, each side sharing one with the secret.
        assert REDACTED in shown
        kept = len(shown) - len(f"echo||end{REDACTED}")
        assert kept <= 2 * 4 * ((len(noise) + 2) // 3 + 1)


def test_words_that_only_look_like_a_short_piece_of_base64_stay():
    assert redacted("a plain sentence", ("sentence-secret",)) == "a plain sentence"


# end to end: SFMC's answer echoes the secret


def _echo_answers(secret: str) -> list[tuple[str, str, dict[str, str]]]:
    """(name, body, headers) of error answers that quote the token request."""
    grant = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": secret}
    answers = [
        (name, json.dumps({"message": f"Bad request: client_secret={spell(secret)}"}), {})
        for name, spell in SPELLINGS.items()
    ]
    answers.append(
        (
            "json request in the message",
            json.dumps({"message": f"Bad body {json.dumps(grant)}"}),
            {},
        )
    )
    answers.append(
        (
            "errors list of objects",
            json.dumps({"errors": [{"request": grant}, {"request": json.dumps(grant)}]}),
            {},
        )
    )
    answers.append(
        (
            "text body",
            f"400 bad request: client_secret={quote_plus(secret)}&echo={json.dumps(grant)}",
            {"Content-Type": "text/plain"},
        )
    )
    return answers


ECHOES = _echo_answers(NASTY)


def _leaks(text: str) -> list[str]:
    texts = (text, html.unescape(text))
    return [
        name
        for secret in SECRETS
        for name, spell in SPELLINGS.items()
        if any(spell(secret) in shown for shown in texts)
    ]


@pytest.mark.parametrize(("body", "headers"), [e[1:] for e in ECHOES], ids=[e[0] for e in ECHOES])
def test_an_error_echoing_the_token_request_shows_no_spelling_of_the_secret(
    simulator, body, headers
):
    client = SFMCClient(
        simulator.base_url,
        simulator.base_url,
        CLIENT_ID,
        NASTY,
        allowed_host_suffixes=(),
        allow_insecure_hosts=[simulator.host_port],
        token_cache=TokenCache(),
    )
    simulator.add_fault(
        "malformed", method="POST", path="/v2/token", status=400, body=body, headers=headers
    )

    with pytest.raises(SFMCError) as raised:
        client.get_token()

    error = raised.value
    assert REDACTED in str(error)
    assert _leaks(" ".join([str(error), repr(error), *map(str, error.args), *error.messages])) == []


@pytest.mark.parametrize(("body", "headers"), [e[1:] for e in ECHOES], ids=[e[0] for e in ECHOES])
def test_the_page_of_an_error_echoing_the_secret_shows_none_of_it(
    client, editor, simulator, settings, body, headers
):
    settings.SFMC_SIMULATOR_ENABLED = True
    settings.SFMC_SIMULATOR_URL = simulator.base_url
    connection = ConnectionFactory(
        auth_base_url=simulator.base_url,
        rest_base_url=simulator.base_url,
        client_id=CLIENT_ID,
        secret=NASTY,
    )
    simulator.add_fault(
        "malformed", method="POST", path="/v2/token", status=400, body=body, headers=headers
    )
    client.force_login(editor)

    response = client.get(reverse("journeys:remote-list", args=[connection.pk]))

    page = response.content.decode()
    assert response.status_code == 200 and "SFMC did not answer as expected" in page
    assert _leaks(page) == []
