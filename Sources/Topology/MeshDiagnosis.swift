/// The gateway mesh health check: a pure function of the current model, the previous one and thresholds.
public enum MeshDiagnosis {
    public static func diagnose(
        _ current: Supercluster, previous: Supercluster?, thresholds: DiagnosisThresholds = DiagnosisThresholds()
    ) -> [Problem] {
        let context = Context(current: current, previous: previous, thresholds: thresholds)
        // The checks are independent of each other, and the result is sorted: they run side by side.
        let checks: [@Sendable (Context) -> [Problem]] = [
            endpointProblems, partitions, missingLinks, asymmetricLinks, reconnects, connectionHealth, duplicateNames,
            { ConfigAudit.audit($0) },
        ]
        return Parallel.map(checks, minimumItems: 2) { $0(context) }.joined().sorted(by: problemOrder)
    }

    /// What every check reads: the poll, the one before it, and indexes of both made once.
    struct Context: Sendable {
        let current: Supercluster
        let thresholds: DiagnosisThresholds
        let servers: [ServerNode]
        let reachable: [ServerNode]
        let positionByID: [String: Int]
        let previousByID: [String: ServerNode]
        /// Each reachable server's connections' remote servers, as positions in `servers` (nil: not
        /// among them), by server position and connection index. Found once here for every check that
        /// follows a connection to its far end: where the builder noted it (`remoteServerPosition`), else
        /// by hashing the 56-character id.
        let outboundRemotes: [[Int?]]
        let inboundRemotes: [[Int?]]
        /// Cluster names as positions (the model's clusters first, in order, then its servers' and their
        /// connections' other names), and each reachable server's connections' remote clusters as such
        /// positions, by server position and connection index: the checks that gather connections by
        /// cluster index arrays with them instead of hashing a name for each connection.
        let clusters: NamePositions
        let outboundClusters: [[Int]]
        let inboundClusters: [[Int]]
        /// Where each of the model's clusters' servers start in `servers`.
        let firstServerPositions: [Int]

        init(current: Supercluster, previous: Supercluster?, thresholds: DiagnosisThresholds) {
            self.current = current
            self.thresholds = thresholds
            let servers = current.servers
            self.servers = servers
            reachable = servers.filter(\.reachable)
            let positionByID = servers.positionsByID()
            self.positionByID = positionByID
            previousByID = Dictionary(
                (previous?.servers ?? []).compactMap { s in s.id.map { ($0, s) } }, uniquingKeysWith: { a, _ in a })
            // The builder's positions are taken where the server there has the id: when no id is listed
            // twice, that is the position a lookup would give, found with one comparison instead of hashing
            // the id (a third of the diagnosis before).
            let hintsHold = positionByID.count == servers.indices.reduce(0) { $0 + (servers[$1].id == nil ? 0 : 1) }
            @Sendable func remotePositions(_ links: [GatewayLink]) -> [Int?] {
                links.indices.map { index in
                    guard let id = links[index].remoteServerID else { return nil }
                    if hintsHold, let hint = links[index].remoteServerPosition.value, servers.indices.contains(hint), servers[hint].id == id {
                        return hint
                    }
                    return positionByID[id]
                }
            }
            let remotes = Parallel.map(Array(servers.indices)) { position -> (outbound: [Int?], inbound: [Int?]) in
                guard servers[position].reachable else { return ([], []) }
                return (remotePositions(servers[position].outbound), remotePositions(servers[position].inbound))
            }
            outboundRemotes = remotes.map(\.outbound)
            inboundRemotes = remotes.map(\.inbound)

            var clusters = NamePositions()
            var firstServerPositions: [Int] = []
            var position = 0
            for cluster in current.clusters {
                _ = clusters.position(of: cluster.name)
                firstServerPositions.append(position)
                position += cluster.servers.count
            }
            var outboundClusters = [[Int]](repeating: [], count: servers.count)
            var inboundClusters = [[Int]](repeating: [], count: servers.count)
            var outboundHints: [Int] = [], inboundHints: [Int] = []
            for position in servers.indices {
                _ = clusters.position(of: servers[position].cluster)
                guard servers[position].reachable else { continue }
                let outbound = servers[position].outbound, inbound = servers[position].inbound
                outboundClusters[position] = outbound.indices.map { clusters.position(of: outbound[$0].remoteCluster, at: $0, hints: &outboundHints) }
                inboundClusters[position] = inbound.indices.map { clusters.position(of: inbound[$0].remoteCluster, at: $0, hints: &inboundHints) }
            }
            self.clusters = clusters
            self.outboundClusters = outboundClusters
            self.inboundClusters = inboundClusters
            self.firstServerPositions = firstServerPositions
        }
    }

