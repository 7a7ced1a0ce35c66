"""Entry point: `python worker.py` runs an Arrears worker (same as `arrears worker`).

Settings come from the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
ARREARS_TASK_QUEUE, ARREARS_DATABASE_URL (see README).
"""

import sys

from arrears.cli.main import run

if __name__ == "__main__":
    run(["worker", *sys.argv[1:]])
