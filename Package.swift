// swift-tools-version:6.0
import PackageDescription

// Dependencies point down: hull (CLI) → HullRuntime → HullLibvirt / HullProtocol.
// The guest agent links HullProtocol only, and is built fully static on its own
// scratch path (see guest-agent/build-agent.sh).
let package = Package(
    name: "Hull",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hull", targets: ["hull"]),
        .executable(name: "hull-agent", targets: ["hull-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibvirt", path: "Sources/CLibvirt", pkgConfig: "libvirt",
                       providers: [.apt(["libvirt-dev"])]),
        .target(name: "HullProtocol", path: "Sources/HullProtocol"),
        .target(name: "HullLibvirt", dependencies: [
            "CLibvirt",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/HullLibvirt"),
        .target(name: "HullImages", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/HullImages"),
        .target(name: "CHullRuntime", path: "Sources/CHullRuntime"),
        .target(name: "HullRuntime", dependencies: [
            "HullLibvirt", "HullProtocol", "HullImages", "CHullRuntime",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/HullRuntime"),
        .executableTarget(name: "hull", dependencies: [
            "HullRuntime", "HullImages",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/hull"),

        // Guest side: static executable, PID 1 of the guest's initramfs.
        .target(name: "CAgentSupport", path: "guest-agent/Sources/CAgentSupport"),
        .executableTarget(name: "hull-agent", dependencies: ["HullProtocol", "CAgentSupport"],
                          path: "guest-agent/Sources/hull-agent"),

        .testTarget(name: "HullProtocolTests", dependencies: ["HullProtocol"]),
        .testTarget(name: "HullLibvirtTests", dependencies: ["HullLibvirt"]),
        .testTarget(name: "HullRuntimeTests", dependencies: ["HullRuntime", "HullProtocol"]),
        .testTarget(name: "HullImagesTests", dependencies: ["HullImages"]),
        .testTarget(name: "HullIntegrationTests", dependencies: ["HullRuntime", "HullProtocol", "HullLibvirt"]),
    ],
    swiftLanguageModes: [.v6]
)
