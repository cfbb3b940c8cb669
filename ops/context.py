"""The per-invocation context every command receives: options, clients, audit, prompts.

Clients are built here from standard configuration and handed to the operations, never built
deep inside them, so tests point the whole CLI at local servers with nothing but environment
variables (``AWS_ENDPOINT_URL_<SERVICE>``, ``KUBECONFIG``, ``PG*``).
"""

from __future__ import annotations

import getpass
import json
import math
import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from ops.errors import Aborted, InputError, truncate
from ops.outputs import StackOutputs, load_outputs

OutputFormat = Literal["text", "json"]

# Bounded so a black-holed endpoint fails in seconds, not minutes; adaptive retries back off
# on throttling without hammering the control plane during a regional event.
_DEFAULT_MAX_ATTEMPTS = 5
_CONNECT_TIMEOUT_S = 5
_READ_TIMEOUT_S = 20


def default_audit_log() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "commsec" / "audit.jsonl"


def env_number(name: str, default: float, maximum: float | None = None) -> float:
    """A positive, finite number from the environment (a timeout, a count)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(
            f"environment variable {name}={raw!r} must be a number",
            hint=f"set a positive number or unset {name}",
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(
            f"environment variable {name}={raw!r} must be a positive number",
            hint=f"set a positive number or unset {name}",
        )
    if maximum is not None and value > maximum:
        raise InputError(
            f"environment variable {name}={raw!r} must be at most {maximum:g}",
            hint=f"set a smaller number or unset {name}",
        )
    return value


def _max_attempts() -> int:
    attempts = env_number("AWS_MAX_ATTEMPTS", _DEFAULT_MAX_ATTEMPTS)
    if attempts != int(attempts) or attempts > 20:
        raise InputError(
            f"environment variable AWS_MAX_ATTEMPTS={os.environ['AWS_MAX_ATTEMPTS']!r} must be "
            "a whole number from 1 to 20",
            hint="unset it for the default of 5",
        )
    return int(attempts)


@dataclass
class Context:
    """Options and lazily built clients for one ``commsec`` invocation."""

    command: str
    format: OutputFormat = "text"
    dry_run: bool = False
    yes: bool = False
    stack: str | None = None
    outputs_file: str | None = None
    audit_log: Path = field(default_factory=default_audit_log)
    region: str | None = None
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _outputs: StackOutputs | None = None
    _session: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _operator: str | None = None
    _operator_thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- inputs -------------------------------------------------------------------------

    def outputs(self) -> StackOutputs:
        if self._outputs is None:
            self._outputs = load_outputs(stack=self.stack, outputs_file=self.outputs_file)
        return self._outputs

    @property
    def stack_label(self) -> str:
        if self.stack:
            return self.stack
        return self._outputs.source if self._outputs else (self.outputs_file or "-")

    def now(self) -> datetime:
        """The current time in UTC; ``COMMSEC_NOW`` (ISO 8601 with offset) pins it."""
        pinned = os.environ.get("COMMSEC_NOW")
        if not pinned:
            return datetime.now(UTC)
        try:
            moment = datetime.fromisoformat(pinned)
        except ValueError:
            raise InputError(f"COMMSEC_NOW={pinned!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise InputError(f"COMMSEC_NOW={pinned!r} needs a UTC offset, e.g. +00:00")
        return moment.astimezone(UTC)

    # --- AWS ----------------------------------------------------------------------------

    def _aws_region(self) -> str | None:
        if self.region:
            return self.region
        if self._outputs is not None or self.stack or self.outputs_file:
            return self.outputs().region
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")

    def aws(self, service: str, *, attempts: int | None = None) -> Any:
        """A cached boto3 client for ``service`` (thread-safe to use once built).

        ``attempts=1`` gives a client that never retries, for a call that must not be sent
        twice (a forced failover: a retried one can move the primary back).
        """
        key = service if attempts is None else f"{service}#{attempts}"
        with self._lock:
            if key in self._clients:
                return self._clients[key]
            import boto3
            from botocore.config import Config

            if self._session is None:
                self._session = boto3.session.Session(region_name=self._aws_region())
            mode = os.environ.get("AWS_RETRY_MODE", "adaptive")
            if mode not in ("legacy", "standard", "adaptive"):
                raise InputError(
                    f"AWS_RETRY_MODE={mode!r} is not a retry mode",
                    hint="use standard or adaptive, or unset it",
                )
            retries: Any = {
                "mode": mode,
                # AWS_MAX_ATTEMPTS counts every attempt (as the AWS CLI and SDKs read it);
                # botocore's "max_attempts" key would count retries only.
                "total_max_attempts": attempts or _max_attempts(),
            }
            config = Config(
                retries=retries,
                connect_timeout=env_number("COMMSEC_AWS_CONNECT_TIMEOUT", _CONNECT_TIMEOUT_S),
                read_timeout=env_number("COMMSEC_AWS_READ_TIMEOUT", _READ_TIMEOUT_S),
            )
            client = self._session.client(service, config=config)
            self._clients[key] = client
            return client

    def prefetch_operator(self) -> None:
        """Look the operator's identity up in the background, for the audit record.

        Started before a mutating call so the STS round trip overlaps the real work instead
        of adding to it.
        """
        if self._operator is None and self._operator_thread is None:
            sts = self.aws("sts")
            self._operator_thread = threading.Thread(
                target=self._resolve_operator, args=(sts,), daemon=True
            )
            self._operator_thread.start()

    def _resolve_operator(self, sts: Any) -> None:
        try:
            self._operator = str(sts.get_caller_identity()["Arn"])
        except Exception as exc:  # an audit record must still be written
            local = f"{getpass.getuser()}@{socket.gethostname()}"
            self._operator = f"{local} (STS identity unavailable: {truncate(exc, 80)})"

    def operator(self) -> str:
        if self._operator_thread is not None:
            self._operator_thread.join(timeout=_CONNECT_TIMEOUT_S + _READ_TIMEOUT_S)
        if self._operator is None:
            self._resolve_operator(self.aws("sts"))
        return str(self._operator)

    # --- mutation guard rails -----------------------------------------------------------

    def confirm(self, summary: str) -> None:
        """Ask before changing anything, unless ``--yes``; never guess in a script.

        Every mutating command calls this right before its first change, after its inputs
        are validated, so it is also where an unwritable audit log stops the change.
        """
        if self.dry_run:
            return
        self.check_audit_log()
        if self.yes:
            return
        if not sys.stdin.isatty():
            raise InputError(
                f"refusing to {summary} without confirmation in a non-interactive shell",
                hint="re-run with --yes, or with --dry-run to see the calls first",
            )
        self.err.write(f"About to {summary}.\nProceed? [y/N] ")
        self.err.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            raise Aborted("aborted by the operator; nothing was changed")

    def check_audit_log(self) -> None:
        """Fail before a change, not after it, when the audit record could not be written."""
        try:
            self.audit_log.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.audit_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.close(fd)
        except OSError as exc:
            raise InputError(
                f"--audit-log {self.audit_log}: cannot append to it ({exc.strerror or exc})",
                hint="pass --audit-log with a writable file; nothing was changed",
            ) from None

    def record_audit(
        self,
        *,
        target: Any,
        before: Any,
        after: Any,
        result: str,
        details: Any = None,
        operator: str | None = None,
    ) -> dict[str, Any]:
        """Append one JSON line to the audit log and return the record."""
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "operator": operator or self.operator(),
            "stack": self.stack_label,
            "command": self.command,
            "target": target,
            "before": before,
            "after": after,
            "result": result,
        }
        if details is not None:
            record["details"] = details
        line = json.dumps(record, default=str, sort_keys=True) + "\n"
        try:
            self.audit_log.parent.mkdir(parents=True, exist_ok=True)
            # One write on an O_APPEND descriptor keeps concurrent records whole.
            fd = os.open(self.audit_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        except OSError as exc:
            self.err.write(
                f"Warning: could not append to the audit log {self.audit_log}: {exc.strerror}; "
                f"the record follows\n{line}"
            )
        return record
