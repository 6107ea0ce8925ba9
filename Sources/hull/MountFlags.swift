import ArgumentParser
import Foundation
import HullAPI

/// `-v` and `--mount` in Docker's syntax, as hulld's `mounts`.
///
///   -v /host/path:/ctr/path[:ro|rw]   a bind mount (the host path must exist)
///   -v NAME:/ctr/path[:ro|rw]         a named volume, made on first use
///   --mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,tmpfs-size=BYTES]
enum MountFlags {
    static func parse(volumes: [String], mounts: [String]) throws -> [MountSpec] {
        try volumes.map(parseVolume) + mounts.map(parseMount)
    }

    static func parseVolume(_ text: String) throws -> MountSpec {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            if parts.count == 1 {
                throw ValidationError("-v \(text): anonymous volumes are not supported; name one (-v NAME:\(text)) or bind a host folder (-v /host/dir:\(text))")
            }
            throw ValidationError("-v \(text): use SOURCE:TARGET[:ro|rw], with SOURCE a host path or a volume name")
        }
        var readOnly = false
        if parts.count == 3 {
            for option in parts[2].split(separator: ",") {
                switch option {
                case "ro": readOnly = true
                case "rw": readOnly = false
                default: throw ValidationError("-v \(text): unknown option \(option) (supported: ro, rw)")
                }
            }
        }
        let source = parts[0]
        let isPath = source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~")
        if isPath {
            return MountSpec(type: .bind, source: absolute(source), target: parts[1], readOnly: readOnly)
        }
        return MountSpec(type: .volume, source: source, target: parts[1], readOnly: readOnly)
    }

    static func parseMount(_ text: String) throws -> MountSpec {
        var type: MountSpec.Kind = .volume   // Docker's default
        var source: String?
        var target: String?
        var readOnly = false
        var tmpfsSize: Int?
        for field in text.split(separator: ",") {
            let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
            let key = pair[0], value = pair.count == 2 ? pair[1] : nil
            switch key {
            case "type":
                guard let value, let kind = MountSpec.Kind(rawValue: value) else {
                    throw ValidationError("--mount \(text): type must be bind, volume or tmpfs")
                }
                type = kind
            case "source", "src":
                source = value
            case "target", "destination", "dst":
                target = value
            case "readonly", "ro":
                switch value {
                case nil, "true", "1": readOnly = true
                case "false", "0": readOnly = false
                default: throw ValidationError("--mount \(text): \(key) takes true or false")
                }
            case "tmpfs-size":
                guard let value else { throw ValidationError("--mount \(text): tmpfs-size needs a size") }
                tmpfsSize = try MemorySize.parseBytes(value)
            default:
                throw ValidationError("--mount \(text): unknown field \(key) (supported: type, source, target, readonly, tmpfs-size)")
            }
        }
        guard let target, !target.isEmpty else { throw ValidationError("--mount \(text): target is required") }
        if type == .bind, let path = source { source = absolute(path) }
        return MountSpec(type: type, source: source, target: target, readOnly: readOnly, tmpfsSize: tmpfsSize)
    }

    /// Relative and `~` host paths made absolute here: hulld reads them on its own.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
    }
}
