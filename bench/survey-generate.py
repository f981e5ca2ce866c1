#!/usr/bin/python3
# survey-generate.py N FIXTURE... > reports.ndjson: N distinct reports, one per
# line, made from the kernel matrix's reports (cycled), each with its own
# host.boot_id and one of 12 kernel releases, so the survey has groups to fill.
# Substitution into the compact JSON text keeps this fast for 100,000 reports.
import hashlib
import json
import sys
import uuid

n = int(sys.argv[1])
templates = []
for path in sys.argv[2:]:
    report = json.load(open(path))
    report["host"]["boot_id"] = "@BOOT_ID@"
    report["host"]["kernel_release"] = "@KERNEL@"
    templates.append(json.dumps(report, separators=(",", ":")))
kernels = [f"6.1.0-{k}-amd64" for k in range(20, 32)]
out = sys.stdout
for i in range(n):
    t = templates[i % len(templates)]
    boot_id = uuid.UUID(bytes=hashlib.md5(str(i).encode()).digest(), version=4)
    out.write(t.replace("@BOOT_ID@", str(boot_id))
               .replace("@KERNEL@", kernels[(i // len(templates)) % len(kernels)]) + "\n")
