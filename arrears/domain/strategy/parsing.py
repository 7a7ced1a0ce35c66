"""Parsing a strategy from already-read data: presets merged in, every field validated, the field named
in every error. Reading files is arrears.config.strategies's job."""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from arrears.domain.policy import ContactPolicy
from arrears.domain.strategy.model import Strategy
from arrears.domain.strategy.steps import Action


class StrategyError(ValueError):
    """A strategy file that cannot be used; the message names the field."""


def _format_loc(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        else:
            parts.append(str(item))
    # Name the step by id too, so "steps[7]" can be found in a long file.
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps") or []
        if loc[1] < len(steps) and isinstance(steps[loc[1]], dict) and "id" in steps[loc[1]]:
            parts[0] = f"{parts[0]} (id {steps[loc[1]]['id']!r})"
    return ".".join(parts) or "(file)"


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def _resolve_compliance(data: dict[str, Any], source: str, presets: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``compliance = { preset = "cn-bank", caps = { call = { per_day = 2 } } }``: the preset, then the overrides."""
    chosen = data.get("compliance")
    if chosen is None:
        return data
    names = ", ".join(sorted(presets))
    if not isinstance(chosen, dict) or "preset" not in chosen:
        raise StrategyError(f"{source}: compliance.preset: name a preset ({names})")
    name = str(chosen["preset"])
    if name not in presets:
        raise StrategyError(f"{source}: compliance.preset: unknown preset {name!r}; use {names}")
    return {**data, "compliance": _merge(dict(presets[name]), chosen)}


def parse_strategy(
    data: Any, source: str = "strategy", presets: Mapping[str, Mapping[str, Any]] | None = None
) -> Strategy:
    """``data`` as read from a strategy file; ``presets``: the compliance presets by name, as read from theirs.

    arrears.config.strategies reads both; this only checks them.
    """
    if not isinstance(data, dict):
        raise StrategyError(f"{source}: expected a table of settings at the top level")
    data = _resolve_compliance(data, source, presets or {})
    try:
        strategy = Strategy.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{_format_loc(err['loc'], data)}: {err['msg'].removeprefix('Value error, ')}" for err in exc.errors()
        ]
        raise StrategyError(f"{source}: " + "; ".join(problems)) from None
    problems = third_party_problems(strategy)
    if problems:
        raise StrategyError(f"{source}: " + "; ".join(problems))
    return strategy


def third_party_problems(strategy: Strategy) -> list[str]:
    """Messages to people other than the cardholder use only templates their preset allows.

    Checked when a file is loaded, not when a model is read back (a running episode's strategy
    must always deserialize); the activity refuses at send time too. 12 CFR 1006.10(b)(2): a
    location communication must not state that the consumer owes a debt; 商业银行信用卡业务监督管理办法
    art. 68: no collection from people unrelated to the debt.
    """
    policy = strategy.compliance or ContactPolicy(preset="baseline")
    problems = []
    for n, step in enumerate(strategy.steps):
        where = f"steps[{n}] (id {step.id!r})"
        template = step.template_name
        if step.action == Action.LOCATE and template not in policy.third_party_templates:
            problems.append(
                f"{where}.template: {template!r} is not third-party safe under {policy.preset} (allowed on a locate "
                f"step: {', '.join(policy.third_party_templates) or 'none'}); a contact person is never told about the debt"
            )
        if step.action == Action.GUARANTOR:
            if not policy.guarantor.about_debt:
                problems.append(
                    f"{where}.action: {policy.preset} does not let a guarantor be asked to pay; reach them with a "
                    f"locate step, which does not mention the debt"
                )
            elif template not in policy.guarantor.templates:
                problems.append(
                    f"{where}.template: {template!r} is not a guarantor template under {policy.preset} (allowed: "
                    f"{', '.join(policy.guarantor.templates) or 'none'})"
                )
    return problems
