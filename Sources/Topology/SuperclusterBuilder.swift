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

        // Routes name the servers of a cluster that are not polled. Only routes to servers that did not
        // answer this poll can matter: a polled server's own name wins over what a peer's route calls it,
        // and it is a node already. Routes to answering servers are dropped first, with one lookup each: a
        // cluster of 100 servers has 9,900 routes, carried from the last full poll and walked on every
        // poll, and each was looked up three or four times (its name, its id among the polled ones, among
        // the nodes, and again as a remote to note).
        // A route carried from the last full poll may still name a peer that has restarted since: a
        // polled server of that name answering with another id means the route is stale, and it must not
        // bring back the old id as a ghost.
        var polledIDsByName: [String: Set<String>] = [:]
        for node in nodes.values where node.reachable {
            if let id = node.id { polledIDsByName[node.name, default: []].insert(id) }
        }
        // Each answering observation's routes to servers that did not answer, and usable, by observation.
        // Read by index throughout: each route handed out whole was copied (its three strings retained
        // and released).
        let routesBeyond = poll.observations.map { observation -> [Routez.Route] in
            guard let snapshot = observation.snapshot, let routes = snapshot.routez?.routes else { return [] }
            func usable(_ index: Int) -> Bool {
                guard snapshot.routezCarried else { return true }
                guard let name = nonEmpty(routes[index].remoteName), let ids = polledIDsByName[name] else { return true }
                return ids.contains(routes[index].remoteID)
            }
            return routes.indices.filter { nodes.index(forKey: routes[$0].remoteID) == nil && usable($0) }.map { routes[$0] }
        }
        for routes in routesBeyond {
            for index in routes.indices {
                if let remoteName = nonEmpty(routes[index].remoteName) { namesByID[routes[index].remoteID] = remoteName }
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

        // 3. Every connection's remote server, looked up once (the same lookup gives its name and its
        // node): each server on its own (in parallel), with rates against the same server in the previous
        // poll. The nodes are taken out of the dictionary so their arrays are uniquely referenced while
        // they are rebuilt. This lookup was made three times for each of 25,000 connections (whether the
        // remote is a node, its name, and in the diagnosis its position), each hashing a 56-byte id.
        var resolved: [ServerNode] = []
        var positionByKey: [String: Int] = [:]
        resolved.reserveCapacity(nodes.count)
        positionByKey.reserveCapacity(nodes.count)
        for (key, node) in nodes {
            positionByKey[key] = resolved.count
            resolved.append(node)
        }
        nodes = [:]
        var remotes: [String: RemoteServer] = [:]
        remotes.reserveCapacity(namesByID.count + positionByKey.count)
        for (id, name) in namesByID { remotes[id] = RemoteServer(name: name) }
        // By id only: a failed endpoint's node is keyed by its URL ("url:…"), and a remote id spelled so
        // is no such node.
        for (key, position) in positionByKey where resolved[position].id == key {
            remotes[key, default: RemoteServer()].position = position
        }
        let remoteServers = remotes
        // Every remote cluster is known. Gathered as positions (`NamePositions` tries the name the server
        // before had at the same place first) and inserted once each, rather than hashed into the set for
        // every connection; ranked in name order, so each server's connections are put in order by
        // comparing integers rather than names.
        var remoteClusters = NamePositions()
        var outboundHints: [Int] = [], inboundHints: [Int] = []
        for position in resolved.indices where resolved[position].reachable {
            let outbound = resolved[position].outbound, inbound = resolved[position].inbound
            for index in outbound.indices { _ = remoteClusters.position(of: outbound[index].remoteCluster, at: index, hints: &outboundHints) }
            for index in inbound.indices { _ = remoteClusters.position(of: inbound[index].remoteCluster, at: index, hints: &inboundHints) }
        }
        knownClusters.formUnion(remoteClusters.names)
        let clusterRanks = ClusterRanks(remoteClusters.names)
        Parallel.forEach(mutating: &resolved) { node in
            resolveLinks(of: &node, remotes: remoteServers, previous: node.id.flatMap { previousServersByID[$0] }, clusterRanks: clusterRanks)
        }

        // Servers seen only at the far end of a gateway or route become nodes of their own (by index
        // throughout: a link is a large struct, and copying 25,000 of them costs more than the rest).
        func noteRemote(id: String, cluster: String) -> Int? {
            guard !id.isEmpty else { return nil }
            if let known = positionByKey[id] { return resolved[known].id == id ? known : nil }
            positionByKey[id] = resolved.count
            resolved.append(ServerNode(id: id, name: namesByID[id] ?? id, cluster: cluster, polled: false, reachable: false))
            knownClusters.insert(cluster)
            return resolved.count - 1
        }
        let answering = resolved.indices
        for position in answering where resolved[position].reachable {
            for index in resolved[position].outbound.indices where resolved[position].outbound[index].remoteServerPosition.value == nil {
                guard let id = resolved[position].outbound[index].remoteServerID else { continue }
                let cluster = resolved[position].outbound[index].remoteCluster
                resolved[position].outbound[index].remoteServerPosition.value = noteRemote(id: id, cluster: cluster)
            }
            for index in resolved[position].inbound.indices where resolved[position].inbound[index].remoteServerPosition.value == nil {
                guard let id = resolved[position].inbound[index].remoteServerID else { continue }
                let cluster = resolved[position].inbound[index].remoteCluster
                resolved[position].inbound[index].remoteServerPosition.value = noteRemote(id: id, cluster: cluster)
            }
        }
        for (observation, routes) in zip(poll.observations, routesBeyond) where !routes.isEmpty {
            guard let snapshot = observation.snapshot, let position = positionByKey[snapshot.varz.serverID] else { continue }
            let cluster = resolved[position].cluster
            for index in routes.indices { _ = noteRemote(id: routes[index].remoteID, cluster: cluster) }
        }

        // 4. Group into clusters, servers in each by name. Names as a person reads them (dc2 before dc10,
        // s2 before s10); the bucket of unknown servers last. Known clusters with no server at all (named
        // in configuration only) still appear, empty.
        var membersByCluster: [String: [Int]] = [:]
        for position in resolved.indices { membersByCluster[resolved[position].cluster, default: []].append(position) }
        for name in knownClusters where membersByCluster[name] == nil { membersByCluster[name] = [] }
        var clusterNames = Array(membersByCluster.keys)
        // The bucket is the unknown name with servers in it (a remote gateway may be called that too).
        func isUnknownBucket(_ name: String) -> Bool { name == unknownClusterName && membersByCluster[name]?.isEmpty == false }
        clusterNames.sort { left, right in
            isUnknownBucket(left) != isUnknownBucket(right) ? isUnknownBucket(right) : NaturalOrder.less(left, right)
        }
        var order: [Int] = []
        order.reserveCapacity(resolved.count)
        let members = clusterNames.map { name in
            membersByCluster[name]!.sorted { a, b in
                NaturalOrder.order(resolved[a].name, resolved[b].name) ?? ((resolved[a].id ?? "") < (resolved[b].id ?? ""))
            }
        }
        for positions in members { order.append(contentsOf: positions) }

        // Each connection's remote, as a position in the supercluster's list of servers: the first server
        // there with the remote's id (as `Array.positionsByID` finds it).
        var firstPositionByID: [String: Int] = [:]
        for (final, position) in order.enumerated() {
            if let id = resolved[position].id, firstPositionByID[id] == nil { firstPositionByID[id] = final }
        }
        let finalPositions = resolved.map { node in node.id.flatMap { firstPositionByID[$0] } }
        Parallel.forEach(mutating: &resolved) { node in
            guard node.reachable else { return }
            func remap(_ links: inout [GatewayLink]) {
                for index in links.indices {
                    links[index].remoteServerPosition.value = links[index].remoteServerPosition.value.flatMap { finalPositions[$0] }
                }
            }
            remap(&node.outbound)
            remap(&node.inbound)
        }
        let clusters = zip(clusterNames, members).map { name, positions in
            ClusterNode(
                name: name,
                servers: positions.map { resolved[$0] },
                rates: positions.reduce(nil as TrafficRates?) { sum, position in
                    guard let rates = resolved[position].rates else { return sum }
                    return (sum ?? .zero) + rates
                },
                isUnknownBucket: isUnknownBucket(name))
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
        // Sized first: grown one link at a time, the array moved every link at each doubling (a server of
        // a 50-cluster mesh has a hundred of them, 320 bytes each).
        node.outbound.reserveCapacity(gatewayz.outboundGateways.count)
        node.inbound.reserveCapacity(gatewayz.inboundGateways.values.reduce(0) { $0 + $1.count })
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

    /// What one remote server id stands for while a poll is built: its name (nil: none known) and its
    /// node (a position among the nodes; nil: no node yet).
    struct RemoteServer {
        var name: String?
        var position: Int?
    }

    /// Remote names and nodes, `seenBefore` and rates of a node's connections (against the same server in the
    /// previous poll), the connections in display order, and the node's summed rates.
    static func resolveLinks(
        of node: inout ServerNode, remotes: [String: RemoteServer], previous previousNode: ServerNode?, clusterRanks: ClusterRanks
    ) {
        func name(_ link: inout GatewayLink) {
            if let id = link.remoteServerID, let remote = remotes[id] {
                link.remoteServerName = remote.name
                // A position among this poll's nodes until they are put in order (step 4 turns it into
                // one in the model's list of servers).
                link.remoteServerPosition.value = remote.position
            } else {
                link.remoteServerName = nil
                link.remoteServerPosition.value = nil
            }
            link.seenBefore = false
        }
        for index in node.outbound.indices { name(&node.outbound[index]) }
        for index in node.inbound.indices { name(&node.inbound[index]) }
        // The keys are read field by field: handing each link to a key function copied it whole.
        let ranks = clusterRanks.ranks(node.outbound, node.inbound)
        reorder(&node.outbound, keys: ranks.outbound.map { (cluster: $0, remote: "", gid: 0) })
        reorder(&node.inbound, keys: node.inbound.indices.map { index in
            (cluster: ranks.inbound[index],
             remote: node.inbound[index].remoteServerName ?? node.inbound[index].remoteServerID ?? "", gid: node.inbound[index].gid)
        })

        // Each connection against the same one in the previous poll, now that both are in display order:
        // usually the connection at the same place, so the previous poll's links are read one after the
        // other (read where a dictionary of gids sent them, in the order the server listed them, each was
        // a cache miss: 90 % of this step's time at 25,000 connections). Where the same place has another
        // gid, the previous connection is found by gid (gids are unique within a server): outbound index
        // i as i, inbound index i as -1 - i, made on the first such connection. A previous poll that listed
        // a gid twice (no nats-server does: a connection id is unique to the process, and a restart is a
        // new server id) is matched at the same place first, the dictionary keeping its last listing.
        if let previousNode {
            var previousPositions: [UInt64: Int]?
            func positionsByGID() -> [UInt64: Int] {
                if let previousPositions { return previousPositions }
                var positions: [UInt64: Int] = [:]
                positions.reserveCapacity(previousNode.outbound.count + previousNode.inbound.count)
                for index in previousNode.outbound.indices { positions[previousNode.outbound[index].gid] = index }
                for index in previousNode.inbound.indices { positions[previousNode.inbound[index].gid] = -1 - index }
                previousPositions = positions
                return positions
            }
            let now = node.serverTime
            func compare(_ link: inout GatewayLink, samePlace: Int) {
                let position: Int
                if samePlace >= 0 ? samePlace < previousNode.outbound.count && previousNode.outbound[samePlace].gid == link.gid
                    : -1 - samePlace < previousNode.inbound.count && previousNode.inbound[-1 - samePlace].gid == link.gid
                {
                    position = samePlace
                } else {
                    guard let found = positionsByGID()[link.gid] else { return }
                    position = found
                }
                // The previous link's fields are read in place: copying it would cost more than the check.
                let before = position >= 0
                    ? (remoteCluster: previousNode.outbound[position].remoteCluster, counters: previousNode.outbound[position].counters)
                    : (remoteCluster: previousNode.inbound[-1 - position].remoteCluster, counters: previousNode.inbound[-1 - position].counters)
                // Same gid, same direction (the position says) and same remote cluster.
                guard (position >= 0) == (link.direction == .outbound), before.remoteCluster == link.remoteCluster else { return }
                link.seenBefore = true
                if let now, let then = previousNode.serverTime {
                    link.rates = RateCalculator.rates(from: before.counters, to: link.counters, seconds: now.seconds(since: then))
                }
            }
            for index in node.outbound.indices { compare(&node.outbound[index], samePlace: index) }
            for index in node.inbound.indices { compare(&node.inbound[index], samePlace: -1 - index) }
        }
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
    static func reorder(_ links: inout [GatewayLink], keys: [(cluster: Int, remote: String, gid: UInt64)]) {
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

    /// Cluster names as their places in name order, so connections are put in order by comparing
    /// integers: sorting a server's hundred connections by remote cluster compared names 300,000 times a
    /// poll at 250 servers (2 % of its CPU).
    struct ClusterRanks: Sendable {
        private let rankByName: [String: Int]

        init(_ names: some Sequence<String>) {
            var rankByName: [String: Int] = [:]
            for (rank, name) in Set(names).sorted().enumerated() { rankByName[name] = rank }
            self.rankByName = rankByName
        }

        /// The rank of each connection's remote cluster; if one is not ranked here (a node resolved on its
        /// own, outside a whole poll), ranks of these connections' clusters alone.
        func ranks(_ outbound: [GatewayLink], _ inbound: [GatewayLink]) -> (outbound: [Int], inbound: [Int]) {
            var complete = true
            func lookUp(_ links: [GatewayLink]) -> [Int] {
                links.indices.map { index in
                    if let rank = rankByName[links[index].remoteCluster] { return rank }
                    complete = false
                    return 0
                }
            }
            let found = (outbound: lookUp(outbound), inbound: lookUp(inbound))
            if complete { return found }
            return ClusterRanks(outbound.map(\.remoteCluster) + inbound.map(\.remoteCluster)).ranks(outbound, inbound)
        }
    }

    /// The supercluster name of a server: its gateway name, else its cluster name.
    static func clusterName(of snapshot: ServerSnapshot) -> String? {
        nonEmpty(snapshot.gatewayz.name) ?? nonEmpty(snapshot.varz.gateway?.name) ?? nonEmpty(snapshot.varz.cluster?.name)
    }

    private static func pairTraffic(_ clusters: [ClusterNode]) -> [ClusterPairTraffic] {
        // Cluster names become positions, and the sums are kept by pair of positions: hashing each of
        // 25,000 connections' remote cluster name cost more than all the additions. Servers list their
        // remote clusters in much the same order, so the position the server before found at the same
        // place is tried first.
        var positions = NamePositions()
        // Keyed by the pair, not a table of every pair: a server can name any number of remote clusters,
        // and the sums must grow with the pairs there are, not with the names.
        struct Sums { var sentMsgs = 0.0, sentBytes = 0.0, receivedMsgs = 0.0, receivedBytes = 0.0 }
        var sums: [Int: Sums] = [:]
        func add(from: Int, to: Int, _ change: (inout Sums) -> Void) { change(&sums[from << 32 | to, default: Sums()]) }
        var outboundHints: [Int] = [], inboundHints: [Int] = []
        for cluster in clusters {
            let local = positions.position(of: cluster.name)
            for server in cluster.servers where server.reachable {
                for index in server.outbound.indices {
                    let rates = server.outbound[index].rates
                    let to = positions.position(of: server.outbound[index].remoteCluster, at: index, hints: &outboundHints)
                    add(from: local, to: to) { $0.sentMsgs += rates?.outMsgs ?? 0; $0.sentBytes += rates?.outBytes ?? 0 }
                }
                for index in server.inbound.indices {
                    let rates = server.inbound[index].rates
                    let from = positions.position(of: server.inbound[index].remoteCluster, at: index, hints: &inboundHints)
                    add(from: from, to: local) { $0.receivedMsgs += rates?.inMsgs ?? 0; $0.receivedBytes += rates?.inBytes ?? 0 }
                }
            }
        }
        return sums.map { key, sums in
            ClusterPairTraffic(
                from: positions.names[key >> 32], to: positions.names[key & 0xFFFF_FFFF], sentMsgsPerSecond: sums.sentMsgs,
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
