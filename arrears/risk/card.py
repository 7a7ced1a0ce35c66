"""The model card: what a model predicts, from what, how well, and how it segments (Markdown)."""

from arrears.risk.model import ScoringModel


def _n(value) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def render_card(model: ScoringModel) -> str:
    c = model.card
    rows, test, fit = c["rows"], c["test"], c["fit"]
    medium, high = model.thresholds
    lines = [
        f"# Model card: {model.version}",
        "",
        f"- **Target:** `{model.target}`: {c['meaning']} (horizon {c['horizon_days']} days; population: {c['population']})",
        f"- **Method:** {c['method']}",
        f"- **SHA-256:** `{model.content_hash()}`",
        f"- **Trained:** {c['trained_at']} on snapshots {', '.join(c['snapshots'])} (window {c['window'][0]}..{c['window'][1]}), "
        f"labels known up to {c['label_end']}",
        f"- **Sample:** {rows['fit'] + rows['calibrate'] + rows['test']} rows from {rows['accounts']} accounts "
        f"({rows['positives']} positive, base rate {rows['base_rate']:.2%}); fit {rows['fit']}, calibrate {rows['calibrate']}, "
        f"held-out test {rows['test']} (split by account)",
        "- **Libraries:** " + ", ".join(f"{k} {v}" for k, v in c["library"].items()),
        "",
        "## Performance",
        "",
        "| rows | AUC | KS | Gini | Brier | calibration error |",
        "|---|---:|---:|---:|---:|---:|",
        f"| fit ({fit['rows']}) | {_n(fit['auc'])} | {_n(fit['ks'])} | {_n(fit['gini'])} | {_n(fit['brier'])} | {_n(fit['calibration_error'])} |",
        f"| held-out test ({test['rows']}) | {_n(test['auc'])} | {_n(test['ks'])} | {_n(test['gini'])} | {_n(test['brier'])} | {_n(test['calibration_error'])} |",
        "",
        "Calibration on the held-out test rows (by predicted-probability decile):",
        "",
        "| predicted from | to | rows | mean predicted | observed |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {b['from']:.4f} | {b['to']:.4f} | {b['rows']} | {b['predicted']:.4f} | {b['observed']:.4f} |"
        for b in test["calibration"]
    ]
    lines += [
        "",
        "## Segments",
        "",
        f"Risk is the probability of the bad outcome{'' if model.positive_means_risk else ' (one minus the cure probability)'}. "
        f"**low** below {medium:.4f}, **medium** from {medium:.4f}, **high** from {high:.4f}: thresholds at the "
        f"{c['segment_shares_asked'][0]} % and {c['segment_shares_asked'][0] + c['segment_shares_asked'][1]} % points of "
        "the fit and calibration rows' risk.",
        "",
        "| segment | share of test rows | bad rate |",
        "|---|---:|---:|",
    ]
    lines += [f"| {s['segment']} | {s['share']:.1%} | {_n(s['bad_rate'])} |" for s in c["segments_test"]]
    lines += [
        "",
        "## Features (by importance: spread of their contribution to the log odds)",
        "",
        "| feature | meaning | coefficient | information value | importance | bins |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| `{f['name']}` | {f['meaning']} | {f['coefficient']:.4f} | {f['information_value']:.4f} | "
        f"{f['importance']:.4f} | {f['bins']} |"
        for f in c["features"]
    ]
    if c.get("dropped"):
        lines += ["", "Left out of the regression (coefficient 0; still watched for drift):", ""]
        lines += [f"- `{name}`: {why}" for name, why in sorted(c["dropped"].items())]
    lines += [
        "",
        "Reasons given with a segment are the features pushing the risk up most, with their values "
        "and contributions (log odds).",
        "",
    ]
    return "\n".join(lines)