    static func label(_ server: ServerNode) -> String { "\(server.name) (\(server.cluster))" }

    static func remoteLabel(_ link: GatewayLink) -> String {
        (link.remoteServerName ?? link.remoteServerID.map { "server \($0)" } ?? "an unknown server") + " (\(link.remoteCluster))"
    }

    /// Endpoints that do not answer, or answer unhealthy or without a gateway.
    static func endpointProblems(_ context: Context) -> [Problem] {
        var problems: [Problem] = []
        let servers = context.servers
        let reachable = context.reachable
        for server in servers where server.polled && !server.reachable {
            let reason = server.failure?.message ?? "no answer"
            if server.failure?.reason == .silent {
                problems.append(Problem(
                    .critical, .serverSilent, cluster: server.cluster, server: server.name, url: server.url,
                    message: "\(label(server)) is \(reason)"))
                continue
            }
            problems.append(Problem(
                .critical, .endpointUnreachable, cluster: server.cluster, server: server.name, url: server.url,
                message: "\(server.url ?? server.name) unreachable: \(reason)"))
        }
        for server in reachable {
            if let health = server.health, !health.isOK {
                let detail = health.error.map { ": \($0)" } ?? ""
                problems.append(Problem(
                    .warning, .endpointUnhealthy, cluster: server.cluster, server: server.name, url: server.url,
                    message: "\(label(server)) /healthz says \(health.status)\(detail)"))
            }
            if server.gateway?.name == nil && server.outbound.isEmpty && server.inbound.isEmpty
                && server.configuredRemotes.isEmpty
            {
                problems.append(Problem(
                    .info, .gatewayNotConfigured, cluster: server.cluster, server: server.name, url: server.url,
                    message: "\(label(server)) has no gateway configured"))
            }
        }
        return problems
    }

    /// Outbound gateways a server should have and has not; inbound ones a cluster should hold and does not.
    static func missingLinks(_ context: Context) -> [Problem] {
        var problems: [Problem] = []
        let current = context.current
        let reachable = context.reachable
        let thresholds = context.thresholds
        // Missing outbound: every reachable gateway server dials every other known cluster.
        let clustersWithServers = Set(current.clusters.filter { !$0.servers.isEmpty }.map(\.name))
        for server in reachable {
            for remote in current.missingOutbound(for: server, grace: thresholds.asymmetryGraceSeconds) {
                var reasons: [String] = []
                if let unconfirmed = server.outbound(to: remote) {
                    reasons.append("\(unconfirmed.logToken) just opened, no PONG yet")
                }
                if server.connectingTo.contains(remote) { reasons.append("still connecting") }
                if server.configuredRemotes.contains(remote) { reasons.append("configured") }
                if !clustersWithServers.contains(remote) { reasons.append("no server of \(remote) seen") }
                let suffix = reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")"
                problems.append(Problem(
                    .critical, .missingOutbound, cluster: server.cluster, server: server.name, remoteCluster: remote,
                    url: server.url, message: "\(label(server)) has no outbound gateway to \(remote)\(suffix)"))
            }
        }

        // Missing inbound: cluster X should hold one inbound from every live server of cluster Y.
        // Each cluster's live servers are counted once, by index (filtering copied every server, for
        // every pair of clusters).
        let liveServers = current.clusters.map { cluster in
            cluster.servers.indices.reduce(0) { $0 + (cluster.servers[$1].reachable || !cluster.servers[$1].polled ? 1 : 0) }
        }
        // One table of counts for every cluster, emptied again after each: clusters can be named by the
        // thousand, and a table made for each cluster would grow with their square.
        var inboundCounts = [Int](repeating: 0, count: context.clusters.count)
        for (clusterIndex, cluster) in current.clusters.enumerated() where !cluster.isUnknownBucket && !cluster.servers.isEmpty {
            // Only countable when every server of X answered.
            guard cluster.servers.indices.allSatisfy({ cluster.servers[$0].reachable }) else { continue }
            let first = context.firstServerPositions[clusterIndex]
            let members = first..<(first + cluster.servers.count)
            for position in members {
                for remoteCluster in context.inboundClusters[position] { inboundCounts[remoteCluster] += 1 }
            }
            defer {
                for position in members {
                    for remoteCluster in context.inboundClusters[position] { inboundCounts[remoteCluster] = 0 }
                }
            }
            for (otherIndex, other) in current.clusters.enumerated() where other.name != cluster.name && !other.isUnknownBucket {
                let live = liveServers[otherIndex]
                let held = context.clusters.existingPosition(of: other.name).map { inboundCounts[$0] } ?? 0
                guard held < live else { continue }
                problems.append(Problem(
                    .warning, .missingInbound, cluster: cluster.name, remoteCluster: other.name,
                    message: "\(cluster.name) holds \(held) inbound gateway\(held == 1 ? "" : "s") from \(other.name), "
                        + "expected \(live) (one per \(other.name) server)"))
            }
        }
        return problems
    }

