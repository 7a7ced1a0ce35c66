"""One way to reach Temporal, from settings: address, namespace, TLS or API key."""

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from arrears.settings import Settings


def _tls(settings: Settings) -> bool | TLSConfig:
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        return TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
        )
    return settings.temporal_tls or bool(settings.temporal_api_key)


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client; ``runtime`` carries telemetry (the worker's Prometheus metrics, arrears.metrics)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=_tls(settings),
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
