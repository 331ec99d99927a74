public import Topology

/// One line of the supercluster tree.
public struct TreeRow: Sendable {
    public enum Kind: Sendable {
        case cluster(ClusterNode)
        case server(ServerNode)
        case connection(ServerNode, GatewayLink)
        /// An outbound gateway the server should have and does not.
        case missing(ServerNode, remoteCluster: String)
    }

    public var id: RowID
    public var kind: Kind
    public var depth: Int
    public var health: Health
    /// For tree guides: whether this row and each ancestor is the last of its siblings.
    public var isLast: Bool
    public var ancestorIsLast: [Bool]
    public var hasChildren: Bool
    public var isExpanded: Bool
}

/// Problems indexed by what they concern, so each row finds its own in O(1) (a broken mesh at scale
/// has thousands of problems and tens of thousands of rows).
public struct ProblemIndex: Sendable {
    private var byConnection: [String: [Problem]] = [:]
    private var byMissing: [String: [Problem]] = [:]
    private var byServer: [String: [Problem]] = [:]
    private var serverless: [Problem] = []
    private var byCluster: [String: [Problem]] = [:]

    public init(_ problems: [Problem]) {
        for problem in problems {
            if let server = problem.server {
                if let gid = problem.gid { byConnection[server + "\u{0}" + String(gid), default: []].append(problem) }
                if problem.kind == .missingOutbound, let remote = problem.remoteCluster {
                    byMissing[server + "\u{0}" + remote, default: []].append(problem)
                }
                byServer[server, default: []].append(problem)
            }
            if let cluster = problem.cluster { byCluster[cluster, default: []].append(problem) }
        }
    }

    public func forConnection(server: String, gid: UInt64) -> [Problem] { byConnection[server + "\u{0}" + String(gid)] ?? [] }

    public func forMissing(server: String, remoteCluster: String) -> [Problem] { byMissing[server + "\u{0}" + remoteCluster] ?? [] }

    public func forServer(_ server: ServerNode) -> [Problem] {
        (byServer[server.name] ?? []).filter { $0.cluster == nil || $0.cluster == server.cluster }
    }

    public func forCluster(_ name: String) -> [Problem] { byCluster[name] ?? [] }

    public static func worst(_ problems: [Problem]) -> Health? {
        problems.map { Health($0.severity) }.max()
    }
}

public func serverKey(_ server: ServerNode) -> String {
    server.id ?? server.url ?? "name:" + server.name
}