    /// Clusters with no gateway between them either way: the cause behind a page of missing_outbound
    /// and missing_inbound (at 250 servers a cluster cut off is 490 of them), said once and listed first.
    /// Parts of the supercluster no gateway joins are a `mesh_split` (a cluster cut off from all the
    /// others is one); two clusters cut apart within a part are `clusters_cut`. Only clusters some server
    /// of which answered count, and only pairs some server of either expects to link.
    static func partitions(_ context: Context) -> [Problem] {
        let current = context.current
        let liveIndices = current.clusters.indices.filter { index in
            !current.clusters[index].isUnknownBucket && current.clusters[index].servers.contains { $0.reachable }
        }
        let live = liveIndices.map { current.clusters[$0] }
        guard live.count >= 2 else { return [] }
        // Each cluster name's place among the live clusters (by its position in the context; -1: not live).
        var livePosition = [Int](repeating: -1, count: context.clusters.count)
        for (index, cluster) in live.enumerated() {
            if let name = context.clusters.existingPosition(of: cluster.name), livePosition[name] < 0 { livePosition[name] = index }
        }
        var names = context.clusters  // a name not met yet gets a position past `livePosition`: not live
        var expectedHints: [Int] = []
        let count = live.count
        var linked = [Bool](repeating: false, count: count * count)
        var expected = [Bool](repeating: false, count: count * count)
        for (a, clusterIndex) in liveIndices.enumerated() {
            let cluster = current.clusters[clusterIndex]
            for (offset, server) in cluster.servers.enumerated() where server.reachable {
                let serverPosition = context.firstServerPositions[clusterIndex] + offset
                for (links, remoteClusters) in [(server.outbound, context.outboundClusters[serverPosition]),
                                                (server.inbound, context.inboundClusters[serverPosition])] {
                    // A connection that never answered a PING is no link (as missing_outbound counts it).
                    for index in links.indices where !links[index].isUnconfirmed(grace: context.thresholds.asymmetryGraceSeconds) {
                        let b = livePosition[remoteClusters[index]]
                        guard b >= 0, b != a else { continue }
                        linked[a * count + b] = true
                        linked[b * count + a] = true
                    }
                }
                for (index, remote) in current.expectedRemotes(for: server).enumerated() {
                    let name = names.position(of: remote, at: index, hints: &expectedHints)
                    let b = name < livePosition.count ? livePosition[name] : -1
                    guard b >= 0, b != a else { continue }
                    expected[a * count + b] = true
                    expected[b * count + a] = true
                }
            }
        }
        func isCut(_ a: Int, _ b: Int) -> Bool { expected[a * count + b] && !linked[a * count + b] }
        // Parts: clusters joined by a link, or by not being expected to have one (not a failure).
        var part = Array(0..<count)
        func root(_ a: Int) -> Int {
            var a = a
            while part[a] != a {
                part[a] = part[part[a]]
                a = part[a]
            }
            return a
        }
        for a in 0..<count {
            for b in (a + 1)..<count where !isCut(a, b) { part[root(a)] = root(b) }
        }
        var members: [Int: [String]] = [:]
        for index in 0..<count { members[root(index), default: []].append(live[index].name) }
        let parts: [[String]] = members.values.map { $0.sorted() }.sorted { left, right in
            left.count != right.count ? left.count < right.count : left[0] < right[0]
        }
        func reachableCount(_ index: Int) -> Int { live[index].servers.reduce(0) { $0 + ($1.reachable ? 1 : 0) } }
        func servers(_ n: Int) -> String { n == 1 ? "1 server" : "\(n) servers" }
        var problems: [Problem] = []
        // Two clusters with nothing between them are a cut pair, whatever else there is (none).
        let pairOnly = count == 2
        if parts.count > 1 && !pairOnly {
            if parts.count == 2, parts[0].count == 1, let alone = live.firstIndex(where: { $0.name == parts[0][0] }) {
                problems.append(Problem(
                    .critical, .meshSplit, cluster: live[alone].name,
                    message: "\(live[alone].name) is cut off: no gateway to or from any of the other \(count - 1) clusters, "
                        + "though its \(servers(reachableCount(alone))) answer\(reachableCount(alone) == 1 ? "s" : "")"))
            } else {
                problems.append(Problem(
                    .critical, .meshSplit,
                    message: "the supercluster is split in \(parts.count) parts with no gateway between them: "
                        + parts.map(partName).joined(separator: " | ")))
            }
        }
        for a in 0..<count {
            for b in (a + 1)..<count where isCut(a, b) && (root(a) == root(b) || pairOnly) {
                let (x, y) = live[a].name < live[b].name ? (a, b) : (b, a)
                problems.append(Problem(
                    .critical, .clustersCut, cluster: live[x].name, remoteCluster: live[y].name,
                    message: "no gateway between \(live[x].name) and \(live[y].name), either way: none of \(live[x].name)'s "
                        + "\(servers(reachableCount(x))) reaches \(live[y].name), none of \(live[y].name)'s \(servers(reachableCount(y))) "
                        + "reaches \(live[x].name)"))
            }
        }
        return problems
    }

