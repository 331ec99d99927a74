public import MonitorModel

/// Merges one poll's endpoint observations into a `Supercluster`, computing rates against the previous
/// model. Pure: same inputs, same output.
public enum SuperclusterBuilder {
    /// Cluster name used for endpoints that never answered and carry no configured group.
    public static let unknownClusterName = "(unknown)"

    public static func build(poll: PollSnapshot, previous: Supercluster?) -> Supercluster {
        var nodes: [String: ServerNode] = [:]  // keyed by server id, or "url:<display url>" when unknown
        var namesByID: [String: String] = [:]
        var knownClusters = Set(previous?.knownClusters ?? [])
        let previousServersByID = Dictionary(
            (previous?.servers ?? []).compactMap { node in node.id.map { ($0, node) } },
            uniquingKeysWith: { first, _ in first })
        let previousServersByURL = Dictionary(
            (previous?.servers ?? []).compactMap { node in node.url.map { ($0, node) } },
            uniquingKeysWith: { first, _ in first })

        // Names we learned before remain valid for ids we still see.
        for node in previous?.servers ?? [] where node.id != nil && node.name != node.id {
            namesByID[node.id!] = node.name
        }

        // 1. Servers that answered: each observation becomes a node on its own (in parallel), then
        // they are merged in order.
        let answered = Parallel.map(poll.observations) { observation -> ServerNode? in
            guard let snapshot = observation.snapshot else { return nil }
            return answeringNode(observation, snapshot)
        }
        for node in answered {
            guard let node, let id = node.id else { continue }
            namesByID[id] = node.name
            if !node.cluster.isEmpty, node.cluster != unknownClusterName { knownClusters.insert(node.cluster) }
            knownClusters.formUnion(node.configuredRemotes)
            if let existing = nodes[id], existing.polled {
                // Two endpoints lead to one server (e.g. two URLs of the same host): keep the first.
                continue
            }
            nodes[id] = node
        }

        // Routes name the servers of a cluster that are not polled. A route carried from the last full
        // poll may still name a peer that has restarted since: a polled server of that name answering
        // with another id means the route is stale, and it must not bring back the old id as a ghost.
        var polledIDsByName: [String: Set<String>] = [:]
        for node in nodes.values where node.reachable {
            if let id = node.id { polledIDsByName[node.name, default: []].insert(id) }
        }
        // Each answering observation's usable routes, by observation. Read by index throughout: a cluster
        // of 100 servers has 9,900 routes, carried from the last full poll and walked on every poll, and
        // each route handed out whole was copied (its three strings retained and released).
        let usableRoutes = poll.observations.map { observation -> [Routez.Route] in
            guard let snapshot = observation.snapshot, let routes = snapshot.routez?.routes else { return [] }
            guard snapshot.routezCarried else { return routes }
            func usable(_ index: Int) -> Bool {
                guard let name = nonEmpty(routes[index].remoteName), let ids = polledIDsByName[name] else { return true }
                return ids.contains(routes[index].remoteID)
            }
            // Usually every route still holds: the list is then kept as it is, shared rather than copied.
            guard !routes.indices.allSatisfy(usable) else { return routes }
            return routes.indices.filter(usable).map { routes[$0] }
        }
        for routes in usableRoutes {
            for index in routes.indices {
                // A polled server's own name wins over what a peer's route calls it (every node so far
                // is a polled server's; asked by key, so no node is copied out to read one field).
                if let remoteName = nonEmpty(routes[index].remoteName), nodes.index(forKey: routes[index].remoteID) == nil {
                    namesByID[routes[index].remoteID] = remoteName
                }
            }
        }

        // 2. Endpoints that failed: placed where they were last seen, else in their configured group.
        for observation in poll.observations {
            guard let failure = observation.failure else { continue }
            let url = observation.endpoint.displayURL
            let last = previousServersByURL[url]
            let cluster = last?.cluster ?? observation.endpoint.group ?? unknownClusterName
            let name = last?.name ?? observation.endpoint.name ?? hostPort(of: url)
            var node = ServerNode(id: last?.id, name: name, cluster: cluster, url: url, polled: true, reachable: false)
            node.failure = failure
            node.insecureTLS = observation.endpoint.insecureTLS
            node.version = last?.version
            if let id = last?.id, nodes[id] == nil {
                nodes[id] = node
            } else {
                nodes["url:" + url] = node
            }
            if cluster != unknownClusterName { knownClusters.insert(cluster) }
        }

        // 3. Servers seen only at the far end of a gateway or route.
        func noteRemote(id: String?, cluster: String) {
            // Asked by key, not `nodes[id] == nil`, which copied out the whole node (retaining each of
            // its strings and arrays) to compare it with nil, for each of 25,000 connections.
            guard let id, !id.isEmpty, nodes.index(forKey: id) == nil else { return }
            let name = namesByID[id] ?? id
            nodes[id] = ServerNode(id: id, name: name, cluster: cluster, polled: false, reachable: false)
            knownClusters.insert(cluster)
        }
        // By index throughout: a link is a large struct, and copying 25,000 of them costs more than the
        // rest of this function.
        for node in nodes.values where node.reachable {
            for index in node.outbound.indices { noteRemote(id: node.outbound[index].remoteServerID, cluster: node.outbound[index].remoteCluster) }
            for index in node.inbound.indices { noteRemote(id: node.inbound[index].remoteServerID, cluster: node.inbound[index].remoteCluster) }
        }
        for (observation, routes) in zip(poll.observations, usableRoutes) {
            guard let snapshot = observation.snapshot, let cluster = nodes[snapshot.varz.serverID]?.cluster else { continue }
            for index in routes.indices { noteRemote(id: routes[index].remoteID, cluster: cluster) }
        }
        for node in nodes.values {
            for index in node.outbound.indices { knownClusters.insert(node.outbound[index].remoteCluster) }
            for index in node.inbound.indices { knownClusters.insert(node.inbound[index].remoteCluster) }
        }

        // 4. Names and rates, each server on its own (in parallel). The nodes are taken out of the
        // dictionary so their arrays are uniquely referenced while they are rebuilt.
        var resolved = Array(nodes.values)
        nodes = [:]
        let names = namesByID
        Parallel.forEach(mutating: &resolved) { node in
            resolveLinks(of: &node, names: names, previous: node.id.flatMap { previousServersByID[$0] })
        }

        // 5. Group into clusters.
        let grouped = Dictionary(grouping: resolved, by: \.cluster)
        var clusters = grouped.map { name, servers in
            ClusterNode(
                name: name,
                servers: servers.sorted { NaturalOrder.order($0.name, $1.name) ?? (($0.id ?? "") < ($1.id ?? "")) },
                rates: servers.reduce(nil as TrafficRates?) { sum, server in
                    guard let rates = server.rates else { return sum }
                    return (sum ?? .zero) + rates
                },
                isUnknownBucket: name == unknownClusterName)
        }
        // Known clusters with no server at all (named in configuration only) still appear, empty.
        for name in knownClusters where grouped[name] == nil {
            clusters.append(ClusterNode(name: name, servers: []))
        }
        // Names as a person reads them (dc2 before dc10, s2 before s10); the bucket of unknown servers last.
        clusters.sort { left, right in
            left.isUnknownBucket != right.isUnknownBucket ? right.isUnknownBucket : NaturalOrder.less(left.name, right.name)
        }

        return Supercluster(
            time: poll.finishedAt, pollSequence: poll.sequence, clusters: clusters,
            pairs: pairTraffic(clusters), knownClusters: knownClusters.sorted())
    }

