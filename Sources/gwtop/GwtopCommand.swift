import ArgumentParser
import Foundation
import GwtopConfig
import Logging
import MonitorModel
import NatsClient
import NcursesBackend
import OutputFormat
import Poller
import Recording
import Replay
import SystemAccountSource
import TerminalUI
import Topology

enum OutputFormatChoice: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

enum LogLevelChoice: String, ExpressibleByArgument, CaseIterable {
    case debug, info, warning

    var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        }
    }
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// `--sort`: one of the dashboard's orders, by its name.
struct SortChoice: ExpressibleByArgument {
    let key: SortKey

    init?(argument: String) {
        guard let key = SortKey(rawValue: argument) else { return nil }
        self.key = key
    }

    static var allValueStrings: [String] { SortKey.allCases.map(\.rawValue) }
}

@main
struct GwtopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gwtop",
        abstract: "Live view and health check of a NATS supercluster's gateway mesh.",
        discussion: """
            Each URL is a server's HTTP monitoring base URL (http[s]://[user:pass@]host[:port][/prefix]).
            With none, the config file's endpoints are used, else http://127.0.0.1:8222.

            --nats URL connects once as a system-account user and finds and polls every server of the
            supercluster through $SYS requests (with or without HTTP URLs beside it).

            --check exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments or configuration).
            """)

    @Argument(help: "Monitoring base URLs of the servers to poll.")
    var urls: [String] = []

    @Option(help: "YAML configuration file (default: $XDG_CONFIG_HOME/gwtop/config.yaml if it exists).")
    var config: String?

    @Option(help: "Seconds between polls (default 1).")
    var interval: Double?

    @Option(help: "Seconds allowed for one request, body included (default 2).")
    var timeout: Double?

    @Option(
        name: .customLong("full-every"),
        help: ArgumentHelp(
            "Seconds between polls that ask everything (default 10; 0: every poll).",
            discussion: """
                Polls in between ask each server only for /gatewayz without accounts (every connection, \
                counter, RTT and pending figure) and carry /varz, /routez, /healthz and the gateway \
                accounts over from the last full poll. A restarted server, or a new gateway connection \
                where every server's accounts are shown, is asked for everything at once; a server whose \
                last /healthz said it is not well is asked it again at every poll until it says ok. \
                --check, the text report and --headless without --record never ask for accounts; JSON \
                and recordings ask every server's; the dashboard without --record asks only those of the \
                server whose connection is under the cursor, at every poll.
                """))
    var fullEvery: Double?

    @Option(name: .customLong("max-concurrent"), help: "Endpoints polled at the same time (default 64).")
    var maxConcurrent: Int?

    @Flag(help: "Poll twice, --interval apart (so rates are real), print the report and exit.")
    var once = false

    @Flag(help: "Monitoring-plugin check: status line with perfdata, details, exit code 0/1/2/3.")
    var check = false

    @Option(help: "Output of --once and the live text mode: text or json.")
    var format: OutputFormatChoice = .text

    @Option(help: "Colour in text output: auto (when stdout is a terminal and NO_COLOR is unset), always, never.")
    var color: ColorChoice = .auto

    @Option(help: "Append diagnostic logs to this file (never to the terminal).")
    var log: String?

    @Option(name: .customLong("log-level"), help: "Log detail: debug (adds per-key and per-frame timings), info, warning.")
    var logLevel: LogLevelChoice = .info

    @Option(help: "The dashboard's first order: name, health (worst clusters, servers and connections first: the broken part of a large mesh on the first screen), rate, rtt, pending or uptime (connections only); s changes it. Also the config file's sort.")
    var sort: SortChoice?

    @Option(help: "Dashboard theme: a name from Themes/ (default, light, high-contrast, mono, solarized-dark, nord) or a path to a .yaml file. Also GWTOP_THEME or the config file's theme.")
    var theme: String?

    @Flag(help: "ASCII glyphs only, even when the locale is UTF-8.")
    var ascii = false

    @Flag(help: "Redraw the plain text report every interval instead of opening the dashboard.")
    var plain = false

    @Option(help: "Dashboard history per connection for graphs and sparklines (default 10m): 8 bytes a connection per poll kept, connections' samples at most 16 MiB in all, cluster pairs' 4 MiB (a shorter window in a mesh too large for it).")
    var history: String?

    @Option(help: "Append every poll's raw responses to this recording file (compressed, credentials removed).")
    var record: String?

    @Flag(help: "Poll (and record) without a screen, one status line per poll on stderr, until SIGINT/SIGTERM or --duration.")
    var headless = false

    @Option(help: "With --headless: stop after this long (90s, 10m, 2h30m).")
    var duration: String?

    @Option(help: "Replay a recording instead of polling: the dashboard, or with --once / --check the state at --at.")
    var replay: String?

    @Option(help: "With --replay: the time to show, RFC 3339 or an offset from the start (+90s) or end (-5m); default the end (--once/--check) or the start (dashboard).")
    var at: String?

    @Flag(help: "Replay the built-in demo recording (a real incident on a local supercluster) in a loop.")
    var demo = false

    @Option(name: .customLong("nats"), help: ArgumentHelp(
        "A NATS server of the supercluster (nats://host:4222, tls://host:4443): every server is found and polled through the system account. Repeat to give fallbacks.",
        valueName: "url"))
    var natsURLs: [String] = []

    @Option(help: ArgumentHelp("With --nats: a creds file (user JWT and NKey seed).", valueName: "file"))
    var creds: String?

    @Option(help: ArgumentHelp("With --nats: a file holding an NKey user seed.", valueName: "file"))
    var nkey: String?

    @Option(help: "With --nats: user name (with --password). The config file keeps a password out of `ps`.")
    var user: String?

    @Option(help: "With --nats: password for --user.")
    var password: String?

    @Option(help: "With --nats: an authentication token.")
    var token: String?

    @Option(name: .customLong("tls-ca"), help: ArgumentHelp("With --nats: CA certificates (PEM) to verify the NATS server.", valueName: "file"))
    var tlsCA: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("With --nats: client certificate (PEM), with --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("With --nats: client private key (PEM).", valueName: "file"))
    var tlsKey: String?

    /// The system-account options given on the command line.
    var systemAccountFlags: SystemAccountSettings {
        var flags = SystemAccountSettings(urls: natsURLs)
        flags.user = user
        flags.password = password
        flags.token = token
        flags.nkeyFile = nkey
        flags.credsFile = creds
        flags.tlsCAFile = tlsCA
        flags.tlsCertificateFile = tlsCert
        flags.tlsKeyFile = tlsKey
        return flags
    }

    func validate() throws {
        if let interval, !(interval >= 0.1 && interval <= 3600) {
            throw ValidationError("--interval must be between 0.1 and 3600 seconds, got \(interval)")
        }
        if let timeout, !(timeout >= 0.05 && timeout <= 600) {
            throw ValidationError("--timeout must be between 0.05 and 600 seconds, got \(timeout)")
        }
        if let fullEvery, !(fullEvery >= 0 && fullEvery <= 86400) {
            throw ValidationError("--full-every must be between 0 and 86400 seconds, got \(fullEvery)")
        }
        if let maxConcurrent, !(1...4096).contains(maxConcurrent) {
            throw ValidationError("--max-concurrent must be between 1 and 4096, got \(maxConcurrent)")
        }
        if once && check { throw ValidationError("--once and --check cannot be combined") }
        if replay != nil && demo { throw ValidationError("--replay and --demo cannot be combined") }
        if replay != nil || demo {
            let mode = demo ? "--demo" : "--replay"
            if !urls.isEmpty { throw ValidationError("\(mode) shows a recording and takes no URLs (got \(urls.joined(separator: " ")))") }
            if record != nil { throw ValidationError("\(mode) cannot be combined with --record") }
            if headless { throw ValidationError("\(mode) cannot be combined with --headless") }
            if !systemAccountFlags.isEmpty { throw ValidationError("\(mode) shows a recording and takes no --nats options") }
        } else if at != nil {
            throw ValidationError("--at needs --replay FILE")
        }
        if headless && (once || check || plain) { throw ValidationError("--headless cannot be combined with --once, --check or --plain") }
        if let duration {
            guard headless else { throw ValidationError("--duration applies to --headless") }
            _ = try Self.parseDuration(duration)
        }
        if let record, record.isEmpty { throw ValidationError("--record needs a file name") }
        if let history { _ = try Self.parseDuration(history, option: "--history") }
    }

    static func parseDuration(_ text: String, option: String = "--duration") throws -> Double {
        let seconds: Double
        do {
            seconds = try Double(text) ?? NatsDuration.seconds(parsing: text)
        } catch {
            throw ValidationError("\(option) \"\(text)\" is not a duration such as 90s, 10m or 2h30m")
        }
        guard seconds > 0 else { throw ValidationError("\(option) must be positive, got \(text)") }
        return seconds
    }

    /// Samples per history series: the --history window at the polling interval, at least 10.
    func historySamples(interval: Double) throws -> Int {
        let window = try history.map { try Self.parseDuration($0, option: "--history") } ?? 600
        return max(10, min(1_000_000, Int((window / interval).rounded(.up))))
    }

    /// Argument errors in --check mode still follow the plugin convention: UNKNOWN, exit 3.
    static func main() async {
        // A crash must never leave the Swift backtracer waiting at an interactive prompt on the
        // operator's terminal: the runtime reads this setting at start-up, so set it and start again.
        // Its prompt needs a terminal on stdin, so a run from a script (a --check every minute) is not
        // started twice.
        if getenv("SWIFT_BACKTRACE") == nil, isatty(STDIN_FILENO) == 1 {
            setenv("SWIFT_BACKTRACE", "interactive=no", 1)
            // The binary's own path, not /proc/self/exe: the kernel names a process after the file it
            // runs, and `ps`, `top` and `pgrep gwtop` would otherwise show the dashboard as "exe".
            var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink("/proc/self/exe", &path, path.count - 1)
            if length > 0 {
                execv(String(decoding: path.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self), CommandLine.unsafeArgv)
            }
            execv("/proc/self/exe", CommandLine.unsafeArgv)  // the file was replaced since it started
        }
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if arguments.contains("--check"), !(error is ExitCode), !isHelpRequest(error) {
                print("GWTOP UNKNOWN - \(fullMessage(for: error).split(separator: "\n").first ?? "")")
                Foundation.exit(3)
            }
            exit(withError: error)
        }
    }

    static func isHelpRequest(_ error: any Error) -> Bool { exitCode(for: error) == .success }

    func run() async throws {
        if replay != nil || demo {
            try await runReplay()
            return
        }
        let settings = try resolveSettings()
        for warning in settings.warnings { Self.warn(warning) }
        let logger = try makeLogger()

        let colour = useColour()
        let dashboard = !(once || check || plain || headless || format == .json || isatty(STDOUT_FILENO) != 1 || isatty(STDIN_FILENO) != 1)
        let catalog = ThemeCatalog.standard(environment: ProcessInfo.processInfo.environment)
        let themeName = chosenTheme(settings)
        if dashboard || theme != nil {
            // A bad theme is an error message before anything starts, not a broken screen (and a
            // mistyped --theme is reported even where no dashboard would use it).
            _ = try catalog.theme(named: themeName)
        }
        if dashboard { try checkSort(settings) }

        let recorder = try record.map { path in
            do { return try RecordingWriter(path: path) } catch { throw ValidationError("\(error)") }
        }
        let natsClient = try await connectSystemAccount(settings, logger: logger)
        let systemAccount = natsClient.map { client in
            SystemAccountPoller(
                client: client, sourceURL: settings.systemAccount?.urls.first.flatMap { try? NatsServerAddress(url: $0).description } ?? "nats",
                timeout: settings.timeout, logger: logger)
        }
        if let systemAccount {
            do {
                try await systemAccount.watchGatewayAnnouncements()
            } catch {
                logger.warning("no early polls on gateway changes", metadata: ["error": "\(error)"])
            }
        }
        let transport = try HTTPMonitoringTransport(timeout: settings.timeout, targets: settings.targets)
        // Accounts only for what shows them: every server's for the JSON report and recordings (a replay
        // opens the dashboard on any connection), the selected server's for the dashboard's detail pane.
        // `--check`, the text report and `--headless` (status lines) never ask them, which spares every
        // server a third of its largest answer.
        let accountsSelection = dashboard && recorder == nil ? AccountsSelection() : nil
        let accounts: AccountsScope = recorder != nil || (format == .json && !check && !headless)
            ? .everyServer
            : accountsSelection.map { .selected($0) } ?? .none
        let poller = Poller(
            targets: settings.targets, transport: transport, maxConcurrentEndpoints: settings.maxConcurrent,
            keepsRawResponses: recorder != nil, accounts: accounts,
            // Watching, a poll's CPU counts; a one-shot run waits for its answer, which both cores give sooner.
            runsOnTransportThread: !(once || check))
        let session = MonitorSession(
            poller: poller, systemAccount: systemAccount, thresholds: settings.thresholds, recorder: recorder,
            fullPolls: FullPollSchedule(every: settings.fullEvery, longestSpacing: ReplayTimeline.longestFullPollSpacing))
        logger.info("starting", metadata: [
            "endpoints": "\(settings.targets.count)", "interval": "\(settings.interval)", "timeout": "\(settings.timeout)",
            // Addresses only: a URL may carry a password.
            "nats": "\(settings.systemAccount?.urls.map { (try? NatsServerAddress(url: $0).description) ?? "?" }.joined(separator: ",") ?? "-")",
        ])

        // The HTTP client and the NATS connection are closed on every path, errors included.
        func closeConnections() async {
            await transport.shutdown()
            await systemAccount?.stop()
            await natsClient?.close()
        }
        var exitCode: Int32 = 0
        do {
            if once || check {
                // The first poll is modelled while the second is fetched (on two cores that hides most of
                // the first model's time); the second is modelled after the first.
                let firstFetch = await session.fetch()
                async let modelledFirst = session.advance(firstFetch)
                let wait = settings.interval - firstFetch.duration
                if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                let secondFetch = await session.fetch()
                let first = await modelledFirst
                log(first, logger)
                let second = await session.advance(secondFetch)
                log(second, logger)
                if check {
                    let (text, status) = CheckReport.render(second.model, problems: second.problems)
                    // A check whose answer could not be written has not answered: UNKNOWN.
                    exitCode = writeOut([Array(text.utf8)]) ? status.exitCode : CheckReport.Status.unknown.exitCode
                } else {
                    if !printReport(second.model, second.problems, events: await session.events, colour: colour) { exitCode = 1 }
                }
                // The answer is out. Freeing two polls' documents and models object by object (at 250
                // servers, tens of megabytes of small objects: 40 ms) would only delay the exit a script
                // waits for, so they are kept to the end and the process ends without freeing them.
                await closeConnections()
                Self.exitNow(exitCode, keeping: firstFetch, secondFetch, first, second)
            } else if headless {
                exitCode = await HeadlessMode(
                    session: session, interval: settings.interval, duration: try duration.map { try Self.parseDuration($0) },
                    recordingPath: record, logger: logger
                ).run()
            } else if !dashboard {
                exitCode = await LiveTextMode(session: session, interval: settings.interval, logger: logger) { result, events, screen in
                    reportPieces(result.model, result.problems, events: events, colour: colour, screen: screen)
                }.run()
            } else {
                let runner = DashboardRunner(
                    source: .live(session, accountsSelection: accountsSelection), interval: settings.interval, logger: logger, themes: catalog, initialTheme: themeName,
                    forceASCII: ascii, colorMode: dashboardColorMode(), historySamples: try historySamples(interval: settings.interval),
                    initialSort: chosenSort(settings), recordingPath: record)
                exitCode = try await runner.run()
            }
        } catch {
            await closeConnections()
            throw error
        }
        await closeConnections()
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// Ends the process at once (exit(3) flushes stdout). The values are only arguments so that they
    /// live to this point: released earlier, they would be freed on the way out.
    @inline(never)
    static func exitNow(_ code: Int32, keeping values: any Sendable...) -> Never {
        Foundation.exit(code)
    }

    /// The system-account connection, when --nats or the config file asks for one. Credentials or TLS the
    /// server refuses are an error at start, naming the server; a server that is only unreachable is retried.
    func connectSystemAccount(_ settings: Settings, logger: Logger) async throws -> NatsClient? {
        guard let systemAccount = settings.systemAccount else { return nil }
        let clientSettings: NatsClientSettings
        do {
            clientSettings = try systemAccount.clientSettings()
        } catch {
            throw ValidationError("\(error)")
        }
        var connectSettings = clientSettings
        connectSettings.connectTimeout = max(settings.timeout, 2)
        do {
            // A NATS server that is down now is shown as down and retried, like an HTTP endpoint;
            // credentials or TLS it refuses stop gwtop here.
            return try await NatsClient.connect(connectSettings, logger: logger, retryingUnreachable: true)
        } catch {
            throw ValidationError("cannot use the system account: \(error)")
        }
    }

    /// `--log FILE` (never the terminal), or nowhere.
    func makeLogger() throws -> Logger {
        guard let log else { return Logger(label: "gwtop") { _ in SwiftLogNoOpLogHandler() } }
        let sink = try FileLogHandler.Sink(path: log)
        let level = logLevel.level
        return Logger(label: "gwtop") { label in FileLogHandler(label: label, sink: sink, logLevel: level) }
    }

    /// The config file's `sort`, when it is none of the orders and no `--sort` overrides it: an error
    /// before the dashboard takes the screen (other modes do not sort, and go on).
    func checkSort(_ settings: Settings) throws {
        if sort == nil, let problem = settings.sortError { throw CLIError(problem) }
    }

    /// `--sort`, else the config file's (checked when it was read), else by name.
    func chosenSort(_ settings: Settings) -> SortKey {
        sort?.key ?? settings.sort.flatMap(SortKey.init(rawValue:)) ?? .name
    }

    /// `--theme`, else `GWTOP_THEME`, else the config file's, else the default.
    func chosenTheme(_ settings: Settings) -> String {
        theme ?? ProcessInfo.processInfo.environment["GWTOP_THEME"].flatMap { $0.isEmpty ? nil : $0 } ?? settings.theme ?? "default"
    }

    /// The report in the pieces it is made in: JSON as its clusters were written, side by side (the 35 MB
    /// report of a 250-server mesh is not joined into one buffer), text whole. On a terminal (`screen`, the
    /// live mode's), the text report puts its problems first and wraps them to the window: only its top is
    /// shown.
    func reportPieces(
        _ model: Supercluster, _ problems: [Problem], events: [MeshEvent], colour: Bool, screen: (rows: Int, columns: Int)? = nil
    ) -> [[UInt8]] {
        switch format {
        case .json: return JSONReport.renderChunks(model, problems: problems, events: events)
        case .text:
            let options = TextReport.Options(
                colour: colour, width: screen.map { min(100, $0.columns) } ?? 100, problemsFirst: screen != nil)
            return [Array(TextReport.render(model, problems: problems, events: events, options: options).utf8)]
        }
    }

    /// The `--once` report on stdout, piece by piece. A reader that has gone (`| head`) ends the writing,
    /// and gwtop exits as usual rather than by SIGPIPE; any other failure (a full disk) is said on stderr
    /// and is false, for an exit status that is not 0.
    func printReport(_ model: Supercluster, _ problems: [Problem], events: [MeshEvent], colour: Bool) -> Bool {
        writeOut(reportPieces(model, problems, events: events, colour: colour))
    }

    /// `pieces` on stdout, as `printReport` says.
    func writeOut(_ pieces: [[UInt8]]) -> Bool {
        signal(SIGPIPE, SIG_IGN)
        for piece in pieces {
            guard LiveTextMode.writeAll(piece, to: STDOUT_FILENO) else {
                let reason = errno
                if reason == EPIPE { return true }
                FileHandle.standardError.write(Data("gwtop: cannot write the report: \(String(cString: strerror(reason)))\n".utf8))
                return false
            }
        }
        return true
    }

    func log(_ result: MonitorSession.Result, _ logger: Logger) {
        let failures = result.cycle.snapshot.observations.filter { $0.failure != nil }
        logger.info("poll", metadata: [
            "sequence": "\(result.model.pollSequence)", "seconds": "\(Units.fixed(result.duration, digits: 3))",
            "endpoints": "\(result.cycle.snapshot.observations.count)", "failed": "\(failures.count)",
            "problems": "\(result.problems.count)",
        ])
        for failure in failures {
            logger.warning("endpoint failed", metadata: [
                "url": "\(failure.endpoint.displayURL)", "error": "\(failure.failure?.message ?? "")",
            ])
        }
    }

    /// `--color`, with NO_COLOR (non-empty) turning `auto` into `never`.
    func dashboardColorMode() -> NcursesTerminal.ColorMode {
        switch color {
        case .always: return .always
        case .never: return .never
        case .auto:
            if let noColor = ProcessInfo.processInfo.environment["NO_COLOR"], !noColor.isEmpty { return .never }
            return .auto
        }
    }

    /// ANSI colour in text output: the same decision, with `auto` meaning "stdout is a terminal".
    func useColour() -> Bool {
        switch dashboardColorMode() {
        case .always: return true
        case .never: return false
        case .auto: return isatty(STDOUT_FILENO) == 1
        }
    }

    struct Settings {
        var targets: [MonitorTarget]
        var interval: Double
        var timeout: Double
        /// Seconds between full polls (see `--full-every`).
        var fullEvery: Double
        var maxConcurrent: Int
        var thresholds: DiagnosisThresholds
        var warnings: [String]
        var theme: String?
        /// The config file's sort (one of `GwtopConfiguration.sortOrders`), or what was wrong with it.
        var sort: String?
        var sortError: String?
        /// nil when neither --nats nor the config file asks for the system account.
        var systemAccount: SystemAccountSettings?
    }

    /// The config file first, then flags on top of it.
    func resolveSettings() throws -> Settings {
        var fileConfiguration = GwtopConfiguration()
        if let config {
            fileConfiguration = try GwtopConfiguration.load(path: config)
        } else if let path = GwtopConfiguration.defaultPath(environment: ProcessInfo.processInfo.environment),
            FileManager.default.fileExists(atPath: path)
        {
            fileConfiguration = try GwtopConfiguration.load(path: path)
        }
        var targets = fileConfiguration.endpoints
        if !urls.isEmpty {
            targets = try urls.map { url in
                do { return try MonitorTarget(url: url) } catch { throw ValidationError("\(error)") }
            }
        }
        let systemAccount = fileConfiguration.systemAccount.overridden(by: systemAccountFlags)
        if systemAccount.urls.isEmpty && !systemAccount.isEmpty {
            throw ValidationError("--user, --password, --token, --nkey, --creds and --tls-* apply to --nats URL, which is missing")
        }
        if targets.isEmpty && systemAccount.urls.isEmpty { targets = [try MonitorTarget(url: "http://127.0.0.1:8222")] }
        var seen = Set<String>()
        for target in targets where !seen.insert(target.displayURL).inserted {
            throw ValidationError("endpoint \(target.displayURL) is listed twice")
        }
        return Settings(
            targets: targets,
            interval: interval ?? fileConfiguration.interval ?? 1,
            timeout: timeout ?? fileConfiguration.timeout ?? 2,
            fullEvery: fullEvery ?? fileConfiguration.fullEvery ?? 10,
            maxConcurrent: maxConcurrent ?? fileConfiguration.maxConcurrentEndpoints ?? 64,
            thresholds: fileConfiguration.thresholds,
            warnings: fileConfiguration.warnings,
            theme: fileConfiguration.theme,
            sort: fileConfiguration.sort,
            sortError: fileConfiguration.sortError,
            systemAccount: systemAccount.urls.isEmpty ? nil : systemAccount)
    }
}

