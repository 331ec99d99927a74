/// Mirror of `/routez`: the server's route connections to the other servers of its own cluster.
/// gwtop uses it to learn cluster members it does not poll (for inbound-count expectations).
public struct Routez: Decodable, Sendable, Equatable {
    public var serverID: String
    public var now: MonitorTime?
    public var routes: [Route]

    enum CodingKeys: String, CodingKey { case serverID = "server_id", now, routes }

    public init(serverID: String, now: MonitorTime? = nil, routes: [Route]) {
        self.serverID = serverID
        self.now = now
        self.routes = routes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        serverID = try c.decode(String.self, forKey: .serverID)
        now = try c.decodeTimeIfPresent(forKey: .now)
        routes = try c.decodeIfPresent([Route].self, forKey: .routes) ?? []
    }

    public struct Route: Decodable, Sendable, Equatable {
        public var rid: UInt64
        public var remoteID: String
        /// 2.9.16+.
        public var remoteName: String?
        public var ip: String?
        public var port: Int?

        enum CodingKeys: String, CodingKey { case rid, remoteID = "remote_id", remoteName = "remote_name", ip, port }

        public init(rid: UInt64, remoteID: String, remoteName: String? = nil) {
            self.rid = rid
            self.remoteID = remoteID
            self.remoteName = remoteName
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            rid = try c.decodeIfPresent(UInt64.self, forKey: .rid) ?? 0
            remoteID = try c.decode(String.self, forKey: .remoteID)
            remoteName = try c.decodeIfPresent(String.self, forKey: .remoteName)
            ip = try c.decodeIfPresent(String.self, forKey: .ip)
            port = try c.decodeIfPresent(Int.self, forKey: .port)
        }
    }
}

/// Mirror of `/healthz`. Its gateway part only checks the listener, so it complements, never replaces,
/// the mesh diagnosis.
public struct Healthz: Decodable, Sendable, Equatable {
    public var status: String
    public var statusCode: Int?
    public var error: String?

    enum CodingKeys: String, CodingKey { case status, statusCode = "status_code", error }

    public init(status: String, statusCode: Int? = nil, error: String? = nil) {
        self.status = status
        self.statusCode = statusCode
        self.error = error
    }

    public var isOK: Bool { status.lowercased() == "ok" }
}
