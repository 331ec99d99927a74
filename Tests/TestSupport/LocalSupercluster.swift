import Foundation

/// Runs a program and captures its output.
public enum ProcessRunner {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// posix_spawn + waitpid, output through temporary files. Not Foundation's `Process`: on Linux it
    /// learns of the child's exit through a socket the child inherits, so a daemon forked from the child
    /// (tmux) keeps it open and `waitUntilExit` never returns.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        try BackgroundProcess(executable, arguments, environment: environment).wait()
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }
}

/// A program started and left running (a recorder, say) until the test signals it or it ends.
public final class BackgroundProcess: @unchecked Sendable {
    // @unchecked: `pid` and the paths are set once in init; `wait` is called from one thread.
    public let pid: Int32
    private let outPath: String
    private let errPath: String

    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let directory = FileManager.default.temporaryDirectory.path
        outPath = "\(directory)/gwtop-run-\(UUID().uuidString).out"
        errPath = "\(directory)/gwtop-run-\(UUID().uuidString).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            env.forEach { free($0) }
        }
        var spawned: pid_t = 0
        let result = posix_spawn(&spawned, executable, &actions, nil, argv, env)
        guard result == 0 else { throw ProcessRunner.SpawnError(description: "posix_spawn \(executable): errno \(result)") }
        pid = spawned
    }

    public func signal(_ number: Int32) { kill(pid, number) }

    /// Output so far (the process may still be writing).
    public var standardError: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// Whole lines of standard error so far (a line still being written is left out).
    public var standardErrorLines: [Substring] {
        let text = standardError
        guard let lastNewline = text.lastIndex(of: "\n") else { return [] }
        return text[..<lastNewline].split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// Waits until a line of standard error after the first `skipping` satisfies `condition`, checking
    /// every 0.1 s: true when one does, false at the deadline or if the process has ended. For waiting on
    /// what a program says it has seen rather than sleeping for long enough.
    public func waitForStandardErrorLine(after skipping: Int, within seconds: Double, _ condition: (Substring) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if standardErrorLines.dropFirst(skipping).contains(where: condition) { return true }
            if kill(pid, 0) != 0 { return false }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    /// Waits for the exit (128 + signal when killed) and collects the output.
    public func wait() -> ProcessRunner.Output {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return collect(status)
    }

    /// Waits at most `seconds`; nil if still running.
    public func wait(upTo seconds: Double) -> ProcessRunner.Output? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return collect(status) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    private func collect(_ status: Int32) -> ProcessRunner.Output {
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        return ProcessRunner.Output(
            status: exitStatus, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// A local NATS supercluster driven through `scripts/supercluster.py` (the same script users run).
public final class LocalSupercluster: Sendable {
    public struct Server: Decodable, Sendable {
        public let name: String
        public let cluster: String
        public let version: String
        public let monitor_url: String
        public let client_url: String
        public let log: String
        public let pid: Int
    }

    /// start --system-account: how to log in to the system account.
    public struct SystemAccount: Decodable, Sendable {
        public let user: String
        public let password: String
        public let nkey: String?
        /// A login allowed to publish only `$SYS.REQ.SERVER.PING.>`: asking one server gets it no answer.
        public let ping_user: String
        public let ping_password: String
    }

    struct Manifest: Decodable {
        let servers: [Server]
        let system_account: SystemAccount?
    }

    public let directory: String
    public let servers: [Server]
    public let systemAccount: SystemAccount?

    public static var script: String { Fixtures.repositoryRoot.appendingPathComponent("scripts/supercluster.py").path }

    /// True when both nats-server binaries are installed. In CI (`CI=true`) tests never skip: a missing
    /// binary must fail the run, so callers treat CI as available and let `start` fail loudly.
    public static let serversInstalled: Bool = {
        (try? ProcessRunner.run("/usr/bin/env", ["python3", script, "server-binaries"]).status) == 0
    }()

    public static var shouldRun: Bool { serversInstalled || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// `systemAccount`: accounts on every server with SYS as the system account (user/password, plus
    /// the NKey user whose public key is `systemNKey`).
    public init(topology: String, basePort: Int, traffic: Bool = false, systemAccount: Bool = false, systemNKey: String? = nil) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gwtop-it-\(topology)-\(basePort)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        TemporaryFiles.register(directory)
        var arguments = [Self.script, "start", "--dir", directory, "--base-port", "\(basePort)", "--topology", topology]
        if traffic { arguments.append("--traffic") }
        if systemAccount { arguments.append("--system-account") }
        if let systemNKey { arguments += ["--system-nkey", systemNKey] }
        let output = try ProcessRunner.run("/usr/bin/env", ["python3"] + arguments)
        guard output.status == 0 else {
            throw SuperclusterError("supercluster start failed (\(output.status)): \(output.stderr)")
        }
        self.directory = directory
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(output.stdout.utf8))
        self.servers = manifest.servers
        self.systemAccount = manifest.system_account
    }

    public func server(_ name: String) -> Server { servers.first { $0.name == name }! }

    public var monitorURLs: [String] { servers.map(\.monitor_url) }

    public func stop() {
        _ = try? ProcessRunner.run("/usr/bin/env", ["python3", Self.script, "stop", "--dir", directory])
    }

    @discardableResult
    public func script(_ arguments: [String]) throws -> String {
        let output = try ProcessRunner.run("/usr/bin/env", ["python3", Self.script] + arguments + ["--dir", directory])
        guard output.status == 0 else {
            throw SuperclusterError("supercluster \(arguments.first ?? "") failed (\(output.status)): \(output.stderr)")
        }
        return output.stdout
    }

    public func kill(_ name: String, signal: String = "KILL") throws { try script(["kill", "--server", name, "--signal", signal]) }

    public func restart(_ name: String) throws { try script(["restart", "--server", name]) }

    /// GET a monitoring document of one server directly, for comparing with gwtop's view.
    public func document(_ name: String, _ path: String) throws -> [String: Any] {
        let output = try ProcessRunner.run("/usr/bin/env", ["curl", "-sf", server(name).monitor_url + path])
        guard output.status == 0, let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        else { throw SuperclusterError("GET \(path) from \(name) failed") }
        return object
    }

    public struct SuperclusterError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

/// The gwtop executable built alongside the tests.
public enum GwtopBinary {
    public static var path: String {
        if let override = ProcessInfo.processInfo.environment["GWTOP_BINARY"] { return override }
        // swift test runs the test bundle from the build products directory, next to the executable.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.path.hasSuffix(".xctest/Contents/MacOS") {
            directory = directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        return directory.appendingPathComponent("gwtop").path
    }

    public static let environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]

    public static func run(_ arguments: [String]) throws -> ProcessRunner.Output {
        try ProcessRunner.run(path, arguments, environment: environment)
    }

    public static func start(_ arguments: [String]) throws -> BackgroundProcess {
        try BackgroundProcess(path, arguments, environment: environment)
    }
}
