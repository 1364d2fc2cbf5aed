"""Stop early, with a clear message, when the Python that makes .venv is unsupported."""

import sys

SUPPORTED = ((3, 10), (3, 12))

if not SUPPORTED[0] <= sys.version_info[:2] <= SUPPORTED[1]:
    found = ".".join(map(str, sys.version_info[:3]))
    sys.exit(
        f"This course supports Python 3.10 to 3.12, but {sys.executable} is {found}.\n"
        "Run make with a supported interpreter, for example: make test PYTHON=python3.12"
    )
