"""Signing credentials for C2PA: load a private key and certificate chain, or make a local CA.

C2PA validators reject self-signed signing certificates, so even a local setup needs two levels:
a CA certificate (the trust anchor a verifier may be given) and a leaf signing certificate it
issued, with an extended key usage C2PA accepts (emailProtection here; documentSigning works too).
A real deployment uses a leaf from a CA on the C2PA trust list instead; see docs/provenance.md.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

KEY_FILE, CHAIN_FILE, CA_FILE = "signer.key", "signer-chain.pem", "ca.pem"


class CredentialError(ValueError):
    """Key or certificates that cannot sign; the message says what to fix."""


@dataclass(frozen=True)
class SigningCredentials:
    key_pem: bytes
    chain_pem: bytes
    algorithm: str      # c2pa's name: es256, es384, es512, ps256, ed25519
    subject: str        # the signing certificate's subject, for reports


def _algorithm_of(key) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name not in by_curve:
            raise CredentialError(f"elliptic curve {key.curve.name} is not one C2PA signs with; use P-256")
        return by_curve[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise CredentialError(f"a {type(key).__name__} cannot sign C2PA manifests; use an EC P-256 key")


def load_credentials(key_path: Path, chain_path: Path) -> SigningCredentials:
    """Read and check a PEM private key and a PEM chain (signing certificate first)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        key_pem, chain_pem = key_path.read_bytes(), chain_path.read_bytes()
    except OSError as error:
        raise CredentialError(f"cannot read {error.filename}: {error.strerror}") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as error:
        raise CredentialError(f"{key_path} is not an unencrypted PEM private key ({error})") from None
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as error:
        raise CredentialError(f"{chain_path} holds no PEM certificates ({error})") from None
    leaf = chain[0]
    if leaf.issuer == leaf.subject:
        raise CredentialError("the signing certificate is self-signed, and C2PA rejects those; sign with "
                              "a certificate issued by a CA (`reelgraph keys init` makes a local one)")
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (leaf.public_key().public_bytes(serialization.Encoding.DER, public)
            != key.public_key().public_bytes(serialization.Encoding.DER, public)):
        raise CredentialError(f"the private key does not belong to the first certificate of {chain_path}")
    return SigningCredentials(key_pem, chain_pem, _algorithm_of(key), leaf.subject.rfc4514_string())


def _name(common_name: str, organization: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])


def _key_usage(*, sign: bool):
    from cryptography import x509

    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not sign,
                         crl_sign=not sign, encipher_only=False, decipher_only=False)


def create_local_ca(directory: Path, *, organization: str = "reelgraph local", days: int = 365) -> dict[str, Path]:
    """Write a P-256 CA certificate, a leaf signing key and its chain (leaf + CA) into `directory`.

    The CA's own private key is not kept: nothing else is ever issued from it, and a key that
    does not exist cannot leak. Returns the paths written, by role.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(hours=1)  # tolerate a verifier whose clock is slightly behind
    ca_key, signer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organization} CA", organization)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=days + 1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_key_usage(sign=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name(f"{organization} signer", organization))
            .issuer_name(ca_name).public_key(signer_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(sign=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    paths = {"key": directory / KEY_FILE, "chain": directory / CHAIN_FILE, "ca": directory / CA_FILE}
    paths["key"].touch(mode=0o600)
    paths["key"].chmod(0o600)  # a private key readable by others is a leaked key
    paths["key"].write_bytes(signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    paths["chain"].write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    paths["ca"].write_bytes(ca.public_bytes(pem))
    return paths
