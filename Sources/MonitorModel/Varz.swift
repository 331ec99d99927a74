/// Mirror of the parts of `/varz` gwtop uses: identity, version, counters and the gateway configuration.
public struct Varz: Decodable, Sendable, Equatable {
    public var serverID: String
    public var serverName: String?
    public var version: String?
    public var now: MonitorTime?
    public var start: MonitorTime?
    public var uptime: Double?
    public var cluster: ClusterSection?
    public var gateway: GatewaySection?
    public var connections: Int64?
    public var routes: Int64?
    public var remotes: Int64?
    public var slowConsumers: Int64?
    /// `slow_consumer_stats.gateways` (2.10+).
    public var gatewaySlowConsumers: Int64?
    /// `stale_connection_stats.gateways` (2.12+).
    public var gatewayStaleConnections: Int64?

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id", serverName = "server_name", version, now, start, uptime, cluster, gateway
        case connections, routes, remotes, slowConsumers = "slow_consumers"
        case slowConsumerStats = "slow_consumer_stats", staleConnectionStats = "stale_connection_stats"
    }

    struct KindCounters: Decodable { var gateways: Int64? }

    public init(
        serverID: String, serverName: String?, version: String? = nil, now: MonitorTime? = nil,
        cluster: ClusterSection? = nil, gateway: GatewaySection? = nil
    ) {
        self.serverID = serverID
        self.serverName = serverName
        self.version = version
        self.now = now
        self.cluster = cluster
        self.gateway = gateway
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        serverID = try c.decode(String.self, forKey: .serverID)
        serverName = try c.decodeIfPresent(String.self, forKey: .serverName)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        now = try c.decodeTimeIfPresent(forKey: .now)
        start = try c.decodeTimeIfPresent(forKey: .start)
        uptime = try c.decodeDurationIfPresent(forKey: .uptime)
        cluster = try c.decodeIfPresent(ClusterSection.self, forKey: .cluster)
        gateway = try c.decodeIfPresent(GatewaySection.self, forKey: .gateway)
        connections = try c.decodeIfPresent(Int64.self, forKey: .connections)
        routes = try c.decodeIfPresent(Int64.self, forKey: .routes)
        remotes = try c.decodeIfPresent(Int64.self, forKey: .remotes)
        slowConsumers = try c.decodeIfPresent(Int64.self, forKey: .slowConsumers)
        gatewaySlowConsumers = try c.decodeIfPresent(KindCounters.self, forKey: .slowConsumerStats)?.gateways
        gatewayStaleConnections = try c.decodeIfPresent(KindCounters.self, forKey: .staleConnectionStats)?.gateways
    }
}

/// `/varz` `cluster` section (routes within one cluster).
public struct ClusterSection: Decodable, Sendable, Equatable {
    public var name: String?
    public var addr: String?
    public var clusterPort: Int?
    public var urls: [String]

    enum CodingKeys: String, CodingKey { case name, addr, clusterPort = "cluster_port", urls }

    public init(name: String?) {
        self.name = name
        self.urls = []
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        addr = try c.decodeIfPresent(String.self, forKey: .addr)
        clusterPort = try c.decodeIfPresent(Int.self, forKey: .clusterPort)
        urls = try c.decodeIfPresent([String].self, forKey: .urls) ?? []
    }
}

/// `/varz` `gateway` section: the gateway block as this server runs it.
public struct GatewaySection: Decodable, Sendable, Equatable {
    public var name: String?
    public var host: String?
    public var port: Int?
    public var advertise: String?
    public var connectRetries: Int?
    public var rejectUnknown: Bool?
    public var authTimeout: Double?
    public var tlsTimeout: Double?
    public var tlsRequired: Bool?
    public var tlsVerify: Bool?
    public var tlsCertNotAfter: MonitorTime?
    /// Configured remote gateways (may include the server's own cluster).
    public var gateways: [ConfiguredGateway] { didSet { gatewayNames = Self.sortedNames(gateways) } }
    /// The configured gateways' names, sorted, each once. Worked out when the section is made: a full
    /// poll's `/varz` is carried through the frequent polls after it, and every poll's model asks. No
    /// default, so every initialiser must set it (`didSet` does not run there).
    public private(set) var gatewayNames: [String]

    enum CodingKeys: String, CodingKey {
        case name, host, port, advertise, gateways
        case connectRetries = "connect_retries", rejectUnknown = "reject_unknown"
        case authTimeout = "auth_timeout", tlsTimeout = "tls_timeout", tlsRequired = "tls_required"
        case tlsVerify = "tls_verify", tlsCertNotAfter = "tls_cert_not_after"
    }

    public init(name: String?, gateways: [ConfiguredGateway] = []) {
        self.name = name
        self.gateways = gateways
        gatewayNames = Self.sortedNames(gateways)
    }

    static func sortedNames(_ gateways: [ConfiguredGateway]) -> [String] { Set(gateways.map(\.name)).sorted() }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        port = try c.decodeIfPresent(Int.self, forKey: .port)
        advertise = try c.decodeIfPresent(String.self, forKey: .advertise)
        connectRetries = try c.decodeIfPresent(Int.self, forKey: .connectRetries)
        rejectUnknown = try c.decodeIfPresent(Bool.self, forKey: .rejectUnknown)
        authTimeout = try c.decodeIfPresent(Double.self, forKey: .authTimeout)
        tlsTimeout = try c.decodeIfPresent(Double.self, forKey: .tlsTimeout)
        tlsRequired = try c.decodeIfPresent(Bool.self, forKey: .tlsRequired)
        tlsVerify = try c.decodeIfPresent(Bool.self, forKey: .tlsVerify)
        tlsCertNotAfter = try c.decodeTimeIfPresent(forKey: .tlsCertNotAfter)
        gateways = try c.decodeIfPresent([ConfiguredGateway].self, forKey: .gateways) ?? []
        gatewayNames = Self.sortedNames(gateways)
    }
}

public struct ConfiguredGateway: Decodable, Sendable, Equatable {
    public var name: String
    public var urls: [String]

    enum CodingKeys: String, CodingKey { case name, urls }

    public init(name: String, urls: [String] = []) {
        self.name = name
        self.urls = urls
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        urls = try c.decodeIfPresent([String].self, forKey: .urls) ?? []
    }
}
