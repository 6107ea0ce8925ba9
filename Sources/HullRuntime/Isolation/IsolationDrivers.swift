import Foundation
import HullLibvirt
import Logging

/// The one place that maps a mode to its driver.
public enum IsolationDrivers {
    /// `persistent`: guests outlive the process that started them (hulld), see VMDriver.
    public static func make(_ mode: IsolationMode, guest: GuestConfig, paths: HullPaths, logger: Logger,
                            persistent: Bool = false) async throws -> any IsolationDriver {
        switch mode {
        case .vm:
            return VMDriver(guest: guest, paths: paths, logger: logger, autodestroy: !persistent)
        case .process:
            return OCIRuntimeDriver(runtime: .runc, paths: paths, logger: logger)
        case .gvisor:
            let runsc = try OCIRuntime.runsc(platform: .ptrace).locate()
            let supported = await RunscPlatform.supported(runsc: runsc, cache: paths.home.appendingPathComponent("cache/runsc-platforms"))
            let choice = try RunscPlatform.choose(probe: .current(), supported: supported)
            logger.debug("runsc platform", metadata: ["platform": "\(choice.platform.rawValue)", "why": "\(choice.reason)"])
            return OCIRuntimeDriver(runtime: .runsc(platform: choice.platform), paths: paths, logger: logger)
        }
    }

    /// The modes whose tools are on this host, and why the others are not.
    public static func available(paths: HullPaths = HullPaths()) -> [(mode: IsolationMode, missing: String?)] {
        IsolationMode.allCases.map { mode in
            switch mode {
            case .vm:
                return (mode, (try? GuestImage.locate(paths)) == nil ? "no guest kernel/initramfs under \(paths.home.path) (run scripts/setup.sh)" : nil)
            case .process:
                do { _ = try OCIRuntime.runc.locate(); return (mode, nil) } catch { return (mode, "\(error)") }
            case .gvisor:
                do { _ = try OCIRuntime.runsc(platform: .ptrace).locate(); return (mode, nil) } catch { return (mode, "\(error)") }
            }
        }
    }
}

extension IsolationDrivers {
    /// The name the host knows container `name`'s sandbox by, where that is a thing of
    /// its own (a guest's libvirt domain), for people to find it (`virsh list`); nil for
    /// modes without one.
    public static func hostName(of name: String, mode: IsolationMode, paths: HullPaths) -> String? {
        mode == .vm ? paths.domainName(for: name) : nil
    }
}