    /// The node of a server that answered, with its connections as it reported them (names and rates
    /// are resolved later, against the whole poll).
    static func answeringNode(_ observation: EndpointObservation, _ snapshot: ServerSnapshot) -> ServerNode {
        let varz = snapshot.varz
        let gatewayz = snapshot.gatewayz
        let cluster = clusterName(of: snapshot) ?? observation.endpoint.group ?? unknownClusterName
        let name = nonEmpty(varz.serverName) ?? observation.endpoint.name ?? varz.serverID
        var node = ServerNode(
            id: varz.serverID, name: name, cluster: cluster, url: observation.endpoint.displayURL, polled: true, reachable: true)
        node.version = varz.version
        node.insecureTLS = observation.endpoint.insecureTLS
        node.partialFailures = observation.partialFailures
        node.gateway = varz.gateway
        node.clusterSectionName = nonEmpty(varz.cluster?.name)
        node.health = snapshot.healthz
        node.serverTime = gatewayz.now
        node.uptime = varz.uptime
        node.configuredRemotes = (varz.gateway?.gatewayNames ?? []).filter { $0 != cluster }
        node.accounts = snapshot.accounts
        for (remoteCluster, remote) in gatewayz.outboundGateways {
            guard let info = remote.connection else {
                node.connectingTo.append(remoteCluster)
                continue
            }
            node.outbound.append(GatewayLink(direction: .outbound, remoteCluster: remoteCluster, info: info, configured: remote.configured))
        }
        for (remoteCluster, remotes) in gatewayz.inboundGateways {
            for remote in remotes {
                guard let info = remote.connection else { continue }
                node.inbound.append(GatewayLink(direction: .inbound, remoteCluster: remoteCluster, info: info, configured: nil))
            }
        }
        node.connectingTo.sort()
        return node
    }