    /// A part of a split supercluster, named: all its clusters when few, else the first and how many.
    static func partName(_ names: [String]) -> String {
        names.count <= 4 ? names.joined(separator: ", ") : names.prefix(3).joined(separator: ", ") + " and \(names.count - 3) more"
    }

    /// Both ends polled, only one side has the connection.
    static func asymmetricLinks(_ context: Context) -> [Problem] {
        var problems: [Problem] = []
        let servers = context.servers
        let positionByID = context.positionByID
        let thresholds = context.thresholds
        // Each connection's remote server is a position in `servers` (its id's first, looked up once in
        // the context), and each server's inbound dialers and outbound targets are indexed by those
        // positions: a mesh of 25,000 connections is checked in one pass.
        let outboundRemotes = context.outboundRemotes
        let inboundRemotes = context.inboundRemotes
        var dialers = [Set<Int>](repeating: [], count: servers.count)
        // Each server's first outbound to each cluster (by the cluster's position): the position of the
        // server it reaches, `elsewhere` when that is none of `servers`, `none` without one.
        // Only the clusters servers are in are asked about (a server's own), so each is given a small
        // index of its own: a server may name any number of other clusters, and each server's table must
        // not grow with them.
        let none = -2, elsewhere = -1
        var ownClusterIndex = [Int](repeating: -1, count: context.clusters.count)
        var ownClusters = 0
        for position in servers.indices {
            guard let cluster = context.clusters.existingPosition(of: servers[position].cluster), ownClusterIndex[cluster] < 0 else { continue }
            ownClusterIndex[cluster] = ownClusters
            ownClusters += 1
        }
        var targets = [[Int]](repeating: [], count: servers.count)
        for position in servers.indices where servers[position].reachable && servers[position].id != nil {
            dialers[position] = Set(inboundRemotes[position].compactMap { $0 })
            var targeting = [Int](repeating: none, count: ownClusters)
            for (index, cluster) in context.outboundClusters[position].enumerated() {
                let own = ownClusterIndex[cluster]
                if own >= 0, targeting[own] == none { targeting[own] = outboundRemotes[position][index] ?? elsewhere }
            }
            targets[position] = targeting
        }
        func target(of dialer: Int, in cluster: Int?) -> Int {
            guard let cluster, ownClusterIndex[cluster] >= 0, !targets[dialer].isEmpty else { return none }
            return targets[dialer][ownClusterIndex[cluster]]
        }
        for position in servers.indices where servers[position].reachable {
            let server = servers[position]
            // The server as its id finds it (the first of a duplicated id), as every id lookup does.
            guard let serverID = server.id, let me = positionByID[serverID] else { continue }
            let myCluster = context.clusters.existingPosition(of: server.cluster)
            // Copied only when there is something to say (as below): most connections are fine.
            for index in server.outbound.indices {
                guard let remote = outboundRemotes[position][index], servers[remote].reachable,
                    (server.outbound[index].uptime ?? .infinity) >= thresholds.asymmetryGraceSeconds
                else { continue }
                if !dialers[remote].contains(me) {
                    let link = server.outbound[index]
                    problems.append(Problem(
                        .warning, .asymmetricLink, cluster: server.cluster, server: server.name,
                        remoteCluster: link.remoteCluster, url: server.url, gid: link.gid,
                        message: "\(label(server)) has outbound \(link.logToken) to \(remoteLabel(link)), "
                            + "but \(servers[remote].name) lists no inbound from \(server.name)"))
                }
            }
            for index in server.inbound.indices {
                guard let remote = inboundRemotes[position][index], servers[remote].reachable,
                    (server.inbound[index].uptime ?? .infinity) >= thresholds.asymmetryGraceSeconds
                else { continue }
                if target(of: remote, in: myCluster) != me {
                    let link = server.inbound[index]
                    problems.append(Problem(
                        .warning, .asymmetricLink, cluster: server.cluster, server: server.name,
                        remoteCluster: link.remoteCluster, url: server.url, gid: link.gid,
                        message: "\(label(server)) holds inbound \(link.logToken) from \(remoteLabel(link)), "
                            + "but \(servers[remote].name) has no outbound to \(server.name) (half-open?)"))
                }
            }
        }
        return problems
    }

