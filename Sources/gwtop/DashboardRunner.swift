import Foundation
import Logging
import MonitorModel
import NatsClient
import NcursesBackend
import Poller
import TerminalUI
import Topology

/// Messages from the poller and the signal handlers to the UI thread.
/// @unchecked: every stored property is guarded by `lock`.
final class Mailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [DashboardMessage] = []
    private var stopSignal: Int32?
    private var pollRequested = false
    private var pollInterval: Double
    private var replayControls: [ReplayControl] = []

    init(interval: Double) { pollInterval = interval }

    func post(_ message: DashboardMessage) { lock.withLock { messages.append(message) } }
    func drain() -> [DashboardMessage] { lock.withLock { defer { messages = [] }; return messages } }
    func stop(_ signal: Int32) { lock.withLock { if stopSignal == nil { stopSignal = signal } } }
    var stoppedBy: Int32? { lock.withLock { stopSignal } }
    func requestPoll() { lock.withLock { pollRequested = true } }
    func takePollRequest() -> Bool { lock.withLock { defer { pollRequested = false }; return pollRequested } }
    func post(_ control: ReplayControl) { lock.withLock { replayControls.append(control) } }
    func drainReplayControls() -> [ReplayControl] { lock.withLock { defer { replayControls = [] }; return replayControls } }
    var interval: Double {
        get { lock.withLock { pollInterval } }
        set { lock.withLock { pollInterval = newValue } }
    }
}

/// Wires the poller, the pure dashboard and the ncurses backend. The UI runs on its own thread, which
/// owns every curses call; the poller runs concurrently and only posts messages, so a key is answered
/// within one input timeout (50 ms) even while every endpoint is timing out.
struct DashboardRunner {
    /// Where polls come from: live endpoints, or a recording played back.
    enum Source {
        /// `accountsSelection`: where the dashboard says whose accounts it shows (nil: the poller asks
        /// them of every server or of none, whatever is selected).
        case live(MonitorSession, accountsSelection: AccountsSelection?)
        case replay(ReplayDriver)
    }

    let source: Source
    let interval: Double
    let logger: Logger
    let themes: ThemeCatalog
    let initialTheme: String
    let forceASCII: Bool
    let colorMode: NcursesTerminal.ColorMode
    /// Samples per history series (see `--history`).
    let historySamples: Int
    /// `--sort`, or the config file's.
    var initialSort: SortKey = .name
    /// `--record FILE`, for the header's REC marker.
    var recordingPath: String? = nil

