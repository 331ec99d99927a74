public import Topology

/// The `--format text` tree: cluster → server → outbound and inbound gateway connections, aligned in
/// columns, then the problems. Every server-supplied string passes through `TerminalSafe`.
public enum TextReport {
    public struct Options: Sendable {
        public var colour: Bool
        public var width: Int

        public init(colour: Bool = false, width: Int = 100) {
            self.colour = colour
            self.width = width
        }
    }

    /// How many of the latest events the text report lists (the JSON carries them all).
    public static let eventsShown = 20

    public static func render(
        _ model: Supercluster, problems: [Problem], events: [MeshEvent] = [], options: Options = Options()
    ) -> String {
        let paint = Painter(enabled: options.colour)
        let summary = MeshSummary(model, problems: problems)
        var lines: [String] = []
        let status = CheckReport.status(for: summary)
        lines.append(
            "gwtop  " + paint.severity(status, status.rawValue) + "  \(model.time.rfc3339)  poll #\(model.pollSequence)")
        lines.append(
            "\(summary.clusters) clusters  \(summary.serversReachable)/\(summary.serversPolled) endpoints up  "
                + "\(summary.outboundUp)/\(summary.outboundExpected) outbound gateways  "
                + "\(summary.critical) critical  \(summary.warning) warning  \(summary.info) info")

        let table = ConnectionTable()
        lines.append("")
        lines.append(paint.dim("    " + table.header))
        lines.append(paint.dim("    (out* = implicit gateway learned by gossip; - = rate known after the next poll)"))
        // Each cluster's lines are made on their own (in parallel: 25,000 connection rows at 250 servers).
        let clusterLines = Parallel.map(model.clusters) { cluster in
            clusterSection(cluster, model: model, table: table, paint: paint)
        }
        for section in clusterLines { lines += section }
        lines.append("")
        if problems.isEmpty {
            lines.append("No problems.")
        } else {
            lines.append("Problems:")
            for problem in problems {
                let tag = problem.severity.rawValue.uppercased().padding(8) + " " + problem.kind.rawValue
                lines.append("  " + paint.problem(problem.severity, tag))
                for line in wrap(TerminalSafe.text(problem.message, maxLength: 300), width: options.width - 6) {
                    lines.append("      " + line)
                }
            }
        }
        // Only what changed after the first poll: the first poll's problems are listed just above.
        let changes = events.filter { $0.time > (events.first?.time ?? model.time) || $0.kind != .problemRaised }
        if !changes.isEmpty {
            lines.append("")
            let shown = changes.suffix(eventsShown)
            lines.append("Events (\(shown.count == changes.count ? "all \(changes.count)" : "latest \(shown.count) of \(changes.count)"), oldest first):")
            for event in shown {
                let time = String(event.time.rfc3339.dropFirst(11).prefix(12))
                lines.append("  \(time)  " + paint.dim(event.kind.rawValue.padding(20)) + " "
                    + TerminalSafe.text(event.message, maxLength: 300))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func clusterSection(_ cluster: ClusterNode, model: Supercluster, table: ConnectionTable, paint: Painter) -> [String] {
        var lines = [""]
        let serverCount = cluster.servers.count
        var clusterLine = paint.bold(safe(cluster.name, 30)) + "  \(serverCount) server\(serverCount == 1 ? "" : "s")"
        if let rates = cluster.rates {
            clusterLine += "  in \(Units.msgRate(rates.inMsgs)) \(Units.byteRate(rates.inBytes))"
                + "  out \(Units.msgRate(rates.outMsgs)) \(Units.byteRate(rates.outBytes))"
        }
        if cluster.servers.isEmpty { clusterLine += "  " + paint.critical("no server seen (named in configuration)") }
        lines.append(clusterLine)
        for server in cluster.servers {
            lines.append("  " + serverLine(server, model: model, paint: paint))
            guard server.reachable else { continue }
            for index in server.outbound.indices { lines.append("    " + table.row(server.outbound[index], paint: paint)) }
            for remote in model.missingOutbound(for: server) {
                lines.append("    " + paint.critical("MISSING out → \(safe(remote, 20))"))
            }
            for index in server.inbound.indices { lines.append("    " + table.row(server.inbound[index], paint: paint)) }
        }
        return lines
    }

    static func serverLine(_ server: ServerNode, model: Supercluster, paint: Painter) -> String {
        var parts = [paint.bold(safe(server.name, 30))]
        if let version = server.version { parts.append("v" + safe(version, 16)) }
        if !server.polled {
            parts.append(paint.dim("not polled" + (server.id.map { " (id \(safe($0, 60)))" } ?? "")))
        } else if server.reachable {
            let expected = model.expectedRemotes(for: server).count
            let working = expected - model.missingOutbound(for: server).count
            parts.append(paint.ok("up"))
            parts.append("out \(working)/\(expected)  in \(server.inbound.count)")
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

    var header: String { format(columns.map(\.title)) }

    /// `out*` marks an implicit (gossiped) outbound; `-` a rate that needs one more poll.
    func row(_ link: GatewayLink, paint: Painter) -> String {
        let remoteName = link.remoteServerName ?? link.remoteServerID.map { String($0.prefix(6)) + "…" } ?? "?"
        let cells = [
            link.direction == .outbound ? (link.configured == false ? "out*" : "out") : "in",
            TerminalSafe.text(link.remoteCluster, maxLength: 9),
            link.logToken,
            TerminalSafe.text(remoteName, maxLength: 10),
            link.rates.map { Units.count($0.inMsgs) } ?? "-",
            link.rates.map { Units.bytes($0.inBytes) } ?? "-",
            link.rates.map { Units.count($0.outMsgs) } ?? "-",
            link.rates.map { Units.bytes($0.outBytes) } ?? "-",
            link.rtt.map(Units.duration) ?? "-",
            Units.bytes(Double(link.pendingBytes)),
            link.uptime.map(Units.duration) ?? "-",
        ]
        return format(cells)
    }

    /// The cells padded to their columns, as bytes into one string (a report has tens of thousands of
    /// rows: no padded copy of each cell, no joined array).
    func format(_ cells: [String]) -> String {
        var line: [UInt8] = []
        line.reserveCapacity(128)
        for (index, (column, cell)) in zip(columns, cells).enumerated() {
            if index > 0 { line.append(0x20) }
            let utf8 = cell.utf8
            // Display width: one column per character (µ and … are one each, not two bytes).
            let width = utf8.allSatisfy { $0 < 0x80 } ? utf8.count : cell.count
            let padding = max(0, column.width - width)
            if column.rightAligned { line.append(contentsOf: repeatElement(0x20, count: padding)) }
            line.append(contentsOf: utf8)
            if !column.rightAligned { line.append(contentsOf: repeatElement(0x20, count: padding)) }
        }
        return String(decoding: line, as: UTF8.self)
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