    /// The same server and remote cluster, a new gid since the previous poll.
    static func reconnects(_ context: Context) -> [Problem] {
        var problems: [Problem] = []
        let previousByID = context.previousByID
        for position in context.servers.indices where context.servers[position].reachable {
            let server = context.servers[position]
            guard let id = server.id, let before = previousByID[id], before.reachable else { continue }
            // Gids only: nothing else of the previous links is needed, and they need not be copied.
            let previousGids = Dictionary(before.outbound.map { ($0.remoteCluster, $0.gid) }, uniquingKeysWith: { a, _ in a })
            for index in server.outbound.indices {
                guard let oldGid = previousGids[server.outbound[index].remoteCluster], oldGid != server.outbound[index].gid else { continue }
                let link = server.outbound[index]
                problems.append(Problem(
                    .warning, .gatewayReconnected, cluster: server.cluster, server: server.name,
                    remoteCluster: link.remoteCluster, url: server.url, gid: link.gid,
                    message: "\(label(server)) outbound to \(link.remoteCluster) reconnected: "
                        + "gid:\(oldGid) replaced by \(link.logToken)"))
            }
            // Inbound reconnects are reported here only when the dialling side cannot report them itself.
            for index in server.inbound.indices {
                guard let remoteID = server.inbound[index].remoteServerID,
                    !(context.inboundRemotes[position][index].map { context.servers[$0].reachable } ?? false),
                    let old = before.inbound.first(where: { $0.remoteServerID == remoteID }), old.gid != server.inbound[index].gid
                else { continue }
                let link = server.inbound[index]
                problems.append(Problem(
                    .warning, .gatewayReconnected, cluster: server.cluster, server: server.name,
                    remoteCluster: link.remoteCluster, url: server.url, gid: link.gid,
                    message: "\(label(server)) inbound from \(remoteLabel(link)) reconnected: "
                        + "\(old.logToken) replaced by \(link.logToken)"))
            }
        }
        return problems
    }

