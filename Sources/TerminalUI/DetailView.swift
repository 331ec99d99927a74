import MonitorModel
import OutputFormat
import Topology

/// The drill-down page for one row: every fact gwtop has about it, history graphs, its problems and
/// where to look in the server log.
public enum DetailView {
    typealias Segment = (text: String, role: StyleRole)
    typealias Line = [Segment]

    public static func render(_ state: DashboardState, row: RowID, in area: Rect, into buffer: inout CellBuffer) {
        let (title, lines) = content(state, row: row, width: area.width)
        buffer.put(title, x: area.x + 1, y: area.y, role: .title, maxWidth: area.width - 2)
        let visible = area.height - 1
        let maxScroll = max(0, lines.count - visible)
        let scroll = min(state.detailScroll, maxScroll)
        for (offset, line) in lines.dropFirst(scroll).prefix(visible).enumerated() {
            var x = area.x + 1
            for segment in line { x = buffer.put(segment.text, x: x, y: area.y + 1 + offset, role: segment.role, maxWidth: area.maxX - x) }
        }
        if lines.count > visible {
            let text = " \(scroll + 1)-\(min(lines.count, scroll + visible))/\(lines.count) ↑↓ "
            buffer.put(text, x: area.maxX - displayWidth(of: text), y: area.y, role: .dim)
        }
    }

    static func content(_ state: DashboardState, row: RowID, width: Int) -> (String, [Line]) {
        guard let model = state.model else { return ("(no data)", []) }
        let g = state.glyphs
        let problems = state.problems
        switch row {
        case .cluster(let name):
            guard let cluster = model.cluster(named: name) else { return gone(name) }
            return ("cluster \(safe(name))", clusterLines(cluster, model: model, state: state, problems: problems.filter {
                $0.cluster == name || $0.remoteCluster == name || isPartition($0, of: name)
            }))
        case .server(_, let key):
            guard let server = model.servers.first(where: { serverKey($0) == key }) else { return gone(key) }
            return ("\(safe(server.cluster)) \(g.separator) \(safe(server.name))", serverLines(server, model: model, state: state))
        case .connection(let key, let direction, let remote, let gid):
            guard let server = model.servers.first(where: { serverKey($0) == key }),
                let link = (direction == .outbound ? server.outbound : server.inbound).first(where: { $0.gid == gid && $0.remoteCluster == remote })
            else { return gone("gid:\(gid) (closed or replaced; Esc to go back)") }
            let arrow = direction == .outbound ? g.outbound : g.inbound
            return ("\(safe(server.cluster)) \(g.separator) \(safe(server.name)) \(g.separator) \(arrow) \(safe(remote)) \(link.logToken)",
                    connectionLines(link, server: server, state: state, width: width))
        case .missing(let key, let remote):
            guard let server = model.servers.first(where: { serverKey($0) == key }) else { return gone(key) }
            return ("\(safe(server.cluster)) \(g.separator) \(safe(server.name)) \(g.separator) missing \(g.outbound) \(safe(remote))",
                    missingLines(server, remote: remote, model: model, state: state))
        }
    }

    static func gone(_ what: String) -> (String, [Line]) {
        ("\(what)", [[("This row is not in the latest poll.", .warning)]])
    }

    static func safe(_ text: String, _ maxLength: Int = 64) -> String { TerminalSafe.text(text, maxLength: maxLength) }

    static func field(_ label: String, _ value: String, _ role: StyleRole = .normal) -> Line {
        [("  " + label.padding(toWidth: 16), .dim), (value, role)]
    }

    static func section(_ title: String) -> Line { [(title, .columnHeading)] }

    /// At most `limit` (the worst: a split or cut pair first), then how many more and where they all
    /// are: a cluster cut off at 250 servers has 589, which would put the rest of its detail pages down.
    static func problemLines(_ problems: [Problem], glyphs: Glyphs, limit: Int = .max) -> [Line] {
        guard !problems.isEmpty else { return [section("Problems"), [("  \(glyphs.ok) none", .ok)]] }
        let shown = problems.count > limit ? Array(problems.prefix(limit)) : problems
        var lines = [section("Problems")] + shown.map { problem in
            let health = Health(problem.severity)
            return [("  \(glyphs.health(health)) \(problem.kind.rawValue)  ", health.role), (safe(problem.message, 300), .normal)]
        }
        if shown.count < problems.count {
            lines.append([("  … \(problems.count - shown.count) more: Esc, then Tab, and the problems pane lists them all", .dim)])
        }
        return lines
    }

