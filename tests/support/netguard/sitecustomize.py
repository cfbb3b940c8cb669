"""Loaded by every Python process the tests start (through PYTHONPATH): name resolution
answers only for loopback, so no test, and no CLI run a test starts, can reach or even look
up a host other than this machine's, whatever a default or a missed override would do."""

from tests_netguard import install

install()
