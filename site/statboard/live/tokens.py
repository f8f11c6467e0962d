"""Signed channel tokens: which channels a viewer's stream may read, until when.

The page that opens a stream embeds a token naming its channels, signed with the
site's secret key. The event server checks the signature and the age, never the
database: who may read a channel was decided when the token was made, by the view
that rendered the page, with the viewer's own rights. A viewer who loses access
stops receiving when the token expires and its renewal is refused.
"""

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from statboard.forms import FlooredSigner, period_for

SALT = "statboard.live.channels"


class TokenRefused(Exception):
    """The token is forged, mangled or too old; the message says which."""


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign(secret_key: str, channels: list[str], lifetime: float | None = None) -> str:
    """Signed to the minute, or to a tenth of the token's `lifetime` if that is shorter
    (forms.FlooredSigner): a page rendered again within it carries the same token; its
    age counts from the start of that period. Without a lifetime, to the second."""
    period = period_for(lifetime) if lifetime is not None else 1
    signer = URLSafeTimedSerializer(
        secret_key, salt=SALT, signer=FlooredSigner, signer_kwargs={"period": period}
    )
    return signer.dumps(sorted(set(channels)))


def channels_of(secret_key: str, token: str, max_age: float) -> tuple[list[str], float]:
    """The channels a token grants and the time it was signed; TokenRefused otherwise."""
    try:
        channels, signed_at = _serializer(secret_key).loads(
            token, max_age=max_age, return_timestamp=True
        )
    except SignatureExpired:
        raise TokenRefused("The live token has expired; reload the page for a new one.") from None
    except BadSignature:
        raise TokenRefused("The live token is not valid; reload the page.") from None
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise TokenRefused("The live token is not valid; reload the page.")
    return channels, signed_at.timestamp()
