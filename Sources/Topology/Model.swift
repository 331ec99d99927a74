public import MonitorModel

/// Message and byte rates, per second, measured from counter deltas over the server's own clock.
public struct TrafficRates: Sendable, Equatable {
    public var inMsgs: Double
    public var outMsgs: Double
    public var inBytes: Double
    public var outBytes: Double

    public init(inMsgs: Double = 0, outMsgs: Double = 0, inBytes: Double = 0, outBytes: Double = 0) {
        self.inMsgs = inMsgs
        self.outMsgs = outMsgs
        self.inBytes = inBytes
        self.outBytes = outBytes
    }

    public static let zero = TrafficRates()

    public static func + (lhs: TrafficRates, rhs: TrafficRates) -> TrafficRates {
        TrafficRates(
            inMsgs: lhs.inMsgs + rhs.inMsgs, outMsgs: lhs.outMsgs + rhs.outMsgs,
            inBytes: lhs.inBytes + rhs.inBytes, outBytes: lhs.outBytes + rhs.outBytes)
    }
}

public enum GatewayDirection: String, Sendable, Codable, Hashable {
    case outbound, inbound
}

/// One gateway connection as seen from the server that reported it.
public struct GatewayLink: Sendable, Equatable {
    public var direction: GatewayDirection
    public var remoteCluster: String
    /// The connection id; the server logs it as `gid:N`.
    public var gid: UInt64
    public var remoteServerID: String?
    /// Resolved through polled `/varz` or `/routez`; nil when the remote was never polled.
    public var remoteServerName: String?
    /// Outbound only: true when configured, false when learned by gossip. nil on inbound links.
    public var configured: Bool?
    public var ip: String?
    public var port: Int?
    /// Seconds.
    public var rtt: Double?
    public var uptime: Double?
    public var idle: Double?
    public var start: MonitorTime?
    public var lastActivity: MonitorTime?
    public var pendingBytes: Int64
    public var inMsgs: Int64
    public var outMsgs: Int64
    public var inBytes: Int64
    public var outBytes: Int64
    public var subscriptions: Int64
    public var tlsVersion: String?
    public var tlsCipherSuite: String?
    /// nil until two polls of the same gid exist (a reconnect or a counter reset starts a new baseline).
    public var rates: TrafficRates?

    /// `info` is borrowed: an initialiser takes its arguments owned unless told otherwise, and an owned
    /// `info` meant a copy of it, each of its strings retained and released, for every connection.
    public init(direction: GatewayDirection, remoteCluster: String, info: borrowing GatewayConnectionInfo, configured: Bool?) {
        self.direction = direction
        self.remoteCluster = remoteCluster
        self.gid = info.cid
        self.remoteServerID = info.name.flatMap { $0.isEmpty ? nil : $0 }
        self.configured = configured
        self.ip = info.ip
        self.port = info.port
        self.rtt = info.rtt
        self.uptime = info.uptime
        self.idle = info.idle
        self.start = info.start
        self.lastActivity = info.lastActivity
        self.pendingBytes = info.pendingBytes
        self.inMsgs = info.inMsgs
        self.outMsgs = info.outMsgs
        self.inBytes = info.inBytes
        self.outBytes = info.outBytes
        self.subscriptions = info.subscriptions
        self.tlsVersion = info.tlsVersion
        self.tlsCipherSuite = info.tlsCipherSuite
    }

    /// The text an operator greps the server log for.
    public var logToken: String { "gid:\(gid)" }

    /// What the connection's account interest is filed under in its server's `accounts`.
    public var key: GatewayConnectionKey {
        // Matched by pattern, not `==` (see `isLearnedOutbound`).
        if case .inbound = direction { return GatewayConnectionKey(inbound: true, remoteCluster: remoteCluster, gid: gid) }
        return GatewayConnectionKey(inbound: false, remoteCluster: remoteCluster, gid: gid)
    }

    /// True when the same connection (same gid) was already there in the previous poll.
    public var seenBefore = false

    /// Where the builder found the remote server in `Supercluster.servers`: a hint for readers that would
    /// otherwise look the remote's 56-byte id up for each of 25,000 connections (see `PositionHint`).
    public var remoteServerPosition = PositionHint()

    /// A connection seen for the first time, with no PONG yet (RTT still "0s"), in its first seconds.
    /// A dialler whose authentication or cluster admission fails registers exactly such an outbound for
    /// a few milliseconds on every retry, each time with a new gid, so it must not count as a working
    /// link. A genuine new link is confirmed by the next poll that finds the same gid.
    @inline(__always)
    public func isUnconfirmed(grace: Double) -> Bool {
        !seenBefore && (rtt ?? 0) == 0 && (uptime ?? 0) < grace
    }
}

