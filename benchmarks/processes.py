"""Each benchmark measures a model in a fresh process of its own (its peak memory is its own,
and one model's crash is one error row): `python -m <module> --one NAME ...` prints one
`RESULT {json}` line. `measured_each` runs such measurements one model after another, printing
a line as each one ends."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PREFIX = "RESULT "


def report(result):
    """What the child prints: the one line `measured_in_subprocess` reads."""
    print(PREFIX + json.dumps(result), flush=True)


def measured_in_subprocess(module, name, flags=()):
    """The result dict of `python -m module --one name *flags`, or {"model": name, "error": its
    last line of stderr} when it failed."""
    process = subprocess.run([sys.executable, "-m", module, "--one", name, *map(str, flags)], cwd=REPO,
                             capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    lines = [line for line in process.stdout.splitlines() if line.startswith(PREFIX)]
    if process.returncode or not lines:
        said = process.stderr.strip().splitlines() or ["no output"]
        # the exception's own line and the first line that says what must hold, else the last line
        named = [line.strip() for line in said if re.match(r"\s*[\w.]*(Error|Exception)\b", line)]
        must = [line.strip() for line in said if " must " in line]
        return {"model": name, "error": ("; ".join(dict.fromkeys(named[-1:] + must[:1])) or said[-1].strip())[:300]}
    return json.loads(lines[-1][len(PREFIX):])


def measured_each(names, measure, line, after_each=None):
    """[measure(name) for name in names], measured one after another. As each one ends, the line
    `line(result, seconds)` is printed at once (seconds: how long the measurement took), then
    `after_each(results so far)` is called, e.g. to write the table so far, so that a run
    stopped early keeps what it measured. `measure` is typically
    `lambda name: measured_in_subprocess(module, name, flags)`.

    >>> measured_each(["vae", "dcgan"], lambda name: {"model": name, "letters": len(name)},
    ...               lambda result, seconds: f"{result['model']}: {result['letters']} letters")
    vae: 3 letters
    dcgan: 5 letters
    [{'model': 'vae', 'letters': 3}, {'model': 'dcgan', 'letters': 5}]
    """
    results = []
    for name in names:
        started = time.perf_counter()
        result = measure(name)
        results.append(result)
        print(line(result, time.perf_counter() - started), flush=True)
        if after_each is not None:
            after_each(results)
    return results
