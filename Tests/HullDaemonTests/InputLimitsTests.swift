import Foundation
import HullAPI
import HullProtocol
import HullRuntime
import Testing
@testable import HullDaemon
@testable import HullEngine

/// Issue 18: every number from outside is range-checked where it enters, and nothing
/// past that point can trap. Each numeric field at 0, negative, max, max+1, 1e16, 1e308,
/// NaN and a string.
@Suite("input limits: numbers from requests and flags")
struct InputLimitsTests {
    /// A create request with one JSON field set to `value` (raw JSON text).
    func create(_ field: String, _ value: String) throws -> CreateContainerRequest {
        try JSONDecoder().decode(CreateContainerRequest.self, from: Data(#"{"image": "busybox", "\#(field)": \#(value)}"#.utf8))
    }

    /// Decodes and validates as hulld does (Body.decode, then SpecMapping); the 400's
    /// message, or nil when accepted.
    func refusal(_ field: String, _ value: String) -> String? {
        do {
            _ = try SpecMapping.options(for: try create(field, value).spec)
            return nil
        } catch let error as EngineError {
            #expect(error.httpStatus == 400)
            return error.description
        } catch {
            return "not JSON for this field: \(error)"   // what Body.decode turns into a 400
        }
    }

    @Test("cpus: more than 0, at most 64")
    func cpus() {
        for bad in ["0", "-1", "64.001", "65", "1e16", "1e308", "\"2\""] {
            let message = refusal("cpus", bad)
            #expect(message != nil, "cpus \(bad) accepted")
            if bad != "\"2\"" { #expect(message?.contains("cpus must be more than 0 and at most 64") == true, "\(bad): \(message ?? "")") }
        }
        for good in ["0.001", "1", "1.5", "64"] { #expect(refusal("cpus", good) == nil, "cpus \(good) refused") }
        // JSON has no NaN: Foundation refuses it as text.
        #expect(refusal("cpus", "NaN") != nil)
        #expect(InputLimits.vcpus(for: 1.5) == 2 && InputLimits.vcpus(for: .nan) == 1 && InputLimits.vcpus(for: 1e308) == 64)
    }

    @Test("logMaxSize: 64 KiB to 1 TiB; logMaxFiles: 1 to 100")
    func logOptions() {
        for bad in ["0", "-1", "65535", "1099511627777", "9223372036854775807", "\"10m\""] {
            #expect(refusal("logMaxSize", bad) != nil, "logMaxSize \(bad) accepted")
        }
        #expect(refusal("logMaxSize", "65535")?.contains("at least 65536") == true)
        for good in ["65536", "10485760", "1099511627776"] { #expect(refusal("logMaxSize", good) == nil, "logMaxSize \(good) refused") }
        for bad in ["0", "-1", "101", "\"3\""] { #expect(refusal("logMaxFiles", bad) != nil, "logMaxFiles \(bad) accepted") }
        for good in ["1", "3", "100"] { #expect(refusal("logMaxFiles", good) == nil, "logMaxFiles \(good) refused") }
    }

    @Test("memoryMiB: 16 to 1048576")
    func memory() {
        for bad in ["0", "-16", "15", "1048577", "1e16", "1e308", "9223372036854775807", "\"512\""] {
            #expect(refusal("memoryMiB", bad) != nil, "memoryMiB \(bad) accepted")
        }
        #expect(refusal("memoryMiB", "1048577")?.contains("at most 1048576") == true)
        for good in ["16", "256", "1048576"] { #expect(refusal("memoryMiB", good) == nil, "memoryMiB \(good) refused") }
    }

    @Test("stopTimeout: 0 to 86400; bootTimeout: more than 0, at most 3600")
    func timeouts() {
        for bad in ["-1", "86400.5", "1e16", "1e308", "\"10\""] {
            #expect(refusal("stopTimeout", bad) != nil, "stopTimeout \(bad) accepted")
        }
        for good in ["0", "10", "86400"] { #expect(refusal("stopTimeout", good) == nil, "stopTimeout \(good) refused") }
        for bad in ["0", "-1", "3600.001", "1e16", "1e308", "\"30\""] {
            #expect(refusal("bootTimeout", bad) != nil, "bootTimeout \(bad) accepted")
        }
        #expect(refusal("bootTimeout", "1e16")?.contains("bootTimeout must be more than 0 and at most 3600 seconds") == true)
        for good in ["0.5", "30", "3600"] { #expect(refusal("bootTimeout", good) == nil, "bootTimeout \(good) refused") }
    }

    @Test("durations never trap, whatever they are given")
    func durations() {
        #expect(InputLimits.duration(seconds: 1.5, limit: 10) == .milliseconds(1500))
        #expect(InputLimits.duration(seconds: 1e308, limit: 10) == .seconds(10))
        #expect(InputLimits.duration(seconds: .infinity, limit: 10) == .seconds(10))
        #expect(InputLimits.duration(seconds: -.infinity, limit: 10) == .zero)
        #expect(InputLimits.duration(seconds: .nan, limit: 10) == .zero)
    }

    @Test("strings with documented shapes: image, name, accel, isolation")
    func strings() {
        #expect(throws: EngineError.invalid("image must not be empty")) {
            try SpecMapping.options(for: CreateContainerRequest(image: "").spec)
        }
        #expect(refusal("name", "\"../x\"")?.contains("name must match") == true)
        #expect(refusal("name", "\"\(String(repeating: "a", count: 65))\"") != nil)
        #expect(refusal("name", "\"\(String(repeating: "a", count: 64))\"") == nil)
        #expect(refusal("accel", "\"warp\"")?.contains("accel must be kvm, tcg") == true)
        #expect(refusal("isolation", "\"chroot\"")?.contains("isolation must be vm, gvisor, process") == true)
        // null is absent: the document's nullable.
        #expect(refusal("accel", "null") == nil)
    }

    @Test("query parameters: timeout, tail, signal, booleans")
    func queries() throws {
        #expect(throws: InputError.self) { try InputCheck.seconds(1e16, field: "timeout", limit: InputLimits.maxStopSeconds) }
        #expect(throws: InputError.self) { try InputCheck.seconds(.nan, field: "timeout", limit: InputLimits.maxStopSeconds) }
        #expect(throws: InputError.self) { try InputCheck.seconds(-0.5, field: "timeout", limit: InputLimits.maxStopSeconds) }
        try InputCheck.seconds(86_400, field: "timeout", limit: InputLimits.maxStopSeconds)
        // Signals: exactly what the document's pattern admits.
        let pattern = try Regex(SignalName.pattern)
        for text in ["TERM", "SIGTERM", "term", "sigterm", "9", "64", "1", "0", "65", "09", "+9", "", "SIGterm", "Term", "NOPE", "99999999999999999999", "kıll", "ſigterm", "\u{212A}ILL", "T ERM"] {
            let parsed = (try? SignalName.parse(text)) != nil
            let documented = (try? pattern.wholeMatch(in: text)) != nil
            #expect(parsed == documented, "signal \"\(text)\": parsed \(parsed), pattern \(documented)")
        }
        #expect(try SignalName.parse("sigusr1") == SIGUSR1)
        #expect(OpenAPIText.contains(SignalName.pattern), "docs/openapi.yaml's signal pattern differs from SignalName.pattern")
        // Archive paths: the pattern and the split agree.
        let pathPattern = try Regex(ArchivePath.pattern)
        for text in ["/", "//", "/a", "/a/", "/a/b", "/.", "/..", "/a/..", "/a/.", "/..a", "a", "", "/a/../b"] {
            let parsed = (try? ArchivePath.split(text)) != nil
            let documented = (try? pathPattern.wholeMatch(in: text)) != nil
            #expect(parsed == documented, "path \"\(text)\": parsed \(parsed), pattern \(documented)")
        }
        #expect(OpenAPIText.contains(ArchivePath.pattern.replacingOccurrences(of: "\\", with: "\\\\")),
                 "docs/openapi.yaml's archive path pattern differs from ArchivePath.pattern")
    }

    @Test("undeclared methods: the route guard knows every documented path's methods")
    func routeGuard() {
        let guardian = RouteGuard(routes: APIRouteTable.all)
        #expect(guardian.allowed(for: "/v1/version") == ["GET"])
        #expect(guardian.allowed(for: "/v1/containers") == ["GET", "POST"])
        #expect(guardian.allowed(for: "/v1/containers/web") == ["GET", "DELETE"])
        #expect(guardian.allowed(for: "/v1/containers/web/archive") == ["GET", "PUT"])
        #expect(guardian.allowed(for: "//v1//containers/web/start/") == ["POST"])
        #expect(guardian.allowed(for: "/v1/exec/abc") == ["GET"])
        #expect(guardian.allowed(for: "/v2/containers") == nil)
        #expect(guardian.allowed(for: "/v1/containers/a/b/c") == nil)
    }

    @Test("numbers from the guest and the host cannot trap either")
    func outsideNumbers() {
        // An exit status no process can have (a hostile agent's) is total, and refused.
        #expect(ExitStatus(signal: .max).shellStatus == 255 && !ExitStatus(signal: .max).isPossible)
        #expect(ExitStatus(code: -5).shellStatus == 255 && ExitStatus(signal: 9).shellStatus == 137)
        #expect(ExitStatus(code: 3, signal: 9).isPossible == false && ExitStatus().isPossible == false)
        // /proc/meminfo as the container prints it (its own cat under gvisor).
        let (total, available) = MeminfoParser.parse("MemTotal: 18446744073709551615 kB\nMemAvailable: 1024 kB\n")
        #expect(total == .max && available == 1 << 20)
        #expect(LogRecord.now() > 0)
    }
}

/// docs/openapi.yaml as text, for checks that a constant in the code is the document's.
enum OpenAPIText {
    static func contains(_ text: String) -> Bool {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        return ((try? String(contentsOf: file, encoding: .utf8)) ?? "").contains(text)
    }
}
