#!/usr/bin/env python3
"""Validates benchmark result documents against benchmarks/schema/pfs-bench.schema.json.

usage: validate_bench_json.py FILE [FILE...]   exit 0 when all are valid, 1 otherwise.
"""
import json, os, sys

import jsonschema

def main():
    schema_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema", "pfs-bench.schema.json")
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    bad = 0
    for path in sys.argv[1:]:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            print(f"{path}: {'/'.join(map(str, e.path)) or '<root>'}: {e.message}", file=sys.stderr)
        bad += bool(errors)
        if not errors:
            print(f"{path}: valid pfs-bench/1 ({doc['benchmark']})")
    return 1 if bad or len(sys.argv) < 2 else 0

if __name__ == "__main__":
    sys.exit(main())
