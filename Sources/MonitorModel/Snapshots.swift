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

    public init(varz: Varz, gatewayz: Gatewayz, routez: Routez? = nil, healthz: Healthz? = nil, routezCarried: Bool = false) {
        self.varz = varz
        self.gatewayz = gatewayz
        self.routez = routez
        self.healthz = healthz
        self.routezCarried = routezCarried
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
