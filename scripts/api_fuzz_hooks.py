"""schemathesis hooks for scripts/api-fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

They keep the run bounded without hiding anything from the checks: a value the schema
allows is only ever replaced by another value the schema allows, so a positive case stays
positive and a negative one stays negative.
"""
import sys

import schemathesis

# Archives are bytes like any other binary body.
schemathesis.serializer.alias("application/x-tar", "application/octet-stream")

_REGISTRY = __import__("os").environ.get("HULL_FUZZ_REGISTRY", "127.0.0.1:9")
MAX_GRACE = 2  # seconds a fuzzed stop may wait before SIGKILL (the API allows 86400)


def _valid_seconds(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 86400


def _capped_query_seconds(value):
    # A query value may come as a number or already as its text.
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return str(MAX_GRACE) if 0 <= number <= 86400 and number > MAX_GRACE else value
    return min(value, MAX_GRACE) if _valid_seconds(value) else value


def _valid_name(value):
    return isinstance(value, str) and 1 <= len(value) <= 512


def _bound(case):
    # Every phase (examples, coverage, fuzzing) passes here just before its request goes
    # out, so boundary values from the coverage phase are bounded too.
    op = case.operation
    path = op.path
    method = op.method.upper()
    # Containers the fuzzer creates may ignore SIGTERM (a shell as PID 1 does): a short
    # stopTimeout keeps every later stop/restart of them short.
    if method == "POST" and path == "/v1/containers" and isinstance(case.body, dict):
        # (A missing one means 10 s, which hulld's own shutdown would wait for too.)
        if _valid_seconds(case.body.get("stopTimeout")):
            case.body["stopTimeout"] = min(case.body["stopTimeout"], MAX_GRACE)
        elif case.body.get("stopTimeout", None) is None:
            case.body["stopTimeout"] = MAX_GRACE
        # A valid rootfs names a host folder hulld would copy whole (/usr, /var): point it
        # at one that does not exist (404), still a valid value.
        rootfs = case.body.get("rootfs")
        if isinstance(rootfs, str) and rootfs.startswith("/") and len(rootfs) > 1 and "\x00" not in rootfs:
            case.body["rootfs"] = "/nonexistent-hull-fuzz-rootfs"
    query = case.query
    if not isinstance(query, dict):
        return
    # Pulls and pushes go where an image's name says: hulld must never reach past this
    # machine (the network rule), so a valid name becomes one of the empty loopback
    # registry api-fuzz.sh started (the pull fails in its stream, answered 200 as
    # documented; the push finds no such image here, 404).
    if path in ("/v1/images/pull", "/v1/images/push") and _valid_name(query.get("name")):
        query["name"] = f"{_REGISTRY}/hull-fuzz/image:1"
    # Names the store would keep: valid ones become one fixed valid name (an arbitrary
    # string the schema allows need not parse as an image name: hulld answers 400).
    if path == "/v1/images/tag" and _valid_name(query.get("target")):
        query["target"] = "hull-fuzz/tagged:1"
    if path == "/v1/images/load" and _valid_name(query.get("name")):
        query["name"] = "hull-fuzz/loaded"
    if path.endswith("/stop") or path.endswith("/restart"):
        if "timeout" in query:
            query["timeout"] = _capped_query_seconds(query["timeout"])
    # Following a process that never ends answers only when it ends: read what is there.
    # (A created container's log is followed until it starts and ends: attach before start.)
    if path.endswith("/logs") and query.get("follow") in (True, "true"):
        query["follow"] = False if query["follow"] is True else "false"


_TRACE = __import__("os").environ.get("HULL_FUZZ_TRACE")


@schemathesis.hook
def before_call(context, case, kwargs):
    _bound(case)
    if _TRACE:
        # Which request a stuck run is waiting for (HULL_FUZZ_TRACE=1).
        print(f"{__import__('time').monotonic():.2f} -> {case.method} {case.formatted_path} {case.query} {str(case.body)[:200]}", file=sys.stderr, flush=True)


@schemathesis.deserializer("application/x-ndjson")
def progress_stream(ctx, response):
    # Pull and push progress: every line a JSON object, the last one saying how the
    # transfer ended (result or error); that last line is checked against the schema.
    import json

    lines = [line for line in response.content.decode("utf-8").split("\n") if line]
    if not lines:
        raise ValueError("an empty progress stream")
    messages = [json.loads(line) for line in lines]
    if not all(isinstance(m, dict) for m in messages):
        raise ValueError("a progress line that is not a JSON object")
    last = messages[-1]
    if "result" not in last and "error" not in last:
        raise ValueError(f"the stream ended without result or error: {last}")
    return last
