"""The one door to the settings, for every process: the site, the Celery worker, the
counter server and the CLI all read them here, the same way.

A setting is config.py's default, overridden by a settings file, overridden by an
environment variable. The settings file is the one STATBOARD_CONFIG names, else
statboard.env in the instance folder when there is one: `KEY=value` lines with the
names of the environment variables (STATBOARD_DATABASE_URL=...), `#` comments and
blank lines allowed, a value optionally in quotes. Values are parsed as JSON when
they can be (STATBOARD_WORKERS=4 is a number), and kept as strings otherwise.
"""

import contextlib
import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "STATBOARD_"
FILE_NAME = "statboard.env"
# Read before the settings (they decide where the file and the defaults are).
LOCATING = ("CONFIG", "INSTANCE_PATH")
WILDCARDS = ("", "0.0.0.0", "::", "[::]")


class SettingsError(SystemExit):
    """A settings file that cannot be read: the process stops with this sentence."""


@dataclass
class Sources:
    """Where a process's settings came from."""

    file: Path | None = None
    values: dict[str, str] = field(default_factory=dict)  # STATBOARD_* name: raw value

    @property
    def given(self) -> set[str]:
        """Settings (without the prefix) that the file or the environment set."""
        return {key.removeprefix(PREFIX) for key in self.values}

    @property
    def instance_path(self) -> str:
        return self.values.get(PREFIX + "INSTANCE_PATH") or str(ROOT / "instance")


def parse_file(path: Path, known: set[str]) -> dict[str, str]:
    """The `KEY=value` lines of a settings file; SettingsError names a line it cannot use."""
    try:
        text = path.read_text()
    except OSError as error:
        raise SettingsError(
            f"The settings file {path} cannot be read ({error.strerror}): "
            "fix its permissions or STATBOARD_CONFIG."
        ) from None
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key.startswith(PREFIX):
            raise SettingsError(
                f"{path} line {number}: write STATBOARD_NAME=value "
                "(the names of the environment variables in the README's settings table)."
            )
        if key.removeprefix(PREFIX) not in known | set(LOCATING):
            raise SettingsError(
                f"{path} line {number}: {key} is no Statboard setting; "
                "see the README's settings table for the names."
            )
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def read(known: set[str], environ=None, default_file: bool = True) -> Sources:
    """The settings of this process: the settings file, then the environment over it.

    `known`: the setting names (config.py's), for telling a typo in the file.
    `default_file`: whether the instance folder's statboard.env counts when
    STATBOARD_CONFIG names none (the test suite's apps leave it out).
    """
    environ = os.environ if environ is None else environ
    env = {key: value for key, value in environ.items() if key.startswith(PREFIX)}
    named = env.get(PREFIX + "CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise SettingsError(
                f"STATBOARD_CONFIG names {named}, which is not a file: "
                "write the settings file there or fix STATBOARD_CONFIG."
            )
    else:
        path = Path(Sources(values=env).instance_path) / FILE_NAME
        if not default_file or not path.is_file():
            return Sources(None, env)
    return Sources(path, {**parse_file(path, known), **env})


def apply(config, sources: Sources) -> None:
    """Set each STATBOARD_* value of `sources` on a Flask config, as JSON when it parses."""
    for key in sorted(sources.values):
        name = key.removeprefix(PREFIX)
        if name in LOCATING:
            continue
        value = sources.values[key]
        with contextlib.suppress(ValueError):  # not JSON: the string itself
            value = json.loads(value)
        config[name] = value


def served_url(host: str, port: int, *, for_people: bool = False) -> str:
    """The address a server on `host`:`port` is reached at. A wildcard host (0.0.0.0)
    is this machine's name for people (links in emails) and loopback for itself."""
    host = str(host or "")
    if host in WILDCARDS:
        host = socket.getfqdn() if for_people else "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{int(port)}"


def own_url(config) -> str:
    """Where this process serves the site, as it reaches itself (the demo's "this site")."""
    return served_url(config["HOST"], config["PORT"])
