import Foundation
import Glibc
import HullAPI
import HullClient
@testable import HullDaemon
@testable import HullEngine
import NIOHTTP1
import Testing

extension Integration {
    /// Every endpoint of a real hulld, fed bad input: clear 4xx answers with a message,
    /// never a crash; hulld answers normally afterwards.
    @Suite("hulld API and bad input", .serialized)
    struct DaemonAPITests {
        /// The status and message of a call that must fail.
        func failure(_ d: DaemonHarness, _ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (Int, String) {
            do {
                if let body {
                    _ = try await d.client.call(method, path, body: body, contentType: "application/json")
                } else {
                    _ = try await d.client.call(method, path)
                }
            } catch let error as DaemonClientError {
                return (error.status ?? 0, error.message)
            }
            Issue.record("\(method) \(path) succeeded but must fail")
            return (200, "")
        }

        @Test("unknown containers and execs: 404 with the name, on every route that takes one")
        func unknownIDs() async throws {
            let d = try DaemonHarness()
            let table = try OpenAPIDocument.routes()
            // The document and the routes hulld registers (DocumentedRouter) are the same.
            #expect(Set(table.map { "\($0.method) \($0.path)" }) == APIRouteTable.all)
            for route in table where route.path.contains("{id}") {
                let path = route.path.replacingOccurrences(of: "{id}", with: "nosuch")
                var query = ""
                if path.hasSuffix("/archive") { query = "?path=/etc" }
                var body: Data?
                if path.hasSuffix("/resize") { body = Data(#"{"rows": 10, "columns": 20}"#.utf8) }
                if path.hasSuffix("/exec") { body = Data(#"{"command": ["true"]}"#.utf8) }
                let (status, message) = try await failure(d, HTTPMethod(rawValue: route.method), path + query, body: body)
                #expect(status == 404, "\(route.method) \(path): \(status) \(message)")
                #expect(message.contains("no such") && message.contains("nosuch"), "\(route.method) \(path): \(message)")
            }
        }

        @Test("bad bodies and parameters: 400/409/413 with a message")
        func badInput() async throws {
            let d = try DaemonHarness()
            let cases: [(HTTPMethod, String, String?, Int, String)] = [
                (.POST, "/v1/containers", "not json", 400, "not valid JSON"),
                (.POST, "/v1/containers", "{}", 400, "\"image\" is missing"),
                (.POST, "/v1/containers", #"{"image": 5}"#, 400, "image must be"),
                (.POST, "/v1/containers", #"{"image": "busybox", "tty": "yes"}"#, 400, "tty must be"),
                (.POST, "/v1/containers", #"{"image": ""}"#, 400, "image must not be empty"),
                (.POST, "/v1/containers", #"{"image": "busybox", "name": "../x"}"#, 400, "name must match"),
                (.POST, "/v1/containers", #"{"image": "busybox", "memoryMiB": 1}"#, 400, "memoryMiB must be at least 16"),
                (.POST, "/v1/containers", #"{"image": "busybox", "accel": "warp"}"#, 400, "accel must be kvm, tcg"),
                // Numbers that once crashed hulld (issue 18): each is a 400 naming the field.
                (.POST, "/v1/containers", #"{"image": "busybox", "isolation": "vm", "bootTimeout": 1e16}"#, 400,
                 "bootTimeout must be more than 0 and at most 3600"),
                (.POST, "/v1/containers", #"{"image": "busybox", "memoryMiB": 9223372036854775807}"#, 400, "memoryMiB must be"),
                (.POST, "/v1/containers", #"{"image": "busybox", "cpus": 1e308}"#, 400, "cpus must be"),
                (.POST, "/v1/containers", #"{"image": "busybox", "stopTimeout": 1e16}"#, 400, "stopTimeout must be"),
                (.POST, "/v1/containers", #"{"image": "busybox", "memoryMiB": 1e300}"#, 400, "bad request body"),
                (.POST, "/v1/containers", #"{"image": "no-such-image"}"#, 404, "no-such-image"),
                (.GET, "/v1/containers?all=maybe", nil, 400, "all must be true or false"),
                (.POST, "/v1/containers", #"{"image": "busybox", "isolation": "chroot"}"#, 400, "isolation must be vm, gvisor, process"),
                (.POST, "/v1/containers", #"{"image": "busybox", "isolation": "process", "accel": "tcg"}"#, 400,
                 "--accel cannot be honoured with --isolation process"),
                (.POST, "/v1/containers", #"{"image": "busybox", "isolation": "gvisor", "bootTimeout": 5}"#, 400,
                 "--boot-timeout cannot be honoured with --isolation gvisor"),
                (.GET, "/v1/containers?isolation=chroot", nil, 400, "unknown isolation mode"),
                // Resource limits: ranges (400), memory vs swap (409), what a mode cannot enforce.
                (.POST, "/v1/containers", #"{"image": "busybox", "pidsLimit": -5}"#, 400, "pidsLimit must be -1 or 0"),
                (.POST, "/v1/containers", #"{"image": "busybox", "storageSizeMiB": 8}"#, 400, "storageSizeMiB must be at least 16"),
                (.POST, "/v1/containers", #"{"image": "busybox", "memorySwapMiB": 0}"#, 400, "memorySwapMiB must be -1"),
                (.POST, "/v1/containers", #"{"image": "busybox", "memorySwapMiB": 256}"#, 409, "needs a memory limit"),
                (.POST, "/v1/containers", #"{"image": "busybox", "memoryMiB": 256, "memorySwapMiB": 128}"#, 409,
                 "must be -1 or at least the memory limit (256 MiB)"),
                (.POST, "/v1/containers", #"{"image": "busybox", "isolation": "gvisor", "pidsLimit": 50}"#, 400,
                 "--pids-limit cannot be enforced with --isolation gvisor"),
            ]
            for (method, path, body, status, text) in cases {
                let (got, message) = try await failure(d, method, path, body: body.map { Data($0.utf8) })
                #expect(got == status, "\(method) \(path) \(body ?? ""): \(got) \(message)")
                #expect(message.contains(text), "\(method) \(path) \(body ?? ""): \(message)")
            }
            let huge = Data(("{\"image\": \"" + String(repeating: "a", count: 2 << 20) + "\"}").utf8)
            let (status, message) = try await failure(d, .POST, "/v1/containers", body: huge)
            #expect(status == 413 && message.contains("over"), "\(status) \(message)")

            // A created container that never started: what needs a running one says so.
            let created = try await d.client.call(.POST, "/v1/containers", json: CreateContainerRequest(image: "busybox", name: "idle"),
                                                  expecting: CreatedContainer.self)
            let dup = try await failure(d, .POST, "/v1/containers", body: Data(#"{"image": "busybox", "name": "idle"}"#.utf8))
            #expect(dup.0 == 409 && dup.1.contains("already in use"))
            for (method, path, body) in [(HTTPMethod.POST, "kill", nil), (.POST, "exec", #"{"command": ["true"]}"#),
                                         (.POST, "resize", #"{"rows": 1, "columns": 1}"#), (.GET, "top", nil),
                                         (.GET, "stats", nil), (.GET, "archive?path=/etc", nil), (.POST, "stdin", "x")] as [(HTTPMethod, String, String?)] {
                let r = try await failure(d, method, "/v1/containers/idle/\(path)", body: body.map { Data($0.utf8) })
                #expect(r.0 == 409 && r.1.contains("not running"), "\(path): \(r)")
            }
            for (path, text) in [("logs?tail=abc", "tail must be"), ("logs?tail=", "tail must be"), ("logs?tail=%2B5", "tail must be"),
                                 ("stop?timeout=-1", "timeout must be"), ("stop?timeout=1e16", "at most 86400"),
                                 ("restart?timeout=inf", "timeout must be"), ("kill?signal=NOPE", "unknown signal"),
                                 ("kill?signal=", "unknown signal"), ("kill?signal=%2B9", "unknown signal"),
                                 ("archive", "path is required"), ("archive?path=etc", "must be absolute"),
                                 ("archive?path=/", "name a file"), ("logs?follow=yes", "follow must be true or false")] {
                let method: HTTPMethod = path.hasPrefix("logs") || path.hasPrefix("archive") ? .GET : .POST
                let r = try await failure(d, method, "/v1/containers/idle/\(path)")
                #expect(r.0 == 400 && r.1.contains(text), "\(path): \(r)")
            }
            let exec = try await failure(d, .POST, "/v1/containers/idle/exec", body: Data(#"{"command": "ls"}"#.utf8))
            #expect(exec.0 == 400, "\(exec)")
            let rows = try await failure(d, .POST, "/v1/containers/idle/resize", body: Data(#"{"rows": 70000, "columns": 1}"#.utf8))
            #expect(rows.0 == 400, "\(rows)")
            let kill = try await failure(d, .POST, "/v1/containers/idle/kill?signal=term")
            #expect(kill.0 == 409, "lower-case names are signals too: \(kill)")
            let logs = try await d.client.call(.GET, "/v1/containers/idle/logs")
            #expect(logs.isEmpty)
            // By id prefix, then removed.
            _ = try await d.client.call(.DELETE, "/v1/containers/\(created.id.prefix(8))")
            let gone = try await failure(d, .GET, "/v1/containers/idle")
            #expect(gone.0 == 404)
            let version = try await d.client.call(.GET, "/v1/version", expecting: VersionInfo.self)
            #expect(version.apiVersion == "v1")
        }

        @Test("a crashed hulld is visible: hull says it starts it again, the next hulld logs it")
        func crashIsVisible() throws {
            let d = try DaemonHarness()
            d.kill9()
            var environment = d.environment
            environment.removeValue(forKey: "HULL_NO_AUTOSTART")
            let ps = try HullCLI.run(["ps"], environment: environment)
            #expect(ps.status == 0, "\(ps.err)")
            #expect(ps.err.contains("hulld had stopped without shutting down"), "\(ps.err)")
            #expect(d.logTail.contains("ended without shutting down"), "\(d.logTail)")
            // The hulld hull started: a clean stop removes its pid file, so no warning next time.
            let pidFile = d.home.appendingPathComponent("hulld.pid")
            let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(20)
            while FileManager.default.fileExists(atPath: pidFile.path), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            #expect(!FileManager.default.fileExists(atPath: pidFile.path))
        }

        @Test("methods a path does not have: 405 with Allow; unknown paths: a JSON 404")
        func methodNotAllowed() async throws {
            let d = try DaemonHarness()
            for (method, path, allow) in [("PUT", "/v1/version", "GET"), ("PATCH", "/v1/containers/x", "DELETE, GET"),
                                          ("GET", "/v1/containers/x/start", "POST"), ("DELETE", "/v1/containers", "GET, POST"),
                                          ("QUERY", "/v1/exec/x/wait", "POST"), ("HEAD", "/v1/containers/x/archive", "GET, PUT")] {
                let (status, headers, body) = try RawHTTP.send(socket: d.socket, method: method, path: path)
                #expect(status == 405, "\(method) \(path): \(status) \(body)")
                #expect(headers["allow"] == allow, "\(method) \(path): \(headers)")
                if method != "HEAD" { #expect(body.contains("not allowed"), "\(method) \(path): \(body)") }
            }
            let (status, headers, body) = try RawHTTP.send(socket: d.socket, method: "GET", path: "/v2/nothing")
            #expect(status == 404 && headers["content-type"] == "application/json" && body.contains("no such API path"), "\(status) \(body)")
            let version = try await d.client.call(.GET, "/v1/version", expecting: VersionInfo.self)
            #expect(version.apiVersion == "v1")
        }
    }
}

/// docs/openapi.yaml, checked by the real validator (openapi-spec-validator from PyPI).
enum OpenAPIDocument {
    struct Route: Hashable { var method: String; var path: String }

    static var file: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
    }

    /// Validates the document and returns its operations.
    static func routes() throws -> [Route] {
        let script = """
            import sys, yaml
            from openapi_spec_validator import validate
            doc = yaml.safe_load(open(sys.argv[1]))
            validate(doc)
            for path, item in doc["paths"].items():
                for method in ("get", "post", "put", "delete", "patch"):
                    if method in item: print(method.upper(), path)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, file.path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw DaemonHarness.HarnessError(message: "docs/openapi.yaml did not validate (needs `pip install openapi-spec-validator pyyaml`, which scripts/setup.sh does): \(errors)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            return Route(method: String(parts[0]), path: String(parts[1]))
        }
    }
}