    /// Problems a cluster's or server's detail lists before the rest of it.
    static let detailProblemLimit = 10

    /// A split or cut pair `cluster` is in: one naming it, either side, or a split naming no cluster (the
    /// mesh in several parts), which concerns every cluster.
    static func isPartition(_ problem: Problem, of cluster: String) -> Bool {
        switch problem.kind {
        case .meshSplit: problem.cluster == nil || problem.cluster == cluster || problem.remoteCluster == cluster
        case .clustersCut: problem.cluster == cluster || problem.remoteCluster == cluster
        default: false
        }
    }

    static func connectionLines(_ link: GatewayLink, server: ServerNode, state: DashboardState, width: Int) -> [Line] {
        let g = state.glyphs
        var lines: [Line] = [section("Connection")]
        let kind = link.direction == .outbound
            ? (link.configured == false ? "outbound, implicit (learned by gossip)" : "outbound, configured")
            : "inbound (the remote server dialled this one)"
        lines.append(field("direction", kind, link.configured == false ? .info : .normal))
        let remoteName = link.remoteServerName.map { safe($0) } ?? "not polled"
        lines.append(field("remote", "\(remoteName) in \(safe(link.remoteCluster))"))
        lines.append(field("remote id", safe(link.remoteServerID ?? "-", 80), .dim))
        lines.append(field("address", "\(safe(link.ip ?? "?")):\(link.port.map(String.init) ?? "?")"))
        lines.append(field("gid", link.logToken, .gid))
        lines.append(field("log hint", "grep '\(link.logToken) ' <log of \(safe(server.name))>", .gid))
        lines.append(field("RTT", link.rtt.map(Units.duration) ?? "-"))
        lines.append(field("uptime", link.uptime.map(Units.duration) ?? "-"))
        lines.append(field("idle", link.idle.map(Units.duration) ?? "-"))
        lines.append(field("started", link.start?.rfc3339 ?? "-", .dim))
        lines.append(field("last activity", link.lastActivity?.rfc3339 ?? "-", .dim))
        lines.append(field("pending", Units.bytes(Double(link.pendingBytes)), link.pendingBytes > 0 ? .warning : .normal))
        let rates = link.rates
        lines.append(field("msgs in", "\(link.inMsgs)  (\(rates.map { Units.msgRate($0.inMsgs) } ?? "rate after next poll"))"))
        lines.append(field("msgs out", "\(link.outMsgs)  (\(rates.map { Units.msgRate($0.outMsgs) } ?? "rate after next poll"))"))
        lines.append(field("bytes in", "\(Units.bytes(Double(link.inBytes)))  (\(rates.map { Units.byteRate($0.inBytes) } ?? "-"))"))
        lines.append(field("bytes out", "\(Units.bytes(Double(link.outBytes)))  (\(rates.map { Units.byteRate($0.outBytes) } ?? "-"))"))
        lines.append(field("subscriptions", "\(link.subscriptions)"))
        if let version = link.tlsVersion {
            lines.append(field("TLS", "\(safe(version)) \(safe(link.tlsCipherSuite ?? ""))"))
        } else {
            lines.append(field("TLS", "none", .dim))
        }
        lines.append([])
        lines.append(section("Accounts (interest)"))
        switch server.accounts[link.key] {
        case nil where server.partialFailures.contains(where: DecodedResponses.isAccountsNotHad):
            // Wrapped, not cut: the reason is the part after the server's id.
            for failure in server.partialFailures where DecodedResponses.isAccountsNotHad(failure) {
                for part in wrapped(safe(failure, 300), width: max(20, width - 4)) { lines.append([("  " + part, .warning)]) }
            }
        case nil where state.replay != nil:
            lines.append([("  not in this poll of the recording", .dim)])
        case nil:
            // The live dashboard asks only the selected server's accounts, from the poll after the
            // selection came to it (see `DashboardState.accountsServerURL`).
            lines.append([("  not asked yet: asked from the next poll while the cursor is here", .dim)])
        case let accounts? where accounts.isEmpty:
            lines.append([("  none reported", .dim)])
        case let accounts?:
            lines.append([("  " + "ACCOUNT".padding(toWidth: 24) + "MODE".padding(toWidth: 16) + "SUBS".padding(toWidth: 8) + "QUEUE SUBS", .dim)])
            for account in accounts {
                let mode = account.interestMode ?? "-"
                lines.append([
                    ("  " + safe(account.name, 22).padding(toWidth: 24), .normal),
                    (safe(mode, 15).padding(toWidth: 16), mode == "Transitioning" ? .warning : .normal),
                    ("\(account.numSubs ?? 0)".padding(toWidth: 8) + "\(account.numQueueSubs ?? 0)", .normal),
                ])
            }
        }
        let key = SeriesKey(serverKey: serverKey(server), link: link)
        let history = state.history[key]
        let graphWidth = max(10, min(width - 4, history?.messages.capacity ?? state.historyLength))
        lines.append([])
        lines += graph("Messages/s (in+out), last \(graphWidth) polls", history?.messages.values ?? [], width: graphWidth,
                       format: Units.count, glyphs: g)
        lines += graph("Bytes/s (in+out)", history?.bytes.values ?? [], width: graphWidth, format: Units.bytes, glyphs: g)
        lines += graph("RTT (ms)", history?.rttMilliseconds.values ?? [], width: graphWidth, format: { Units.fixed($0, digits: 2) }, glyphs: g)
        lines += graph("Pending bytes", history?.pendingBytes.values ?? [], width: graphWidth, format: Units.bytes, glyphs: g)
        lines.append([])
        let flapKey = DashboardUpdate.flapKey(server, link)
        let losses = state.recentConnectionLosses[flapKey] ?? 0
        lines.append(field("lost (10 min)", losses == 0 ? "none" : "\(losses) time\(losses == 1 ? "" : "s") (reconnects and disconnects)",
                           losses == 0 ? .ok : losses >= 3 ? .critical : .warning))
        // gids are numbered per server: a gid only identifies the connection together with its server.
        lines += EventsView.detailLines(state.events.filter { event in
            ((event.gid == link.gid || event.previousGid == link.gid)
                && (event.serverID.map { $0 == server.id } ?? (event.server == server.name && event.cluster == server.cluster)))
                || (event.direction != nil && DashboardUpdate.flapKey(event) == flapKey)
        }, state: state)
        lines.append([])
        let own = state.problems.filter { $0.server == server.name && $0.gid == link.gid }
        lines += problemLines(own, glyphs: g)
        return lines
    }

