"""A small stateful emulator of ARC zonal shift, speaking the service's REST-JSON protocol.

Neither moto nor any other public emulator implements ``arc-zonal-shift``, so the tests carry
this one. Routes, field names and error shapes follow botocore's service model for
``arc-zonal-shift`` (2022-10-30), so an unmodified boto3 client reaches it through
``AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT``. It enforces the service's documented rules:

- ``awayFrom`` is an AZ id (``use1-az1``), and one the resource is actually in;
- at most one active operator zonal shift per resource (``ConflictException``);
- ``expiresIn`` is ``N`` followed by ``m`` or ``h``, from one minute up to 72 hours;
- only an active shift can be updated or cancelled;
- zonal autoshift can be enabled only after a practice-run configuration with an outcome
  alarm exists, and practice-run windows may not cross midnight UTC.

Shifts expire on the emulator's clock. Tests seed the managed resources (the two ALBs and
their AZ ids) and can start autoshifts through :meth:`ArcEmulator.start_autoshift`, which the
real service does on its own.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from tests.servers.local_http import LocalHttpServer

_EXPIRES_IN = re.compile(r"^([1-9][0-9]*)(m|h)$")
_AZ_ID = re.compile(r"^[a-z]{2,4}[0-9]+-az[0-9]+$")
_DAY = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_WINDOW = re.compile(rf"^{_DAY}:(\d\d):(\d\d)-{_DAY}:(\d\d):(\d\d)$")
_MAX_EXPIRY = timedelta(hours=72)
_STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ThrottlingException": 429,
    "InternalServerException": 500,
}


class ArcError(Exception):
    def __init__(self, code: str, message: str, reason: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.reason, self.extra = code, message, reason, extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, **self.extra}
        if self.reason:
            body["reason"] = self.reason
        return body


@dataclass
class Shift:
    zonal_shift_id: str
    resource: str
    away_from: str
    start: float
    expiry: float
    comment: str
    shift_type: str = "ZONAL_SHIFT"
    status: str = "ACTIVE"

    def refresh(self, now: float) -> None:
        if self.status == "ACTIVE" and now >= self.expiry:
            self.status = "EXPIRED"

    def summary(self) -> dict[str, Any]:
        item = {
            "zonalShiftId": self.zonal_shift_id,
            "resourceIdentifier": self.resource,
            "awayFrom": self.away_from,
            "startTime": self.start,
            "expiryTime": self.expiry,
            "status": self.status,
            "comment": self.comment,
            "shiftType": self.shift_type,
        }
        if self.shift_type == "PRACTICE_RUN":
            item["practiceRunOutcome"] = "PENDING"
        return item


@dataclass
class Autoshift:
    resource: str
    away_from: str
    start: float
    end: float | None = None

    @property
    def status(self) -> str:
        return "ACTIVE" if self.end is None else "COMPLETED"


@dataclass
class Resource:
    arn: str
    name: str
    az_ids: tuple[str, ...]
    autoshift_status: str = "DISABLED"
    practice: dict[str, Any] | None = None


@dataclass
class ArcState:
    resources: dict[str, Resource] = field(default_factory=dict)
    shifts: list[Shift] = field(default_factory=list)
    autoshifts: list[Autoshift] = field(default_factory=list)
    page_size: int = 2
    calls: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _expires_in(value: Any) -> timedelta:
    match = _EXPIRES_IN.match(str(value or ""))
    if not match:
        raise ArcError(
            "ValidationException",
            f"expiresIn '{value}' must be a number followed by m or h",
            "InvalidExpiresIn",
        )
    number, unit = int(match.group(1)), match.group(2)
    delta = timedelta(minutes=number) if unit == "m" else timedelta(hours=number)
    if delta > _MAX_EXPIRY:
        raise ArcError(
            "ValidationException", "expiresIn must be at most 72 hours", "InvalidExpiresIn"
        )
    return delta


def _check_windows(windows: list[Any]) -> None:
    for window in windows:
        match = _WINDOW.match(str(window))
        if not match:
            raise ArcError(
                "ValidationException",
                f"window '{window}' must look like Mon:22:00-Mon:23:00",
                "InvalidPracticeWindows",
            )
        start_day, sh, sm, end_day, eh, em = match.groups()
        if start_day != end_day or (int(eh), int(em)) <= (int(sh), int(sm)):
            raise ArcError(
                "ValidationException",
                f"window '{window}' crosses midnight UTC; split it into two windows",
                "InvalidPracticeWindows",
            )


def _page(items: list[dict[str, Any]], query: dict[str, str], default_size: int) -> dict[str, Any]:
    size = int(query.get("maxResults") or default_size)
    start = int(query.get("nextToken") or 0)
    result: dict[str, Any] = {"items": items[start : start + size]}
    if start + size < len(items):
        result["nextToken"] = str(start + size)
    return result


class ArcEmulator:
    """The service logic; :class:`ArcServer` puts it on a socket."""

    def __init__(self) -> None:
        self.state = ArcState()

    # --- test back door ------------------------------------------------------------------

    def add_resource(self, arn: str, az_ids: tuple[str, ...]) -> None:
        name = arn.rsplit("/", 2)[-2] if arn.count("/") >= 2 else arn
        with self.state.lock:
            self.state.resources[arn] = Resource(arn=arn, name=name, az_ids=tuple(az_ids))

    def start_autoshift(self, arn: str, away_from: str) -> None:
        with self.state.lock:
            self.state.autoshifts.append(Autoshift(arn, away_from, time.time()))

    def reset(self) -> None:
        with self.state.lock:
            self.state.shifts.clear()
            self.state.autoshifts.clear()
            self.state.calls.clear()
            for resource in self.state.resources.values():
                resource.autoshift_status, resource.practice = "DISABLED", None

    def calls_of(self, operation: str) -> int:
        return sum(1 for op, _ in self.state.calls if op == operation)

    # --- operations ----------------------------------------------------------------------

    def _resource(self, arn: str) -> Resource:
        resource = self.state.resources.get(arn)
        if resource is None:
            raise ArcError("ResourceNotFoundException", f"resource {arn} is not managed by ARC")
        return resource

    def _shift(self, shift_id: str) -> Shift:
        for shift in self.state.shifts:
            if shift.zonal_shift_id == shift_id:
                return shift
        raise ArcError("ResourceNotFoundException", f"zonal shift {shift_id} does not exist")

    def _refresh(self) -> None:
        now = time.time()
        for shift in self.state.shifts:
            shift.refresh(now)

    def start_zonal_shift(self, body: dict[str, Any], shift_type: str = "ZONAL_SHIFT") -> Any:
        for key in ("resourceIdentifier", "awayFrom", "comment"):
            if key not in body:
                raise ArcError("ValidationException", f"{key} is required", "MissingValue")
        resource = self._resource(body["resourceIdentifier"])
        away = str(body["awayFrom"])
        if not _AZ_ID.match(away):
            raise ArcError("ValidationException", f"awayFrom '{away}' is not an AZ id", "InvalidAz")
        if away not in resource.az_ids:
            raise ArcError(
                "ValidationException",
                f"resource {resource.name} is not in {away}",
                "UnsupportedAz",
            )
        if len(str(body["comment"])) > 128:
            raise ArcError("ValidationException", "comment is longer than 128 characters")
        delta = _expires_in(body.get("expiresIn", "30m"))
        active = [
            s for s in self.state.shifts if s.resource == resource.arn and s.status == "ACTIVE"
        ]
        if active:
            raise ArcError(
                "ConflictException",
                f"an active zonal shift already exists for {resource.arn}",
                "ZonalShiftAlreadyExists",
                zonalShiftId=active[0].zonal_shift_id,
            )
        now = time.time()
        shift = Shift(
            zonal_shift_id=str(uuid.uuid4()),
            resource=resource.arn,
            away_from=away,
            start=now,
            expiry=now + delta.total_seconds(),
            comment=str(body["comment"]),
            shift_type=shift_type,
        )
        self.state.shifts.append(shift)
        return self._public(shift)

    @staticmethod
    def _public(shift: Shift) -> dict[str, Any]:
        item = shift.summary()
        item.pop("shiftType")
        item.pop("practiceRunOutcome", None)
        return item

    def _active_shift(self, shift_id: str) -> Shift:
        shift = self._shift(shift_id)
        if shift.status != "ACTIVE":
            raise ArcError(
                "ConflictException",
                f"zonal shift {shift_id} is {shift.status}",
                "ZonalShiftStatusNotActive",
                zonalShiftId=shift_id,
            )
        return shift

    def update_zonal_shift(self, shift_id: str, body: dict[str, Any]) -> Any:
        shift = self._active_shift(shift_id)
        if "expiresIn" in body:
            shift.expiry = time.time() + _expires_in(body["expiresIn"]).total_seconds()
        if "comment" in body:
            shift.comment = str(body["comment"])
        return self._public(shift)

    def cancel_zonal_shift(self, shift_id: str) -> Any:
        shift = self._active_shift(shift_id)
        shift.status = "CANCELED"
        return self._public(shift)

    def list_zonal_shifts(self, query: dict[str, str]) -> Any:
        status = query.get("status")
        if status and status not in ("ACTIVE", "EXPIRED", "CANCELED"):
            raise ArcError(
                "ValidationException", f"status '{status}' is not valid", "InvalidStatus"
            )
        items = [
            s.summary()
            for s in self.state.shifts
            if (not status or s.status == status)
            and (not query.get("resourceIdentifier") or s.resource == query["resourceIdentifier"])
        ]
        return _page(items, query, self.state.page_size)

    def list_autoshifts(self, query: dict[str, str]) -> Any:
        status = query.get("status")
        items = [
            {
                "awayFrom": a.away_from,
                "startTime": a.start,
                **({"endTime": a.end} if a.end is not None else {}),
                "status": a.status,
            }
            for a in self.state.autoshifts
            if not status or a.status == status
        ]
        return _page(items, query, self.state.page_size)

    def _resource_view(self, resource: Resource) -> dict[str, Any]:
        shifts = [
            {**s.summary(), "appliedStatus": "APPLIED"}
            for s in self.state.shifts
            if s.resource == resource.arn and s.status == "ACTIVE"
        ]
        for shift in shifts:
            shift.pop("status")
        autoshifts = [
            {"awayFrom": a.away_from, "startTime": a.start, "appliedStatus": "APPLIED"}
            for a in self.state.autoshifts
            if a.resource == resource.arn and a.end is None
        ]
        shifted = {s["awayFrom"] for s in shifts} | {a["awayFrom"] for a in autoshifts}
        view: dict[str, Any] = {
            "arn": resource.arn,
            "name": resource.name,
            "appliedWeights": {az: (0.0 if az in shifted else 1.0) for az in resource.az_ids},
            "zonalShifts": shifts,
            "autoshifts": autoshifts,
            "zonalAutoshiftStatus": resource.autoshift_status,
        }
        if resource.practice is not None:
            view["practiceRunConfiguration"] = resource.practice
        return view

    def get_managed_resource(self, arn: str) -> Any:
        return self._resource_view(self._resource(arn))

    def list_managed_resources(self, query: dict[str, str]) -> Any:
        items = []
        for resource in self.state.resources.values():
            view = self._resource_view(resource)
            view.pop("practiceRunConfiguration", None)
            items.append({**view, "availabilityZones": list(resource.az_ids)})
        return _page(items, query, self.state.page_size)

    def create_practice_run_configuration(self, body: dict[str, Any]) -> Any:
        resource = self._resource(str(body.get("resourceIdentifier")))
        if resource.practice is not None:
            raise ArcError(
                "ConflictException",
                "a practice run configuration already exists",
                "PracticeConfigurationAlreadyExists",
            )
        if not body.get("outcomeAlarms"):
            raise ArcError(
                "ValidationException", "outcomeAlarms needs at least one alarm", "MissingValue"
            )
        _check_windows(list(body.get("allowedWindows", [])) + list(body.get("blockedWindows", [])))
        resource.practice = {
            key: body[key]
            for key in (
                "outcomeAlarms",
                "blockingAlarms",
                "allowedWindows",
                "blockedWindows",
                "blockedDates",
            )
            if key in body
        }
        return {
            "arn": resource.arn,
            "name": resource.name,
            "zonalAutoshiftStatus": resource.autoshift_status,
            "practiceRunConfiguration": resource.practice,
        }

    def update_autoshift(self, arn: str, body: dict[str, Any]) -> Any:
        resource = self._resource(arn)
        status = body.get("zonalAutoshiftStatus")
        if status not in ("ENABLED", "DISABLED"):
            raise ArcError(
                "ValidationException", "zonalAutoshiftStatus is invalid", "InvalidStatus"
            )
        if status == "ENABLED" and resource.practice is None:
            raise ArcError(
                "ConflictException",
                "zonal autoshift needs a practice run configuration first",
                "PracticeConfigurationDoesNotExist",
            )
        resource.autoshift_status = status
        return {"resourceIdentifier": arn, "zonalAutoshiftStatus": status}

    def start_practice_run(self, body: dict[str, Any]) -> Any:
        resource = self._resource(str(body.get("resourceIdentifier")))
        if resource.practice is None:
            raise ArcError(
                "ConflictException",
                "no practice run configuration",
                "PracticeConfigurationDoesNotExist",
            )
        return self.start_zonal_shift({**body, "expiresIn": "30m"}, shift_type="PRACTICE_RUN")

    # --- routing -------------------------------------------------------------------------

    def dispatch(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> Any:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        head, rest = parts[0], "/".join(parts[1:])
        with self.state.lock:
            self._refresh()
            route = (method, head, bool(rest))
            handlers: dict[tuple[str, str, bool], Any] = {
                ("POST", "zonalshifts", False): lambda: (201, self.start_zonal_shift(body)),
                ("GET", "zonalshifts", False): lambda: (200, self.list_zonal_shifts(query)),
                ("PATCH", "zonalshifts", True): lambda: (200, self.update_zonal_shift(rest, body)),
                ("DELETE", "zonalshifts", True): lambda: (200, self.cancel_zonal_shift(rest)),
                ("GET", "autoshifts", False): lambda: (200, self.list_autoshifts(query)),
                ("GET", "managedresources", False): lambda: (
                    200,
                    self.list_managed_resources(query),
                ),
                ("GET", "managedresources", True): lambda: (200, self.get_managed_resource(rest)),
                ("PUT", "managedresources", True): lambda: (200, self.update_autoshift(rest, body)),
                ("POST", "configuration", False): lambda: (
                    201,
                    self.create_practice_run_configuration(body),
                ),
                ("POST", "practiceruns", False): lambda: (200, self.start_practice_run(body)),
            }
            handler = handlers.get(route)
            self.state.calls.append((f"{method} /{head}", rest))
            if handler is None:
                raise ArcError("ValidationException", f"no route for {method} {path}")
            return handler()


class _Handler(BaseHTTPRequestHandler):
    emulator: ArcEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def _respond(self, status: int, payload: Any, error_type: str | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
            status, payload = self.emulator.dispatch(self.command, url.path, query, body)
        except ArcError as exc:
            self._respond(_STATUS[exc.code], exc.body(), exc.code)
            return
        except (ValueError, KeyError) as exc:
            self._respond(400, {"message": str(exc)}, "ValidationException")
            return
        self._respond(status, payload)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle


class ArcServer(LocalHttpServer):
    """The emulator on a free port of 127.0.0.1, served from a daemon thread."""

    def __init__(self) -> None:
        self.emulator = ArcEmulator()
        super().__init__(type("ArcHandler", (_Handler,), {"emulator": self.emulator}))
