public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
    case critical, warning, info

    private var rank: Int {
        switch self {
        case .critical: 0
        case .warning: 1
        case .info: 2
        }
    }

    /// Most severe first.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The fixed vocabulary of problems gwtop reports. Raw values are part of the JSON contract.
public enum ProblemKind: String, Sendable, Codable, CaseIterable {
    case endpointUnreachable = "endpoint_unreachable"
    /// Seen through the system account before, silent now: down, partitioned off, or stuck.
    case serverSilent = "server_silent"
    case endpointUnhealthy = "endpoint_unhealthy"
    /// The supercluster in parts with no gateway between them; a cluster cut off from all others.
    case meshSplit = "mesh_split"
    /// Two clusters with no gateway between them either way.
    case clustersCut = "clusters_cut"
    case missingOutbound = "missing_outbound"
    case missingInbound = "missing_inbound"
    case asymmetricLink = "asymmetric_link"
    case gatewayReconnected = "gateway_reconnected"
    case slowGateway = "slow_gateway"
    case highRTT = "high_rtt"
    case staleGateway = "stale_gateway"
    case implicitGateway = "implicit_gateway"
    case duplicateServerName = "duplicate_server_name"
    case gatewayNotConfigured = "gateway_not_configured"
    // The configuration audit.
    case gatewayConfigMismatch = "gateway_config_mismatch"
    case gatewayNameMismatch = "gateway_name_mismatch"
    case unknownClusterRejected = "unknown_cluster_rejected"
    case gatewayCertExpiring = "gateway_cert_expiring"
    case advertiseMismatch = "advertise_mismatch"
    case implicitOnlyCluster = "implicit_only_cluster"
}

/// One finding of the diagnosis, with what it concerns and a sentence for a person.
public struct Problem: Sendable, Equatable, Hashable {
    public var severity: Severity
    public var kind: ProblemKind
    public var cluster: String?
    public var server: String?
    public var remoteCluster: String?
    public var url: String?
    /// The gateway connection concerned, where there is one.
    public var gid: UInt64?
    public var message: String

    public init(
        _ severity: Severity, _ kind: ProblemKind, cluster: String? = nil, server: String? = nil,
        remoteCluster: String? = nil, url: String? = nil, gid: UInt64? = nil, message: String
    ) {
        self.severity = severity
        self.kind = kind
        self.cluster = cluster
        self.server = server
        self.remoteCluster = remoteCluster
        self.url = url
        self.gid = gid
        self.message = message
    }
}

/// Limits beyond which a connection is reported. Defaults follow the NATS tools where they have one.
public struct DiagnosisThresholds: Sendable, Equatable {
    /// `nats server report gateways` flags RTT above 300 ms.
    public var highRTTSeconds: Double = 0.3
    /// Outbound data queued but not yet written to the socket.
    public var slowPendingBytes: Int64 = 1 << 20
    /// Gateways ping every min(ping_interval, 15 s); idle far beyond that means a stale link.
    public var staleIdleSeconds: Double = 60
    /// A link younger than this is not called asymmetric: the two ends are polled at slightly different
    /// moments, so a connection being set up is briefly one-sided.
    public var asymmetryGraceSeconds: Double = 5
    /// A gateway certificate expiring within this many days is a warning...
    public var certificateWarningDays: Double = 14
    /// ...and within this many (or already expired) critical.
    public var certificateCriticalDays: Double = 2

    public init() {}
}
