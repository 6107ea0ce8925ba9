#!/usr/bin/env python3
"""A token server for the registry's `auth: token` mode (the distribution spec's token
flow), for hull's integration tests. Listens on 127.0.0.1 (port printed on stdout);
`GET /token?service=…&scope=repository:NAME:ACTIONS` answers {"token": JWT}, an RS256
JWT signed with KEY (via `openssl dgst`), its `kid` the libtrust key id of CERT's public
key, which the registry's rootcertbundle holds.

Users: alice/secret may pull and push everywhere; mallory/secret is refused (403);
anonymous requests may pull repositories under public/ only; other credentials get 401.
"""
import base64
import hashlib
import json
import subprocess
import sys
import time
import http.server
import socketserver
from urllib.parse import urlparse, parse_qs

key_path, cert_path, issuer, service = sys.argv[1:5]


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid():
    der = subprocess.run(["openssl", "x509", "-in", cert_path, "-pubkey", "-noout"], capture_output=True, check=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der, capture_output=True, check=True).stdout
    digest = base64.b32encode(hashlib.sha256(spki).digest()[:30]).decode()
    return ":".join(digest[i:i + 4] for i in range(0, 48, 4))


KID = libtrust_kid()


def sign(claims):
    header = b64(json.dumps({"typ": "JWT", "alg": "RS256", "kid": KID}).encode())
    payload = b64(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path], input=signing_input,
                         capture_output=True, check=True).stdout
    return f"{header}.{payload}.{b64(sig)}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if password != "secret" or name not in ("alice", "mallory"):
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
            user = name
        if user == "mallory":
            return self.answer(403, {"errors": [{"code": "DENIED", "message": "mallory may not use this registry"}]})
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = actions.split(",")
            if user == "alice":
                granted = wanted
            elif name.startswith("public/"):
                granted = [a for a in wanted if a == "pull"]
            else:
                granted = []
            if granted:
                access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        token = sign({"iss": issuer, "sub": user or "", "aud": service, "exp": now + 300, "nbf": now - 10,
                      "iat": now, "jti": str(now) + str(id(self)), "access": access})
        self.answer(200, {"token": token, "expires_in": 300})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