    /// `text` in lines at most `width` columns wide (a wide character takes two), broken at spaces; a
    /// word wider than that is cut into pieces that fit.
    static func wrapped(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = "", currentWidth = 0
        for word in text.split(separator: " ") {
            let wordWidth = displayWidth(of: String(word))
            if !current.isEmpty, currentWidth + 1 + wordWidth <= width {
                current += " " + word
                currentWidth += 1 + wordWidth
                continue
            }
            if !current.isEmpty { lines.append(current) }
            current = ""
            currentWidth = 0
            for character in word {
                let characterWidth = displayWidth(of: character)
                if currentWidth + characterWidth > width, !current.isEmpty {
                    lines.append(current)
                    current = ""
                    currentWidth = 0
                }
                current.append(character)
                currentWidth += characterWidth
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    static func graph(_ title: String, _ values: [Double], width: Int, format: (Double) -> String, glyphs: Glyphs) -> [Line] {
        guard !values.isEmpty else { return [section(title), [("  no samples yet", .dim)]] }
        let peak = values.max() ?? 0
        let last = values.last ?? 0
        var lines: [Line] = [[(title, .columnHeading), ("  now \(format(last))  peak \(format(peak))", .dim)]]
        for row in Graph.rows(values, width: width, height: 3, glyphs: glyphs) {
            lines.append([("  " + row, .sparkline)])
        }
        return lines
    }

    static func serverLines(_ server: ServerNode, model: Supercluster, state: DashboardState) -> [Line] {
        let g = state.glyphs
        var lines: [Line] = [section("Server")]
        lines.append(field("name", safe(server.name)))
        lines.append(field("id", safe(server.id ?? "unknown", 80), .dim))
        lines.append(field("cluster", safe(server.cluster)))
        lines.append(field("url", safe(server.url ?? "not polled (seen as a peer)", 100), server.url == nil ? .unknown : .normal))
        lines.append(field("version", safe(server.version ?? "-")))
        if server.insecureTLS {
            lines.append(field("endpoint TLS", "certificate NOT verified (insecure: true in the config)", .warning))
        }
        if !server.polled {
            lines.append(field("state", "not polled: add its monitoring URL to see its side", .unknown))
        } else if server.reachable {
            lines.append(field("state", "reachable", .ok))
        } else {
            lines.append(field("state", "UNREACHABLE: \(safe(server.failure?.message ?? "no answer", 200))", .critical))
        }
        for failure in server.partialFailures { lines.append(field("partial", safe(failure, 200), .warning)) }
        if let health = server.health {
            lines.append(field("/healthz", safe(health.status) + (health.error.map { ": " + safe($0, 120) } ?? ""), health.isOK ? .ok : .warning))
        }
        if let uptime = server.uptime { lines.append(field("uptime", Units.duration(uptime))) }
        if let rates = server.rates {
            lines.append(field("gateway in", "\(Units.msgRate(rates.inMsgs))  \(Units.byteRate(rates.inBytes))", .rate))
            lines.append(field("gateway out", "\(Units.msgRate(rates.outMsgs))  \(Units.byteRate(rates.outBytes))", .rate))
        }
        // What is wrong comes before the configuration: in a 50-cluster mesh that is 50 lines of remote
        // gateways, which put the problems off the first screen. With the server's own problems, the
        // split or cut pair its cluster is in: the cause of its missing gateways.
        lines.append([])
        lines += problemLines(state.problems.filter { problem in
            (problem.server == server.name && (problem.cluster == nil || problem.cluster == server.cluster))
                || isPartition(problem, of: server.cluster)
        }, glyphs: g, limit: detailProblemLimit)
        if let gateway = server.gateway {
            lines.append([])
            lines.append(section("Gateway configuration (/varz)"))
            lines.append(field("gateway name", safe(gateway.name ?? "-")))
            lines.append(field("listen", "\(safe(gateway.host ?? "-")):\(gateway.port.map(String.init) ?? "-")"))
            if let advertise = gateway.advertise, !advertise.isEmpty { lines.append(field("advertise", safe(advertise))) }
            if let clusterName = server.clusterSectionName, clusterName != gateway.name {
                lines.append(field("cluster name", safe(clusterName) + "  (differs from the gateway name)", .critical))
            }
            lines.append(field("advertise", (gateway.advertise ?? "").isEmpty ? "none (peers use the listen address or gossip)" : safe(gateway.advertise!),
                               (gateway.advertise ?? "").isEmpty ? .dim : .normal))
            lines.append(field("connect retries", gateway.connectRetries.map(String.init) ?? "default"))
            lines.append(field("reject unknown", (gateway.rejectUnknown ?? false) ? "yes: clusters not listed are refused" : "no"))
            lines.append(field("timeouts", "auth \(gateway.authTimeout.map { Units.duration($0) } ?? "-"), TLS \(gateway.tlsTimeout.map { Units.duration($0) } ?? "-")"))
            let tls = gateway.tlsRequired == true ? "required" + (gateway.tlsVerify == true ? ", peers verified" : "") : "not required"
            lines.append(field("TLS", tls, gateway.tlsRequired == true ? .normal : .dim))
            if let notAfter = gateway.tlsCertNotAfter, let now = state.model?.time {
                let days = notAfter.seconds(since: now) / 86400
                lines.append(field("certificate", "not after \(notAfter.rfc3339) (\(days < 0 ? "EXPIRED" : "in " + Units.duration(days * 86400)))",
                                   days < 2 ? .critical : days < 14 ? .warning : .normal))
            }
            lines.append([("  configured remote gateways (URLs as /varz reports them, credentials removed):", .dim)])
            for remote in gateway.gateways where remote.name != server.cluster {
                let urls = remote.urls.map { safe(CredentialRedaction.redactUserInfo($0), 80) }.joined(separator: " ")
                let implicit = server.outbound(to: remote.name)?.configured == false ? "  (connected implicitly)" : ""
                lines.append(field("→ " + safe(remote.name, 14), (urls.isEmpty ? "(no URL)" : urls) + implicit))
            }
            for link in server.outbound where link.configured == false && !gateway.gateways.contains(where: { $0.name == link.remoteCluster }) {
                lines.append(field("→ " + safe(link.remoteCluster, 14), "not configured: learned by gossip (\(safe(link.ip ?? "?")):\(link.port.map(String.init) ?? "?"))", .info))
            }
        }
        let coverage = model.outboundCoverage(for: server)
        let missing = coverage.missing
        if server.reachable {
            lines.append([])
            lines.append(section("Gateways"))
            lines.append(field("outbound", "\(coverage.up) of \(coverage.expected.count) expected", missing.isEmpty ? .ok : .critical))
            if !missing.isEmpty { lines.append(field("missing to", missing.map { safe($0) }.joined(separator: ", "), .missing)) }
            lines.append(field("inbound", "\(server.inbound.count) from " + Dictionary(grouping: server.inbound, by: \.remoteCluster)
                .map { "\(safe($0.key)) ×\($0.value.count)" }.sorted().joined(separator: ", ")))
        }
        lines.append([])
        lines += EventsView.detailLines(state.events.filter { event in
            (server.id != nil && event.serverID == server.id)
                || (event.server == server.name && (event.cluster == nil || event.cluster == server.cluster))
                || (server.url != nil && event.url == server.url)
        }, state: state)
        return lines
    }

    static func clusterLines(_ cluster: ClusterNode, model: Supercluster, state: DashboardState, problems: [Problem]) -> [Line] {
        let g = state.glyphs
        var lines: [Line] = [section("Servers")]
        if cluster.servers.isEmpty { lines.append([("  none seen: this cluster is only named in configuration", .unknown)]) }
        for server in cluster.servers {
            let state = !server.polled ? "not polled" : server.reachable ? "up" : "UNREACHABLE"
            let role: StyleRole = !server.polled ? .unknown : server.reachable ? .ok : .critical
            lines.append([("  " + safe(server.name, 24).padding(toWidth: 26), .server), (state, role),
                          ("  " + safe(server.version ?? "", 16), .dim)])
        }
        // Before the traffic, which in a 50-cluster mesh is 98 lines of cluster pairs.
        lines.append([])
        lines += problemLines(problems, glyphs: g, limit: detailProblemLimit)
        lines += partitionHints(cluster, problems: problems, model: model)
        lines.append([])
        lines.append(section("Traffic with other clusters (msgs/s sent → received)"))
        for pair in model.pairs where pair.from == cluster.name || pair.to == cluster.name {
            let rates = "\(Units.msgRate(pair.sentMsgsPerSecond)) → \(Units.msgRate(pair.receivedMsgsPerSecond))"
            let history = state.pairHistory[PairHistory.key(pair)]?.messages.values ?? []
            lines.append([("  " + "\(safe(pair.from, 16)) \(g.outbound) \(safe(pair.to, 16))".padding(toWidth: 36), .normal),
                          (rates.padding(toWidth: 24), .rate),
                          (Sparkline.render(history, width: 40, glyphs: g), .sparkline)])
        }
        return lines
    }

    /// Where to look when the cluster is cut off, cut from another, or in a split mesh: no gateway either
    /// way is the network between the data centres, not one server's configuration.
    static func partitionHints(_ cluster: ClusterNode, problems: [Problem], model: Supercluster) -> [Line] {
        let cutFrom = problems.compactMap { problem -> String? in
            guard problem.kind == .clustersCut else { return nil }
            return problem.cluster == cluster.name ? problem.remoteCluster : problem.cluster
        }
        let split = problems.contains { $0.kind == .meshSplit && isPartition($0, of: cluster.name) }
        guard !cutFrom.isEmpty || split else { return [] }
        let reachable = cluster.servers.filter(\.reachable)
        let live = Set(model.clusters.filter { $0.servers.contains(where: \.reachable) }.map(\.name))
        // The remote to try: the one it is cut from; in a split, one its servers miss that is live (so in
        // another part).
        let remote = cutFrom.first ?? reachable.lazy.flatMap { model.missingOutbound(for: $0) }.first { live.contains($0) }
        // The server that configures it, for the address it dials.
        let dialler = remote.flatMap { name in reachable.first { $0.gateway?.gateways.contains { $0.name == name } == true } }
            ?? reachable.first
        let address = remote.flatMap { name in dialler?.gateway?.gateways.first { $0.name == name }?.urls.first }
            .map { safe(CredentialRedaction.redactUserInfo($0), 80) }
        // Short enough for 80 columns: a detail line is cut, not wrapped.
        var hints = ["no gateway either way: the network between the sites, not one server"]
        if let remote {
            hints.append("from \(safe(dialler?.name ?? "a server of " + cluster.name)), can \(safe(remote))'s gateway port be reached"
                + (address.map { " (\($0))" } ?? "") + "?")
            hints.append("logs: 'Error connecting to explicit gateway \"\(safe(remote))\"' (refused, timeout)")
        } else {
            hints.append("logs of \(safe(cluster.name))'s servers: 'Error connecting to explicit gateway'")
        }
        hints.append("or 'Authorization Violation' there: the gateway credentials")
        hints.append("when: the gateway_disconnected events of that instant (e: timeline)")
        return [[], section("Where to look")] + hints.map { [("  • " + $0, .normal)] }
    }

    static func missingLines(_ server: ServerNode, remote: String, model: Supercluster, state: DashboardState) -> [Line] {
        let g = state.glyphs
        var lines: [Line] = [section("Missing outbound gateway")]
        lines.append(field("server", "\(safe(server.name)) (\(safe(server.cluster)))"))
        lines.append(field("should reach", safe(remote)))
        let configured = server.configuredRemotes.contains(remote)
        lines.append(field("configured", configured ? "yes, in this server's gateway block" : "no: expected because the cluster exists"))
        let remoteServers = model.cluster(named: remote)?.servers ?? []
        lines.append(field("servers there", remoteServers.isEmpty ? "none seen" : remoteServers.map { safe($0.name) }.joined(separator: ", "),
                           remoteServers.isEmpty ? .unknown : .normal))
        if let urls = server.gateway?.gateways.first(where: { $0.name == remote })?.urls, !urls.isEmpty {
            lines.append(field("dials", urls.map { safe(CredentialRedaction.redactUserInfo($0), 80) }.joined(separator: " ")))
        }
        lines.append([])
        lines.append(section("Where to look"))
        for hint in [
            "the log of \(safe(server.name)): 'Error connecting to explicit gateway \"\(safe(remote))\"' (refused, timeout, DNS)",
            "'Gateway Error 'Authorization Violation'': the gateway credentials of \(safe(remote)) do not match",
            "a connection that appears and vanishes every second is failing authentication or TLS",
            "reject_unknown_cluster on \(safe(remote)) refuses clusters it does not list",
        ] {
            lines.append([("  • " + hint, .normal)])
        }
        lines.append([])
        lines += problemLines(state.problems.filter { $0.server == server.name && $0.remoteCluster == remote }, glyphs: g)
        return lines
    }

}

/// A multi-row bar graph: each column a sample, each row eight levels of block glyphs.
public enum Graph {
    public static func rows(_ values: [Double], width: Int, height: Int, glyphs: Glyphs) -> [String] {
        let shown = Array(values.suffix(width))
        let peak = max(shown.max() ?? 0, 0)
        let levels = glyphs.sparkLevels.count
        var rows = Array(repeating: "", count: height)
        for value in shown {
            let units = peak > 0 ? Int((max(0, value) / peak) * Double(height * levels) + 0.5) : 0
            for row in 0..<height {
                let fromBottom = height - 1 - row
                let filled = units - fromBottom * levels
                if filled >= levels {
                    rows[row] += glyphs.sparkLevels[levels - 1]
                } else if filled > 0 {
                    rows[row] += glyphs.sparkLevels[filled - 1]
                } else {
                    rows[row] += " "
                }
            }
        }
        return rows
    }
}

extension String {
    func padding(toWidth width: Int) -> String {
        let current = displayWidth(of: self)
        return current >= width ? self + " " : self + String(repeating: " ", count: width - current)
    }
}
