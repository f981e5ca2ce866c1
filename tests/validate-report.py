#!/usr/bin/python3
# validate-report.py SCHEMA FILE...: validates each JSON file against the JSON
# Schema (draft 2020-12) with Debian's python3-jsonschema. Prints one line per
# file, "ok FILE" or "invalid FILE: where: why"; exits 0 only if all are valid,
# 2 if the schema itself is not a valid draft 2020-12 schema.
import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

schema = json.load(open(sys.argv[1]))
try:
    Draft202012Validator.check_schema(schema)
except SchemaError as e:
    print(f"invalid schema: {e.message}")
    sys.exit(2)
validator = Draft202012Validator(schema)
status = 0
for path in sys.argv[2:]:
    errors = sorted(validator.iter_errors(json.load(open(path))), key=lambda e: list(e.absolute_path))
    if errors:
        status = 1
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        print(f"invalid {path}: {where}: {e.message[:200]}")
    else:
        print(f"ok {path}")
sys.exit(status)
