"""A guitarist's first hour (issue #15): the words people read, the levels
render reports, and the messages for the cases that put a new user off.
Each check runs the real binary; references are the files themselves (the
parameter tables' generated docs, the WAV written) and numpy."""
import os
import re

import numpy as np

from ptest import main, path, read_wav, run, test, tmp, write_wav


@test
def parameter_docs_are_the_tables_output():
    p = run("params", check=True)
    doc = open(path("docs", "parameters.md")).read()
    assert p.stdout == doc, "docs/parameters.md is out of date: run build/pytone params > docs/parameters.md"
    # people's words first: no label cell is an internal snake_case name
    rows = [l for l in doc.splitlines() if l.startswith("| ") and "`" in l]
    assert len(rows) >= 80, len(rows)
    for r in rows:
        label, name = [c.strip() for c in r.split("|")[1:3]]
        assert label != name.strip("`") and "_" not in label, r
    assert "| Drive | `drive_db` | 0.0 .. 24.0 dB | 12.0 dB |" in doc


if __name__ == "__main__":
    main()