/// A position the builder worked out, kept beside what it is the position of so that a reader can skip
/// the lookup. Only a hint: a model may be edited or made by hand, so a reader checks that the place holds
/// what it expects and looks it up when it does not. Not part of the value: two links equal but for it
/// are equal.
public struct PositionHint: Sendable, Equatable {
    public var value: Int?

    public init(_ value: Int? = nil) { self.value = value }

    public static func == (_: PositionHint, _: PositionHint) -> Bool { true }
}

/// A server of the supercluster: polled through an endpoint, or only seen at the far end of a
/// connection or route (`polled == false`).
public struct ServerNode: Sendable, Equatable {
    public var id: String?
    public var name: String
    public var cluster: String
    /// The endpoint's display URL (credentials removed); nil for servers that were not polled.
    public var url: String?
    public var version: String?
    /// An endpoint was polled for this server.
    public var polled: Bool
    /// The endpoint answered with usable varz and gatewayz in this poll.
    public var reachable: Bool
    /// The endpoint is polled over https without certificate verification.
    public var insecureTLS = false
    public var failure: EndpointFailure?
    public var partialFailures: [String]
    public var outbound: [GatewayLink]
    public var inbound: [GatewayLink]
    /// Remote clusters whose outbound entry exists but has no connection yet (dialling).
    public var connectingTo: [String]
    /// Each connection's account interest (`accounts(of:)`), as its snapshot gives it: the table of the
    /// last full poll, shared whole between full polls rather than copied into every link.
    public var accounts: [GatewayConnectionKey: [AccountInterest]] = [:]
    /// Remote gateway names from `/varz` `gateway.gateways`, own cluster excluded.
    public var configuredRemotes: [String]
    public var gateway: GatewaySection?
    /// `/varz` `cluster.name`: NATS requires it to equal the gateway name.
    public var clusterSectionName: String?
    public var health: Healthz?
    /// The server's clock at its `/gatewayz` answer; rates divide by differences of this.
    public var serverTime: MonitorTime?
    public var uptime: Double?
    public var rates: TrafficRates?

    public init(id: String?, name: String, cluster: String, url: String? = nil, polled: Bool, reachable: Bool) {
        self.id = id
        self.name = name
        self.cluster = cluster
        self.url = url
        self.polled = polled
        self.reachable = reachable
        self.partialFailures = []
        self.outbound = []
        self.inbound = []
        self.connectingTo = []
        self.configuredRemotes = []
    }

    public func outbound(to cluster: String) -> GatewayLink? { outbound.first { $0.remoteCluster == cluster } }

    /// The account interest of one of this server's connections (empty when it was never asked).
    public func accounts(of link: GatewayLink) -> [AccountInterest] { accounts[link.key] ?? [] }

    /// The outbound to `cluster` if it is confirmed (see `GatewayLink.isUnconfirmed`).
    public func workingOutbound(to cluster: String, grace: Double = DiagnosisThresholds().asymmetryGraceSeconds) -> GatewayLink? {
        outbound(to: cluster).flatMap { $0.isUnconfirmed(grace: grace) ? nil : $0 }
    }
}

public struct ClusterNode: Sendable, Equatable {
    public var name: String
    public var servers: [ServerNode]
    /// Sum over the gateway connections of the cluster's reachable servers.
    public var rates: TrafficRates?
    /// A placeholder for endpoints whose cluster is not known (never answered and not grouped).
    public var isUnknownBucket: Bool

    public init(name: String, servers: [ServerNode], rates: TrafficRates? = nil, isUnknownBucket: Bool = false) {
        self.name = name
        self.servers = servers
        self.rates = rates
        self.isUnknownBucket = isUnknownBucket
    }
}

/// Traffic from one cluster to another over gateways.
public struct ClusterPairTraffic: Sendable, Equatable {
    public var from: String
    public var to: String
    /// Sum of the senders' outbound rates (out side), measured at `from`.
    public var sentMsgsPerSecond: Double
    public var sentBytesPerSecond: Double
    /// Sum of the receivers' inbound rates (in side), measured at `to`.
    public var receivedMsgsPerSecond: Double
    public var receivedBytesPerSecond: Double
}

/// The merged picture of one poll: clusters → servers → gateway connections.
public struct Supercluster: Sendable, Equatable {
    /// When the poll finished (local clock).
    public var time: MonitorTime
    public var pollSequence: Int
    public var clusters: [ClusterNode]
    public var pairs: [ClusterPairTraffic]
    /// Every cluster name known so far, including ones only named in configuration or seen in earlier
    /// polls: the diagnosis expects a gateway to each of them.
    public var knownClusters: [String]

