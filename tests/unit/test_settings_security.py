"""Security settings: TLS validated, secrets kept secret, URLs shown masked, codec keys checked at load."""

import base64

import pytest
from pydantic import ValidationError
from temporalio.client import TLSConfig
from typer.testing import CliRunner

from arrears.cli.main import app
from arrears.runtime.connect import converter, tls_config
from arrears.config.settings import Settings, mask_url

KEY = base64.b64encode(bytes(32)).decode()


@pytest.fixture
def pem(tmp_path):
    def write(name: str) -> str:
        path = tmp_path / name
        path.write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        return str(path)
    return write


def test_a_client_certificate_needs_its_key_and_the_reverse(pem):
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_CERT is set but TEMPORAL_TLS_KEY is not"):
        Settings(TEMPORAL_TLS_CERT=pem("client.pem"))
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_KEY is set but TEMPORAL_TLS_CERT is not"):
        Settings(TEMPORAL_TLS_KEY=pem("client.key"))
    both = Settings(TEMPORAL_TLS_CERT=pem("client.pem"), TEMPORAL_TLS_KEY=pem("client.key"))
    tls = tls_config(both)
    assert isinstance(tls, TLSConfig) and tls.client_cert and tls.client_private_key and tls.server_root_ca_cert is None


def test_a_private_ca_is_used_and_a_missing_file_is_named(pem, tmp_path):
    tls = tls_config(Settings(TEMPORAL_TLS_CA=pem("ca.pem")))
    assert isinstance(tls, TLSConfig) and tls.server_root_ca_cert.startswith(b"-----BEGIN") and tls.client_cert is None
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_CA: .*nope.pem is not a readable file"):
        Settings(TEMPORAL_TLS_CA=str(tmp_path / "nope.pem"))
    assert tls_config(Settings()) is False
    assert tls_config(Settings(TEMPORAL_API_KEY="k")) is True  # an API key means TLS with the system's roots


def test_the_api_key_and_the_database_password_are_never_shown():
    s = Settings(TEMPORAL_API_KEY="tk-very-secret", ARREARS_DATABASE_URL="postgresql+psycopg://arrears:pw-in-url@db/arrears")
    assert "tk-very-secret" not in repr(s) and "tk-very-secret" not in str(s.model_dump())
    assert s.temporal_api_key.get_secret_value() == "tk-very-secret"
    assert "pw-in-url" not in repr(s) and s.database_url_masked == "postgresql+psycopg://arrears:***@db/arrears"
    apart = Settings(ARREARS_DATABASE_URL="postgresql+psycopg://arrears@db/arrears", ARREARS_DATABASE_PASSWORD="p@ss:w/rd")
    assert "p@ss" not in repr(apart) and "p@ss" not in apart.database_url_masked
    assert apart.database_url.startswith("postgresql+psycopg://arrears:p%40ss%3Aw%2Frd@db/")  # reaches the engine
    assert mask_url("not a url://u:secret@h") != "" and "secret" not in mask_url("weird://u:secret@h/x")


def test_codec_keys_load_from_env_or_file_and_a_bad_list_stops_at_load(tmp_path):
    assert Settings().codec() is None and converter(Settings()).payload_codec is None
    assert Settings(ARREARS_CODEC_KEYS=f"k1={KEY}").codec().current == "k1"
    keyfile = tmp_path / "keys"
    keyfile.write_text(f"# rotated 2026-12\nk2={KEY}\nk1={KEY}\n", encoding="utf-8")
    assert Settings(ARREARS_CODEC_KEYS_FILE=str(keyfile)).codec().ids() == ["k2", "k1"]
    assert converter(Settings(ARREARS_CODEC_KEYS_FILE=str(keyfile))).payload_codec is not None
    with pytest.raises(ValidationError, match="not both"):
        Settings(ARREARS_CODEC_KEYS=f"k1={KEY}", ARREARS_CODEC_KEYS_FILE=str(keyfile))
    with pytest.raises(ValidationError, match="32 bytes") as bad:
        Settings(ARREARS_CODEC_KEYS="k1=c2hvcnQ=", TEMPORAL_API_KEY="tk-secret")
    assert "c2hvcnQ" not in str(bad.value) and "tk-secret" not in str(bad.value)
    assert f"k1={KEY}" not in repr(Settings(ARREARS_CODEC_KEYS=f"k1={KEY}"))


def test_the_cli_shows_the_url_masked_and_bad_settings_in_one_line(tmp_path, monkeypatch, postgres_url):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("TEMPORAL_TLS_CERT", str(tmp_path / "client.pem"))
    (tmp_path / "client.pem").write_text("x", encoding="utf-8")
    refused = runner.invoke(app, ["--database-url", url, "db", "upgrade"])
    assert refused.exit_code == 2 and "TEMPORAL_TLS_KEY is not" in refused.output and "Traceback" not in refused.output
    monkeypatch.delenv("TEMPORAL_TLS_CERT")
    monkeypatch.setenv("ARREARS_DATABASE_PASSWORD", "hunter2")
    done = runner.invoke(app, ["--database-url", postgres_url, "db", "upgrade"], env={"COLUMNS": "250"})
    assert done.exit_code == 0 and "hunter2" not in done.output and "***" in done.output


def test_codec_key_prints_a_usable_entry():
    result = CliRunner().invoke(app, ["codec-key", "--id", "2026-12"])
    assert result.exit_code == 0 and Settings(ARREARS_CODEC_KEYS=result.stdout.strip()).codec().ids() == ["2026-12"]
    assert CliRunner().invoke(app, ["codec-key", "--id", "bad id"]).exit_code == 2
