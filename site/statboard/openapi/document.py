"""The OpenAPI 3.1 description of the machine APIs: /counters, the play-counter
protocol's /song/<id>, /api/series, /twitstats, /v1-/v3 and the `/` JSON root. The
suite checks real responses against it (tests/test_openapi.py), and every route of
those APIs against its paths, so a change to an API that is not made here too fails
the tests.
"""

from statboard.counters.models import KEY_LENGTH
from statboard.counters.stores import MAX_VALUE


def ref(name: str, kind: str = "schemas") -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def json_body(schema: dict, description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def text_body(description: str, media: str = "text/plain", pattern: str | None = None) -> dict:
    schema = {"type": "string", **({"pattern": pattern} if pattern else {})}
    return {"description": description, "content": {media: {"schema": schema}}}


def error(description: str, schema: str = "Message", headers: dict | None = None) -> dict:
    return json_body(ref(schema), description, headers)


def no_content(description: str) -> dict:
    return {"description": description}


def path_param(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "description": description, "schema": schema or {}}


RATE_HEADERS = {
    "RateLimit-Limit": {
        "schema": {"type": "string"},
        "description": "Increments allowed per window.",
    },
    "RateLimit-Remaining": {"schema": {"type": "string"}, "description": "Left in this window."},
    "RateLimit-Reset": {"schema": {"type": "string"}, "description": "Seconds until it resets."},
}
RETRY_AFTER = {
    "Retry-After": {"required": True, "schema": {"type": "string"}, "description": "Seconds."}
}
LOCATION = {"Location": {"required": True, "schema": {"type": "string"}}}
COUNTER_VALUE = {
    "text/plain": {"schema": {"type": "string", "pattern": r"^[0-9]+$"}},
    "application/json": {"schema": ref("Counter")},
}
COUNTER_ERROR = {
    "text/plain": {"schema": {"type": "string"}},
    "application/json": {"schema": ref("Message")},
}
BEARER, BASIC = [{"bearer": []}], [{"basic": []}]


def counter_error(description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": COUNTER_ERROR}
    if headers:
        answer["headers"] = headers
    return answer


COUNTER_WRITE_ERRORS = {
    "401": counter_error("No credentials, or a token unknown or revoked."),
    "403": counter_error("Not an admin, or a token without the counters scope."),
}


def _counters() -> dict:
    key = path_param(
        "key",
        f"Up to {KEY_LENGTH} characters of letters, digits and . _ ~ : @ -, with single / "
        "between parts (song/1); the slashes are sent as they are, not encoded.",
        {"type": "string", "pattern": r"^[A-Za-z0-9._~:@-]+(/[A-Za-z0-9._~:@-]+)*$"},
    )
    prefix = query("prefix", "Only the counters whose key starts with this.", {"type": "string"})
    value_answer = {
        "description": "The value (0 for a counter never increased).",
        "content": COUNTER_VALUE,
    }
    return {
        "/counters/{key}": {
            "parameters": [key],
            "get": {
                "tags": ["counters"],
                "summary": "A counter's value",
                "description": "Plain text, or JSON when the Accept header asks for it.",
                "responses": {"200": value_answer, "400": counter_error("A bad key.")},
            },
            "head": {
                "tags": ["counters"],
                "summary": "A counter's value, headers only",
                "responses": {"200": no_content("The counter is there (or 0).")},
            },
            "post": {
                "tags": ["counters"],
                "summary": "Add 1 (or ?by=N) and answer the new value",
                "description": "Anonymous increments are limited per client address "
                "(COUNTER_RATE_LIMIT); under COUNTER_PRIVATE_PREFIXES they need an admin "
                "or a bearer token with the counters scope.",
                "parameters": [query("by", "How much to add.", {"type": "integer", "minimum": 1})],
                "responses": {
                    "200": {**value_answer, "headers": RATE_HEADERS},
                    "400": counter_error("A bad key or ?by=, or a value past 2**63 - 1."),
                    **COUNTER_WRITE_ERRORS,
                    "429": counter_error(
                        "Too many increments from this address.", {**RATE_HEADERS, **RETRY_AFTER}
                    ),
                },
            },
            "put": {
                "tags": ["counters"],
                "summary": "Set a counter",
                "security": [*BEARER, {"session": []}],
                "parameters": [
                    query("value", "The new value (or send it as the body).", {"type": "integer"})
                ],
                "requestBody": {
                    "required": False,
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "200": value_answer,
                    "400": counter_error("A bad key or value."),
                    **COUNTER_WRITE_ERRORS,
                },
            },
            "delete": {
                "tags": ["counters"],
                "summary": "Delete a counter",
                "security": [*BEARER, {"session": []}],
                "responses": {"204": no_content("Deleted."), **COUNTER_WRITE_ERRORS},
            },
        },
        "/counters/": {
            "get": {
                "tags": ["counters"],
                "summary": "Every counter",
                "description": "A JSON object key -> value, or k=v,k=v with Accept: text/plain.",
                "parameters": [prefix],
                "responses": {
                    "200": {
                        "description": "The counters.",
                        "content": {
                            "application/json": {"schema": ref("Counters")},
                            "text/plain": {"schema": {"type": "string"}},
                        },
                    },
                    "400": counter_error("A bad prefix."),
                },
            },
            "delete": {
                "tags": ["counters"],
                "summary": "Delete every counter, or those under ?prefix=",
                "security": [*BEARER, {"session": []}],
                "parameters": [prefix],
                "responses": {
                    "204": no_content("Deleted."),
                    "400": counter_error("A bad prefix."),
                    **COUNTER_WRITE_ERRORS,
                },
            },
        },
    }


def _play(namespace: str) -> dict:
    """The original play-counter protocol on the site (counters/play.py); none when
    COUNTER_PLAY_NAMESPACE is empty."""
    if not namespace:
        return {}
    song = path_param(
        "id",
        f"The song: a whole number from 0 to {MAX_VALUE}, written in digits (007 is 7).",
        {"type": "string", "pattern": r"^[0-9]{1,19}$"},
    )
    count = text_body("The count (0 for a song never played).", pattern=r"^[0-9]+$")
    bad_id = counter_error("An id that is not a whole number from 0 to 2**63 - 1.")
    return {
        f"/{namespace}/{{id}}": {
            "parameters": [song],
            "get": {
                "tags": ["play"],
                "summary": "A song's play count",
                "description": f"The counter {namespace}/<id>, as plain text.",
                "responses": {"200": count, "400": bad_id},
            },
            "head": {
                "tags": ["play"],
                "summary": "A song's play count, headers only",
                "responses": {"200": no_content("The count is there (or 0)."), "400": bad_id},
            },
            "post": {
                "tags": ["play"],
                "summary": "Count one play and answer the new count",
                "description": "An anonymous increment of the counter API: limited per "
                "client address (COUNTER_RATE_LIMIT), and under COUNTER_PRIVATE_PREFIXES "
                "only for an admin, a counters token or COUNTER_TRUSTED_NETWORKS.",
                "responses": {
                    "200": {**count, "headers": RATE_HEADERS},
                    "400": counter_error("A bad id, or a count past 2**63 - 1."),
                    **COUNTER_WRITE_ERRORS,
                    "429": counter_error(
                        "Too many increments from this address.", {**RATE_HEADERS, **RETRY_AFTER}
                    ),
                },
            },
        }
    }


def _play_tag(namespace: str) -> list[dict]:
    if not namespace:
        return []
    description = (
        f"The original play-counter protocol: /{namespace}/<id> is the counter "
        f"{namespace}/<id> of the counter API. A dedicated counter server (run.py counters) "
        "also answers GET / (every count of the namespace, as 1=2,5=1) and DELETE / (clears "
        "them: a trusted network, an admin or a counters token); the site's / is its home "
        "page."
    )
    return [{"name": "play", "description": description}]


SERIES_READ_ERRORS = {
    "401": error("A bearer token unknown or revoked."),
    "403": error("A bearer token without the series scope."),
    "404": error("No such series, or one the reader may not see (private series)."),
}


def _series() -> dict:
    account_id = path_param("account_id", "The account's id.", {"type": "integer"})
    bounds = [
        query("from", "Samples from this time (ISO 8601, UTC) or date.", {"type": "string"}),
        query("to", "Samples up to this time or date (inclusive).", {"type": "string"}),
    ]
    reading = {
        "tags": ["series"],
        "security": [{}, *BEARER, {"session": []}],
        "parameters": bounds,
    }
    return {
        "/twitstats/{handle}": {
            "get": {
                "tags": ["series"],
                "summary": "A series in the original CSV format",
                "description": "One line a sample: `DD-MM-YYYY HH:MM:SS, N`.",
                "security": [{}, *BEARER, {"session": []}],
                "parameters": [path_param("handle", "The account's handle (X first).")],
                "responses": {
                    "200": text_body(
                        "The samples, oldest first.",
                        "text/csv",
                        r"^([0-9]{2}-[0-9]{2}-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}, [0-9]+\n)*$",
                    ),
                    **SERIES_READ_ERRORS,
                },
            }
        },
        "/api/series/{account_id}.csv": {
            "parameters": [account_id],
            "get": {
                **reading,
                "summary": "A series as CSV (taken_at,count)",
                "responses": {
                    "200": text_body("A header line, then one sample a line.", "text/csv"),
                    "400": error("A bad from or to."),
                    **SERIES_READ_ERRORS,
                },
            },
        },
        "/api/series/{account_id}.json": {
            "parameters": [account_id],
            "get": {
                **reading,
                "summary": "A series as JSON",
                "responses": {
                    "200": json_body(ref("Series"), "The account and its samples."),
                    "400": error("A bad from or to."),
                    **SERIES_READ_ERRORS,
                },
            },
        },
        "/api/series/{account_id}/samples": {
            "parameters": [account_id],
            "post": {
                "tags": ["series"],
                "summary": "Add follower samples",
                "security": BEARER,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    ref("SampleIn"),
                                    {
                                        "type": "array",
                                        "items": ref("SampleIn"),
                                        "minItems": 1,
                                        "maxItems": 10000,
                                    },
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "201": json_body(ref("SamplesAdded"), "Some samples were new."),
                    "200": json_body(ref("SamplesAdded"), "Every sample was stored already."),
                    "400": error("A bad body: the message says which sample and what to fix."),
                    **SERIES_READ_ERRORS,
                    "403": error("No series scope, or the series is not shared for writing."),
                },
            },
        },
    }


def _host_version(version: str) -> dict:
    """/v1, /v2 or /v3: links, uptime and iostat (v2, v3: as tasks)."""
    v3 = version == "v3"
    problem = "V3Message" if v3 else "Msg"
    security = BASIC if v3 else [{}]
    tags = [version]
    auth_errors = (
        {
            "401": error(
                "No or wrong username and password.",
                problem,
                {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
            ),
            "429": error("Too many failed logins: wait.", problem, RETRY_AFTER),
        }
        if v3
        else {}
    )
    count_wait = [
        query("count", "How many reports.", {"type": "integer", "minimum": 1}),
        query("wait", "Seconds between reports (1 when count is 1).", {"type": "integer"}),
    ]
    sampling_errors = {
        "400": error("A bad count or wait: the message says the limit.", problem),
        **auth_errors,
    }
    if not v3:
        sampling_errors["429"] = error(
            "Too many samplings from this address.", problem, RETRY_AFTER
        )
    prefix = f"/{version}"
    paths = {
        f"{prefix}/": {
            "get": {
                "tags": tags,
                "summary": f"The {version} links",
                "security": security,
                "responses": {"200": json_body(ref("Links"), "The links."), **auth_errors},
            }
        },
        f"{prefix}/uptime/": {
            "get": {
                "tags": tags,
                "summary": "This host's uptime line",
                "security": security,
                "responses": {
                    "200": json_body(ref("Uptime"), "As uptime(1) prints it."),
                    **auth_errors,
                },
            }
        },
    }
    if version == "v1":
        paths[f"{prefix}/iostat/"] = {
            "get": {
                "tags": tags,
                "summary": "iostat -d wait count, answered when done",
                "parameters": count_wait,
                "responses": {
                    "200": json_body(ref("Iostat"), "The reports."),
                    **sampling_errors,
                },
            }
        }
        return paths
    started = {
        "tags": tags,
        "security": security,
        "parameters": count_wait,
        "responses": {
            "201": json_body(ref("TaskStarted"), "The sampling task, queued.", LOCATION),
            **sampling_errors,
            "503": error("Too many samplings wait already.", problem, RETRY_AFTER),
        },
    }
    task_id = path_param("task_id", "The task's id.")
    missing = error("No such task (of this caller).", problem)
    paths[f"{prefix}/iostat/"] = {
        "get": {**started, "summary": "Start an iostat sampling"},
        "post": {**started, "summary": "Start an iostat sampling (count, wait in a form too)"},
    }
    paths[f"{prefix}/task/{{task_id}}"] = {
        "parameters": [task_id],
        "get": {
            "tags": tags,
            "summary": "A sampling task's state and result",
            "security": security,
            "responses": {
                "200": json_body(ref("Task"), "The task."),
                "404": missing,
                **auth_errors,
            },
        },
        "delete": {
            "tags": tags,
            "summary": "Cancel a sampling task",
            "security": security,
            "responses": {"204": no_content("Cancelled."), "404": missing, **auth_errors},
        },
    }
    return paths


def _v3_users() -> dict:
    name = path_param("name", "The username.")
    problem = "V3Message"
    auth_errors = {
        "401": error("No or wrong username and password.", problem),
        "429": error("Too many failed logins: wait.", problem, RETRY_AFTER),
    }
    writes = {
        "400": error("Fields to fix: the message names each one.", problem),
        **auth_errors,
        "403": error("Only admins change users.", problem),
        "409": error("The name is taken, or this is the last admin.", problem),
    }
    fields = {
        "required": True,
        "content": {
            "application/json": {"schema": ref("UserFields")},
            "application/x-www-form-urlencoded": {"schema": ref("UserFields")},
        },
    }
    created = json_body(ref("User"), "Created.", LOCATION)
    common = {"tags": ["v3"], "security": BASIC}
    return {
        "/v3/users/": {
            "get": {
                **common,
                "summary": "The users' names (or, with detail=true, the users)",
                "parameters": [
                    query("limit", "At most this many.", {"type": "integer", "minimum": 1}),
                    query("detail", "true: each user in full.", {"type": "string"}),
                ],
                "responses": {
                    "200": json_body(ref("UserList"), "Sorted by name."),
                    "400": error("A bad limit.", problem),
                    **auth_errors,
                },
            },
            "post": {
                **common,
                "summary": "Create a user (admins)",
                "requestBody": fields,
                "responses": {"201": created, **writes},
            },
        },
        "/v3/users/{name}": {
            "parameters": [name],
            "get": {
                **common,
                "summary": "A user",
                "responses": {
                    "200": json_body(ref("User"), "The user."),
                    "404": error("No such user.", problem),
                    **auth_errors,
                },
            },
            "put": {
                **common,
                "summary": "Replace (or create) a user (admins)",
                "requestBody": fields,
                "responses": {"200": json_body(ref("User"), "Replaced."), "201": created, **writes},
            },
            "patch": {
                **common,
                "summary": "Change some of a user's fields (admins)",
                "requestBody": fields,
                "responses": {
                    "200": json_body(ref("User"), "Changed."),
                    "404": error("No such user.", problem),
                    **writes,
                },
            },
            "delete": {
                **common,
                "summary": "Delete a user (admins)",
                "responses": {
                    "204": no_content("Deleted."),
                    "404": error("No such user.", problem),
                    **writes,
                },
            },
        },
    }


def _root() -> dict:
    return {
        "/": {
            "get": {
                "tags": ["v1", "v2", "v3"],
                "summary": "The API versions (browsers get the home page)",
                "description": "JSON for clients that accept it (curl's */* does).",
                "responses": {"200": json_body(ref("Links"), "Links to /v1/, /v2/, /v3/.")},
            }
        }
    }


def _string(**extra) -> dict:
    return {"type": "string", **extra}


SCHEMAS = {
    "Message": {
        "type": "object",
        "required": ["message"],
        "properties": {"message": _string()},
    },
    "Msg": {"type": "object", "required": ["msg"], "properties": {"msg": _string()}},
    "V3Message": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {
                "oneOf": [_string(), {"type": "object", "additionalProperties": _string()}],
                "description": "A sentence, or one sentence per field to fix.",
            }
        },
    },
    "Links": {
        "type": "object",
        "required": ["links"],
        "properties": {
            "links": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rel", "href"],
                    "properties": {"rel": _string(), "href": _string(), "method": _string()},
                },
            }
        },
    },
    "Uptime": {"type": "object", "required": ["uptime"], "properties": {"uptime": _string()}},
    "Iostat": {"type": "object", "required": ["iostat"], "properties": {"iostat": _string()}},
    "TaskStarted": {
        "type": "object",
        "required": ["task_id", "links"],
        "properties": {"task_id": _string(), "links": {"type": "array"}},
    },
    "Task": {
        "type": "object",
        "required": ["task_id", "state", "links"],
        "properties": {
            "task_id": _string(),
            "state": {"enum": ["QUEUED", "STARTED", "SUCCESS", "FAILURE", "REVOKED"]},
            "links": {"type": "array"},
            "result": {
                "description": "SUCCESS: the reports; FAILURE: what went wrong.",
                "oneOf": [ref("Iostat"), _string()],
            },
        },
    },
    "User": {
        "type": "object",
        "required": ["username", "fullname", "admin", "links"],
        "properties": {
            "username": _string(),
            "fullname": _string(),
            "admin": {"type": "boolean"},
            "links": {"type": "array"},
        },
    },
    "UserList": {
        "type": "object",
        "required": ["users"],
        "properties": {
            "users": {
                "oneOf": [
                    {"type": "array", "items": _string()},
                    {"type": "array", "items": ref("User")},
                ]
            }
        },
    },
    "UserFields": {
        "type": "object",
        "properties": {
            "username": _string(),
            "fullname": _string(),
            "password": _string(),
            "admin": {"type": ["boolean", "string"]},
        },
    },
    "Counter": {
        "type": "object",
        "required": ["key", "value"],
        "properties": {"key": _string(), "value": {"type": "integer", "minimum": 0}},
    },
    "Counters": {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0},
    },
    "Series": {
        "type": "object",
        "required": ["account", "from", "to", "samples"],
        "properties": {
            "account": {
                "type": "object",
                "required": ["id", "platform", "handle", "display_name", "external_id"],
                "properties": {
                    "id": {"type": "integer"},
                    "platform": _string(),
                    "handle": _string(),
                    "display_name": _string(),
                    "external_id": {"type": ["string", "null"]},
                },
            },
            "from": {"type": ["string", "null"]},
            "to": {"type": ["string", "null"]},
            "samples": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["taken_at", "count"],
                    "properties": {
                        "taken_at": _string(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"),
                        "count": {"type": "integer", "minimum": 0},
                    },
                },
            },
        },
    },
    "SampleIn": {
        "type": "object",
        "required": ["count"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "taken_at": _string(description="UTC, ISO 8601; now when left out."),
        },
    },
    "SamplesAdded": {
        "type": "object",
        "required": ["added", "duplicates"],
        "properties": {
            "added": {"type": "integer", "minimum": 0},
            "duplicates": {"type": "integer", "minimum": 0},
        },
    },
}


