import Foundation
import HullAPI
import HullClient
@testable import HullDaemon
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
                (.POST, "/v1/containers", #"{"image": "busybox", "name": "../x"}"#, 400, "invalid container name"),
                (.POST, "/v1/containers", #"{"image": "busybox", "memoryMiB": 1}"#, 400, "too small"),
                (.POST, "/v1/containers", #"{"image": "busybox", "accel": "warp"}"#, 400, "kvm or tcg"),
                (.POST, "/v1/containers", #"{"image": "no-such-image"}"#, 404, "no-such-image"),
                (.GET, "/v1/containers?all=maybe", nil, 400, "all must be true or false"),
                (.POST, "/v1/containers", #"{"image": "busybox", "isolation": "chroot"}"#, 400, "unknown isolation mode"),
                (.POST, "/v1/containers", #"{"image": "busybox", "isolation": "process", "accel": "tcg"}"#, 400,
                 "--accel cannot be honoured with --isolation process"),
                (.POST, "/v1/containers", #"{"image": "busybox", "isolation": "gvisor", "bootTimeout": 5}"#, 400,
                 "--boot-timeout cannot be honoured with --isolation gvisor"),
                (.GET, "/v1/containers?isolation=chroot", nil, 400, "unknown isolation mode"),
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
            for (path, text) in [("logs?tail=abc", "tail must be"), ("stop?timeout=-1", "timeout must be"),
                                 ("kill?signal=NOPE", "unknown signal"), ("archive", "path is required")] {
                let method: HTTPMethod = path.hasPrefix("logs") || path.hasPrefix("archive") ? .GET : .POST
                let r = try await failure(d, method, "/v1/containers/idle/\(path)")
                #expect(r.0 == 400 && r.1.contains(text), "\(path): \(r)")
            }
            let exec = try await failure(d, .POST, "/v1/containers/idle/exec", body: Data(#"{"command": "ls"}"#.utf8))
            #expect(exec.0 == 400, "\(exec)")
            let logs = try await d.client.call(.GET, "/v1/containers/idle/logs")
            #expect(logs.isEmpty)
            // By id prefix, then removed.
            _ = try await d.client.call(.DELETE, "/v1/containers/\(created.id.prefix(8))")
            let gone = try await failure(d, .GET, "/v1/containers/idle")
            #expect(gone.0 == 404)
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