    /// Slow, high-RTT, stale and learned connections.
    static func connectionHealth(_ context: Context) -> [Problem] {
        var problems: [Problem] = []
        let reachable = context.reachable
        let thresholds = context.thresholds
        for server in reachable {
            for links in [server.outbound, server.inbound] {
                for index in links.indices where links[index].hasHealthFinding(thresholds) {
                    let link = links[index]
                    var subject: String {
                        let direction = link.direction == .outbound ? "outbound \(link.logToken) to" : "inbound \(link.logToken) from"
                        return "\(label(server)) \(direction) \(remoteLabel(link))"
                    }
                    func add(_ severity: Severity, _ kind: ProblemKind, _ message: String) {
                        problems.append(Problem(
                            severity, kind, cluster: server.cluster, server: server.name, remoteCluster: link.remoteCluster,
                            url: server.url, gid: link.gid, message: message))
                    }
                    if link.pendingBytes > thresholds.slowPendingBytes {
                        add(.warning, .slowGateway, "\(subject) has \(Units.bytes(Double(link.pendingBytes))) pending")
                    }
                    if let rtt = link.rtt, rtt > thresholds.highRTTSeconds {
                        add(.warning, .highRTT, "\(subject) RTT \(Units.duration(rtt))")
                    }
                    if let idle = link.idle, idle > thresholds.staleIdleSeconds {
                        add(.warning, .staleGateway, "\(subject) idle for \(Units.duration(idle))")
                    }
                    if link.isLearnedOutbound {
                        add(.info, .implicitGateway, "\(subject) was learned by gossip, not configured")
                    }
                }
            }
        }
        return problems
    }

    /// One name, several server ids.
    static func duplicateNames(_ context: Context) -> [Problem] {
        var problems: [Problem] = []
        let servers = context.servers
        let named = servers.filter { $0.id != nil && $0.name != $0.id }
        for (name, group) in Dictionary(grouping: named, by: \.name) {
            let ids = Set(group.compactMap(\.id))
            guard ids.count > 1 else { continue }
            let clusters = Set(group.map(\.cluster)).sorted().joined(separator: ", ")
            problems.append(Problem(
                .critical, .duplicateServerName, cluster: group.first?.cluster, server: name,
                message: "server name \(name) is used by \(ids.count) servers (ids \(ids.sorted().joined(separator: ", "))) in \(clusters)"))
        }
        return problems
    }

    static func problemOrder(_ a: Problem, _ b: Problem) -> Bool {
        if a.severity != b.severity { return a.severity < b.severity }
        // A split, then the cut pairs: they explain the per-server problems that follow from them.
        func rank(_ kind: ProblemKind) -> Int { kind == .meshSplit ? 0 : kind == .clustersCut ? 1 : 2 }
        if rank(a.kind) != rank(b.kind) { return rank(a.kind) < rank(b.kind) }
        // Then by place, names in the tree's order (s2 before s10).
        if let order = NaturalOrder.order(a.cluster ?? "", b.cluster ?? "") { return order }
        if let order = NaturalOrder.order(a.server ?? "", b.server ?? "") { return order }
        if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
        if let order = NaturalOrder.order(a.remoteCluster ?? "", b.remoteCluster ?? "") { return order }
        if (a.gid ?? 0) != (b.gid ?? 0) { return (a.gid ?? 0) < (b.gid ?? 0) }
        return a.message < b.message
    }
}

extension GatewayLink {
    /// Whether the connection has anything for the per-connection checks to say: most of 25,000 have
    /// not, and are then neither copied nor worded (inlined, so the check reads four fields in place
    /// instead of copying the link).
    @inline(__always)
    func hasHealthFinding(_ thresholds: DiagnosisThresholds) -> Bool {
        pendingBytes > thresholds.slowPendingBytes || (rtt ?? 0) > thresholds.highRTTSeconds
            || (idle ?? 0) > thresholds.staleIdleSeconds || isLearnedOutbound
    }

    /// An outbound learned by gossip, not configured. Matched by pattern: comparing `direction` with
    /// `==` went through the enum's Equatable witness, for which the compiler made (and dropped) a full
    /// copy of the link, retaining all its strings, for every connection checked.
    @inline(__always)
    var isLearnedOutbound: Bool {
        guard case false? = configured, case .outbound = direction else { return false }
        return true
    }
}
