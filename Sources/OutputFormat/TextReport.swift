public import Topology

/// The `--format text` tree: cluster → server → outbound and inbound gateway connections, aligned in
/// columns, then the problems. Every server-supplied string passes through `TerminalSafe`.
public enum TextReport {
    public struct Options: Sendable {
        public var colour: Bool
        /// Where problem messages wrap (the connection rows are 100 columns whatever it is).
        public var width: Int
        /// The problems right after the summary, before the tree: for a terminal that shows only the top
        /// of the report (`--plain`), where at the end they were never on screen.
        public var problemsFirst: Bool

        public init(colour: Bool = false, width: Int = 100, problemsFirst: Bool = false) {
            self.colour = colour
            self.width = width
            self.problemsFirst = problemsFirst
        }
    }

    /// How many of the latest events the text report lists (the JSON carries them all).
    public static let eventsShown = 20

    public static func render(
        _ model: Supercluster, problems: [Problem], events: [MeshEvent] = [], options: Options = Options()
    ) -> String {
        let paint = Painter(enabled: options.colour)
        let summary = MeshSummary(model, problems: problems)
        // The report is built as bytes, each line followed by a newline: at 250 servers it is 25,000
        // connection rows (2.4 MB), and a String per line joined at the end cost as much as the rows.
        var report = ReportBytes()
        let status = CheckReport.status(for: summary)
        report.line(
            "gwtop  " + paint.severity(status, status.rawValue) + "  \(model.time.rfc3339)  poll #\(model.pollSequence)")
        let mesh = "\(summary.clusters) clusters  \(summary.serversReachable)/\(summary.serversPolled) endpoints up  "
            + "\(summary.outboundUp)/\(summary.outboundExpected) outbound gateways"
        let counts = "\(summary.critical) critical  \(summary.warning) warning  \(summary.info) info"
        if mesh.count + 2 + counts.count <= options.width {
            report.line(mesh + "  " + counts)
        } else {
            // A narrow window would cut the problem counts off the end: they get a line of their own.
            report.line(mesh)
            report.line(counts)
        }

        func writeProblems() {
            if problems.isEmpty {
                report.line("No problems.")
            } else {
                report.line("Problems:")
                for problem in problems {
                    let tag = problem.severity.rawValue.uppercased().padding(8) + " " + problem.kind.rawValue
                    report.line("  " + paint.problem(problem.severity, tag))
                    for line in wrap(TerminalSafe.text(problem.message, maxLength: 300), width: max(20, options.width - 6)) {
                        report.line("      " + line)
                    }
                }
            }
        }
        if options.problemsFirst {
            report.line("")
            writeProblems()
        }

        let table = ConnectionTable()
        report.line("")
        report.line(paint.dim("    " + table.header))
        report.line(paint.dim("    (out* = implicit gateway learned by gossip; - = rate known after the next poll)"))
        // Each cluster's lines are made on their own (in parallel).
        let sections = Parallel.map(model.clusters) { cluster in
            clusterSection(cluster, model: model, table: table, paint: paint)
        }
        for section in sections { report.bytes += section.bytes }
        if !options.problemsFirst {
            report.line("")
            writeProblems()
        }
        // Only what changed after the first poll: the first poll's problems are listed just above.
        let changes = events.filter { $0.time > (events.first?.time ?? model.time) || $0.kind != .problemRaised }
        if !changes.isEmpty {
            report.line("")
            let shown = changes.suffix(eventsShown)
            report.line("Events (\(shown.count == changes.count ? "all \(changes.count)" : "latest \(shown.count) of \(changes.count)"), oldest first):")
            for event in shown {
                let time = String(event.time.rfc3339.dropFirst(11).prefix(12))
                report.line("  \(time)  " + paint.dim(event.kind.rawValue.padding(20)) + " "
                    + TerminalSafe.text(event.message, maxLength: 300))
            }
        }
        return String(decoding: report.bytes, as: UTF8.self)
    }

    static func clusterSection(_ cluster: ClusterNode, model: Supercluster, table: ConnectionTable, paint: Painter) -> ReportBytes {
        var section = ReportBytes()
        section.bytes.reserveCapacity(128 * (1 + cluster.servers.count + cluster.servers.reduce(0) { $0 + $1.outbound.count + $1.inbound.count }))
        section.line("")
        let serverCount = cluster.servers.count
        var clusterLine = paint.bold(safe(cluster.name, 30)) + "  \(serverCount) server\(serverCount == 1 ? "" : "s")"
        if let rates = cluster.rates {
            clusterLine += "  in \(Units.msgRate(rates.inMsgs)) \(Units.byteRate(rates.inBytes))"
                + "  out \(Units.msgRate(rates.outMsgs)) \(Units.byteRate(rates.outBytes))"
        }
        if cluster.servers.isEmpty { clusterLine += "  " + paint.critical("no server seen (named in configuration)") }
        section.line(clusterLine)
        for server in cluster.servers {
            // Unreachable servers expect nothing, so miss nothing.
            let coverage = model.outboundCoverage(for: server)
            section.line("  " + serverLine(server, coverage: coverage, paint: paint))
            guard server.reachable else { continue }
            for failure in server.partialFailures { section.line("    " + paint.warning("partial: " + safe(failure, 86))) }
            for index in server.outbound.indices { table.appendRow(server.outbound[index], to: &section) }
            for remote in coverage.missing {
                section.line("    " + paint.critical("MISSING out → \(safe(remote, 20))"))
            }
            for index in server.inbound.indices { table.appendRow(server.inbound[index], to: &section) }
        }
        return section
    }

