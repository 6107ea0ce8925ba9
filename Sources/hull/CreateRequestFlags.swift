/// The `hull run`/`hull create` flag behind each field of hulld's create request, so the
/// one validation of a request (ContainerSpec.validate) speaks in flags here.
enum CreateRequestFlags {
    static let byField: [String: String] = [
        "image": "IMAGE", "name": "--name", "accel": "--accel", "isolation": "--isolation",
        "cpus": "--cpus", "memoryMiB": "--memory", "stopTimeout": "--stop-timeout",
        "bootTimeout": "--boot-timeout", "rootfs": "--rootfs", "kernelArgs": "--kernel-arg",
        "mounts.target": "-v/--mount target", "mounts.source": "-v/--mount source", "mounts.tmpfsSize": "--mount tmpfs-size",
        "mounts": "-v/--mount", "ulimits": "--ulimit", "memorySwapMiB": "--memory-swap",
        "pidsLimit": "--pids-limit", "storageSizeMiB": "--storage-opt size",
        "logMaxSize": "--log-opt max-size", "logMaxFiles": "--log-opt max-file",
        "network": "--network", "publish": "-p", "extraHosts": "--add-host",
    ]

    static func flag(for field: String) -> String { byField[field] ?? field }
}
