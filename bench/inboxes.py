"""Write the synthetic inbox of N files for a seed, or reuse the one written before by the same generator."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections import Counter
from pathlib import Path

from bench import synthetic
from bench.places import OUT


def generator_fingerprint() -> str:
    """Hash the generator's modules and the demo writers they use: a change to any regenerates the inbox."""
    digest = hashlib.sha256()
    for path in synthetic.SOURCES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_inbox(n: int, seed: int) -> tuple[Path, dict]:
    """Write the synthetic inbox, or reuse the one already written for the same N, seed and generator."""
    inbox = OUT / f"inbox-s{seed}-n{n}"
    manifest_path = OUT / f"inbox-s{seed}-n{n}.json"
    fingerprint = generator_fingerprint()
    if manifest_path.exists() and inbox.is_dir():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("fingerprint") == fingerprint:
            manifest["generated_s"] = None
            return inbox, manifest
    shutil.rmtree(inbox, ignore_errors=True)
    started = time.perf_counter()
    specs = synthetic.plan(n, seed)
    synthetic.write_inbox(inbox, specs, processes=os.cpu_count() or 1)
    manifest = {
        "seed": seed,
        "n": n,
        "fingerprint": fingerprint,
        "rows": sum(s.rows for s in specs),
        "templates": Counter(s.template for s in specs),
        "formats": Counter(s.fmt for s in specs),
        "units": len({s.path.split("/")[0] for s in specs}),
        "years": sorted({int(m) for s in specs for m in re.findall(r"(20\d\d)年", s.path)}),
        "files": [s.path for s in specs],
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    manifest["generated_s"] = time.perf_counter() - started
    return inbox, manifest
