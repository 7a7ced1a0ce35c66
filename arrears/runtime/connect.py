"""One way to reach Temporal, from settings: address, namespace, TLS or API key, payload encryption."""

from temporalio.client import Client, TLSConfig
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime

from arrears.config.settings import Settings
from arrears.runtime.codec import data_converter


def tls_config(settings: Settings) -> bool | TLSConfig:
    """TLS as the settings ask: client certificate and key together (validated by Settings), a private CA."""
    if settings.temporal_tls_cert or settings.temporal_tls_ca:
        return TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert else None,
            client_private_key=settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None,
            server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
        )
    return settings.temporal_tls or settings.temporal_api_key is not None


def converter(settings: Settings) -> DataConverter:
    """Pydantic on the wire, encrypted when ARREARS_CODEC_KEYS (or its file) is set."""
    return data_converter(settings.codec())


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client; ``runtime`` carries telemetry (the worker's Prometheus metrics, arrears.runtime.metrics)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
        tls=tls_config(settings),
        data_converter=converter(settings),
        runtime=runtime,
    )
