"""schemathesis hooks for scripts/api-fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

They keep the run bounded without hiding anything from the checks: a value the schema
allows is only ever replaced by another value the schema allows, so a positive case stays
positive and a negative one stays negative.
"""
import schemathesis

# Archives are bytes like any other binary body.
schemathesis.serializer.alias("application/x-tar", "application/octet-stream")

MAX_GRACE = 2  # seconds a fuzzed stop may wait before SIGKILL (the API allows 86400)


def _valid_seconds(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 86400


@schemathesis.hook
def map_body(context, body):
    # Containers the fuzzer creates may ignore SIGTERM (a shell as PID 1 does): a short
    # stopTimeout keeps every later stop/restart of them short.
    op = context.operation
    if op is not None and op.method.upper() == "POST" and op.path == "/v1/containers" and isinstance(body, dict):
        if _valid_seconds(body.get("stopTimeout")):
            body["stopTimeout"] = min(body["stopTimeout"], MAX_GRACE)
    return body


@schemathesis.hook
def map_query(context, query):
    op = context.operation
    if op is None or not isinstance(query, dict):
        return query
    if op.path.endswith("/stop") or op.path.endswith("/restart"):
        if _valid_seconds(query.get("timeout")):
            query["timeout"] = min(query["timeout"], MAX_GRACE)
    # Following a process that never ends answers only when it ends: read what is there.
    if op.path.endswith("/logs") and query.get("follow") is True:
        query["follow"] = False
    return query


if __import__("os").environ.get("HULL_FUZZ_TRACE"):
    import sys

    @schemathesis.hook
    def before_call(context, case, kwargs):
        # Which request a stuck run is waiting for (HULL_FUZZ_TRACE=1).
        print(f"-> {case.method} {case.formatted_path} {case.query} {str(case.body)[:200]}", file=sys.stderr, flush=True)
