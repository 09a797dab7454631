"""Amazon ECR through boto3: repositories and the registry login.

- `ensure_repositories` creates each missing repository with immutable tags, scan on push and a
  lifecycle policy that expires untagged images (the layers a failed or superseded push leaves);
  an existing repository is left as it is, and one with mutable tags is reported.
- `login` turns `get_authorization_token` into `Credentials` for the registry API and the docker
  push; the token lives in memory only (never printed, logged or written to a docker config).

The client is injected; boto3 itself reads `AWS_ENDPOINT_URL_ECR`, the region and credentials.
botocore exceptions are translated here into `EcrError` / `EcrUnavailable`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from release.errors import ReleaseError
from release.images.registry import Credentials, RegistryTarget, parse_registry

UNTAGGED_EXPIRY_DAYS = 14
LIFECYCLE_POLICY: dict[str, Any] = {
    "rules": [
        {
            "rulePriority": 1,
            "description": f"expire untagged images {UNTAGGED_EXPIRY_DAYS} days after push",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": UNTAGGED_EXPIRY_DAYS,
            },
            "action": {"type": "expire"},
        }
    ]
}


class EcrError(ReleaseError):
    """ECR refused a request."""


class EcrUnavailable(EcrError):  # noqa: N818 - a state, like InvalidInput
    """The ECR API could not be reached: worth retrying later."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RepositoryState:
    name: str
    created: bool
    mutable: bool = False

    def describe(self) -> str:
        if self.created:
            return f"created ECR repository {self.name} (immutable tags, scan on push)"
        if self.mutable:
            return (f"ECR repository {self.name} has MUTABLE tags; left as it is (this tool never "
                    "overwrites a tag, but others could)")
        return f"ECR repository {self.name} exists"


def make_client(environ: Mapping[str, str]) -> Any:
    """The boto3 ECR client of the CLI (region, credentials, `AWS_ENDPOINT_URL_ECR`: boto3's).

    botocore uses its own CA bundle unless told: `AWS_CA_BUNDLE`, else `SSL_CERT_FILE` (the CA
    bundle every client here honours, which holds the Squid proxy's CA on the private VMs).
    """
    verify = environ.get("AWS_CA_BUNDLE") or environ.get("SSL_CERT_FILE") or None
    try:
        return boto3.client(
            "ecr", verify=verify, config=Config(retries={"mode": "standard", "max_attempts": 5})
        )
    except NoRegionError:
        raise EcrError(
            "ECR: no AWS region", hint="set AWS_REGION (or AWS_DEFAULT_REGION, or a profile's)"
        ) from None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translate(exc: Exception, what: str) -> EcrError:
    if isinstance(exc, NoCredentialsError):
        return EcrError(
            f"ECR: {what}: no AWS credentials",
            hint="set the standard AWS variables (AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY), or use --registry HOST --no-ecr for a plain registry",
        )
    if isinstance(exc, EndpointConnectionError):
        return EcrUnavailable(f"ECR: {what}: the ECR API is unreachable ({exc})",
                              hint="check AWS_ENDPOINT_URL_ECR, HTTPS_PROXY and NO_PROXY")
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message", "")
        return EcrError(f"ECR: {what}: {_code(exc)}: {message}".rstrip(": "))
    return EcrUnavailable(f"ECR: {what}: {exc}")


def ensure_repositories(client: Any, names: Iterable[str]) -> list[RepositoryState]:
    """Create every repository in `names` that does not exist yet; report each one's state."""
    states: list[RepositoryState] = []
    for name in dict.fromkeys(names):
        try:
            found = client.describe_repositories(repositoryNames=[name])["repositories"]
        except ClientError as exc:
            if _code(exc) != "RepositoryNotFoundException":
                raise _translate(exc, f"describe repository {name}") from None
            found = []
        except BotoCoreError as exc:
            raise _translate(exc, f"describe repository {name}") from None
        if found:
            mutable = found[0].get("imageTagMutability", "MUTABLE") == "MUTABLE"
            states.append(RepositoryState(name=name, created=False, mutable=mutable))
            continue
        try:
            client.create_repository(
                repositoryName=name,
                imageTagMutability="IMMUTABLE",
                imageScanningConfiguration={"scanOnPush": True},
            )
            client.put_lifecycle_policy(
                repositoryName=name, lifecyclePolicyText=json.dumps(LIFECYCLE_POLICY)
            )
        except ClientError as exc:
            if _code(exc) == "RepositoryAlreadyExistsException":  # created meanwhile
                states.append(RepositoryState(name=name, created=False))
                continue
            raise _translate(exc, f"create repository {name}") from None
        except BotoCoreError as exc:
            raise _translate(exc, f"create repository {name}") from None
        states.append(RepositoryState(name=name, created=True))
    return states


def login(client: Any) -> RegistryTarget:
    """The ECR registry of the account, with credentials from `get_authorization_token`."""
    try:
        data = client.get_authorization_token()["authorizationData"][0]
    except (ClientError, BotoCoreError) as exc:
        raise _translate(exc, "get_authorization_token") from None
    except (KeyError, IndexError):
        raise EcrError("ECR: get_authorization_token returned no authorization data") from None
    try:
        decoded = base64.b64decode(data["authorizationToken"], validate=True).decode("utf-8")
    except (KeyError, binascii.Error, UnicodeDecodeError):
        # Never include the token in the message, even a malformed one.
        raise EcrError("ECR: the authorization token is not base64 user:password") from None
    username, sep, password = decoded.partition(":")
    if not sep or not password:
        raise EcrError("ECR: the authorization token is not base64 user:password")
    host = urlsplit(str(data.get("proxyEndpoint", ""))).netloc
    if not host:
        raise EcrError("ECR: get_authorization_token returned no proxyEndpoint")
    return parse_registry(f"https://{host}", Credentials(username, password))
