import Foundation
import HullRuntime
import Testing

extension Integration {
    @Suite("registry: Basic and Bearer authentication, TLS with a throwaway CA", .serialized)
    struct RegistryAuthTests {
        init() throws { try RegistryFixture.requireTools() }

        var authFile: URL { HullPaths().home.appendingPathComponent("auth.json") }

        @Test("htpasswd Basic auth: 401 names the fix, login checks the password, 0600 file, Docker's config.json, logout")
        func basicAuth() throws {
            let layout = try RegistryFixture.layout.get()
            let work = try RegistryFixture.scratch("registry-basic")
            defer { try? FileManager.default.removeItem(at: work) }
            let htpasswd = work.appendingPathComponent("htpasswd")
            try Data(ExternalTool.run("htpasswd", ["-Bbn", "alice", "secret"]).utf8).write(to: htpasswd)
            let registry = try TestRegistry(in: work.appendingPathComponent("registry"), auth: .htpasswd(htpasswd))
            defer { registry.stop() }
            let r = registry.host
            try TestImages.copy(layout, "multi", to: "\(r)/private/app:1", extra: ["--dest-creds", "alice:secret"])
            let names = ["\(r)/private/app:1", "\(r)/private/copy:1"]
            RegistryFixture.removeImages(names)
            defer {
                RegistryFixture.removeImages(names)
                _ = try? HullCLI.run(["logout", r])
            }

            let anonymous = try HullCLI.run(["pull", "\(r)/private/app:1"])
            #expect(anonymous.status == 1)
            #expect(anonymous.err.contains("\(r)/private/app: authentication required"), "\(anonymous.err)")
            #expect(anonymous.err.contains("run `hull login \(r)`"))
            #expect(!(try RegistryFixture.inStore("\(r)/private/app:1")))

            let wrong = try HullCLI.run(["login", "-u", "alice", "--password-stdin", r], stdin: Data("nope\n".utf8))
            #expect(wrong.status == 1)
            #expect(wrong.err.contains("login to \(r) failed"), "\(wrong.err)")

            let login = try HullCLI.run(["login", "-u", "alice", "--password-stdin", r], stdin: Data("secret\n".utf8))
            #expect(login.status == 0, "\(login.err)")
            #expect(login.out.contains("Login Succeeded"))
            let mode = try FileManager.default.attributesOfItem(atPath: authFile.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            let pull = try HullCLI.run(["pull", "\(r)/private/app:1"])
            #expect(pull.status == 0, "\(pull.err)")
            #expect(try HullCLI.run(["tag", "\(r)/private/app:1", "\(r)/private/copy:1"]).status == 0)
            let push = try HullCLI.run(["push", "\(r)/private/copy:1"])
            #expect(push.status == 0, "\(push.err)")

            let logout = try HullCLI.run(["logout", r])
            #expect(logout.out.contains("Removing login credentials for \(r)"))
            #expect(try HullCLI.run(["pull", "\(r)/private/app:1"]).status == 1)

            // Docker's config.json (DOCKER_CONFIG) is read too.
            let docker = work.appendingPathComponent("docker")
            try FileManager.default.createDirectory(at: docker, withIntermediateDirectories: true)
            let auth = Data("alice:secret".utf8).base64EncodedString()
            try Data(#"{"auths":{"\#(r)":{"auth":"\#(auth)"}}}"#.utf8).write(to: docker.appendingPathComponent("config.json"))
            let viaDocker = try HullCLI.run(["pull", "\(r)/private/app:1"], environment: ["DOCKER_CONFIG": docker.path])
            #expect(viaDocker.status == 0, "\(viaDocker.err)")
        }

        @Test("TLS: an unknown CA is refused with where to put it; certs.d/HOST:PORT/ca.crt makes it trusted")
        func tls() throws {
            let layout = try RegistryFixture.layout.get()
            let work = try RegistryFixture.scratch("registry-tls")
            defer { try? FileManager.default.removeItem(at: work) }
            let ca = work.appendingPathComponent("ca.crt"), caKey = work.appendingPathComponent("ca.key")
            let cert = work.appendingPathComponent("server.crt"), key = work.appendingPathComponent("server.key")
            let csr = work.appendingPathComponent("server.csr"), ext = work.appendingPathComponent("ext.cnf")
            try ExternalTool.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey.path, "-out", ca.path,
                                             "-days", "1", "-subj", "/CN=hull throwaway test CA"])
            try ExternalTool.run("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", csr.path, "-subj", "/CN=127.0.0.1"])
            try Data("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n".utf8).write(to: ext)
            try ExternalTool.run("openssl", ["x509", "-req", "-in", csr.path, "-CA", ca.path, "-CAkey", caKey.path, "-CAcreateserial",
                                             "-out", cert.path, "-days", "1", "-extfile", ext.path])
            let registry = try TestRegistry(in: work.appendingPathComponent("registry"), tls: (cert, key))
            defer { registry.stop() }
            let r = registry.host
            try TestImages.copy(layout, "multi", to: "\(r)/secure/app:1")
            let name = "\(r)/secure/app:1"
            RegistryFixture.removeImages([name])
            defer { RegistryFixture.removeImages([name]) }
            let certsDir = HullPaths().home.appendingPathComponent("certs.d/\(r)")
            defer { try? FileManager.default.removeItem(at: certsDir) }

