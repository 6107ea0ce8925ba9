/// The `hull run`/`hull create` flag behind each field of hulld's create request, so the
/// one validation of a request (CreateContainerRequest.validate) speaks in flags here.
enum CreateRequestFlags {
    static let byField: [String: String] = [
        "image": "IMAGE", "name": "--name", "accel": "--accel", "isolation": "--isolation",
        "cpus": "--cpus", "memoryMiB": "--memory", "stopTimeout": "--stop-timeout",
        "bootTimeout": "--boot-timeout",
    ]

    static func flag(for field: String) -> String { byField[field] ?? field }
}
