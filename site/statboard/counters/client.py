"""A client for Statboard counter servers, spreading keys over them.

    from statboard.counters.client import CounterClient

    counters = CounterClient(["http://10.0.0.1:8001", "http://10.0.0.2:8001"])
    counters.increment("song/1")          # -> the new value
    counters.get("song/1")
    counters.get_all(prefix="song/")      # each key from the server that owns it
    counters.reset(prefix="song/")        # needs token= with the counters scope

Each key lives on one server, chosen by rendezvous hashing: adding a server to n
moves only the keys the new server wins, about 1/(n+1) of them. The servers never
talk to each other, and may keep their counters apart (a database each) or share a
store (one database, one Redis): get_all() takes each key from the server that owns
it only, so it is exact either way. Connections are kept alive, one pool per server.
"""

import hashlib

import httpx


class CounterError(Exception):
    """A counter server refused a request; the message says why."""


class CounterServerDown(CounterError):
    """A counter server did not answer."""


def _score(server: str, key: str) -> int:
    digest = hashlib.blake2b(f"{server}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def pick_server(servers: list[str], key: str) -> str:
    """The server a key lives on: the one with the highest hash of (server, key)."""
    return max(servers, key=lambda server: _score(server, key))


class CounterClient:
    def __init__(self, servers: list[str], timeout: float = 2.0, token: str | None = None):
        if not servers:
            raise ValueError("Give at least one counter server, like http://127.0.0.1:8001.")
        self.servers = [s.rstrip("/") if "://" in s else f"http://{s.rstrip('/')}" for s in servers]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._clients = {
            server: httpx.Client(base_url=server, timeout=timeout, headers=headers)
            for server in self.servers
        }

    def server_for(self, key: str) -> str:
        return pick_server(self.servers, key)

    def get(self, key: str) -> int:
        return int(self._call(self.server_for(key), "GET", f"/counters/{key}").text)

    def increment(self, key: str, by: int = 1) -> int:
        params = {"by": by} if by != 1 else None
        return int(self._call(self.server_for(key), "POST", f"/counters/{key}", params).text)

    def get_all(self, prefix: str = "") -> dict[str, int]:
        """Every counter, each from the server it lives on: what a server holds of keys
        it does not own (every key, when the servers share a store; keys written before
        the list of servers changed) is left out."""
        merged: dict[str, int] = {}
        params = {"prefix": prefix} if prefix else None
        for server in self.servers:
            values = self._call(server, "GET", "/counters/", params).json()
            merged.update((k, v) for k, v in values.items() if self.server_for(k) == server)
        return dict(sorted(merged.items()))

    def reset(self, prefix: str = "") -> None:
        """Delete the counters (under `prefix`) on every server."""
        params = {"prefix": prefix} if prefix else None
        for server in self.servers:
            self._call(server, "DELETE", "/counters/", params)

    def _call(self, server: str, method: str, path: str, params=None) -> httpx.Response:
        headers = {"Accept": "application/json"} if path == "/counters/" else None
        try:
            response = self._clients[server].request(method, path, params=params, headers=headers)
        except httpx.TransportError as error:
            raise CounterServerDown(
                f"The counter server {server} did not answer ({type(error).__name__}: {error}); "
                "start it, or remove it from the servers list."
            ) from error
        if response.status_code >= 400:
            raise CounterError(f"{server} answered {response.status_code}: {response.text.strip()}")
        return response

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
