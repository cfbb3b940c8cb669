"""A small local server for the two answers the pre-market checks need and moto cannot give.

- ELBv2 ``DescribeCapacityReservation``: moto answers a fixed "provisioned" with no reserved
  capacity, so this server answers that one action from test state and forwards every other
  ELBv2 query-protocol request to moto unchanged.
- ``GET /api/health``: the web tier behind CloudFront and the web ALB, with a settable status.

ARC zonal shift is not here: the tests use the project's ARC emulator
(:mod:`tests.servers.arc_emulator`) for that.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers.local_http import LocalHttpServer


@dataclass
class EdgeState:
    capacity_units: int | None = 1500
    capacity_state: str = "provisioned"
    zones: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c")
    health_status: int = 200


def _capacity_xml(state: EdgeState) -> bytes:
    units = ""
    if state.capacity_units is not None:
        units = (
            "<MinimumLoadBalancerCapacity><CapacityUnits>"
            f"{state.capacity_units}</CapacityUnits></MinimumLoadBalancerCapacity>"
        )
    members = "".join(
        f"<member><AvailabilityZone>{zone}</AvailabilityZone><State><Code>"
        f"{state.capacity_state}</Code></State></member>"
        for zone in state.zones
    )
    return (
        '<DescribeCapacityReservationResponse xmlns="http://elasticloadbalancing.amazonaws.com/'
        'doc/2015-12-01/"><DescribeCapacityReservationResult>'
        f"{units}<CapacityReservationState>{members}</CapacityReservationState>"
        "</DescribeCapacityReservationResult><ResponseMetadata><RequestId>edge-1</RequestId>"
        "</ResponseMetadata></DescribeCapacityReservationResponse>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    edge: AwsEdge

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == "/api/health":
            body = json.dumps({"status": "UP"}).encode()
            self._send(self.edge.state.health_status, body, "application/json")
        else:
            self._send(404, b'{"message": "no such route"}', "application/json")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        form = dict(urllib.parse.parse_qsl(body.decode()))
        if form.get("Action") == "DescribeCapacityReservation":
            self._send(200, _capacity_xml(self.edge.state), "text/xml")
            return
        request = urllib.request.Request(
            self.edge.moto_url + self.path,
            data=body,
            method="POST",
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                content_type = answer.headers.get("Content-Type", "text/xml")
                self._send(answer.status, answer.read(), content_type)
        except urllib.error.HTTPError as exc:
            self._send(exc.code, exc.read(), exc.headers.get("Content-Type", "text/xml"))


class AwsEdge(LocalHttpServer):
    """The edge server on a free port of 127.0.0.1; ``state`` is what it answers from."""

    def __init__(self, moto_url: str) -> None:
        self.state = EdgeState()
        self.moto_url = moto_url
        super().__init__(type("EdgeHandler", (_Handler,), {"edge": self}))
