"""What payload encryption costs: microseconds per payload and bytes added, for the payloads Arrears sends most.

    .venv/bin/python benchmarks/codec_overhead.py [--n 2000]

Measures, in this process, pydantic conversion alone and conversion plus
AES-256-GCM (arrears.runtime.codec) for three payloads: a workflow start
(EpisodeInput with the default strategy, the largest), a step activity's input
(StepCommand) and a promise update (PromiseInput). Prints the time to encode
and decode each, and the size before and after.
"""

import argparse
import asyncio
import base64
import time
from datetime import date, datetime, timezone
from decimal import Decimal

from arrears import PROJECT_ROOT
from arrears.runtime.codec import data_converter, parse_keys
from arrears.contracts.collection import EpisodeInput, PromiseInput
from arrears.contracts.collection_activities import StepCommand
from arrears.domain.ladder import ScheduledStep
from arrears.domain.strategy import Action, Segment
from arrears.config.strategies import load_strategy


def samples() -> dict[str, object]:
    strategy = load_strategy(PROJECT_ROOT / "strategies" / "default.toml")
    now = datetime(2026, 12, 1, 2, tzinfo=timezone.utc)
    episode = EpisodeInput(account_id="ACC000123", currency="CNY", overdue_amount=Decimal("1234.56"),
                           total_balance=Decimal("8000.00"), due_date=date(2026, 11, 20), timezone="Asia/Shanghai",
                           risk_segment=Segment.MEDIUM, strategy=strategy, strategy_hash=strategy.content_hash())
    step = StepCommand(episode_id="ep-1", account_id="ACC000123", executed_at=now, dpd=11, stage="early", currency="CNY",
                       overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=date(2026, 11, 20),
                       strategy_hash="0" * 64, step=ScheduledStep(key="early-sms@11", step_id="early-sms",
                                                                  action=Action.SMS, dpd=11, due_at=now, template="sms_early"))
    promise = PromiseInput(promise_id="P-1", amount=Decimal("300.00"), promised_date=date(2026, 12, 5),
                           collector_id="c-li", note="salary on the 5th")
    return {"EpisodeInput": episode, "StepCommand": step, "PromiseInput": promise}


async def measure(n: int) -> None:
    plain = data_converter(None)
    sealed = data_converter(parse_keys("bench=" + base64.b64encode(bytes(32)).decode()))
    print(f"{'payload':<14}{'bytes':>8}{'sealed':>8}  {'plain enc+dec µs':>17}  {'sealed enc+dec µs':>18}  {'overhead µs':>12}")
    for name, value in samples().items():
        timings = {}
        sizes = {}
        for label, converter in (("plain", plain), ("sealed", sealed)):
            [payload] = await converter.encode([value])
            sizes[label] = payload.ByteSize()
            started = time.perf_counter()
            for _ in range(n):
                [payload] = await converter.encode([value])
                await converter.decode([payload], [type(value)])
            timings[label] = (time.perf_counter() - started) / n * 1e6
        print(f"{name:<14}{sizes['plain']:>8}{sizes['sealed']:>8}  {timings['plain']:>17.1f}  {timings['sealed']:>18.1f}"
              f"  {timings['sealed'] - timings['plain']:>12.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="round trips per payload")
    asyncio.run(measure(parser.parse_args().n))


if __name__ == "__main__":
    main()