            let untrusted = try HullCLI.run(["pull", name])
            #expect(untrusted.status == 1)
            #expect(untrusted.err.contains("registry \(r): TLS certificate not trusted"), "\(untrusted.err)")
            #expect(untrusted.err.contains(certsDir.appendingPathComponent("ca.crt").path))

            try FileManager.default.createDirectory(at: certsDir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: ca, to: certsDir.appendingPathComponent("ca.crt"))
            let trusted = try HullCLI.run(["pull", name])
            #expect(trusted.status == 0, "\(trusted.err)")
            #expect(trusted.err.contains("Download complete"))

            // --insecure-registry: TLS without verification, as Docker does.
            try FileManager.default.removeItem(at: certsDir)
            RegistryFixture.removeImages([name])
            let insecure = try HullCLI.run(["pull", "--insecure-registry", r, name])
            #expect(insecure.status == 0, "\(insecure.err)")
        }

        @Test("Bearer token flow: anonymous pull of a public repository, 401 and 403 from the token server, login, push")
        func bearer() throws {
            let layout = try RegistryFixture.layout.get()
            let work = try RegistryFixture.scratch("registry-token")
            defer { try? FileManager.default.removeItem(at: work) }
            let key = work.appendingPathComponent("token.key"), cert = work.appendingPathComponent("token.crt")
            try ExternalTool.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", cert.path,
                                             "-days", "1", "-subj", "/CN=hull test token signer"])
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("RegistrySupport/token_server.py")
            let tokens = try TestDaemon("/usr/bin/python3", [script.path, key.path, cert.path, "hull-issuer", "hull-registry"],
                                        log: work.appendingPathComponent("token.log"))
            let tokenPort = try tokens.startReadingPort()
            defer { tokens.stop() }
            let registry = try TestRegistry(in: work.appendingPathComponent("registry"), auth: .token(
                realm: "http://127.0.0.1:\(tokenPort)/token", service: "hull-registry", issuer: "hull-issuer", rootCertBundle: cert))
            defer { registry.stop() }
            let r = registry.host
            try TestImages.copy(layout, "multi", to: "\(r)/public/app:1", extra: ["--dest-creds", "alice:secret"])
            try TestImages.copy(layout, "multi", to: "\(r)/private/app:1", extra: ["--dest-creds", "alice:secret"])
            let names = ["\(r)/public/app:1", "\(r)/private/app:1", "\(r)/private/pushed:1"]
            RegistryFixture.removeImages(names)
            defer {
                RegistryFixture.removeImages(names)
                _ = try? HullCLI.run(["logout", r])
            }

            let open = try HullCLI.run(["pull", "\(r)/public/app:1"])
            #expect(open.status == 0, "anonymous token for a public repository: \(open.err)")

            let closed = try HullCLI.run(["pull", "\(r)/private/app:1"])
            #expect(closed.status == 1)
            #expect(closed.err.contains("\(r)/private/app: authentication required or credentials rejected (401)"), "\(closed.err)")

            let docker = work.appendingPathComponent("docker")
            try FileManager.default.createDirectory(at: docker, withIntermediateDirectories: true)
            let mallory = Data("mallory:secret".utf8).base64EncodedString()
            try Data(#"{"auths":{"\#(r)":{"auth":"\#(mallory)"}}}"#.utf8).write(to: docker.appendingPathComponent("config.json"))
            let denied = try HullCLI.run(["pull", "\(r)/private/app:1"], environment: ["DOCKER_CONFIG": docker.path])
            #expect(denied.status == 1)
            #expect(denied.err.contains("access denied (403)") && denied.err.contains("mallory may not use this registry"), "\(denied.err)")

            let badLogin = try HullCLI.run(["login", "-u", "alice", "-p", "wrong", r])
            #expect(badLogin.status == 1)
            #expect(badLogin.err.contains("login to \(r) failed"), "\(badLogin.err)")
            let login = try HullCLI.run(["login", "-u", "alice", "--password-stdin", r], stdin: Data("secret".utf8))
            #expect(login.status == 0, "\(login.err)")
            let pull = try HullCLI.run(["pull", "\(r)/private/app:1"])
            #expect(pull.status == 0, "\(pull.err)")
            #expect(try HullCLI.run(["tag", "\(r)/private/app:1", "\(r)/private/pushed:1"]).status == 0)
            let push = try HullCLI.run(["push", "\(r)/private/pushed:1"])
            #expect(push.status == 0, "\(push.err)")
            #expect(push.err.contains("Mounted from private/app"), "\(push.err)")
        }
    }
}
