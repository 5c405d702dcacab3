"""RFC 3161 time-stamps on the daily checkpoints, against a real TSA on loopback: OpenSSL's
`ts -reply` behind a small HTTP handler, with a CA and a TSA certificate made for the test.
`verify` checks each token against the CA the checkpoint names; a forged one is refused."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from soporte.logbook import export, services, tsa, verify
from soporte.logbook.models import Timestamp

from .conftest import add_note
from .forge import lines, write

OPENSSL = shutil.which("openssl") or "openssl"
HAVE_OPENSSL = shutil.which("openssl") is not None
# Skipped on a laptop without OpenSSL; CI installs it (.ci/run) and must run these.
pytestmark = pytest.mark.skipif(
    not HAVE_OPENSSL and os.environ.get("CI", "").lower() != "true",
    reason="openssl is not installed (apt-get install openssl)",
)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem(path: Path, obj) -> None:
    if isinstance(obj, x509.Certificate):
        path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            obj.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


@dataclass
class LocalTsa:
    url: str
    folder: Path
    ca_pem: Path

    def reply(self, query: bytes) -> bytes:
        (self.folder / "query.tsq").write_bytes(query)
        subprocess.run(
            [
                OPENSSL,
                "ts",
                "-reply",
                "-config",
                str(self.folder / "tsa.cnf"),
                "-queryfile",
                str(self.folder / "query.tsq"),
                "-out",
                str(self.folder / "reply.tsr"),
            ],
            check=True,
            capture_output=True,
        )
        return (self.folder / "reply.tsr").read_bytes()

    def now(self) -> dt.datetime:
        """The TSA's clock (the machine's real one: the `now` fixture and --clock-ahead move
        only this process's clock), read from a token. Checkpoints are signed at this time,
        as they are in production, where the desk's clock and the TSA's agree."""
        from rfc3161_client import TimestampRequestBuilder, decode_timestamp_response

        query = TimestampRequestBuilder().data(b"hora").build()
        moment = decode_timestamp_response(self.reply(query.as_bytes())).tst_info.gen_time
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def make_tsa(folder: Path, name: str) -> LocalTsa:
    """A CA and a TSA certificate (critical EKU timeStamping) and OpenSSL's TSA config. The
    reply carries the TSA's certificate only (with the CA too, OpenSSL writes the SET OF
    certificates unsorted, which a strict DER reader refuses); the verifier has the CA."""
    # Valid on any date: OpenSSL checks them against the real clock, which --clock-ahead and
    # the `now` fixture do not move.
    now = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    later = dt.datetime(2099, 12, 31, tzinfo=dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} CA"))
        .issuer_name(_name(f"{name} CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} TSA"))
        .issuer_name(ca.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    _pem(folder / "ca.pem", ca)
    _pem(folder / "tsa.pem", cert)
    _pem(folder / "tsa.key", tsa_key)
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(
        f"""[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1.1
digests = sha256, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
    )
    return LocalTsa("", folder, folder / "ca.pem")


@pytest.fixture
def local_tsa(settings):
    """The TSA on 127.0.0.1, configured as the desk's."""
    folder = Path(tempfile.mkdtemp(prefix="soporte-tsa-"))
    authority = make_tsa(folder / "real", "Sellos de prueba")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            query = self.rfile.read(length)
            body = authority.reply(query)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    authority.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    settings.LOGBOOK_TSA_URL = authority.url
    settings.LOGBOOK_TSA_CA = str(authority.ca_pem)
    tsa._ca.cache_clear()
    yield authority
    server.shutdown()
    server.server_close()
    tsa._ca.cache_clear()
    shutil.rmtree(folder, ignore_errors=True)


def stamped_export(logbook, personas, now, tmp_path) -> Path:
    add_note(logbook, personas.agent, now)
    services.daily_checkpoints(now=now)
    path = tmp_path / "sellada.jsonl"
    with open(path, "wb") as handle:
        export.export_logbook(logbook, handle, now=now + dt.timedelta(seconds=1))
    return path


