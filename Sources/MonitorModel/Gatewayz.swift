/// Mirror of `/gatewayz?accs=1` (nats-server `server/monitor.go` Gatewayz), fields 2.2 – 2.15.
public struct Gatewayz: Decodable, Sendable, Equatable {
    public var serverID: String
    public var now: MonitorTime
    /// The gateway (= cluster) name of this server; empty when no gateway is configured.
    public var name: String
    public var host: String?
    public var port: Int?
    /// One entry per remote cluster this server dials, keyed by remote cluster name.
    public var outboundGateways: [String: RemoteGateway]
    /// Keyed by remote cluster name; one entry per remote server that chose this server.
    public var inboundGateways: [String: [RemoteGateway]]

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id", now, name, host, port
        case outboundGateways = "outbound_gateways", inboundGateways = "inbound_gateways"
    }

    public init(
        serverID: String, now: MonitorTime, name: String, host: String? = nil, port: Int? = nil,
        outboundGateways: [String: RemoteGateway] = [:], inboundGateways: [String: [RemoteGateway]] = [:]
    ) {
        self.serverID = serverID
        self.now = now
        self.name = name
        self.host = host
        self.port = port
        self.outboundGateways = outboundGateways
        self.inboundGateways = inboundGateways
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        serverID = try container.decode(String.self, forKey: .serverID)
        now = try container.decodeTime(forKey: .now)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        host = try container.decodeIfPresent(String.self, forKey: .host)
        port = try container.decodeIfPresent(Int.self, forKey: .port)
        outboundGateways = try container.decodeIfPresent([String: RemoteGateway].self, forKey: .outboundGateways) ?? [:]
        inboundGateways = try container.decodeIfPresent([String: [RemoteGateway]].self, forKey: .inboundGateways) ?? [:]
    }
}

public struct RemoteGateway: Decodable, Sendable, Equatable {
    /// Only meaningful on outbound connections: true when the remote is in this server's configuration,
    /// false when it was learned by gossip (implicit). Inbound entries always say false.
    public var configured: Bool
    /// Absent while an outbound is still being established.
    public var connection: GatewayConnectionInfo?
    public var accounts: [AccountInterest]

    enum CodingKeys: String, CodingKey { case configured, connection, accounts }

    public init(configured: Bool, connection: GatewayConnectionInfo?, accounts: [AccountInterest] = []) {
        self.configured = configured
        self.connection = connection
        self.accounts = accounts
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        configured = try container.decodeIfPresent(Bool.self, forKey: .configured) ?? false
        connection = try container.decodeIfPresent(GatewayConnectionInfo.self, forKey: .connection)
        accounts = try container.decodeIfPresent([AccountInterest].self, forKey: .accounts) ?? []
    }
}

/// The `connection` object (ConnInfo) of a gateway entry.
public struct GatewayConnectionInfo: Decodable, Sendable, Equatable {
    /// The connection id, printed by the server in its logs as `gid:N`.
    public var cid: UInt64
    // `kind` ("Gateway") and `type` are not kept: nothing reads them, and the decoder made a String of
    // each for every connection of every poll.
    public var ip: String?
    public var port: Int?
    public var start: MonitorTime?
    public var lastActivity: MonitorTime?
    /// Seconds; nil when the server sent none (before the first PONG it sends "0s", which is 0).
    public var rtt: Double?
    public var uptime: Double?
    public var idle: Double?
    public var pendingBytes: Int64
    public var inMsgs: Int64
    public var outMsgs: Int64
    public var inBytes: Int64
    public var outBytes: Int64
    public var subscriptions: Int64
    /// The remote server's id (not its name).
    public var name: String?
    public var tlsVersion: String?
    public var tlsCipherSuite: String?
    public var tlsFirst: Bool?
    public var stalls: Int64?

    enum CodingKeys: String, CodingKey {
        case cid, ip, port, start, rtt, uptime, idle, name, stalls
        case lastActivity = "last_activity", pendingBytes = "pending_bytes"
        case inMsgs = "in_msgs", outMsgs = "out_msgs", inBytes = "in_bytes", outBytes = "out_bytes"
        case subscriptions
        case tlsVersion = "tls_version", tlsCipherSuite = "tls_cipher_suite", tlsFirst = "tls_first"
    }

