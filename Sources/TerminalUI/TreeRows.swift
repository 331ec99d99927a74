public import Topology

/// One line of the supercluster tree. It points into the model by index instead of holding copies,
/// so building 25,000 rows costs no copies of connections; `kind(in:)` resolves a row when it is drawn.
public struct TreeRow: Sendable {
    public enum Kind: Sendable {
        case cluster(ClusterNode)
        case server(ServerNode)
        case connection(ServerNode, GatewayLink)
        /// An outbound gateway the server should have and does not.
        case missing(ServerNode, remoteCluster: String)
    }

    /// Where the row's subject is in the model it was built from.
    public enum Ref: Sendable {
        case cluster(Int)
        case server(Int, Int)
        case connection(Int, Int, GatewayDirection, Int)
        case missing(Int, Int, remoteCluster: String)
    }

    public var id: RowID
    public var ref: Ref
    public var depth: Int
    public var health: Health
    /// For tree guides: whether this row and each ancestor is the last of its siblings.
    public var isLast: Bool
    public var ancestorIsLast: [Bool]
    public var hasChildren: Bool
    public var isExpanded: Bool

    /// The row's subject in `model`, which must be the model the rows were built from.
    public func kind(in model: Supercluster) -> Kind {
        switch ref {
        case .cluster(let c): return .cluster(model.clusters[c])
        case .server(let c, let s): return .server(model.clusters[c].servers[s])
        case .connection(let c, let s, let direction, let i):
            let server = model.clusters[c].servers[s]
            return .connection(server, direction == .outbound ? server.outbound[i] : server.inbound[i])
        case .missing(let c, let s, let remote): return .missing(model.clusters[c].servers[s], remoteCluster: remote)
        }
    }
}

/// Problems indexed by what they concern, so each row finds its own in O(1) (a broken mesh at scale
/// has thousands of problems and tens of thousands of rows).
public struct ProblemIndex: Sendable {
    private struct ConnectionKey: Hashable {
        var server: String
        var gid: UInt64
    }

    private var byConnection: [ConnectionKey: [Problem]] = [:]
    private var byMissing: [String: [Problem]] = [:]
    private var byServer: [String: [Problem]] = [:]
    private var serverless: [Problem] = []
    private var byCluster: [String: [Problem]] = [:]

    public init(_ problems: [Problem]) {
        for problem in problems {
            if let server = problem.server {
                if let gid = problem.gid { byConnection[ConnectionKey(server: server, gid: gid), default: []].append(problem) }
                if problem.kind == .missingOutbound, let remote = problem.remoteCluster {
                    byMissing[server + "\u{0}" + remote, default: []].append(problem)
                }
                byServer[server, default: []].append(problem)
            }
            if let cluster = problem.cluster { byCluster[cluster, default: []].append(problem) }
        }
    }

