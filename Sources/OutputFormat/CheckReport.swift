public import Topology

/// Monitoring-plugin output (Nagios, Icinga, Sensu): a status line with perfdata, then details.
public enum CheckReport {
    public enum Status: String, Sendable {
        case ok = "OK", warning = "WARNING", critical = "CRITICAL", unknown = "UNKNOWN"

        /// The plugin exit code.
        public var exitCode: Int32 {
            switch self {
            case .ok: 0
            case .warning: 1
            case .critical: 2
            case .unknown: 3
            }
        }
    }

    /// Info-level findings (an implicit gateway) do not change the status.
    public static func status(for summary: MeshSummary) -> Status {
        if summary.serversTotal == 0 { return .unknown }
        if summary.critical > 0 { return .critical }
        if summary.warning > 0 { return .warning }
        return .ok
    }

    /// Nagios Core keeps 8,192 bytes of a plugin's output (its MAX_PLUGIN_OUTPUT_LENGTH, the NUL
    /// included, and Nagios 3 stores each newline as two bytes) and drops the rest without a word; a
    /// cluster cut off at 250 servers is 589 problems, 50 KB of details. 8,000 leaves room for those.
    public static let outputLimitBytes = 8_000

    /// Text with no `|`: in a plugin's output everything after one is performance data (a split's parts,
    /// or a server's name, would otherwise end the details there).
    static func pipeless(_ text: String) -> String { String(text.map { $0 == "|" ? "/" : $0 }) }

    /// `maxBytes`: the details stop before the output would pass it, and a last line says how many
    /// problems are not listed (the first ones listed are the worst: a split first).
    public static func render(_ model: Supercluster, problems: [Problem], maxBytes: Int = outputLimitBytes) -> (text: String, status: Status) {
        let summary = MeshSummary(model, problems: problems)
        let status = status(for: summary)
        let headline: String
        let worst = problems.first { $0.severity != .info }
        switch status {
        case .ok:
            headline = "\(summary.clusters) clusters, \(summary.serversReachable)/\(summary.serversPolled) endpoints up, "
                + "\(summary.outboundUp)/\(summary.outboundExpected) outbound gateways up"
        case .unknown:
            headline = "no server known: nothing was polled"
        case .warning, .critical:
            var counts: [String] = []
            if summary.critical > 0 { counts.append("\(summary.critical) critical") }
            if summary.warning > 0 { counts.append("\(summary.warning) warning\(summary.warning == 1 ? "" : "s")") }
            headline = counts.joined(separator: ", ") + ": " + pipeless(TerminalSafe.text(worst?.message ?? "", maxLength: 200))
        }
        let perfdata = [
            "clusters=\(summary.clusters);;;0",
            "servers=\(summary.serversTotal);;;0",
            "endpoints_up=\(summary.serversReachable);;;0;\(summary.serversPolled)",
            "gateways_up=\(summary.outboundUp);;;0;\(summary.outboundExpected)",
            "critical=\(summary.critical);;1;0",
            "warning=\(summary.warning);1;;0",
            "info=\(summary.info);;;0",
            "gateway_msgs_out_per_s=\(Units.fixed(model.pairs.reduce(0) { $0 + $1.sentMsgsPerSecond }, digits: 1));;;0",
        ].joined(separator: " ")
        var lines = ["GWTOP \(status.rawValue) - \(headline) | \(perfdata)"]
        let details = problems.map { problem in
            "\(problem.severity.rawValue.uppercased()) \(problem.kind.rawValue): \(pipeless(TerminalSafe.text(problem.message, maxLength: 300)))"
        }
        var bytes = lines[0].utf8.count + 1
        if details.reduce(bytes, { $0 + $1.utf8.count + 1 }) <= maxBytes {
            lines += details
        } else {
            let what = status == .ok ? "finding" : "problem"
            func leftOut(_ count: Int) -> String {
                "... \(count) more \(what)\(count == 1 ? "" : "s") not listed (monitoring systems keep 8 KiB of a check's output; gwtop --once lists them all)"
            }
            // Room kept for the line that says what is left out (as long as it can be).
            let reserve = leftOut(details.count).utf8.count + 1
            for (index, line) in details.enumerated() {
                guard bytes + line.utf8.count + 1 + reserve <= maxBytes else {
                    lines.append(leftOut(details.count - index))
                    break
                }
                lines.append(line)
                bytes += line.utf8.count + 1
            }
        }
        return (lines.joined(separator: "\n") + "\n", status)
    }
}
