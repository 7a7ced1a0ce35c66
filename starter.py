"""Entry point: `python starter.py FILE` starts one episode per good row (same as `arrears start FILE`)."""

import sys

from arrears.cli.main import run

if __name__ == "__main__":
    run(["start", *sys.argv[1:]])
