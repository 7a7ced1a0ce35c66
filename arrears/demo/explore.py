"""What to look at after the demo: three ways in, with the demo's real ids and addresses.

The commands name the demo's own server and database explicitly (its ports are
picked free at each run), so they can be pasted as they are into another
terminal while ``arrears demo --keep-server`` keeps the server up.
"""

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from arrears.runtime.devserver import temporal_binary

LATE_QUERY = 'CollectionStage="late"'


@dataclass(frozen=True)
class Exploration:
    what: str
    commands: tuple[str, ...]  # shell commands, and the Web UI address for the last one


def _shown(path: Path) -> str:
    """A path as short as it can be said from here."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def arrears_command() -> str:
    beside = Path(sys.executable).parent / "arrears"
    return _shown(beside) if beside.exists() else "arrears"


def explorations(
    *, address: str, database_url: str, ui_url: str | None, interesting: str, why: str, ended: tuple[str, str] | None
) -> list[Exploration]:
    """``ended``: an account whose episode ended, and how (the settled one when there is one)."""
    arrears = arrears_command()
    temporal = _shown(Path(temporal_binary()))
    on_server = f"{arrears} --address {shlex.quote(address)}"
    found = [Exploration(f"{interesting}, {why}, live from its workflow:", (f"{on_server} status {interesting}",))]
    if ended is not None:
        account, how = ended
        found.append(
            Exploration(
                f"{account}'s story, {how}: the record and the workflow history, line by line:",
                (f"{on_server} --database-url {shlex.quote(database_url)} audit timeline {account}",),
            )
        )
    late: tuple[str, ...] = (
        f"{temporal} workflow list --address {shlex.quote(address)} --query {shlex.quote(LATE_QUERY)}",
    )
    if ui_url:
        late = (f"{ui_url}/namespaces/default/workflows?query={quote(LATE_QUERY)}", *late)
    found.append(Exploration("the accounts in late stage, in the Web UI (the query " + LATE_QUERY + ") or here:", late))
    return found


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{_shown(path)}"
