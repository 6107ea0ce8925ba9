import ArgumentParser
import Foundation
import HullAPI

/// `hull port NAME [PORT[/PROTO]]`: the container's published ports as bound (Docker's
/// `docker port`), e.g. `80/tcp -> 127.0.0.1:32768`.
struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "port",
        abstract: "List a running container's published ports, or the host address of one.",
        discussion: "Ports published with -p or -P listen on 127.0.0.1 unless an address was given. A container that is not running publishes nothing.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Container name or id.") var container: String
    @Argument(help: ArgumentHelp("Only this container port (80 or 80/udp).", valueName: "PORT[/PROTO]")) var port: String?

    func run() async throws {
        let client = try await daemon.client()
        var info: ContainerInfo?
        try await reportingErrors {
            info = try await client.call(.GET, "/v1/containers/\(try pathComponent(container))", expecting: ContainerInfo.self)
        }
        guard let info else { return }
        var wanted: (port: Int, proto: String)?
        if let port {
            let parts = port.split(separator: "/")
            guard let number = parts.first.flatMap({ Int($0) }), parts.count <= 2 else {
                throw ValidationError("PORT must be a number, optionally with /tcp or /udp, not \"\(port)\"")
            }
            wanted = (number, parts.count == 2 ? parts[1].lowercased() : "tcp")
        }
        let ports = (info.network?.ports ?? []).filter { wanted == nil || ($0.spec.containerPort == wanted?.port && $0.spec.proto == wanted?.proto) }
        if ports.isEmpty, let port {
            throw ValidationError("container \(info.name) publishes no port \(port)")
        }
        for bound in ports {
            let host = "\(bound.spec.hostAddress):\(bound.hostPort)"
            print(wanted == nil ? "\(bound.spec.containerPort)/\(bound.spec.proto) -> \(host)" : host)
        }
    }
}
