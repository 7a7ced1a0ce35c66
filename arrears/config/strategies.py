"""Reading strategy files (TOML or YAML) and compliance presets from disk.

The domain (arrears.domain.strategy) only parses what is read here, so the
rules can be checked anywhere, the workflow sandbox included, without a file
system. A bad file is still refused with the field named (``steps[3].at: ...``).
"""

import tomllib
from pathlib import Path
from typing import Any

import yaml

from arrears import PROJECT_ROOT
from arrears.domain.strategy import Strategy, StrategyError
from arrears.domain.strategy import parse_strategy as _parse

# Compliance presets (policies/*.toml): each states its sources and each number's reason.
PRESETS_DIR = PROJECT_ROOT / "policies"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def load_preset(name: str) -> dict[str, Any]:
    path = PRESETS_DIR / f"{name}.toml"
    if not path.is_file():
        raise StrategyError(f"compliance.preset: unknown preset {name!r}; use {', '.join(preset_names())}")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def load_presets() -> dict[str, dict[str, Any]]:
    # Read on every load, not cached: an edited preset counts from the next strategy loaded.
    return {name: load_preset(name) for name in preset_names()}


def parse_strategy(data: Any, source: str = "strategy") -> Strategy:
    """A strategy from already-read data, with the presets on disk."""
    return _parse(data, source, load_presets())


def load_strategy(path: str | Path) -> Strategy:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StrategyError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise StrategyError(f"{path}: use a .toml, .yaml or .yml file")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise StrategyError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    strategy = parse_strategy(data, str(path))
    return _load_arms(strategy, path)


def _load_arms(strategy: Strategy, path: Path) -> Strategy:
    """Each arm's strategy file, loaded and checked now: a bad arm must stop the import, not one episode."""
    experiment = strategy.experiment
    if experiment is None:
        return strategy
    arms = []
    for index, arm in enumerate(experiment.arms):
        where = f"{path}: experiment.arms[{index}] (name {arm.name!r}).strategy"
        if arm.strategy is None:
            loaded = strategy.without_experiment()
        else:
            arm_path = (path.parent / arm.strategy).resolve()
            try:
                loaded = load_strategy(arm_path)
            except StrategyError as exc:
                raise StrategyError(f"{where}: {exc}") from None
            if loaded.experiment is not None:
                raise StrategyError(f"{where}: {arm.strategy} declares an experiment of its own; arms cannot nest")
        arms.append(arm.model_copy(update={"loaded": loaded}))
    return strategy.model_copy(update={"experiment": experiment.model_copy(update={"arms": tuple(arms)})})