    public init(
        cid: UInt64, ip: String? = nil, port: Int? = nil, start: MonitorTime? = nil, rtt: Double? = nil,
        uptime: Double? = nil, idle: Double? = nil, pendingBytes: Int64 = 0, inMsgs: Int64 = 0, outMsgs: Int64 = 0,
        inBytes: Int64 = 0, outBytes: Int64 = 0, subscriptions: Int64 = 0, name: String? = nil
    ) {
        self.cid = cid
        self.ip = ip
        self.port = port
        self.start = start
        self.rtt = rtt
        self.uptime = uptime
        self.idle = idle
        self.pendingBytes = pendingBytes
        self.inMsgs = inMsgs
        self.outMsgs = outMsgs
        self.inBytes = inBytes
        self.outBytes = outBytes
        self.subscriptions = subscriptions
        self.name = name
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cid = try c.decode(UInt64.self, forKey: .cid)
        ip = try c.decodeIfPresent(String.self, forKey: .ip)
        port = try c.decodeIfPresent(Int.self, forKey: .port)
        start = try c.decodeTimeIfPresent(forKey: .start)
        lastActivity = try c.decodeTimeIfPresent(forKey: .lastActivity)
        rtt = try c.decodeDurationIfPresent(forKey: .rtt)
        uptime = try c.decodeDurationIfPresent(forKey: .uptime)
        idle = try c.decodeDurationIfPresent(forKey: .idle)
        pendingBytes = try c.decodeIfPresent(Int64.self, forKey: .pendingBytes) ?? 0
        inMsgs = try c.decodeIfPresent(Int64.self, forKey: .inMsgs) ?? 0
        outMsgs = try c.decodeIfPresent(Int64.self, forKey: .outMsgs) ?? 0
        inBytes = try c.decodeIfPresent(Int64.self, forKey: .inBytes) ?? 0
        outBytes = try c.decodeIfPresent(Int64.self, forKey: .outBytes) ?? 0
        subscriptions = try c.decodeIfPresent(Int64.self, forKey: .subscriptions) ?? 0
        name = try c.decodeIfPresent(String.self, forKey: .name)
        tlsVersion = try c.decodeIfPresent(String.self, forKey: .tlsVersion)
        tlsCipherSuite = try c.decodeIfPresent(String.self, forKey: .tlsCipherSuite)
        tlsFirst = try c.decodeIfPresent(Bool.self, forKey: .tlsFirst)
        stalls = try c.decodeIfPresent(Int64.self, forKey: .stalls)
    }
}

/// Per-account interest state of a gateway connection (`accounts[]`, present with `accs=1`).
public struct AccountInterest: Decodable, Sendable, Equatable {
    public var name: String
    /// `Optimistic`, `Transitioning` or `Interest-Only`.
    public var interestMode: String?
    public var noInterestCount: Int64?
    public var interestOnlyThreshold: Int64?
    public var numSubs: Int64?
    public var numQueueSubs: Int64?

    enum CodingKeys: String, CodingKey {
        case name, interestMode = "interest_mode", noInterestCount = "no_interest_count"
        case interestOnlyThreshold = "interest_only_threshold", numSubs = "num_subs", numQueueSubs = "num_queue_subs"
    }

    public init(name: String, interestMode: String? = nil, numSubs: Int64? = nil, numQueueSubs: Int64? = nil) {
        self.name = name
        self.interestMode = interestMode
        self.numSubs = numSubs
        self.numQueueSubs = numQueueSubs
    }
}

/// The remote server ids of one endpoint's `/gatewayz`, in the order they are met in the document. The
/// next document's decoder shares these Strings where its ids are the same bytes at or near the same
/// place (see `FastMonitorDecoder.optionalConnectionName`).
public struct ConnectionNames: Sendable {
    private(set) var ids: [String] = []
    /// Each id's first eight bytes (0 for an id short enough to be held inline, never shared), so an id
    /// can be looked for without reading the strings.
    private var prefixes: [UInt64] = []

    /// How far from its old place an id is looked for: past any one cluster's inbound connections to a
    /// server in practice (one per server of that cluster that chose this one).
    static let searchDistance = 32

    /// How many remote clusters the document listed outbound and inbound: the next document's maps are
    /// made that size to start with (grown one member at a time, they rehashed and moved every member at
    /// each doubling).
    var outboundClusters = 0
    var inboundClusters = 0

    /// Where ids this document did not share with the last are looked up, so every endpoint's equal ids
    /// are one String (nil: each new id is a String of its own).
    let interner: ServerIDInterner?

    public init(interning interner: ServerIDInterner? = nil) {
        self.interner = interner
    }

    /// Ids as given (tests): each one's prefix worked out as the decoder does.
    init(ids: [String], interning interner: ServerIDInterner? = nil) {
        self.interner = interner
        for id in ids {
            var id = id
            let prefix = id.withUTF8 { utf8 in
                utf8.count > FastMonitorDecoder.longestInlineString ? UnsafeRawBufferPointer(utf8).loadUnaligned(as: UInt64.self) : 0
            }
            append(id, prefix: prefix)
        }
    }

    public var count: Int { ids.count }

    mutating func reserveCapacity(_ capacity: Int) {
        ids.reserveCapacity(capacity)
        prefixes.reserveCapacity(capacity)
    }

    mutating func append(_ id: String, prefix: UInt64) {
        ids.append(id)
        prefixes.append(prefix)
    }

    /// The id whose bytes are `raw` (starting with `prefix`), at `position` or within `searchDistance` of
    /// it, nearest first; nil if none is.
    @inline(__always)
    func id(matching raw: UnsafeRawBufferPointer, prefix: UInt64, near position: Int) -> String? {
        // Usually where it was: checked here, the search kept out of the way.
        if position < ids.count, prefixes[position] == prefix, FastMonitorDecoder.sameBytes(ids[position], raw) { return ids[position] }
        return nearbyID(matching: raw, prefix: prefix, near: position)
    }

    @inline(never)
    private func nearbyID(matching raw: UnsafeRawBufferPointer, prefix: UInt64, near position: Int) -> String? {
        guard !ids.isEmpty else { return nil }
        let center = min(position, ids.count - 1)
        for distance in 0...Self.searchDistance {
            let after = center + distance, before = center - distance
            if after < ids.count, prefixes[after] == prefix, FastMonitorDecoder.sameBytes(ids[after], raw) { return ids[after] }
            if distance > 0, before >= 0, prefixes[before] == prefix, FastMonitorDecoder.sameBytes(ids[before], raw) {
                return ids[before]
            }
            if after >= ids.count - 1 && before <= 0 { return nil }
        }
        return nil
    }
}
