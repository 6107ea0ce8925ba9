import Foundation
import Testing

extension Integration {
    @Suite("hulld on a host without libvirt")
    struct DaemonWithoutLibvirtTests {
        @Test("libvirtd unreachable: hulld starts, runs process containers, and refuses vm ones saying why")
        func noLibvirt() throws {
            let d = try DaemonHarness(hulldArguments: ["--default-isolation", "process"],
                                      hulldEnvironment: ["HULL_LIBVIRT_URI": "qemu+unix:///system?socket=/nonexistent/hull-test-libvirt-sock"])
            let run = try d.hull(["run", "--rm", "busybox", "echo", "no-libvirt-needed"])
            #expect(run.status == 0, "\(run.err)")
            #expect(run.out == "no-libvirt-needed\n")
            let vm = try d.hull(["run", "--rm", "--isolation", "vm", "busybox", "true"])
            #expect(vm.status == 125)
            #expect(vm.err.contains("--isolation vm is not available: hulld could not reach libvirtd"), "\(vm.err)")
            #expect(try d.hull(["ps", "-a", "-q"]).out.isEmpty, "the refused create left nothing")
        }
    }
}
