"""A thin HTTP proxy that forwards to one upstream and, on demand, misbehaves like AWS.

Tests put it between boto3 and moto (or the ARC emulator) and arm faults that match some
requests: throttling (HTTP 400 ``Throttling`` for query-protocol services, 429
``ThrottlingException`` for JSON ones), 5xx, a slow request (held before it is forwarded, so
it may never arrive), a late answer (forwarded at once, so the change is made, and its answer
held back) and a dropped connection. Every request is counted, so a test can assert that the
client's retries are bounded.

A fault or route matches a request when its ``match`` string occurs in the request's
description: ``METHOD PATH TARGET BODY``, where TARGET names the operation. Query-protocol
services (RDS, EC2) carry ``Action=Name`` in the body and JSON ones (AWS Health) an
``X-Amz-Target`` header, but a REST-JSON service (EKS, ARC zonal shift) names its operation
only through the request path and method. For those the proxy resolves the operation from the
path with botocore's service model of the service the request is signed for, and TARGET is
``service:Operation``: ``GET /clusters/c/updates/u-1`` is ``eks:DescribeUpdate``. So a route
for ``DescribeUpdate`` (or ``eks:DescribeUpdate``) matches exactly that operation, and a path
fragment such as ``/updates/`` still works too.

A fault is armed for a fixed number of matching requests and then disarms itself, so no test
can leave the proxy broken for the next one; the slow and late faults sleep a bounded time.
"""

from __future__ import annotations

import functools
import http.client
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import urlparse

from tests.servers.local_http import LocalHttpServer

FaultKind = Literal["throttle", "5xx", "slow", "late", "drop", "canned"]
_MAX_SLOW_S = 10.0
# The signing scope of an AWS SigV4 Authorization header: .../DATE/REGION/SERVICE/aws4_request
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")


@functools.cache
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """``(method, path pattern, operation)`` of every operation of a REST-JSON ``service``,
    most specific path first; empty for other protocols or an unknown service."""
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return ()
    if model.protocol != "rest-json":
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http["requestUri"].split("?", 1)[0]
        # {label} is one path segment, {label+} (greedy) any number of them
        pattern = "".join(
            ("[^/]+" if not part.endswith("+}") else ".+")
            if part.startswith("{")
            else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", template)
        )
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        routes.append((literal, http["method"], re.compile(pattern), name))
    routes.sort(key=lambda route: -route[0])
    return tuple((method, pattern, name) for _, method, pattern, name in routes)


def rest_operation(service: str, method: str, path: str) -> str | None:
    """The operation a REST-JSON request names by its method and path, e.g. ``DescribeUpdate``."""
    bare = path.split("?", 1)[0]
    for route_method, pattern, name in _rest_routes(service):
        if route_method == method and pattern.fullmatch(bare):
            return name
    return None


@dataclass
class Fault:
    kind: FaultKind
    match: str
    remaining: int
    delay_s: float = 0.0
    status: int = 200
    body: bytes = b""
    skip: int = 0  # matching requests still let through before the fault starts


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.requests: list[str] = []


def _xml_error(code: str, message: str) -> bytes:
    return (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>fault-proxy</RequestId></ErrorResponse>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    state: _State
    upstream: tuple[str, int]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _describe(self, body: bytes) -> str:
        target = self.headers.get("X-Amz-Target", "")
        scope = _SCOPE.search(self.headers.get("Authorization", ""))
        if not target and scope:
            operation = rest_operation(scope.group(1), self.command, self.path)
            target = f"{scope.group(1)}:{operation}" if operation else ""
        return f"{self.command} {self.path} {target} {body[:2000].decode('utf-8', 'replace')}"

    def _take_fault(self, described: str) -> Fault | None:
        with self.state.lock:
            self.state.requests.append(described)
            for fault in self.state.faults:
                if fault.remaining > 0 and fault.match in described:
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.remaining -= 1
                    return fault
        return None

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _fail(self, fault: Fault) -> bool:
        """Answer with ``fault``; ``False`` means the request should still be forwarded."""
        query_protocol = "x-www-form-urlencoded" in self.headers.get("Content-Type", "")
        if fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
            return True
        if fault.kind == "canned":
            self._send(fault.status, fault.body, {"Content-Type": "application/json"})
            return True
        if fault.kind == "slow":
            time.sleep(min(fault.delay_s, _MAX_SLOW_S))
            return False
        if fault.kind == "throttle":
            if query_protocol:
                body = _xml_error("Throttling", "Rate exceeded")
                self._send(400, body, {"Content-Type": "text/xml"})
            else:
                self._send(
                    429,
                    b'{"message": "Rate exceeded"}',
                    {"Content-Type": "application/json", "x-amzn-ErrorType": "ThrottlingException"},
                )
            return True
        if query_protocol:
            body = _xml_error("ServiceUnavailable", "Service is unavailable")
            self._send(503, body, {"Content-Type": "text/xml"})
        else:
            self._send(
                503,
                b'{"message": "Service is unavailable"}',
                {"Content-Type": "application/json", "x-amzn-ErrorType": "InternalServerException"},
            )
        return True

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self._take_fault(self._describe(body))
        if fault is not None and fault.kind != "late" and self._fail(fault):
            return
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            if fault is not None and fault.kind == "late":
                # The upstream has acted on the request; only its answer is held back.
                time.sleep(min(fault.delay_s, _MAX_SLOW_S))
            passed = {
                k: v
                for k, v in answer.getheaders()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")
            }
            self._send(answer.status, data, passed)
        finally:
            connection.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class FaultProxy(LocalHttpServer):
    """Forward 127.0.0.1:<free port> to ``upstream_url``, with faults armed by the tests."""

    def __init__(self, upstream_url: str) -> None:
        parsed = urlparse(upstream_url)
        self._state = _State()
        handler = type(
            "FaultHandler",
            (_Handler,),
            {"state": self._state, "upstream": (parsed.hostname, parsed.port)},
        )
        super().__init__(handler)

    def arm(
        self,
        kind: FaultKind,
        *,
        match: str,
        times: int = 1000,
        delay_s: float = 0.0,
        skip: int = 0,
    ) -> None:
        """Fail the next ``times`` requests whose method, path, operation or body has
        ``match``, after letting ``skip`` of them through; ``delay_s`` is how long a slow
        request or a late answer is held."""
        with self._state.lock:
            self._state.faults.append(Fault(kind, match, times, delay_s, skip=skip))

    def route(self, *, match: str, payload: Any, status: int = 200, times: int = 1000) -> None:
        """Answer matching requests with a JSON ``payload``: a minimal route for an API the
        upstream lacks (moto has no EKS ``DescribeUpdate`` and no AWS Health).

        ``match`` may be an operation name (``eks:DescribeUpdate``), also for REST-JSON
        services, as the module describes."""
        with self._state.lock:
            self._state.faults.append(
                Fault("canned", match, times, status=status, body=json.dumps(payload).encode())
            )

    def clear(self) -> None:
        with self._state.lock:
            self._state.faults.clear()
            self._state.requests.clear()

    def requests(self, match: str) -> list[str]:
        """The requests seen so far (method, path, target, start of the body) with ``match``."""
        with self._state.lock:
            return [request for request in self._state.requests if match in request]

    def count(self, match: str) -> int:
        with self._state.lock:
            return sum(1 for request in self._state.requests if match in request)
