"""What can go wrong in an operation, split by what the operator can do about it.

- :class:`InputError`: the command line, the stack outputs or a setting is wrong; fix it and
  run again (exit 2).
- :class:`RetryableError`: throttling, a timeout, an unreachable endpoint; the same command
  may succeed in a minute (exit 1).
- :class:`EscalateError`: access denied, a conflicting or unexpected state; retrying will not
  help, someone must look (exit 1).
- :class:`CheckFailed`: a check ran and its answer is "no" (exit 1).

Every message is one sentence that says what to do. Payloads from services are truncated
before they reach a message, so a huge or sensitive error body never floods the terminal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_MAX_DETAIL = 300


def truncate(text: object, limit: int = _MAX_DETAIL) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class CommsecError(Exception):
    """Base of every foreseeable failure; rendered as one ``Error:`` line."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(CommsecError):
    """Bad usage or bad input: fix the argument, the file or the setting."""

    exit_code = 2


class RetryableError(CommsecError):
    """A transient fault: throttled, timed out or unreachable."""


class EscalateError(CommsecError):
    """Retrying will not help: permissions, conflicts, a state that needs a human."""


class CheckFailed(CommsecError):
    """A check completed and failed."""


class Aborted(CommsecError):
    """The operator declined the confirmation prompt."""


_THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
}
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "AuthFailure",
    "SignatureDoesNotMatch",
}
_CONFLICT = {
    "ConflictException",
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
    "ResourceInUseException",
    "OperationAbortedException",
}
_INPUT = {
    "ValidationException",
    "InvalidParameterValue",
    "InvalidParameterCombination",
    "InvalidParameterException",
    "InvalidRequestException",
    "ValidationError",
}


def from_aws(exc: BaseException, action: str) -> CommsecError:
    """Map a botocore exception raised while doing ``action`` to what the operator can do."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        detail = truncate(error.get("Message") or exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _THROTTLING or status == 429:
            return RetryableError(
                f"{action} was throttled by AWS ({code}) after bounded retries",
                hint="wait a minute and run the command again",
            )
        if code in _DENIED or status == 403:
            return EscalateError(
                f"{action} was denied ({code}: {detail})",
                hint="check the AWS identity and its IAM permissions, or escalate",
            )
        if (
            code.endswith("NotFound")
            or code.endswith("NotFoundFault")
            or code
            in {"ResourceNotFoundException", "NoSuchBucket", "NoSuchKey", "NotFoundException"}
            or status == 404
        ):
            return InputError(
                f"{action} failed: not found ({code}: {detail})",
                hint="check the stack outputs and the name you passed",
            )
        if code in _CONFLICT or status == 409:
            return EscalateError(f"{action} conflicts with the current state ({code}: {detail})")
        if code in _INPUT or status == 400:
            return InputError(f"{action} was rejected ({code}: {detail})")
        if status >= 500:
            return RetryableError(
                f"{action} failed on the AWS side ({code}, HTTP {status}) after bounded retries",
                hint="run the command again; if it persists, check the AWS Health Dashboard",
            )
        return EscalateError(f"{action} failed ({code}: {detail})")
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return InputError(
            f"{action} needs AWS credentials and none were found",
            hint="set AWS_PROFILE or the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables",
        )
    if isinstance(exc, bx.NoRegionError):
        return InputError(f"{action} needs an AWS region", hint="set AWS_REGION")
    transport = _transport_error(exc, action)
    if transport is not None:
        return transport
    if isinstance(exc, bx.ParamValidationError):
        return InputError(f"{action} was given an invalid parameter: {truncate(exc)}")
    if isinstance(exc, bx.BotoCoreError):
        return RetryableError(f"{action} failed in the AWS client: {truncate(exc)}")
    raise TypeError(f"not an AWS exception: {exc!r}")


def _transport_error(exc: BaseException, action: str) -> CommsecError | None:
    """Connection-level faults: whether the request may have reached AWS decides the advice."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ReadTimeoutError):
        # The request was sent and only the answer is missing: a change may have happened.
        return RetryableError(
            f"{action} timed out waiting for AWS ({truncate(exc)}); the request was sent and "
            "may have taken effect",
            hint="check the current state with the matching status command, then run it again",
        )
    if isinstance(exc, bx.ConnectTimeoutError):
        return RetryableError(
            f"{action} timed out waiting for AWS to accept the connection ({truncate(exc)})",
            hint="run the command again",
        )
    if isinstance(exc, bx.ConnectionClosedError):
        return RetryableError(
            f"{action} could not reach the AWS endpoint: the connection closed before an answer "
            f"({truncate(exc)}), so a request already sent may have taken effect",
            hint="check the current state with the matching status command, then retry",
        )
    if isinstance(exc, bx.EndpointConnectionError):
        return RetryableError(
            f"{action} could not reach the AWS endpoint ({truncate(exc)})",
            hint="check the network and AWS_ENDPOINT_URL, then retry",
        )
    return None


@contextlib.contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore exceptions raised inside the block into :class:`CommsecError`."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        yield
    except ResponseParserError as exc:
        # Not a BotoCoreError: an answer botocore cannot read, such as a proxy's error page.
        raise RetryableError(
            f"{action} got an answer from AWS that could not be read ({truncate(exc, 120)})",
            hint="check AWS_ENDPOINT_URL and any proxy in between, then retry",
        ) from exc
    except (ClientError, BotoCoreError) as exc:
        raise from_aws(exc, action) from exc