    /// Remote names, `seenBefore` and rates of a node's connections (against the same server in the
    /// previous poll), the connections in display order, and the node's summed rates.
    static func resolveLinks(of node: inout ServerNode, names namesByID: [String: String], previous previousNode: ServerNode?) {
        // Where each of the previous poll's connections of this server is, by gid (gids are unique
        // within a server): outbound index i as i, inbound index i as -1 - i.
        var previousPositions: [UInt64: Int] = [:]
        if let previousNode {
            previousPositions.reserveCapacity(previousNode.outbound.count + previousNode.inbound.count)
            for index in previousNode.outbound.indices { previousPositions[previousNode.outbound[index].gid] = index }
            for index in previousNode.inbound.indices { previousPositions[previousNode.inbound[index].gid] = -1 - index }
        }
        let now = node.serverTime
        func resolve(_ link: inout GatewayLink) {
            if let id = link.remoteServerID { link.remoteServerName = namesByID[id] }
            link.seenBefore = false
            guard let previousNode, let position = previousPositions[link.gid] else { return }
            // The previous link's fields are read in place: copying it would cost more than the check.
            let before = position >= 0
                ? (remoteCluster: previousNode.outbound[position].remoteCluster, counters: previousNode.outbound[position].counters)
                : (remoteCluster: previousNode.inbound[-1 - position].remoteCluster, counters: previousNode.inbound[-1 - position].counters)
            // Same gid (looked up), same direction (the position says) and same remote cluster.
            guard (position >= 0) == (link.direction == .outbound), before.remoteCluster == link.remoteCluster else { return }
            link.seenBefore = true
            if let now, let then = previousNode.serverTime {
                link.rates = RateCalculator.rates(from: before.counters, to: link.counters, seconds: now.seconds(since: then))
            }
        }
        for index in node.outbound.indices { resolve(&node.outbound[index]) }
        // The keys are read field by field: handing each link to a key function copied it whole.
        reorder(&node.outbound, keys: node.outbound.indices.map { (cluster: node.outbound[$0].remoteCluster, remote: "", gid: 0) })
        for index in node.inbound.indices { resolve(&node.inbound[index]) }
        reorder(&node.inbound, keys: node.inbound.indices.map { index in
            (cluster: node.inbound[index].remoteCluster, remote: node.inbound[index].remoteServerName ?? node.inbound[index].remoteServerID ?? "",
             gid: node.inbound[index].gid)
        })
        if node.reachable {
            var sum: TrafficRates?
            for index in node.outbound.indices { if let rates = node.outbound[index].rates { sum = (sum ?? .zero) + rates } }
            for index in node.inbound.indices { if let rates = node.inbound[index].rates { sum = (sum ?? .zero) + rates } }
            node.rates = sum
        }
    }

