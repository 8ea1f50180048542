#!/usr/bin/env python3
"""Validates config.json files against the OCI runtime-spec schema installed by Debian's
golang-github-opencontainers-specs-dev (never a copy in this repository). Prints one line per file."""
import json
import sys
from pathlib import Path

SCHEMA_DIR = Path("/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema")


def main(paths):
    try:
        import jsonschema
        from referencing import Registry, Resource
    except ImportError:
        print("validate-oci: python jsonschema missing (apt-get install python3-jsonschema or pip install jsonschema)")
        return 2
    if not (SCHEMA_DIR / "config-schema.json").exists():
        print(f"validate-oci: {SCHEMA_DIR} missing: apt-get install golang-github-opencontainers-specs-dev")
        return 2
    resources = []
    for f in SCHEMA_DIR.glob("*.json"):
        doc = json.loads(f.read_text())
        resources.append((f.name, Resource.opaque(doc)))   # the schema files refer to each other by file name
    registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMA_DIR / "config-schema.json").read_text())
    validator = jsonschema.Draft4Validator(schema, registry=registry)
    failed = 0
    for p in paths:
        errors = sorted(validator.iter_errors(json.loads(Path(p).read_text())), key=lambda e: list(e.path))
        if errors:
            failed += 1
            for e in errors[:5]:
                print(f"{p}: INVALID at {'/'.join(map(str, e.path))}: {e.message}")
        else:
            print(f"{p}: valid OCI runtime-spec config")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
