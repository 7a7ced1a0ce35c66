"""`arrears strategy`: check a strategy file, move an episode to another."""

from pathlib import Path
from typing import Annotated

import typer

from arrears.channels.render import Renderer, missing_templates
from arrears.cli.context import console, current_settings, run_async, temporal_client
from arrears.cli.errors import BAD_INPUT, fail
from arrears.client.operations import apply_strategy
from arrears.config.strategies import load_strategy
from arrears.contracts.collection import ApplyStrategyInput
from arrears.domain.account import LANGUAGES
from arrears.domain.ladder import occurrences
from arrears.domain.strategy import MESSAGES, Segment, StrategyError

app = typer.Typer(no_args_is_help=True, help="Strategy files.")


@app.command("check")
def strategy_check(file: Annotated[Path, typer.Argument(help="Strategy file (.toml, .yaml)")]) -> None:
    """Validate a strategy file and print its ladder per risk segment."""
    try:
        strategy = load_strategy(file)
    except StrategyError as exc:
        fail(exc, BAD_INPUT)
    templates = {s.template_name for s in strategy.steps if s.action in MESSAGES}
    missing = missing_templates(Renderer(current_settings().templates_dir), templates, LANGUAGES)
    if missing:
        fail(f"{file}: templates not found: {', '.join(missing)}", BAD_INPUT)
    for segment in Segment:
        ladder = ", ".join(f"{o.dpd}:{o.step.action.value}" for o in occurrences(strategy, segment))
        console.print(f"[bold]{segment.value}[/bold]: {ladder}")
    console.print(f"ok: {strategy.name} ({strategy.content_hash()[:12]})")


@app.command("apply")
def strategy_apply(
    account: Annotated[str, typer.Argument(help="Account id")],
    file: Annotated[Path, typer.Argument(help="Strategy file (.toml, .yaml)")],
    by: Annotated[str, typer.Option(help="Who decides the change (kept on record)")],
    reason: Annotated[str, typer.Option(help="Why (kept on record)")],
) -> None:
    """Move a running episode to another strategy from now on (recorded; new episodes take ARREARS_STRATEGY)."""
    try:
        chosen = load_strategy(file)
    except StrategyError as exc:
        fail(exc, BAD_INPUT)

    async def go():
        return await apply_strategy(
            await temporal_client(), account, ApplyStrategyInput(strategy=chosen, applied_by=by, reason=reason)
        )

    result = run_async(go())
    console.print(
        f"{account}: {result.previous_name} ({result.previous_hash[:12]}) -> {result.strategy_name} "
        f"({result.strategy_hash[:12]}); {result.pending_steps} step(s) pending"
    )
