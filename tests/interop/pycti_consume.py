"""Consume a stixhub SSE endpoint with pycti's real ListenStream (the OpenCTI connector stream consumer).

usage: python pycti_consume.py STREAM_URL TOKEN EXPECTED_EVENTS TIMEOUT_SECONDS
Prints one JSON line: {"events": [[sse_event, id, data.type, data.id, data.name], ...], "state": {...}}.
ListenStream only uses get_state/set_state/date_now_z/connector_logger of its helper, so no OpenCTI is needed.
"""
import json
import sys
import time

from pycti.connector.opencti_connector_helper import ListenStream


class Log:
    def info(self, m, meta=None): pass
    def debug(self, m, meta=None): pass
    def warning(self, m, meta=None): print("WARN", m, meta, file=sys.stderr)
    def error(self, m, meta=None): print("ERROR", m, meta, file=sys.stderr)


class Helper:
    connector_logger = Log()
    state = None
    def get_state(self): return self.state
    def set_state(self, s): self.state = s
    def date_now_z(self): return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


got = []


def callback(msg):
    d = json.loads(msg.data)
    # Dependency events carry no "type" (OpenCTI does the same): act on the SSE event name.
    got.append([msg.event, msg.id, d.get("type"), d["data"]["id"], d["data"].get("name")])


url, token, expected, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
helper = Helper()
# helper, callback, url, token, verify_ssl, start_timestamp, live_stream_id,
# listen_delete, no_dependencies, recover_iso_date, with_inferences
stream = ListenStream(helper, callback, url, token, False, None, None, True, False, None, False)
stream.daemon = True
stream.start()
deadline = time.time() + timeout
while time.time() < deadline and len(got) < expected:
    time.sleep(0.1)
time.sleep(1.5)  # let a heartbeat move the state past the last event
stream.stop()
print(json.dumps({"events": got, "state": helper.state}, ensure_ascii=False))