    public init(time: MonitorTime, pollSequence: Int, clusters: [ClusterNode], pairs: [ClusterPairTraffic],
                knownClusters: [String]) {
        self.time = time
        self.pollSequence = pollSequence
        self.clusters = clusters
        self.pairs = pairs
        self.knownClusters = knownClusters
    }

    public var servers: [ServerNode] { clusters.flatMap(\.servers) }

    /// Every gateway connection of every server, each end counted (only answering servers have any).
    public var connectionCount: Int {
        clusters.reduce(0) { total, cluster in total + cluster.servers.reduce(0) { $0 + $1.outbound.count + $1.inbound.count } }
    }

    public func server(id: String) -> ServerNode? { servers.first { $0.id == id } }

    public func cluster(named name: String) -> ClusterNode? { clusters.first { $0.name == name } }
}

extension Supercluster {
    /// The clusters `server` should have an outbound gateway to: every known cluster and every one its
    /// configuration names, except its own; sorted. Empty for servers without a gateway.
    public func expectedRemotes(for server: ServerNode) -> [String] {
        guard server.reachable, server.gateway?.name != nil || !server.outbound.isEmpty else { return [] }
        // The builder keeps both lists sorted, so they are merged, not hashed into sets: the dashboard
        // asks for each server row it draws, the report, summary and diagnosis for every server.
        let known = Self.sortedWithoutDuplicates(knownClusters)
        let configured = Self.sortedWithoutDuplicates(server.configuredRemotes)
        var expected: [String] = []
        expected.reserveCapacity(known.count + configured.count)
        var k = 0, c = 0
        while k < known.count || c < configured.count {
            let next: String
            if c == configured.count || (k < known.count && known[k] < configured[c]) {
                next = known[k]
                k += 1
            } else if k == known.count || configured[c] < known[k] {
                next = configured[c]
                c += 1
            } else {
                next = known[k]
                k += 1
                c += 1
            }
            if next != server.cluster && next != SuperclusterBuilder.unknownClusterName { expected.append(next) }
        }
        return expected
    }

    /// Expected remotes without a working (confirmed) outbound, sorted.
    public func missingOutbound(for server: ServerNode, grace: Double = DiagnosisThresholds().asymmetryGraceSeconds) -> [String] {
        outboundCoverage(for: server, grace: grace).missing
    }

    /// The expected remotes and those of them without a working outbound, worked out together: what
    /// the "up of expected" counts are made from.
    public func outboundCoverage(for server: ServerNode, grace: Double = DiagnosisThresholds().asymmetryGraceSeconds) -> OutboundCoverage {
        let expected = expectedRemotes(for: server)
        return OutboundCoverage(expected: expected, missing: missingOutbound(for: server, expected: expected, grace: grace))
    }

    private func missingOutbound(for server: ServerNode, expected: [String], grace: Double) -> [String] {
        guard !expected.isEmpty else { return [] }
        var working: [String] = []
        working.reserveCapacity(server.outbound.count)
        for index in server.outbound.indices where !server.outbound[index].isUnconfirmed(grace: grace) {
            working.append(server.outbound[index].remoteCluster)
        }
        // The builder orders outbound connections by remote cluster; a model made otherwise is sorted here.
        if !working.indices.dropFirst().allSatisfy({ !(working[$0] < working[$0 - 1]) }) { working.sort() }
        var missing: [String] = []
        var w = 0
        for name in expected {
            while w < working.count && working[w] < name { w += 1 }
            if w < working.count && working[w] == name { continue }
            missing.append(name)
        }
        return missing
    }

    /// `names` sorted, each once: as given when it already is (the builder's lists are).
    static func sortedWithoutDuplicates(_ names: [String]) -> [String] {
        if names.indices.dropFirst().allSatisfy({ names[$0 - 1] < names[$0] }) { return names }
        return Set(names).sorted()
    }
}

/// A server's outbound gateways against the ones it should have.
public struct OutboundCoverage: Sendable, Equatable {
    /// The clusters it should have an outbound gateway to, sorted (`Supercluster.expectedRemotes`).
    public let expected: [String]
    /// Those without a working one, sorted.
    public let missing: [String]
    /// How many of `expected` have a working outbound gateway.
    public var up: Int { expected.count - missing.count }
}

extension Array where Element == ServerNode {
    /// Each server id's position (the first, for an id listed twice): looking a remote up for each of
    /// 25,000 connections by position copies no server.
    func positionsByID() -> [String: Int] {
        Dictionary(indices.compactMap { index in self[index].id.map { ($0, index) } }, uniquingKeysWith: { first, _ in first })
    }
}