def test_a_daily_checkpoint_is_stamped_by_the_tsa_and_verify_checks_it(
    local_tsa, logbook, personas, tmp_path
):
    now = local_tsa.now()
    path = stamped_export(logbook, personas, now, tmp_path)
    stamp = Timestamp.objects.get(checkpoint__logbook=logbook)
    assert abs(stamp.gen_time - now) < dt.timedelta(minutes=1)
    report = verify.verify_file(str(path), workers=1)
    assert report.ok, report.summary()
    assert report.stamps == 1
    pinned = verify.verify_file(
        str(path), workers=1, tsa_ca=verify.tsa_ca_der(str(local_tsa.ca_pem))
    )
    assert pinned.ok, pinned.summary()


def test_a_forged_token_is_refused(local_tsa, logbook, personas, tmp_path):
    """A token from another authority (one the forger runs), over the same checkpoint, with
    that authority's CA put in the file in place of the real one."""
    path = stamped_export(logbook, personas, local_tsa.now(), tmp_path)
    forger = make_tsa(tmp_path / "forger", "Sellos falsos")
    records = lines(path)
    cp = next(r for r in records if r.get("timestamp"))
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    query = (
        TimestampRequestBuilder()
        .data(verify.tsa_message(cp))
        .hash_algorithm(HashAlgorithm.SHA256)
        .build()
    )
    cp["timestamp"]["response"] = base64.b64encode(forger.reply(query.as_bytes())).decode()
    write(path, records)
    report = verify.verify_file(str(path), workers=1)
    assert not report.ok
    assert "el sello de tiempo" in report.problem.reason and "no es válido" in report.problem.reason

    forged_ca = x509.load_pem_x509_certificate(forger.ca_pem.read_bytes())
    cp["timestamp"]["ca"] = base64.b64encode(
        forged_ca.public_bytes(serialization.Encoding.DER)
    ).decode()
    write(path, records)
    report = verify.verify_file(str(path), workers=1)
    assert not report.ok
    assert "no es el que nombra" in report.problem.reason


def test_a_token_moved_from_another_checkpoint_is_refused(local_tsa, logbook, personas, tmp_path):
    stamped_export(logbook, personas, local_tsa.now(), tmp_path)
    now = local_tsa.now()
    add_note(logbook, personas.agent, now)
    services.daily_checkpoints(now=now)
    later = tmp_path / "despues.jsonl"
    with open(later, "wb") as handle:
        export.export_logbook(logbook, handle, now=now + dt.timedelta(seconds=2))
    records = lines(later)
    stamped = [r for r in records if r.get("timestamp")]
    assert len(stamped) == 2
    stamped[1]["timestamp"] = stamped[0]["timestamp"]
    write(later, records)
    report = verify.verify_file(str(later), workers=1)
    assert not report.ok
    assert "no es válido" in report.problem.reason


def test_verify_with_another_authority_pinned_refuses_the_tokens(
    local_tsa, logbook, personas, tmp_path
):
    path = stamped_export(logbook, personas, local_tsa.now(), tmp_path)
    other = make_tsa(tmp_path / "otra", "Otra autoridad")
    report = verify.verify_file(str(path), workers=1, tsa_ca=verify.tsa_ca_der(str(other.ca_pem)))
    assert not report.ok
    assert "es de otra autoridad de sellado" in report.problem.reason


def test_an_unreachable_tsa_leaves_the_checkpoint_to_be_stamped_later(
    local_tsa, settings, logbook, personas
):
    now = local_tsa.now()
    settings.LOGBOOK_TSA_URL = "http://127.0.0.1:9/nadie"
    add_note(logbook, personas.agent, now)
    services.daily_checkpoints(now=now)
    assert not Timestamp.objects.filter(checkpoint__logbook=logbook).exists()
    settings.LOGBOOK_TSA_URL = local_tsa.url
    assert tsa.stamp_missing(now=now + dt.timedelta(minutes=1)) >= 1
    assert Timestamp.objects.filter(checkpoint__logbook=logbook).exists()
