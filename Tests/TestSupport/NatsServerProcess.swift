import Foundation

/// One real nats-server on loopback with a config the test writes, for the NATS client's tests.
public final class NatsServerProcess: @unchecked Sendable {
    // @unchecked: `process` changes only in start/stop, which a test calls from one task.
    public enum Version: String, Sendable, CaseIterable {
        case new, old
    }

    public let port: Int
    public let directory: String
    public let configPath: String
    private let binary: String
    private var process: BackgroundProcess?

    public var url: String { "nats://127.0.0.1:\(port)" }
    public var logPath: String { directory + "/server.log" }

    /// The binaries found by scripts/supercluster.py: "new" (2.15.1) and "old" (2.9.10).
    public static let binaries: [String: String] = {
        guard let output = try? ProcessRunner.run("/usr/bin/env", ["python3", LocalSupercluster.script, "server-binaries"]),
            output.status == 0,
            let json = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: [String: String]]
        else { return [:] }
        return json.compactMapValues { $0["path"] }
    }()

    /// `config` is the body of the server's config (`%DIR%` stands for the server's directory, where
    /// `files` are written); listen address and log file are added here.
    public init(_ version: Version, port: Int, config: String, files: [String: String] = [:]) throws {
        guard let binary = Self.binaries[version.rawValue] else {
            throw ProcessRunner.SpawnError(description: "no \(version.rawValue) nats-server binary (see scripts/install-deps.sh)")
        }
        self.binary = binary
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-nats-\(port)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        TemporaryFiles.register(directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, contents) in files {
            try contents.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        configPath = directory + "/server.conf"
        let full = "listen: \"127.0.0.1:\(port)\"\nlog_file: \"\(directory)/server.log\"\n"
            + config.replacingOccurrences(of: "%DIR%", with: directory)
        try full.write(toFile: configPath, atomically: true, encoding: .utf8)
        try start()
    }

    public func start() throws {
        // A server left over from an earlier run would answer in this one's place.
        guard !Self.accepts(port) else {
            throw ProcessRunner.SpawnError(description: "port \(port) is already in use (a nats-server left running?)")
        }
        let started = try BackgroundProcess(binary, ["-c", configPath])
        process = started
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port) { return }
            if started.wait(upTo: 0.05) != nil {  // exited: a bad config, say
                process = nil
                break
            }
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        stop()
        throw ProcessRunner.SpawnError(description: "nats-server on port \(port) did not start: \(log.suffix(600))")
    }

    /// SIGKILL: the test runner's children inherit an ignored SIGTERM.
    public func stop() {
        guard let process else { return }
        process.signal(SIGKILL)
        _ = process.wait()
        self.process = nil
    }

    public func path(_ name: String) -> String { directory + "/" + name }

    deinit { stop() }

    public static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
