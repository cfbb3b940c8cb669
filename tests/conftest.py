"""Test-wide safety settings.

Every test talks only to servers it starts on 127.0.0.1. These variables make sure that no
SDK default (the EC2 instance-metadata endpoint, a real profile, a real kubeconfig or
database) can send traffic anywhere else, even when a test forgets to set an endpoint.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_SAFE_ENV = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "KUBECONFIG": os.devnull,
    "PULUMI_SKIP_UPDATE_CHECK": "true",
    "BC_SKIP_MAPPING": "TRUE",
}
os.environ.update(_SAFE_ENV)
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "PGHOST", "PGPASSWORD", "PGSERVICE"):
    os.environ.pop(_name, None)

# Loopback-only name resolution, in this process and in every Python process a test starts.
_GUARD = Path(__file__).parent / "support" / "netguard"
sys.path.insert(0, str(_GUARD))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(_GUARD), os.environ.get("PYTHONPATH", "")) if p
)
import tests_netguard  # noqa: E402

tests_netguard.install()