public enum TreeRowBuilder {
    /// Flattens the model into visible rows: collapsed nodes hide their children, the filter keeps
    /// matches with their ancestors (and a matching node's descendants), connections follow `sort`.
    public static func rows(
        model: Supercluster, problems: [Problem], collapsed: Set<RowID>, filter: String, sort: SortKey
    ) -> [TreeRow] {
        let index = ProblemIndex(problems)
        let needle = filter.lowercased()
        var rows: [TreeRow] = []
        let clusters = model.clusters
        for (clusterIndex, cluster) in clusters.enumerated() {
            let clusterID = RowID.cluster(cluster.name)
            let clusterMatches = needle.isEmpty || cluster.name.lowercased().contains(needle)
            var serverRows: [[TreeRow]] = []
            var clusterHealth = ProblemIndex.worst(index.forCluster(cluster.name).filter { $0.severity != .info })
                ?? (cluster.servers.isEmpty ? .unknown : .ok)
            for server in cluster.servers {
                let key = serverKey(server)
                let serverID = RowID.server(cluster: cluster.name, key: key)
                let serverMatches = clusterMatches || server.name.lowercased().contains(needle)
                    || (server.id?.lowercased().contains(needle) ?? false)
                var children: [(RowID, TreeRow.Kind, Health)] = []
                var links = server.outbound.map { ($0, false) }
                links += model.missingOutbound(for: server).map { remote in
                    (GatewayLink.placeholder(remoteCluster: remote), true)
                }
                links += server.inbound.map { ($0, false) }
                for (link, isMissing) in sorted(links, by: sort) {
                    if isMissing {
                        let id = RowID.missing(serverKey: key, remoteCluster: link.remoteCluster)
                        let matches = serverMatches || link.remoteCluster.lowercased().contains(needle) || "missing".contains(needle)
                        if matches { children.append((id, .missing(server, remoteCluster: link.remoteCluster), .critical)) }
                    } else {
                        let id = RowID.connection(serverKey: key, direction: link.direction, remoteCluster: link.remoteCluster, gid: link.gid)
                        let matches = serverMatches || connectionMatches(link, needle)
                        let health = ProblemIndex.worst(index.forConnection(server: server.name, gid: link.gid)) ?? .ok
                        if matches { children.append((id, .connection(server, link), health)) }
                    }
                }
                guard serverMatches || !children.isEmpty else { continue }
                var serverHealth: Health
                if !server.polled {
                    serverHealth = .unknown
                } else if !server.reachable {
                    serverHealth = .critical
                } else {
                    // Info findings belong to the connection they describe, not to the whole server.
                    serverHealth = ProblemIndex.worst(index.forServer(server).filter { $0.severity != .info }) ?? .ok
                }
                // A server is as bad as its worst connection.
                serverHealth = max(serverHealth, children.map(\.2).filter { $0 != .info }.max() ?? .ok)
                clusterHealth = max(clusterHealth, serverHealth == .info ? .ok : serverHealth)
                let expanded = !collapsed.contains(serverID) || !needle.isEmpty
                var group = [TreeRow(
                    id: serverID, kind: .server(server), depth: 1, health: serverHealth, isLast: false, ancestorIsLast: [],
                    hasChildren: !children.isEmpty, isExpanded: expanded)]
                if expanded {
                    for (childIndex, child) in children.enumerated() {
                        group.append(TreeRow(
                            id: child.0, kind: child.1, depth: 2, health: child.2, isLast: childIndex == children.count - 1,
                            ancestorIsLast: [], hasChildren: false, isExpanded: false))
                    }
                }
                serverRows.append(group)
            }
            guard clusterMatches || !serverRows.isEmpty else { continue }
            let expanded = !collapsed.contains(clusterID) || !needle.isEmpty
            rows.append(TreeRow(
                id: clusterID, kind: .cluster(cluster), depth: 0, health: clusterHealth, isLast: clusterIndex == clusters.count - 1,
                ancestorIsLast: [], hasChildren: !serverRows.isEmpty, isExpanded: expanded))
            guard expanded else { continue }
            for (serverIndex, group) in serverRows.enumerated() {
                let lastServer = serverIndex == serverRows.count - 1
                for (offset, var row) in group.enumerated() {
                    if offset == 0 {
                        row.isLast = lastServer
                    } else {
                        row.ancestorIsLast = [lastServer]
                    }
                    rows.append(row)
                }
            }
        }
        return rows
    }

    static func connectionMatches(_ link: GatewayLink, _ needle: String) -> Bool {
        link.remoteCluster.lowercased().contains(needle) || link.logToken.contains(needle) || "\(link.gid)" == needle
            || (link.remoteServerName?.lowercased().contains(needle) ?? false)
            || (link.remoteServerID?.lowercased().contains(needle) ?? false)
    }

    /// Outbound (with missing ones in place) before inbound; within each, the chosen order.
    static func sorted(_ links: [(GatewayLink, Bool)], by sort: SortKey) -> [(GatewayLink, Bool)] {
        func total(_ link: GatewayLink) -> Double { (link.rates?.inMsgs ?? 0) + (link.rates?.outMsgs ?? 0) }
        return links.enumerated().sorted { a, b in
            let (left, right) = (a.element.0, b.element.0)
            if left.direction != right.direction { return left.direction == .outbound }
            let byName = (left.remoteCluster, left.remoteServerName ?? left.remoteServerID ?? "", left.gid)
                < (right.remoteCluster, right.remoteServerName ?? right.remoteServerID ?? "", right.gid)
            switch sort {
            case .name: return byName
            case .rate: return total(left) != total(right) ? total(left) > total(right) : byName
            case .rtt: return (left.rtt ?? -1) != (right.rtt ?? -1) ? (left.rtt ?? -1) > (right.rtt ?? -1) : byName
            case .pending: return left.pendingBytes != right.pendingBytes ? left.pendingBytes > right.pendingBytes : byName
            case .uptime:
                let (l, r) = (left.uptime ?? .infinity, right.uptime ?? .infinity)
                return l != r ? l < r : byName
            }
        }.map(\.element)
    }
}

extension GatewayLink {
    /// Stands in for a missing outbound while sorting; never shown as a connection.
    static func placeholder(remoteCluster: String) -> GatewayLink {
        GatewayLink(direction: .outbound, remoteCluster: remoteCluster, info: .init(cid: 0), configured: nil, accounts: [])
    }
}
