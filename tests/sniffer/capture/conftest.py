"""The veth fixtures of the live-capture tests, for every test of this folder."""

from tests.sniffer.capture.test_live import live_runs, veth

__all__ = ["live_runs", "veth"]
