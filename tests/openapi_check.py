"""Checking a real response against the OpenAPI document: the path and method must be
described, the status among the operation's answers, the content type among its
media types, the body valid against the schema (openapi-schema-validator, OAS 3.1)
and every required header present."""

import json
import re

from openapi_schema_validator import OAS31Validator

MULTI_SEGMENT = {"key"}  # a counter key keeps its slashes


def template_regex(template: str) -> re.Pattern:
    def param(match):
        return "(.+)" if match.group(1) in MULTI_SEGMENT else "([^/]+)"

    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join(
        param(re.match(r"\{([^}]+)\}", part)) if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(pattern + r"\Z")


def find_path(doc: dict, path: str) -> str:
    """The path template that describes `path`; literal ones first (/v3/users/ over
    /v3/users/{name}), then the one with most literal characters."""
    found = [t for t in doc["paths"] if template_regex(t).match(path)]
    assert found, f"{path} is described by no path of the document"
    return max(found, key=lambda t: len(re.sub(r"\{[^}]+\}", "", t)))


def check(doc: dict, method: str, path: str, response) -> None:
    """Assert that the (Werkzeug test or httpx) response is what the document says."""
    template = find_path(doc, path.split("?")[0])
    operation = doc["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not described"
    status = str(response.status_code)
    answer = operation["responses"].get(status)
    assert answer is not None, f"{method} {template} answered {status}, not described"
    for name, header in answer.get("headers", {}).items():
        if header.get("required"):
            assert name in response.headers, f"{method} {template} {status} lacks {name}"
    body = response.data if hasattr(response, "data") else response.content
    if not body:
        assert status in ("204", "304") or method == "HEAD" or "content" not in answer
        return
    media = response.headers["Content-Type"].split(";")[0].strip()
    content = answer.get("content", {})
    assert media in content, (
        f"{method} {template} {status} answered {media}, not in {list(content)}"
    )
    schema = content[media]["schema"]
    text = body.decode()
    instance = json.loads(text) if media == "application/json" else text
    OAS31Validator({**schema, "components": doc["components"]}).validate(instance)
