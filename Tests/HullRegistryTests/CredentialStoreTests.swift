import Foundation
import HullRegistry
import Testing

@Suite("credentials file")
struct CredentialStoreTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hull-creds-\(UUID().uuidString)")

    func store(docker: String? = nil) throws -> CredentialStore {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let dockerFile = dir.appendingPathComponent("docker-config.json")
        if let docker { try Data(docker.utf8).write(to: dockerFile) }
        return CredentialStore(file: dir.appendingPathComponent("home/auth.json"), dockerConfig: dockerFile)
    }

    @Test("save, read back, mode 0600, Docker's format, logout removes")
    func roundTrip() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try store()
        #expect(try s.credentials(for: "localhost:5000") == nil)
        try s.save(RegistryCredentials(username: "alice", password: "pa:ss wörd"), for: "localhost:5000")
        try s.save(RegistryCredentials(username: "bob", password: "x"), for: "docker.io")
        #expect(try s.credentials(for: "localhost:5000") == RegistryCredentials(username: "alice", password: "pa:ss wörd"))
        let mode = try FileManager.default.attributesOfItem(atPath: s.file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: s.file)) as? [String: Any]
        let auths = json?["auths"] as? [String: Any]
        #expect(auths?.keys.sorted() == ["https://index.docker.io/v1/", "localhost:5000"])
        #expect((auths?["localhost:5000"] as? [String: String])?["auth"] == Data("alice:pa:ss wörd".utf8).base64EncodedString())
        #expect(try s.remove(for: "localhost:5000"))
        #expect(try s.remove(for: "localhost:5000") == false)
        #expect(try s.credentials(for: "localhost:5000") == nil)
        #expect(try s.credentials(for: "docker.io")?.username == "bob")
    }

    @Test("Docker's config.json auths are read; hull's own file wins")
    func dockerConfig() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let encoded = Data("carol:secret".utf8).base64EncodedString()
        let s = try store(docker: #"{"auths":{"https://index.docker.io/v1/":{"auth":"\#(encoded)"},"reg.example:443":{"username":"dave","password":"pw"}},"credsStore":"desktop"}"#)
        #expect(try s.credentials(for: "docker.io") == RegistryCredentials(username: "carol", password: "secret"))
        #expect(try s.credentials(for: "reg.example:443") == RegistryCredentials(username: "dave", password: "pw"))
        try s.save(RegistryCredentials(username: "erin", password: "2"), for: "docker.io")
        #expect(try s.credentials(for: "docker.io")?.username == "erin")
    }

    @Test("a broken credentials file is an error naming it, not a crash")
    func broken() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try store()
        try FileManager.default.createDirectory(at: s.file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("[1,2".utf8).write(to: s.file)
        #expect { try s.credentials(for: "x") } throws: { "\($0)".contains(s.file.path) && "\($0)".contains("not a JSON object") }
    }

    @Test("registry names from login arguments")
    func names() {
        #expect(CredentialStore.registry(forKey: "https://index.docker.io/v1/") == "docker.io")
        #expect(CredentialStore.registry(forKey: "http://Localhost:5000/") == "localhost:5000")
        #expect(CredentialStore.registry(forKey: "reg.example") == "reg.example")
        #expect(RegistryCredentials(encoded: "bm8tY29sb24=") == nil)   // "no-colon"
    }
}
