"""One small class per platform, each with one method: fetch(account) -> Profile.

Adding a platform is adding a class here and listing it in COLLECTORS.
"""

from dataclasses import dataclass

from statboard.series.http import CollectError, NotConfigured, NotFound, PlatformHttp


@dataclass
class Profile:
    followers: int
    external_id: str | None = None
    display_name: str | None = None
    handle: str | None = None  # the current handle when the platform reports a new one


def _count(value, platform: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CollectError(f"{platform} answered without a follower count; try again later.")
    return value


class Collector:
    platform = ""
    label = ""
    example = ""

    def __init__(self, http: PlatformHttp, config):
        self.http, self.config = http, config

    def fetch(self, account) -> Profile:
        raise NotImplementedError


class Mastodon(Collector):
    platform, label, example = "mastodon", "Mastodon", "user@mastodon.social"

    def fetch(self, account) -> Profile:
        user, _, instance = account.handle.lstrip("@").partition("@")
        if not user or not instance:
            raise CollectError("A Mastodon handle needs its instance: rename it to user@instance.")
        base = self.config["SERIES_MASTODON_URL"].replace("{instance}", instance).rstrip("/")
        body = self.http.get_json(
            f"{base}/api/v1/accounts/lookup", self.label, params={"acct": user}
        )
        return Profile(
            _count(body.get("followers_count"), self.label),
            external_id=str(body.get("id") or "") or None,
            display_name=body.get("display_name"),
        )


class Bluesky(Collector):
    platform, label, example = "bluesky", "Bluesky", "name.bsky.social"

    def fetch(self, account) -> Profile:
        base = self.config["SERIES_BLUESKY_URL"].rstrip("/")
        # Ask by DID once known: it survives handle changes.
        actor = account.external_id or account.handle.lstrip("@")
        body = self.http.get_json(
            f"{base}/xrpc/app.bsky.actor.getProfile", self.label, params={"actor": actor}
        )
        return Profile(
            _count(body.get("followersCount"), self.label),
            external_id=body.get("did"),
            display_name=body.get("displayName"),
            handle=body.get("handle"),
        )


class GitHub(Collector):
    platform, label, example = "github", "GitHub", "octocat"

    def fetch(self, account) -> Profile:
        base = self.config["SERIES_GITHUB_URL"].rstrip("/")
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self.config.get("SERIES_GITHUB_TOKEN"):
            headers["Authorization"] = f"Bearer {self.config['SERIES_GITHUB_TOKEN']}"
        body = self.http.get_json(
            f"{base}/users/{account.handle.lstrip('@')}", self.label, headers=headers
        )
        return Profile(
            _count(body.get("followers"), self.label),
            external_id=str(body.get("id") or "") or None,
            display_name=body.get("name"),
            handle=body.get("login"),
        )


class X(Collector):
    platform, label, example = "x", "X", "KevKeeganQuotes"

    def fetch(self, account) -> Profile:
        token = self.config.get("SERIES_X_BEARER_TOKEN")
        if not token:
            raise NotConfigured(
                "X is not configured: set STATBOARD_SERIES_X_BEARER_TOKEN to collect it."
            )
        base = self.config["SERIES_X_URL"].rstrip("/")
        body = self.http.get_json(
            f"{base}/2/users/by/username/{account.handle.lstrip('@')}",
            self.label,
            params={"user.fields": "public_metrics"},
            headers={"Authorization": f"Bearer {token}"},
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise NotFound("X has no such account; check the handle and rename it.")
        return Profile(
            _count((data.get("public_metrics") or {}).get("followers_count"), self.label),
            external_id=data.get("id"),
            display_name=data.get("name"),
            handle=data.get("username"),
        )


COLLECTORS: dict[str, type[Collector]] = {c.platform: c for c in (Mastodon, Bluesky, GitHub, X)}

# Accounts of their own kind, filled by CSV imports only: never collected, never told
# that a platform is not configured. An import names a platform to add to one of its.
IMPORTED = "imported"
PLATFORMS = [*COLLECTORS, IMPORTED]  # every value an account's platform may have


def platform_label(platform: str) -> str:
    if platform == IMPORTED:
        return "imported"
    collector = COLLECTORS.get(platform)
    return collector.label if collector else platform
