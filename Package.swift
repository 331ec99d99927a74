// swift-tools-version: 6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "gwtop",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gwtop", targets: ["gwtop"]),
        .executable(name: "gwtop-synthetic", targets: ["gwtop-synthetic"]),
        .executable(name: "gwtop-bench", targets: ["gwtop-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Already required by async-http-client; named so the poller can build TLS settings and time amounts.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Ed25519 for NKey signatures. Already in the graph through async-http-client's TLS stack.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // Codable mirrors of /varz /gatewayz /routez /healthz and NATS duration parsing. Pure.
        .target(name: "MonitorModel", swiftSettings: strictSettings),
        // PEM files to a client TLS configuration, for the HTTP poller and the NATS client alike.
        .target(
            name: "TLSFiles", dependencies: [.product(name: "NIOSSL", package: "swift-nio-ssl")], swiftSettings: strictSettings),
        // Concurrent HTTP polling of monitoring endpoints; emits raw responses plus decoded snapshots.
        .target(
            name: "Poller",
            dependencies: [
                "MonitorModel", "TLSFiles",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                // ByteBuffer to Data without a copy; already built for async-http-client.
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // NKeys (seeds, public keys, signatures), creds files, and JWTs for tests. No I/O beyond reading a file.
        .target(name: "NatsAuth", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: strictSettings),
        // A small NATS core-protocol client on SwiftNIO: TLS, every auth kind, request with many replies, reconnects.
        .target(
            name: "NatsClient",
            dependencies: [
                "NatsAuth", "TLSFiles",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The whole supercluster through one system-account connection ($SYS.REQ.SERVER.PING.*), as raw polls.
        .target(
            name: "SystemAccountSource",
            dependencies: [
                "MonitorModel", "NatsClient", "NatsAuth",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Pure: supercluster model, rates and diagnosis over snapshots.
        .target(name: "Topology", dependencies: ["MonitorModel"], swiftSettings: strictSettings),
        // zlib through a shim header, for compressed recordings.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // The recording file format: append-only compressed records of raw polls, damage-tolerant reader.
        .target(name: "Recording", dependencies: ["MonitorModel", "CZlib"], swiftSettings: strictSettings),
        // Pure: a recording driven through the same timeline as live polls (models, problems, events).
        .target(name: "Replay", dependencies: ["Recording", "Topology", "MonitorModel"], swiftSettings: strictSettings),
        // Text tree, JSON and monitoring-plugin output; terminal-safe strings.
        .target(name: "OutputFormat", dependencies: ["Topology"], swiftSettings: strictSettings),
        // YAML configuration file: endpoints, TLS, auth, thresholds, with line-numbered errors.
        .target(
            name: "GwtopConfig",
            dependencies: ["Topology", "Poller", "SystemAccountSource", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Pure dashboard: cell buffer, widgets, state and update loop, themes, key map. No terminal I/O.
        .target(
            name: "TerminalUI",
            dependencies: ["Topology", "OutputFormat", "MonitorModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // ncursesw (wide) through a shim header that defines NCURSES_WIDECHAR and wraps macros.
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        // The only code that calls curses.
        .target(name: "NcursesBackend", dependencies: ["CNcursesw", "TerminalUI"], swiftSettings: strictSettings),
        .executableTarget(
            name: "gwtop",
            dependencies: [
                "MonitorModel", "Poller", "Topology", "OutputFormat", "GwtopConfig", "TerminalUI", "NcursesBackend", "Recording", "Replay",
                "NatsClient", "SystemAccountSource",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Pure: a self-consistent synthetic supercluster's monitoring documents, for benchmarks.
        .target(name: "SyntheticMesh", dependencies: ["MonitorModel"], swiftSettings: strictSettings),
        // Serves SyntheticMesh over HTTP, one path prefix per server.
        .executableTarget(
            name: "gwtop-synthetic",
            dependencies: [
                "SyntheticMesh", "NatsClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Times the pure pipeline (decode, model, diagnosis, render) in process on a recording.
        .executableTarget(
            name: "gwtop-bench",
            dependencies: ["MonitorModel", "Recording", "Topology", "TerminalUI", "OutputFormat"],
            swiftSettings: strictSettings
        ),
        // Shared by the test targets: fixture loading, a loopback HTTP server, the local supercluster driver.
        .target(
            name: "TestSupport",
            dependencies: ["MonitorModel"],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "MonitorModelTests", dependencies: ["MonitorModel", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "TopologyTests", dependencies: ["Topology", "MonitorModel", "TestSupport", "SyntheticMesh"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "OutputFormatTests", dependencies: ["OutputFormat", "Topology", "MonitorModel", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TerminalUITests", dependencies: ["TerminalUI", "Topology", "MonitorModel", "TestSupport", "SyntheticMesh", "GwtopConfig"],
            exclude: ["Snapshots"], swiftSettings: strictSettings),
        .testTarget(name: "GwtopConfigTests", dependencies: ["GwtopConfig", "Poller", "SystemAccountSource", "NatsAuth", "NatsClient", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "RecordingTests", dependencies: ["Recording", "Replay", "MonitorModel", "Topology", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "NatsAuthTests", dependencies: ["NatsAuth"], swiftSettings: strictSettings),
        .testTarget(
            name: "NatsClientTests", dependencies: ["NatsClient", "NatsAuth", "SystemAccountSource", "MonitorModel", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "PollerTests", dependencies: [
                "Poller", "MonitorModel", "TestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // Real nats-servers (both versions) and the real gwtop binary, end to end.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["MonitorModel", "TestSupport", "NatsAuth", "NatsClient", "Recording"],
            swiftSettings: strictSettings
        ),
    ]
)