    static func serverLine(_ server: ServerNode, coverage: OutboundCoverage, paint: Painter) -> String {
        var parts = [paint.bold(safe(server.name, 30))]
        if let version = server.version { parts.append("v" + safe(version, 16)) }
        if !server.polled {
            parts.append(paint.dim("not polled" + (server.id.map { " (id \(safe($0, 60)))" } ?? "")))
        } else if server.reachable {
            parts.append(paint.ok("up"))
            parts.append("out \(coverage.up)/\(coverage.expected.count)  in \(server.inbound.count)")
            if let health = server.health, !health.isOK { parts.append(paint.warning("healthz " + safe(health.status, 20))) }
        } else {
            parts.append(paint.critical("UNREACHABLE: " + safe(server.failure?.message ?? "no answer", 120)))
        }
        if let url = server.url { parts.append(paint.dim(safe(url, 80))) }
        if server.insecureTLS { parts.append(paint.warning("INSECURE TLS (certificate not verified)")) }
        return parts.joined(separator: "  ")
    }

    /// Greedy word wrap; a word longer than the width gets a line of its own.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    static func safe(_ text: String, _ maxLength: Int) -> String { TerminalSafe.text(text, maxLength: maxLength) }
}

/// Fixed-width columns for connection rows, so a tree of hundreds of rows stays scannable in 100 columns.
struct ConnectionTable {
    struct Column {
        let title: String
        let width: Int
        let rightAligned: Bool
    }

    let columns: [Column] = [
        Column(title: "DIR", width: 4, rightAligned: false),
        Column(title: "REMOTE", width: 9, rightAligned: false),
        Column(title: "GID", width: 9, rightAligned: false),
        Column(title: "SERVER", width: 10, rightAligned: false),
        Column(title: "IN MSG/S", width: 8, rightAligned: true),
        Column(title: "IN B/S", width: 7, rightAligned: true),
        Column(title: "OUT MSG/S", width: 9, rightAligned: true),
        Column(title: "OUT B/S", width: 7, rightAligned: true),
        Column(title: "RTT", width: 6, rightAligned: true),
        Column(title: "PENDING", width: 7, rightAligned: true),
        Column(title: "UPTIME", width: 6, rightAligned: true),
    ]

    var header: String {
        var line: [UInt8] = []
        for (index, column) in columns.enumerated() { appendCell(column.title, column: index, to: &line) }
        return String(decoding: line, as: UTF8.self)
    }

    /// One connection's row, indented under its server, with its newline. `out*` marks an implicit
    /// (gossiped) outbound; `-` a rate that needs one more poll. Each cell goes straight into the
    /// report's bytes, padded to its column: no array of cells, no string for the row.
    func appendRow(_ link: GatewayLink, to report: inout ReportBytes) {
        report.bytes.append(contentsOf: repeatElement(0x20, count: 4))
        var column = 0
        func cell(_ text: String) {
            appendCell(text, column: column, to: &report.bytes)
            column += 1
        }
        cell(link.direction == .outbound ? (link.configured == false ? "out*" : "out") : "in")
        cell(TerminalSafe.text(link.remoteCluster, maxLength: 9))
        cell(link.logToken)
        cell(TerminalSafe.text(link.remoteServerName ?? link.remoteServerID.map { String($0.prefix(6)) + "…" } ?? "?", maxLength: 10))
        if let rates = link.rates {
            cell(Units.count(rates.inMsgs))
            cell(Units.bytes(rates.inBytes))
            cell(Units.count(rates.outMsgs))
            cell(Units.bytes(rates.outBytes))
        } else {
            for _ in 0..<4 { cell("-") }
        }
        cell(link.rtt.map(Units.duration) ?? "-")
        cell(Units.bytes(Double(link.pendingBytes)))
        cell(link.uptime.map(Units.duration) ?? "-")
        report.bytes.append(0x0A)
    }

    /// A cell padded to its column (cells after the first are separated by a space).
    func appendCell(_ cell: String, column index: Int, to line: inout [UInt8]) {
        let column = columns[index]
        if index > 0 { line.append(0x20) }
        // The cell's bytes as one buffer (walking its UTF-8 view byte by byte cost more than the rest).
        var cell = cell
        let (byteCount, ascii) = cell.withUTF8 { utf8 in (utf8.count, utf8.allSatisfy { $0 < 0x80 }) }
        // Display width: one column per character (µ and … are one each, not two bytes).
        let padding = max(0, column.width - (ascii ? byteCount : cell.count))
        if column.rightAligned { line.append(contentsOf: repeatElement(0x20, count: padding)) }
        cell.withUTF8 { line.append(contentsOf: $0) }
        if !column.rightAligned { line.append(contentsOf: repeatElement(0x20, count: padding)) }
    }
}

/// Lines of a report as UTF-8 bytes, each followed by a newline.
struct ReportBytes {
    var bytes: [UInt8] = []

    mutating func line(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(0x0A)
    }
}

/// ANSI colour for the text output when stdout is a terminal; identity otherwise.
struct Painter {
    let enabled: Bool

    func wrap(_ code: String, _ text: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func bold(_ text: String) -> String { wrap("1", text) }
    func dim(_ text: String) -> String { wrap("2", text) }
    func ok(_ text: String) -> String { wrap("32", text) }
    func warning(_ text: String) -> String { wrap("33", text) }
    func critical(_ text: String) -> String { wrap("1;31", text) }

    func problem(_ severity: Severity, _ text: String) -> String {
        switch severity {
        case .critical: critical(text)
        case .warning: warning(text)
        case .info: wrap("36", text)
        }
    }

    func severity(_ status: CheckReport.Status, _ text: String) -> String {
        switch status {
        case .ok: ok(text)
        case .warning: warning(text)
        case .critical: critical(text)
        case .unknown: dim(text)
        }
    }
}

extension String {
    /// Pads with spaces on the right to `width` characters (never truncates).
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