def document(site_url: str, site_name: str, play_namespace: str) -> dict:
    """The document; `play_namespace` is COUNTER_PLAY_NAMESPACE ("": no /<namespace>/<id>)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{site_name} machine APIs",
            "version": "1",
            "description": "Counters, follower series and the host API (/v1-/v3). Tokens "
            "are made at /tokens; errors are a sentence that says what to fix.",
        },
        "servers": [{"url": site_url}],
        "tags": [
            {"name": "counters", "description": "The counter API (a plain WSGI app)."},
            *_play_tag(play_namespace),
            {"name": "series", "description": "Follower series: read and push samples."},
            {"name": "v1", "description": "Host API v1: open, answers when done."},
            {"name": "v2", "description": "Host API v2: open, samplings as tasks."},
            {"name": "v3", "description": "Host API v3: HTTP Basic auth, users."},
        ],
        "paths": {
            **_counters(),
            **_play(play_namespace),
            **_series(),
            **_root(),
            **_host_version("v1"),
            **_host_version("v2"),
            **_host_version("v3"),
            **_v3_users(),
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token made at /tokens, with the scope the API needs.",
                },
                "basic": {"type": "http", "scheme": "basic", "description": "A site user."},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "An admin's login, with the page's X-CSRFToken header.",
                },
            },
        },
    }