    /// Puts links in the order of their keys (one per link, in the same order). The keys are sorted, not
    /// the links, and the links are then moved along the permutation's cycles, each link's bytes once:
    /// building a new array, and even `swapAt`, copied each link and retained every one of its strings
    /// (a server of a 50-cluster mesh has a hundred links).
    static func reorder(_ links: inout [GatewayLink], keys: [(cluster: String, remote: String, gid: UInt64)]) {
        precondition(keys.count == links.count, "one key per link")
        let order = keys.indices.sorted { (keys[$0].cluster, keys[$0].remote, keys[$0].gid) < (keys[$1].cluster, keys[$1].remote, keys[$1].gid) }
        var placed = [Bool](repeating: false, count: order.count)
        links.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            // Position i takes the link at order[i]. Each cycle is rotated by moves: its first link is
            // held aside, every other one moves into the place that takes it, and the held one ends it.
            for start in order.indices where !placed[start] && order[start] != start {
                let held = (base + start).move()
                var position = start
                while order[position] != start {
                    let source = order[position]
                    (base + position).moveInitialize(from: base + source, count: 1)
                    placed[position] = true
                    position = source
                }
                (base + position).initialize(to: held)
                placed[position] = true
            }
        }
    }

    /// The supercluster name of a server: its gateway name, else its cluster name.
    static func clusterName(of snapshot: ServerSnapshot) -> String? {
        nonEmpty(snapshot.gatewayz.name) ?? nonEmpty(snapshot.varz.gateway?.name) ?? nonEmpty(snapshot.varz.cluster?.name)
    }

    private static func pairTraffic(_ clusters: [ClusterNode]) -> [ClusterPairTraffic] {
        // Cluster names become positions once, and the sums are keyed by a pair of positions: a
        // dictionary keyed by two strings, read and written for each of 25,000 connections, cost more
        // than all the additions.
        var positions: [String: Int] = [:]
        var names: [String] = []
        func position(_ name: String) -> Int {
            if let known = positions[name] { return known }
            positions[name] = names.count
            names.append(name)
            return names.count - 1
        }
        struct Sums { var sentMsgs = 0.0, sentBytes = 0.0, receivedMsgs = 0.0, receivedBytes = 0.0 }
        var sums: [Int: Sums] = [:]
        func key(_ from: Int, _ to: Int) -> Int { from << 32 | to }
        func add(to key: Int, _ change: (inout Sums) -> Void) { change(&sums[key, default: Sums()]) }
        for cluster in clusters {
            let local = position(cluster.name)
            for server in cluster.servers where server.reachable {
                for index in server.outbound.indices {
                    let rates = server.outbound[index].rates
                    let to = position(server.outbound[index].remoteCluster)
                    add(to: key(local, to)) { $0.sentMsgs += rates?.outMsgs ?? 0; $0.sentBytes += rates?.outBytes ?? 0 }
                }
                for index in server.inbound.indices {
                    let rates = server.inbound[index].rates
                    let from = position(server.inbound[index].remoteCluster)
                    add(to: key(from, local)) { $0.receivedMsgs += rates?.inMsgs ?? 0; $0.receivedBytes += rates?.inBytes ?? 0 }
                }
            }
        }
        return sums.map { key, sums in
            ClusterPairTraffic(
                from: names[key >> 32], to: names[key & 0xFFFF_FFFF], sentMsgsPerSecond: sums.sentMsgs,
                sentBytesPerSecond: sums.sentBytes, receivedMsgsPerSecond: sums.receivedMsgs,
                receivedBytesPerSecond: sums.receivedBytes)
        }.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
    }

    static func hostPort(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" })
    }
}

func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    return text
}

/// Rates from two readings of one connection's counters.
public enum RateCalculator {
    /// nil when no honest rate exists: no time passed, or a counter went backwards (the connection was
    /// replaced or the server restarted), which starts a new baseline instead of a negative rate.
    public static func rates(from before: GatewayLink, to after: GatewayLink, seconds: Double) -> TrafficRates? {
        rates(from: before.counters, to: after.counters, seconds: seconds)
    }

    @inline(__always)
    static func rates(from before: GatewayLink.Counters, to after: GatewayLink.Counters, seconds: Double) -> TrafficRates? {
        guard seconds > 0.001, seconds.isFinite, before.gid == after.gid else { return nil }
        let inMsgs = after.inMsgs - before.inMsgs, outMsgs = after.outMsgs - before.outMsgs
        let inBytes = after.inBytes - before.inBytes, outBytes = after.outBytes - before.outBytes
        guard inMsgs >= 0, outMsgs >= 0, inBytes >= 0, outBytes >= 0 else { return nil }
        return TrafficRates(
            inMsgs: Double(inMsgs) / seconds, outMsgs: Double(outMsgs) / seconds,
            inBytes: Double(inBytes) / seconds, outBytes: Double(outBytes) / seconds)
    }
}

extension GatewayLink {
    /// What rates are computed from: a few plain numbers, read without copying the whole link.
    struct Counters {
        var gid: UInt64
        var inMsgs: Int64
        var outMsgs: Int64
        var inBytes: Int64
        var outBytes: Int64
    }

    @inline(__always)
    var counters: Counters { Counters(gid: gid, inMsgs: inMsgs, outMsgs: outMsgs, inBytes: inBytes, outBytes: outBytes) }
}
