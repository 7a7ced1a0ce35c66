"""Entry point: `python starter.py FILE` starts one episode per good row (same as `arrears start FILE`)."""

import sys

from arrears.cli import app

if __name__ == "__main__":
    sys.exit(app(["start", *sys.argv[1:]]))
