#!/usr/bin/env python3
"""A reverse proxy in front of a test registry that injects faults, for hull's
integration tests. Listens on 127.0.0.1 (port printed on stdout), forwards to UPSTREAM,
logs every request as "METHOD PATH RANGE" to LOG. The mode is read from MODEFILE before
each request, so the test can change it without restarting:

  pass                 forward everything
  cut N COUNT          blob GETs: send the headers and N body bytes, then drop the
                       connection; the first COUNT such answers only
  status CODE PATTERN  answer CODE (with a registry error body) for paths containing PATTERN
  bigmanifest BYTES    manifest GETs get a body of BYTES bytes
  delay SECONDS        blob GETs wait SECONDS before they are forwarded
"""
import http.client
import http.server
import socketserver
import sys
import threading
import time

upstream_host, upstream_port = sys.argv[1].rsplit(":", 1)
log_path, mode_path = sys.argv[2], sys.argv[3]
lock = threading.Lock()
cuts_done = 0


def mode():
    try:
        with open(mode_path) as f:
            return f.read().split()
    except OSError:
        return ["pass"]


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        global cuts_done
        with lock, open(log_path, "a") as log:
            log.write(f"{self.command} {self.path} {self.headers.get('Range', '-')}\n")
        m = mode()
        if m[0] == "status" and m[2] in self.path:
            body = b'{"errors":[{"code":"INJECTED","message":"fault injected by the test proxy"}]}'
            self.send_response(int(m[1]))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if m[1] == "429":
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(body)
            return
        if m[0] == "bigmanifest" and "/manifests/" in self.path and self.command == "GET":
            size = int(m[1])
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b" " * 65536
            sent = 0
            try:
                while sent < size:
                    n = min(len(chunk), size - sent)
                    self.wfile.write(chunk[:n])
                    sent += n
            except OSError:
                pass
            return
        if m[0] == "delay" and "/blobs/sha256:" in self.path and self.command == "GET":
            time.sleep(float(m[1]))
        length = int(self.headers.get("Content-Length", "0") or "0")
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=60)
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        cut = None
        if m[0] == "cut" and "/blobs/sha256:" in self.path and self.command == "GET" and resp.status in (200, 206):
            with lock:
                if cuts_done < int(m[2]) and len(data) > int(m[1]):
                    cuts_done += 1
                    cut = int(m[1])
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if cut is not None:
            self.wfile.write(data[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", 0), Proxy)
print(server.server_address[1], flush=True)
server.serve_forever()
