/// One server's monitoring documents from one poll. varz and gatewayz are always there; routez and
/// healthz are optional extras (a proxy may not expose them).
public struct ServerSnapshot: Sendable, Equatable {
    public var varz: Varz
    public var gatewayz: Gatewayz
    public var routez: Routez?
    public var healthz: Healthz?
    /// `routez` was carried from the last full poll, not asked in this one: a route in it may name a
    /// peer as it was then (a peer that restarted since has a new id).
    public var routezCarried: Bool
    /// Each gateway connection's account interest: this poll's if it asked `/gatewayz?accs=1`, else the
    /// last full poll's. Kept apart from `gatewayz` (whose entries carry accounts only when it was asked
    /// with them), so a poll between full ones shares the carried table whole instead of copying each
    /// connection's list into its document and its model.
    public var accounts: [GatewayConnectionKey: [AccountInterest]]

    /// `accounts` nil: those of `gatewayz` itself.
    public init(
        varz: Varz, gatewayz: Gatewayz, routez: Routez? = nil, healthz: Healthz? = nil, routezCarried: Bool = false,
        accounts: [GatewayConnectionKey: [AccountInterest]]? = nil
    ) {
        self.varz = varz
        self.gatewayz = gatewayz
        self.routez = routez
        self.healthz = healthz
        self.routezCarried = routezCarried
        self.accounts = accounts ?? gatewayz.connectionAccounts
    }
}

/// A gateway connection as its server reports it: gids are unique per server and direction.
public struct GatewayConnectionKey: Hashable, Sendable {
    public var inbound: Bool
    public var remoteCluster: String
    public var gid: UInt64

    public init(inbound: Bool, remoteCluster: String, gid: UInt64) {
        self.inbound = inbound
        self.remoteCluster = remoteCluster
        self.gid = gid
    }

    // Hashed by gid alone, which is unique among a server's connections (equality still compares all
    // three): hashing the cluster name for each of 25,000 connections a poll cost more than the rest
    // of the lookup.
    public func hash(into hasher: inout Hasher) { hasher.combine(gid) }
}

extension Gatewayz {
    /// Every connection's accounts as this document gives them (empty lists unless asked with `accs=1`).
    public var connectionAccounts: [GatewayConnectionKey: [AccountInterest]] {
        // Made at its final size: grown one connection at a time it rehashed every key at each doubling.
        var accounts = [GatewayConnectionKey: [AccountInterest]](
            minimumCapacity: outboundGateways.count + inboundGateways.values.reduce(0) { $0 + $1.count })
        forEachConnection { key, remote in accounts[key] = remote.accounts }
        return accounts
    }

    /// Each established connection (one with a `connection` object) with its key.
    func forEachConnection(_ body: (GatewayConnectionKey, RemoteGateway) -> Void) {
        for (cluster, remote) in outboundGateways {
            guard let gid = remote.connection?.cid else { continue }
            body(GatewayConnectionKey(inbound: false, remoteCluster: cluster, gid: gid), remote)
        }
        for (cluster, remotes) in inboundGateways {
            for remote in remotes {
                guard let gid = remote.connection?.cid else { continue }
                body(GatewayConnectionKey(inbound: true, remoteCluster: cluster, gid: gid), remote)
            }
        }
    }
}

/// How a monitoring endpoint is known to the user: its URL with any credential removed, and optional
/// name and group (cluster) from the configuration.
public struct EndpointIdentity: Sendable, Hashable, Comparable {
    /// Never contains a password: safe to print, log and record.
    public var displayURL: String
    public var name: String?
    public var group: String?
    /// TLS certificate verification is switched off for this endpoint (asked for in the config):
    /// shown wherever the endpoint is, so nobody mistakes it for a verified one.
    public var insecureTLS: Bool

    public init(displayURL: String, name: String? = nil, group: String? = nil, insecureTLS: Bool = false) {
        self.displayURL = displayURL
        self.name = name
        self.group = group
        self.insecureTLS = insecureTLS
    }

    public static func < (lhs: EndpointIdentity, rhs: EndpointIdentity) -> Bool { lhs.displayURL < rhs.displayURL }
}

/// Why an endpoint gave no usable data in a poll.
public struct EndpointFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, Codable {
        case refused, timeout, http, tls, decode, tooLarge = "too_large", invalidURL = "invalid_url", network
        /// A server that answered the system account before and did not answer this poll.
        case silent
    }
    public var reason: Reason
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}

/// What one endpoint gave in one poll.
public struct EndpointObservation: Sendable {
    public var endpoint: EndpointIdentity
    /// Local clock when the answer (or failure) arrived.
    public var observedAt: MonitorTime
    public var outcome: Result<ServerSnapshot, EndpointFailure>
    /// Optional endpoints (routez, healthz) that failed: the server is still modelled.
    public var partialFailures: [String]

    public init(
        endpoint: EndpointIdentity, observedAt: MonitorTime, outcome: Result<ServerSnapshot, EndpointFailure>,
        partialFailures: [String] = []
    ) {
        self.endpoint = endpoint
        self.observedAt = observedAt
        self.outcome = outcome
        self.partialFailures = partialFailures
    }

    public var snapshot: ServerSnapshot? {
        if case .success(let snapshot) = outcome { return snapshot }
        return nil
    }

    public var failure: EndpointFailure? {
        if case .failure(let failure) = outcome { return failure }
        return nil
    }
}

/// Everything one poll cycle learned, in endpoint order.
public struct PollSnapshot: Sendable {
    public var sequence: Int
    public var startedAt: MonitorTime
    public var finishedAt: MonitorTime
    public var observations: [EndpointObservation]

    public init(sequence: Int, startedAt: MonitorTime, finishedAt: MonitorTime, observations: [EndpointObservation]) {
        self.sequence = sequence
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.observations = observations
    }
}
