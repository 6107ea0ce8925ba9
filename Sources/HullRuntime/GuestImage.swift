import Foundation

/// The kernel and initramfs every guest boots, as built by scripts/setup.sh.
public struct GuestImage: Sendable {
    public var kernel: URL
    public var initramfs: URL
    /// e.g. "6.1.0-56-cloud-amd64 linux-image-6.1.0-56-cloud-amd64=6.1.192-2"
    public var kernelVersion: String
    /// e.g. "hull-guest 3f2a… kernel 6.1.0-56-cloud-amd64 agent 9c1d… base busybox"
    public var guestVersion: String

    /// Finds the guest image under `paths`, or says what is missing and how to make it.
    public static func locate(_ paths: HullPaths) throws -> GuestImage {
        let fm = FileManager.default
        var missing: [String] = []
        if !fm.isReadableFile(atPath: paths.kernel.path) { missing.append("guest kernel \(paths.kernel.path)") }
        if !fm.isReadableFile(atPath: paths.initramfs.path) { missing.append("guest initramfs \(paths.initramfs.path)") }
        guard missing.isEmpty else { throw GuestImageError.missing(missing) }
        return GuestImage(
            kernel: paths.kernel, initramfs: paths.initramfs,
            kernelVersion: readLine(paths.kernelVersion) ?? "unknown",
            guestVersion: readLine(paths.guestVersion) ?? "unknown")
    }

    static func readLine(_ url: URL) -> String? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: .whitespaces)
        return (line?.isEmpty ?? true) ? nil : line
    }
}

public enum GuestImageError: Error, CustomStringConvertible {
    case missing([String])

    public var description: String {
        switch self {
        case .missing(let what):
            "missing \(what.joined(separator: " and ")): run scripts/setup.sh to fetch the kernel and build the guest image"
        }
    }
}
