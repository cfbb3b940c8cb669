"""A small local server for the few AWS answers moto cannot give the pre-market checks.

- ARC zonal shift (no emulator in moto): ``ListZonalShifts``, ``ListAutoshifts`` and
  ``GetManagedResource`` in the service's REST-JSON shapes, from state the test sets.
- ELBv2 ``DescribeCapacityReservation``: moto answers a fixed "provisioned" with no reserved
  capacity, so this server answers that one action from test state and forwards every other
  ELBv2 query-protocol request to moto unchanged.
- ``GET /api/health``: the web tier behind CloudFront and the web ALB, with a settable status.

Runs on 127.0.0.1 in a thread; ``stop()`` shuts it down.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class EdgeState:
    shifts: list[dict[str, Any]] = field(default_factory=list)
    autoshifts: list[dict[str, Any]] = field(default_factory=list)
    autoshift_status: str = "ENABLED"
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


class AwsEdge:
    def __init__(self, moto_url: str) -> None:
        self.state = EdgeState()
        self.moto_url = moto_url
        edge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, code: int, body: bytes, content_type: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, code: int, document: Any) -> None:
                self._send(code, json.dumps(document, default=str).encode(), "application/json")

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/api/health":
                    self._json(edge.state.health_status, {"status": "UP"})
                elif url.path == "/zonalshifts":
                    items = [
                        s
                        for s in edge.state.shifts
                        if s["status"] == query.get("status", s["status"])
                    ]
                    if "resourceIdentifier" in query:
                        items = [
                            s
                            for s in items
                            if s["resourceIdentifier"] == query["resourceIdentifier"]
                        ]
                    self._json(200, {"items": items})
                elif url.path == "/autoshifts":
                    self._json(200, {"items": edge.state.autoshifts})
                elif url.path.startswith("/managedresources/"):
                    arn = urllib.parse.unquote(url.path[len("/managedresources/") :])
                    self._json(
                        200,
                        {
                            "arn": arn,
                            "name": arn.rsplit("/", 2)[-2],
                            "appliedWeights": {"use1-az1": 1.0, "use1-az2": 1.0, "use1-az4": 1.0},
                            "zonalShifts": [
                                s for s in edge.state.shifts if s["resourceIdentifier"] == arn
                            ],
                            "autoshifts": [],
                            "zonalAutoshiftStatus": edge.state.autoshift_status,
                        },
                    )
                else:
                    self._json(404, {"message": f"no route for {url.path}"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = dict(urllib.parse.parse_qsl(body.decode()))
                if form.get("Action") == "DescribeCapacityReservation":
                    self._send(200, _capacity_xml(edge.state), "text/xml")
                    return
                request = urllib.request.Request(
                    edge.moto_url + self.path,
                    data=body,
                    method="POST",
                    headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        self._send(
                            answer.status,
                            answer.read(),
                            answer.headers.get("Content-Type", "text/xml"),
                        )
                except urllib.error.HTTPError as exc:
                    self._send(exc.code, exc.read(), exc.headers.get("Content-Type", "text/xml"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> AwsEdge:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