    /// Asked for every one of 25,000 rows: a healthy mesh answers without hashing anything.
    public func forConnection(server: String, gid: UInt64) -> [Problem] {
        guard !byConnection.isEmpty else { return [] }
        return byConnection[ConnectionKey(server: server, gid: gid)] ?? []
    }

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
        model: Supercluster, problems: [Problem], expansion: TreeExpansion, filter: String, sort: SortKey
    ) -> [TreeRow] {
        let collapsed = expansion.collapsed
        let index = ProblemIndex(problems)
        let needle = filter.lowercased()
        // Each cluster's rows (its own, then its servers' and their connections'), so that a sort by
        // health can put whole clusters in order.
        var clusterBlocks: [[TreeRow]] = []
        clusterBlocks.reserveCapacity(model.clusters.count)
        let clusters = model.clusters
        for (clusterIndex, cluster) in clusters.enumerated() {
            let clusterID = RowID.cluster(cluster.name)
            let clusterMatches = needle.isEmpty || cluster.name.lowercased().contains(needle)
            var serverRows: [[TreeRow]] = []
            var clusterHealth = ProblemIndex.worst(index.forCluster(cluster.name).filter { $0.severity != .info })
                ?? (cluster.servers.isEmpty ? .unknown : .ok)
            for (serverIndex, server) in cluster.servers.enumerated() {
                let key = serverKey(server)
                let serverID = RowID.server(cluster: cluster.name, key: key)
                let serverMatches = clusterMatches || server.name.lowercased().contains(needle)
                    || (server.id?.lowercased().contains(needle) ?? false)
                let expanded = expansion.isOpen(server, id: serverID) || !needle.isEmpty
                var children: [(RowID, TreeRow.Ref, Health)] = []
                // Of the children, a closed server shows only that it has some and how bad the worst is
                // (with no filter every child matches): they are not put in order, which at 250 servers,
                // every one closed, sorted 25,000 connections a poll for nothing.
                var hasChildren = false
                var worstChild = Health.ok
                let missing = model.missingOutbound(for: server)
                if !expanded {
                    hasChildren = !missing.isEmpty || !server.outbound.isEmpty || !server.inbound.isEmpty
                    if !missing.isEmpty { worstChild = .critical }
                    for links in [server.outbound, server.inbound] where worstChild != .critical {
                        for position in links.indices {
                            let health = ProblemIndex.worst(index.forConnection(server: server.name, gid: links[position].gid)) ?? .ok
                            if health != .info { worstChild = max(worstChild, health) }
                        }
                    }
                }
                for entry in expanded ? orderedChildren(server, missing: missing, by: sort) : [] {
                    switch entry {
                    case .missing(let remote):
                        let id = RowID.missing(serverKey: key, remoteCluster: remote)
                        let matches = serverMatches || remote.lowercased().contains(needle) || "missing".contains(needle)
                        if matches { children.append((id, .missing(clusterIndex, serverIndex, remoteCluster: remote), .critical)) }
                    case .link(let direction, let linkIndex, let remoteCluster, let gid):
                        // The link itself is looked at only to match a filter: taking it out of its array
                        // here copied it whole, for each of 25,000 rows.
                        let matches = serverMatches
                            || (!needle.isEmpty && connectionMatches(direction == .outbound ? server.outbound[linkIndex] : server.inbound[linkIndex], needle))
                        guard matches else { continue }
                        let id = RowID.connection(serverKey: key, direction: direction, remoteCluster: remoteCluster, gid: gid)
                        let health = ProblemIndex.worst(index.forConnection(server: server.name, gid: gid)) ?? .ok
                        children.append((id, .connection(clusterIndex, serverIndex, direction, linkIndex), health))
                    }
                }
                if expanded {
                    hasChildren = !children.isEmpty
                    worstChild = children.map(\.2).filter { $0 != .info }.max() ?? .ok
                    if sort == .health { children = worstFirst(children) { ($0.2, 0) } }
                }
                guard serverMatches || hasChildren else { continue }
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
                serverHealth = max(serverHealth, worstChild)
                clusterHealth = max(clusterHealth, serverHealth == .info ? .ok : serverHealth)
                var group = [TreeRow(
                    id: serverID, ref: .server(clusterIndex, serverIndex), depth: 1, health: serverHealth, isLast: false,
                    ancestorIsLast: [], hasChildren: hasChildren, isExpanded: expanded)]
                if expanded {
                    group.reserveCapacity(children.count + 1)
                    for (childIndex, child) in children.enumerated() {
                        group.append(TreeRow(
                            id: child.0, ref: child.1, depth: 2, health: child.2, isLast: childIndex == children.count - 1,
                            ancestorIsLast: [], hasChildren: false, isExpanded: false))
                    }
                }
                serverRows.append(group)
            }
            guard clusterMatches || !serverRows.isEmpty else { continue }
            if sort == .health {
                serverRows = worstFirst(serverRows) { group in
                    guard case .server(let c, let s) = group[0].ref else { return (group[0].health, 0) }
                    return (group[0].health, weight(index.forServer(clusters[c].servers[s])))
                }
            }
            let expanded = !collapsed.contains(clusterID) || !needle.isEmpty
            var block = [TreeRow(
                id: clusterID, ref: .cluster(clusterIndex), depth: 0, health: clusterHealth, isLast: clusterIndex == clusters.count - 1,
                ancestorIsLast: [], hasChildren: !serverRows.isEmpty, isExpanded: expanded)]
            defer { clusterBlocks.append(block) }
            guard expanded else { continue }
            for (serverIndex, group) in serverRows.enumerated() {
                let lastServer = serverIndex == serverRows.count - 1
                for (offset, var row) in group.enumerated() {
                    if offset == 0 {
                        row.isLast = lastServer
                    } else {
                        row.ancestorIsLast = [lastServer]
                    }
                    block.append(row)
                }
            }
        }
        guard sort == .health else { return clusterBlocks.flatMap { $0 } }
        var ordered = worstFirst(clusterBlocks) { block in
            guard case .cluster(let name) = block[0].id else { return (block[0].health, 0) }
            return (block[0].health, weight(index.forCluster(name)))
        }
        for index in ordered.indices { ordered[index][0].isLast = index == ordered.count - 1 }
        return ordered.flatMap { $0 }
    }

    /// `items` worst first: by health, then by how much is wrong (a cluster cut off, with 27 missing
    /// gateways, before one missing its 3 gateways to it, both critical), then in their order before
    /// (the name order).
    static func worstFirst<Item>(_ items: [Item], rank: (Item) -> (health: Health, weight: Int)) -> [Item] {
        items.enumerated().map { (offset: $0.offset, element: $0.element, rank: rank($0.element)) }.sorted { left, right in
            if left.rank.health != right.rank.health { return left.rank.health > right.rank.health }
            if left.rank.weight != right.rank.weight { return left.rank.weight > right.rank.weight }
            return left.offset < right.offset
        }.map(\.element)
    }

    /// How much is wrong: the critical and warning problems.
    static func weight(_ problems: [Problem]) -> Int { problems.reduce(0) { $0 + ($1.severity == .info ? 0 : 1) } }

    static func connectionMatches(_ link: GatewayLink, _ needle: String) -> Bool {
        link.remoteCluster.lowercased().contains(needle) || link.logToken.contains(needle) || "\(link.gid)" == needle
            || (link.remoteServerName?.lowercased().contains(needle) ?? false)
            || (link.remoteServerID?.lowercased().contains(needle) ?? false)
    }

    enum Child {
        /// A connection by its place in the server's links, with what its row is keyed by.
        case link(GatewayDirection, Int, remoteCluster: String, gid: UInt64)
        case missing(String)
    }

    /// Outbound (with missing ones in place, by remote cluster) before inbound; within each, the chosen
    /// order. Sorts indices, so no connection is copied.
    static func orderedChildren(_ server: ServerNode, missing: [String], by sort: SortKey) -> [Child] {
        func ordered(_ links: [GatewayLink], _ direction: GatewayDirection, missing: [String]) -> [Child] {
            struct Item {
                var child: Child
                var cluster: String
                var remote: String
                var gid: UInt64
                var total: Double
                var rtt: Double
                var pending: Int64
                var uptime: Double
            }
            var items = links.indices.map { i -> Item in
                let rates = links[i].rates
                return Item(
                    child: .link(direction, i, remoteCluster: links[i].remoteCluster, gid: links[i].gid), cluster: links[i].remoteCluster,
                    remote: links[i].remoteServerName ?? links[i].remoteServerID ?? "", gid: links[i].gid,
                    total: (rates?.inMsgs ?? 0) + (rates?.outMsgs ?? 0), rtt: links[i].rtt ?? -1,
                    pending: links[i].pendingBytes, uptime: links[i].uptime ?? .infinity)
            }
            // A missing link sorts like a connection with no traffic, RTT, pending or uptime.
            items += missing.map { Item(child: .missing($0), cluster: $0, remote: "", gid: 0, total: 0, rtt: -1, pending: 0, uptime: .infinity) }
            items.sort { left, right in
                let byName = (left.cluster, left.remote, left.gid) < (right.cluster, right.remote, right.gid)
                switch sort {
                case .name, .health: return byName
                case .rate: return left.total != right.total ? left.total > right.total : byName
                case .rtt: return left.rtt != right.rtt ? left.rtt > right.rtt : byName
                case .pending: return left.pending != right.pending ? left.pending > right.pending : byName
                case .uptime: return left.uptime != right.uptime ? left.uptime < right.uptime : byName
                }
            }
            return items.map(\.child)
        }
        return ordered(server.outbound, .outbound, missing: missing) + ordered(server.inbound, .inbound, missing: [])
    }
}
