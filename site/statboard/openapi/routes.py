"""GET /openapi.json (the document) and GET /openapi (the reference page)."""

from flask import current_app, jsonify, render_template

from statboard.openapi import bp

METHODS = ("get", "head", "post", "put", "patch", "delete")


def current_document() -> dict:
    from statboard.openapi.document import document  # 1 MB of dicts: at the first ask

    config = current_app.config
    return document(config["SITE_URL"], config["SITE_NAME"], config["COUNTER_PLAY_NAMESPACE"])


@bp.get("/openapi.json")
def openapi_json():
    response = jsonify(current_document())
    response.headers["Access-Control-Allow-Origin"] = "*"  # for tools in other origins
    return response


@bp.get("/openapi")
def reference():
    doc = current_document()
    return render_template("openapi/reference.html", doc=doc, sections=sections(doc))


def sections(doc: dict) -> list[dict]:
    """The operations by tag, in the document's order, each with its parameters and
    its answers written out for people."""
    by_tag = {tag["name"]: {**tag, "operations": []} for tag in doc["tags"]}
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            by_tag[operation["tags"][0]]["operations"].append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "auth": auth_text(operation.get("security")),
                    "parameters": [*shared, *operation.get("parameters", [])],
                    "body": content_text(operation.get("requestBody", {}).get("content", {})),
                    "responses": [
                        {
                            "status": status,
                            "description": answer["description"],
                            "content": content_text(answer.get("content", {})),
                        }
                        for status, answer in operation["responses"].items()
                    ],
                }
            )
    return list(by_tag.values())


def auth_text(security) -> str:
    if not security:
        return "none"
    names = [next(iter(item), "none") for item in security]
    return " or ".join(names)


def schema_text(schema: dict) -> str:
    """A schema as a few words: Counter, array of SampleIn, string."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "oneOf" in schema:
        return " or ".join(schema_text(option) for option in schema["oneOf"])
    if schema.get("type") == "array":
        return "array of " + schema_text(schema.get("items", {}))
    kind = schema.get("type", "any")
    return " or ".join(kind) if isinstance(kind, list) else kind


def content_text(content: dict) -> list[str]:
    return [f"{media}: {schema_text(entry.get('schema', {}))}" for media, entry in content.items()]