    func run() async throws -> Int32 {
        let mailbox = Mailbox(interval: interval)
        let signals = SignalWatcher { mailbox.stop($0) }
        let pollLoop: Task<Void, Never>
        switch source {
        case .live(let session, _):
            pollLoop = Task.detached { [logger] in
                var last = ContinuousClock.now - .seconds(3600)
                while !Task.isCancelled {
                    let due = last + .milliseconds(Int(mailbox.interval * 1000))
                    if ContinuousClock.now >= due || mailbox.takePollRequest() || session.earlyPollWanted() {
                        last = ContinuousClock.now
                        let result = await session.pollOnce()
                        logger.debug("poll", metadata: ["seconds": "\(result.duration)", "problems": "\(result.problems.count)"])
                        if let error = result.recordingError { mailbox.post(.status("recording failed: \(error)")) }
                        mailbox.post(.poll(PollUpdate(
                            model: result.model, problems: result.problems, receivedAt: MonitorTime.now, duration: result.duration,
                            events: result.events, sourceConnection: result.systemAccountConnection?.sourceConnection)))
                    } else {
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
        case .replay(let driver):
            pollLoop = Task.detached { await driver.run(mailbox: mailbox) }
        }
        defer {
            pollLoop.cancel()
            withExtendedLifetime(signals) {}
        }
        let ui = UIThread(mailbox: mailbox, runner: self)
        return try await ui.run()
    }
}

/// The thread that owns the terminal.
final class UIThread: @unchecked Sendable {
    // @unchecked: all mutable state is touched only by the UI thread it starts; `run` only awaits it.
    let mailbox: Mailbox
    let runner: DashboardRunner

    init(mailbox: Mailbox, runner: DashboardRunner) {
        self.mailbox = mailbox
        self.runner = runner
    }

    func run() async throws -> Int32 {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            let thread = Thread {
                do {
                    continuation.resume(returning: try self.loop())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "gwtop-ui"
            thread.start()
        }
    }

    private func loop() throws -> Int32 {
        let backend = try NcursesTerminal(forceASCII: runner.forceASCII, colorMode: runner.colorMode)
        defer { backend.restore() }
        let colors = backend.capabilities.colors
        var names = runner.themes.names
        if !names.contains(runner.initialTheme) { names.insert(runner.initialTheme, at: 0) }
        var state = DashboardState(
            width: backend.size.width, height: backend.size.height, interval: runner.interval,
            glyphs: backend.capabilities.unicode ? .unicode : .ascii, themeNames: names,
            themeIndex: names.firstIndex(of: runner.initialTheme) ?? 0, now: MonitorTime.now)
        state.historyLength = runner.historySamples
        state.sort = runner.initialSort
        state.recordingTo = runner.recordingPath.map { URL(fileURLWithPath: $0).lastPathComponent }
        if case .replay(let driver) = runner.source { state.replay = driver.initialStatus }
        func applyTheme(_ name: String) {
            do {
                backend.apply(ResolvedTheme(try runner.themes.theme(named: name), colors: colors))
            } catch {
                state.statusMessage = "theme \(name): \(error)"
                runner.logger.warning("theme failed", metadata: ["theme": "\(name)", "error": "\(error)"])
            }
        }
        applyTheme(state.themeName)
        backend.draw(DashboardView.render(state))
        // Lets the end-to-end tests prove that a crash restores the terminal and leaves a readable report.
        if ProcessInfo.processInfo.environment["GWTOP_TEST_CRASH"] == "after-first-frame" {
            fatalError("deliberate crash requested by GWTOP_TEST_CRASH")
        }
        var lastTick = ContinuousClock.now
        var accountsSelection: AccountsSelection?
        if case .live(_, let selection) = runner.source { accountsSelection = selection }
        var accountsWanted: String?
        while mailbox.stoppedBy == nil {
            var dirty = false
            var commands: [DashboardCommand] = []
            for message in mailbox.drain() {
                commands += DashboardUpdate.update(&state, message)
                dirty = true
            }
            var keyArrived: ContinuousClock.Instant?
            let key = backend.readKey(timeoutMilliseconds: 50)
            if key == nil, backend.hasHungUp {
                // No one may send SIGHUP (see hasHungUp): without this the loop would spin on failing reads.
                runner.logger.info("the terminal hung up")
                mailbox.stop(SIGHUP)
                break
            }
            if let key {
                keyArrived = ContinuousClock.now
                if key == .resize {
                    let size = backend.size
                    commands += DashboardUpdate.update(&state, .resize(width: size.width, height: size.height))
                } else {
                    commands += DashboardUpdate.update(&state, .key(key))
                }
                dirty = true
            }
            if ContinuousClock.now - lastTick >= .milliseconds(250) {
                lastTick = ContinuousClock.now
                let before = state.dataAge.map { Int($0) }
                commands += DashboardUpdate.update(&state, .tick(MonitorTime.now))
                if state.dataAge.map({ Int($0) }) != before { dirty = true }
            }
            for command in commands {
                switch command {
                case .quit:
                    return 0
                case .pollNow:
                    mailbox.requestPoll()
                case .setInterval(let seconds):
                    mailbox.interval = seconds
                case .applyTheme(let name):
                    applyTheme(name)
                case .replay(let control):
                    mailbox.post(control)
                }
            }
            if dirty {
                // The next poll asks the accounts of the server the user is on (see `AccountsScope.selected`).
                if let accountsSelection, state.accountsServerURL != accountsWanted {
                    accountsWanted = state.accountsServerURL
                    accountsSelection.select(Set([accountsWanted].compactMap { $0 }))
                }
                backend.draw(DashboardView.render(state))
                if let keyArrived {
                    // From the key leaving the terminal driver to the frame handed to the terminal.
                    let elapsed = ContinuousClock.now - keyArrived
                    runner.logger.debug("key answered", metadata: [
                        "ms": "\(Units.fixed(elapsed.inSeconds * 1000, digits: 3))",
                    ])
                }
            }
        }
        runner.logger.info("stopping", metadata: ["signal": "\(mailbox.stoppedBy ?? 0)"])
        return 0
    }
}

/// Themes by name: the files found in the theme directories, plus the built-in default and mono.
struct ThemeCatalog: Sendable {
    let directories: [String]

    /// Default first, then the rest alphabetically (availableNames already includes the built-ins).
    var names: [String] {
        ThemeLoader.availableNames(searchDirectories: directories).sorted { a, b in
            (a == "default" ? 0 : 1, a) < (b == "default" ? 0 : 1, b)
        }
    }

    func theme(named nameOrPath: String) throws -> Theme {
        try ThemeLoader.resolve(nameOrPath: nameOrPath, searchDirectories: directories)
    }

    /// `$GWTOP_THEMES_DIR`, the user's `$XDG_CONFIG_HOME/gwtop/themes`, then `Themes/` beside the
    /// source tree the binary was built in, then `share/gwtop/themes` beside an installed binary.
    static func standard(environment: [String: String]) -> ThemeCatalog {
        var directories: [String] = []
        if let explicit = environment["GWTOP_THEMES_DIR"], !explicit.isEmpty { directories.append(explicit) }
        if let user = ThemeLoader.userThemeDirectory(environment: environment) { directories.append(user) }
        let places = BundledFiles.candidates(inSourceTree: "Themes", installedAt: "share/gwtop/themes")
        if let sourceTree = places.sourceTree.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            directories.append(sourceTree)
        }
        directories.append(places.installed)
        return ThemeCatalog(directories: directories)
    }
}

/// Where gwtop's own files (themes, the demo recording) are: in the source tree the binary was built
/// in (`.build/<triple>/debug/gwtop` is a few levels below it), or beside an installed binary
/// (`<prefix>/bin/gwtop` → `<prefix>/share/gwtop/…`).
enum BundledFiles {
    /// `sourceTree`: `name` in the binary's folder and the four above it, nearest first.
    static func candidates(inSourceTree name: String, installedAt installedPath: String) -> (sourceTree: [String], installed: String) {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        var sourceTree: [String] = []
        for _ in 0..<5 {
            sourceTree.append(directory.appendingPathComponent(name).path)
            directory = directory.deletingLastPathComponent()
        }
        let installed = executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(installedPath).path
        return (sourceTree, installed)
    }
}


extension NatsClient.Status {
    /// The words for the system-account connection in the dashboard's header and the headless status line.
    var sourceConnection: SourceConnection {
        switch self {
        case .connected(let server, let name): SourceConnection(text: "via \(name ?? server)", isUp: true)
        case .reconnecting(_, let error): SourceConnection(text: "NATS reconnecting: \(error)", isUp: false)
        case .closed: SourceConnection(text: "NATS closed", isUp: false)
        }
    }
}
