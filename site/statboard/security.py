"""Security headers on every response, set around the outermost WSGI app.

The site's pages load scripts and styles from the site alone and run no inline
script, so the Content-Security-Policy is one fixed string: no nonces, nothing per
request. It is a WSGI middleware rather than a Flask hook (or flask-talisman, which
is one) so that it covers whatever in the site's WSGI stack answers; the pure-WSGI
counter API, mounted in front of that stack, adds the same list itself
(security_headers). A header a response sets itself is left alone, and one it sets
to "" is left out (an embedded block drops X-Frame-Options, which cannot name
origins, and says who may frame it in its own frame-ancestors).

Forwarded-for headers are trusted the same way, around the outermost app, and only
behind PROXY_HOPS configured proxies (werkzeug's ProxyFix): by default the client
address is the connection's, whatever headers the client sends.
"""

from urllib.parse import parse_qs, urlsplit

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=31536000"


def storage_origins(storage_url: str) -> list[str]:
    """Where the browser fetches uploaded images from, besides the site itself."""
    if not storage_url.startswith("s3://"):
        return []
    parts = urlsplit(storage_url)
    options = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    if endpoint := options.get("endpoint"):
        endpoint = urlsplit(endpoint)
        return [f"{endpoint.scheme}://{endpoint.netloc}"]
    bucket, region = parts.netloc, options.get("region") or "us-east-1"
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]


def live_origins(config) -> list[str]:
    """Where pages open their event stream, besides the site itself: its own port on
    whatever host the page was reached by."""
    if config.get("LIVE_URL", "").startswith(("http://", "https://")):
        parts = urlsplit(config["LIVE_URL"])
        return [f"{parts.scheme}://{parts.netloc}"]
    if config.get("LIVE_URL") or not config.get("LIVE_PORT"):
        return []
    return [f"http://*:{config['LIVE_PORT']}", f"https://*:{config['LIVE_PORT']}"]


def content_security_policy(config, frame_ancestors: str = "'self'") -> str:
    images = " ".join(["'self'", "data:", *storage_origins(config["STORAGE_URL"])])
    connect = " ".join(["'self'", *live_origins(config)])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def security_headers(config) -> list[tuple[str, str]]:
    headers = [
        ("Content-Security-Policy", content_security_policy(config)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "SAMEORIGIN"),  # frame-ancestors for browsers without CSP 2
    ]
    if config.get("SESSION_COOKIE_SECURE"):
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


class SecurityHeaders:
    """WSGI middleware: adds `headers` to every response that lacks them."""

    def __init__(self, app, headers: list[tuple[str, str]]):
        self.app, self.headers = app, headers

    def __call__(self, environ, start_response):
        def start(status, response_headers, exc_info=None):
            present = {name.lower() for name, _ in response_headers}
            missing = [(name, value) for name, value in self.headers if name.lower() not in present]
            kept = [(name, value) for name, value in response_headers if value != ""]
            return start_response(status, [*kept, *missing], exc_info)

        return self.app(environ, start)


def behind_proxies(app, config):
    """`app` reading the client address (and scheme) from the X-Forwarded-For (and
    -Proto) headers that PROXY_HOPS proxies added; `app` itself when there are none."""
    hops = int(config.get("PROXY_HOPS") or 0)
    if hops < 0:
        raise ValueError(f"PROXY_HOPS is {hops}: give the number of proxies in front, 0 or more.")
    return ProxyFix(app, x_for=hops, x_proto=hops) if hops else app


def outermost(app, config):
    """The WSGI app a server runs: `app` behind the proxies, with the security headers."""
    return SecurityHeaders(behind_proxies(app, config), security_headers(config))


def static_cors(origins: list[str]):
    """An after-request hook: the static files of the site may be loaded by pages of
    `origins` (["*"]: any). An allowed origin gets Access-Control-Allow-Origin; every
    static response says Vary: Origin, so that caches keep the answers apart."""
    allowed = set(origins)

    def add_headers(response):
        if request.endpoint != "static":
            return response
        if "*" in allowed:
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
        return response

    return add_headers


def init_app(app):
    """Wrap the app's outermost WSGI callable: call it after every feature mounted its own."""
    if app.config["STATIC_CORS_ORIGINS"]:
        app.after_request(static_cors(app.config["STATIC_CORS_ORIGINS"]))
    app.wsgi_app = outermost(app.wsgi_app, app.config)
