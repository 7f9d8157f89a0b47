#!/usr/bin/env python3
"""Extract the Vapi DTOs vapiform writes and reads from Vapi's vendored OpenAPI file.

Writes schemas/vapi/dtos.json: the named root schemas below and every component schema they
reach through `$ref`, without prose (descriptions, examples, titles, defaults), keys sorted,
one schema per line, so a newer upstream file shows up as a reviewable diff.

    python3 scripts/vapi-schema.py           # regenerate
    python3 scripts/vapi-schema.py --check   # exit 1 if the committed file differs

Quirks of Vapi's data are handled in src/vapi/schema.rs, never here: this script copies.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "vendor/vapi-openapi/openapi.json"
TARGET = "schemas/vapi/dtos.json"
UPSTREAM = {
    "repository": "https://github.com/VapiAI/docs",
    "path": "fern/apis/api/openapi.json",
    "commit": "0494c2f3cd88c4fd04b8e98e9a247919270741ed",
    "licence": "MIT, copyright (c) 2025 Vapi; see vendor/vapi-openapi/LICENSE",
}

PROVIDERS = ["Telnyx", "Byo", "Twilio", "Vonage", "Vapi"]
ROOTS = (
    ["CreateAssistantDTO", "UpdateAssistantDTO"]
    + [f"Create{p}PhoneNumberDTO" for p in PROVIDERS]
    + [f"Update{p}PhoneNumberDTO" for p in PROVIDERS]
    + ["PhoneNumberHookCallRinging", "PhoneNumberHookCallEnding"]
    + ["Assistant"]
    + [f"{p}PhoneNumber" for p in PROVIDERS]
    + ["Squad"]
    + ["CreateChatDTO", "Chat"]
)

# Keywords that document rather than constrain: dropped to keep the file small.
PROSE = {"description", "example", "examples", "title", "default", "deprecated", "writeOnly"}
REF_PREFIX = "#/components/schemas/"


def strip(node):
    """The schema without prose; property names are kept even when they look like keywords."""
    if isinstance(node, list):
        return [strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: strip(schema) for name, schema in value.items()}
        elif key in PROSE:
            continue
        else:
            out[key] = strip(value)
    return out


def references(node, found):
    """Adds the component names `node` refers to (directly) to `found`."""
    if isinstance(node, list):
        for item in node:
            references(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith(REF_PREFIX):
                    sys.exit(f"unsupported $ref {value}")
                found.add(value[len(REF_PREFIX):])
            else:
                references(value, found)
        mapping = node.get("discriminator", {}).get("mapping", {})
        for target in mapping.values():
            found.add(target[len(REF_PREFIX):])


def closure(schemas):
    """Every component schema reachable from ROOTS."""
    todo = list(ROOTS)
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            sys.exit(f"{SOURCE} has no schema {name}")
        seen.add(name)
        found = set()
        references(schemas[name], found)
        todo.extend(sorted(found - seen))
    return seen


def render(schemas):
    """The output file's text: a header, then one compact schema per line, sorted by name."""
    names = sorted(closure(schemas))
    lines = ["{"]
    header = dict(UPSTREAM, file=SOURCE, roots=ROOTS, generator="scripts/vapi-schema.py")
    lines.append(f'  "source": {json.dumps(header, sort_keys=True)},')
    lines.append('  "schemas": {')
    for index, name in enumerate(names):
        body = json.dumps(strip(schemas[name]), sort_keys=True, ensure_ascii=False)
        comma = "," if index + 1 < len(names) else ""
        lines.append(f"    {json.dumps(name)}: {body}{comma}")
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not check:
        sys.exit("usage: vapi-schema.py [--check]")
    with open(ROOT / SOURCE, encoding="utf-8") as file:
        schemas = json.load(file)["components"]["schemas"]
    text = render(schemas)
    target = ROOT / TARGET
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            sys.exit(f"{TARGET} is out of date; run `python3 scripts/vapi-schema.py`")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
