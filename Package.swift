// swift-tools-version:6.0
import PackageDescription

// Dependencies point down: hulld → HullDaemon (Hull's API face) → HullEngine →
// HullRuntime → HullLibvirt / HullProtocol, HullEngine → HullRegistry → HullImages;
// HullModel (the engine's vocabulary) below the engine and every face's wire types.
// hull (CLI) → HullClient → HullAPI; hull → HullRuntime only for bench/probe/images.
// The guest agent links HullProtocol only, and is built fully static on its own
// scratch path (see guest-agent/build-agent.sh).
let package = Package(
    name: "Hull",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hull", targets: ["hull"]),
        .executable(name: "hull-agent", targets: ["hull-agent"]),
        .executable(name: "hulld", targets: ["hulld"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
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
        // Registry client (OCI distribution API): pulls into and pushes from the store.
        .target(name: "HullRegistry", dependencies: [
            "HullImages",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/HullRegistry"),
        .target(name: "CHullRuntime", path: "Sources/CHullRuntime"),
        .target(name: "HullRuntime", dependencies: [
            "HullModel", "HullLibvirt", "HullProtocol", "HullImages", "CHullRuntime",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Sources/HullRuntime"),
        // The engine's vocabulary: ContainerSpec (what any API face asks for), what the
        // engine answers, and every bound on input (InputLimits). No dependencies.
        .target(name: "HullModel", path: "Sources/HullModel"),
        // The engine: containers, execs, logs, images and pulls, volumes, the state store.
        // Takes ContainerSpec, throws EngineError; knows no HTTP and no API face.
        .target(name: "HullEngine", dependencies: [
            "HullModel", "HullRuntime", "HullProtocol", "HullImages", "HullRegistry",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/HullEngine"),
        // Hull's own API face: wire types (HullAPI) shared by the daemon's HTTP server
        // (HullDaemon, hulld) and its client (HullClient, used by the CLI).
        .target(name: "HullAPI", dependencies: ["HullModel"], path: "Sources/HullAPI"),
        .target(name: "HullDaemon", dependencies: [
            "HullAPI", "HullEngine", "HullRuntime", "HullImages", "HullRegistry",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/HullDaemon"),
        .executableTarget(name: "hulld", dependencies: [
            "HullDaemon",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/hulld"),
        .target(name: "HullClient", dependencies: [
            "HullAPI",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ], path: "Sources/HullClient"),
        .executableTarget(name: "hull", dependencies: [
            "HullRuntime", "HullImages", "HullRegistry", "HullClient", "HullAPI",
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/hull"),

        // Guest side: static executable, PID 1 of the guest's initramfs.
        .target(name: "CAgentSupport", path: "guest-agent/Sources/CAgentSupport"),
        .executableTarget(name: "hull-agent", dependencies: ["HullProtocol", "CAgentSupport"],
                          path: "guest-agent/Sources/hull-agent"),

        .testTarget(name: "HullProtocolTests", dependencies: ["HullProtocol"]),
        .testTarget(name: "HullLibvirtTests", dependencies: ["HullLibvirt"]),
        .testTarget(name: "HullRuntimeTests", dependencies: [
            "HullRuntime", "HullProtocol", "HullAPI",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "HullImagesTests", dependencies: ["HullImages"]),
        .testTarget(name: "HullDaemonTests", dependencies: [
            "HullDaemon", "HullEngine", "HullAPI", "HullRuntime", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "HullRegistryTests", dependencies: ["HullRegistry", "HullImages"]),
        .testTarget(name: "HullIntegrationTests", dependencies: [
            "HullRuntime", "HullProtocol", "HullLibvirt", "HullAPI", "HullClient", "HullDaemon", "HullEngine",
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], exclude: ["RegistrySupport/fault_proxy.py", "RegistrySupport/token_server.py"]),
    ],
    swiftLanguageModes: [.v6]
)
