"""Worker metrics for Prometheus: the SDK's own, and the collection counters operators watch.

`ARREARS_METRICS_PORT` set, the worker's Temporal runtime serves every metric on
``http://<host>:<port>/metrics``: the SDK's (task latencies, slots, cache,
polls, failures; prefixed ``temporal_``) and ours:

- ``arrears_steps_total{kind, channel, rule}``: ladder steps by what happened (contact,
  task, account_action, suppressed, deferred, ...) and, for a deferral or
  suppression, the gate's rule;
- ``arrears_updates_total{update, result}``: desk and operator updates accepted,
  rejected by their validator, or failed in their handler;
- ``arrears_attention_total{code}``: episodes that put themselves on the attention
  list (see `arrears doctor`).

Workflow metrics are not emitted while a history replays, so counts are not doubled
when a worker rebuilds its cache.
"""

from temporalio import workflow
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)


def runtime_for(port: int | None, host: str = "0.0.0.0") -> Runtime | None:
    """A Temporal runtime exporting metrics on ``host:port``; None leaves the default (no export)."""
    if port is None:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{host}:{port}")))


def count_step(kind: str, channel: str, rule: str | None) -> None:
    workflow.metric_meter().create_counter("arrears_steps", "ladder steps by result").add(
        1, {"kind": kind, "channel": channel or "-", "rule": rule or "-"}
    )


def count_attention(code: str) -> None:
    workflow.metric_meter().create_counter("arrears_attention", "episodes flagged for attention").add(
        1, {"code": code.split(":", 1)[0]}
    )


def _count_update(update: str, result: str) -> None:
    workflow.metric_meter().create_counter("arrears_updates", "updates by result").add(
        1, {"update": update, "result": result}
    )


class MetricsInterceptor(Interceptor):
    """Counts every update's fate, for every workflow the worker runs."""

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput):
        return _UpdateCounter


class _UpdateCounter(WorkflowInboundInterceptor):
    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        try:
            super().handle_update_validator(input)
        except Exception:
            _count_update(input.update, "rejected")
            raise

    async def handle_update_handler(self, input: HandleUpdateInput):
        try:
            result = await super().handle_update_handler(input)
        except Exception:
            _count_update(input.update, "failed")
            raise
        _count_update(input.update, "accepted")
        return result
