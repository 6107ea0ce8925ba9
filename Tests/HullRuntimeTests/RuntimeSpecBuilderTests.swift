import HullProtocol
@testable import HullRuntime
import Testing

@Suite("Runtime spec from image config and flags (Docker's rules)")
struct RuntimeSpecBuilderTests {
    let image = ImageDefaults(entrypoint: ["/entry"], cmd: ["default", "args"], env: ["PATH=/bin", "A=image"],
                              workingDir: "/srv", user: "app")

    func build(_ flags: ContainerFlags, image: ImageDefaults? = nil) throws -> RuntimeSpec {
        try RuntimeSpecBuilder.build(image: image ?? self.image, flags: flags, hostname: "h")
    }

    @Test("entrypoint + cmd from the image; arguments replace cmd")
    func commandMerge() throws {
        #expect(try build(ContainerFlags()).process.args == ["/entry", "default", "args"])
        var f = ContainerFlags()
        f.command = ["mine"]
        #expect(try build(f).process.args == ["/entry", "mine"])
    }

    @Test("--entrypoint replaces the entrypoint and drops the image's cmd")
    func entrypointOverride() throws {
        var f = ContainerFlags()
        f.entrypoint = "/bin/sh"
        #expect(try build(f).process.args == ["/bin/sh"])
        f.command = ["-c", "true"]
        #expect(try build(f).process.args == ["/bin/sh", "-c", "true"])
        f.entrypoint = ""
        #expect(try build(f).process.args == ["-c", "true"])
    }

    @Test("no entrypoint and no cmd is an error")
    func noCommand() {
        #expect(throws: ContainerConfigError.noCommand) { try build(ContainerFlags(), image: ImageDefaults()) }
    }

    @Test("env: image, then flags; later wins; HOSTNAME and TERM added")
    func env() throws {
        var f = ContainerFlags()
        f.env = ["A=flag", "B=1"]
        f.tty = true
        let env = try build(f).process.env ?? []
        #expect(env.contains("A=flag"))
        #expect(!env.contains("A=image"))
        #expect(env.contains("B=1"))
        #expect(env.contains("PATH=/bin"))
        #expect(env.contains("HOSTNAME=h"))
        #expect(env.contains("TERM=xterm"))
        let bare = try build(ContainerFlags(), image: ImageDefaults(cmd: ["x"]))
        #expect(bare.process.env?.first?.hasPrefix("PATH=/usr/local/sbin") == true)
    }

    @Test("workdir and user: flags over image; numbers need no lookup")
    func workdirAndUser() throws {
        let d = try build(ContainerFlags())
        #expect(d.process.cwd == "/srv")
        #expect(d.annotations?[RuntimeSpec.userAnnotation] == "app")
        var f = ContainerFlags()
        f.workdir = "/tmp"
        f.user = "1000:100"
        let s = try build(f)
        #expect(s.process.cwd == "/tmp")
        #expect(s.process.user == RuntimeSpec.User(uid: 1000, gid: 100))
        #expect(s.annotations == nil)
        f.workdir = "relative"
        #expect(throws: ContainerConfigError.relativeWorkdir("relative")) { try build(f) }
    }

    @Test("Docker's default confinement")
    func confinement() throws {
        var f = ContainerFlags()
        f.readOnly = true
        f.noNewPrivileges = true
        let s = try build(f)
        #expect(s.root.readonly == true)
        #expect(s.process.noNewPrivileges == true)
        #expect(s.process.capabilities?.bounding?.count == 14)
        #expect(s.process.capabilities?.bounding?.contains("CAP_SYS_ADMIN") == false)
        #expect(s.linux?.maskedPaths?.contains("/proc/kcore") == true)
        #expect(s.linux?.readonlyPaths?.contains("/proc/sys") == true)
        #expect(Set(s.linux?.namespaces?.map(\.type) ?? []) == ["pid", "mount", "uts", "ipc", "network"])
        #expect(s.mounts.map(\.destination).contains("/dev/pts"))
    }

    @Test("--tmpfs with and without options; bad ones refused")
    func tmpfs() throws {
        var f = ContainerFlags()
        f.tmpfs = ["/scratch", "/big:size=64m,mode=1777,exec"]
        let mounts = try build(f).mounts.filter { $0.destination == "/scratch" || $0.destination == "/big" }
        #expect(mounts.count == 2)
        #expect(mounts[1].options?.contains("size=64m") == true)
        #expect(mounts[1].options?.contains("noexec") == false)
        for bad in ["relative", "/", "/x:bogus=1"] {
            f.tmpfs = [bad]
            #expect(throws: ContainerConfigError.badTmpfs(bad)) { try build(f) }
        }
    }
}
