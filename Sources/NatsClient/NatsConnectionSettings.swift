import Foundation

/// A server to dial: `nats://host:port` (plain, upgraded to TLS when the server or the settings ask for
/// it) or `tls://host:port` (TLS required). User info in the URL (`user:pass@` or `token@`) is taken as
/// credentials, as other NATS clients do.
public struct NatsServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// One server is one host and port, whatever login a URL carried.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.host == rhs.host && lhs.port == rhs.port && lhs.requiresTLS == rhs.requiresTLS
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(host)
        hasher.combine(port)
        hasher.combine(requiresTLS)
    }

    public var host: String
    public var port: Int
    public var requiresTLS: Bool
    public var user: String?
    public var password: String?

    public init(host: String, port: Int, requiresTLS: Bool = false) {
        self.host = host
        self.port = port
        self.requiresTLS = requiresTLS
    }

    public init(url text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let withScheme = trimmed.contains("://") ? trimmed : "nats://" + trimmed
        guard let components = URLComponents(string: withScheme), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw NatsClientError(.invalidURL, "invalid NATS URL \"\(Self.redacted(text))\": expected nats://host[:port]")
        }
        guard ["nats", "tls"].contains(scheme) else {
            throw NatsClientError(
                .invalidURL, "invalid NATS URL \"\(Self.redacted(text))\": scheme \(scheme) (use nats:// or tls://)")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil else {
            throw NatsClientError(.invalidURL, "invalid NATS URL \"\(Self.redacted(text))\": a NATS URL has no path or query")
        }
        let port = components.port ?? 4222
        guard (1...65535).contains(port) else {
            throw NatsClientError(.invalidURL, "invalid NATS URL \"\(Self.redacted(text))\": port \(port) is out of range")
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.requiresTLS = scheme == "tls"
        self.user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
    }

    /// Never shows a password or token.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(requiresTLS ? "tls" : "nats")://\(hostPart):\(port)"
    }

    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.range(of: "://")?.upperBound ?? text.startIndex
        guard start <= at else { return text }
        return String(text[..<start]) + "***" + String(text[at...])
    }
}

/// How the client proves who it is.
public enum NatsAuthentication: Sendable {
    case none
    case userPassword(user: String, password: String)
    case token(String)
    /// An NKey seed: the server's nonce is signed, the public key sent.
    case nkey(seed: String)
    /// A creds file's user JWT and NKey seed (decentralised auth).
    case credentials(jwt: String, seed: String)
}

/// TLS to the NATS client port. Files are PEM.
public struct NatsTLSSettings: Sendable, Hashable {
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// Everything needed to keep one client connection to a NATS system.
public struct NatsClientSettings: Sendable {
    /// Tried in order on the first connection; after a disconnect, the servers the cluster advertised
    /// (INFO connect_urls) are tried as well.
    public var servers: [NatsServerAddress]
    public var authentication: NatsAuthentication
    /// nil: TLS only when the server requires it (or the URL is tls://), verified against the system's roots.
    public var tls: NatsTLSSettings?
    /// Shown by the server in /connz.
    public var connectionName = "gwtop"
    /// Seconds for TCP connect plus the handshake up to the first PONG.
    public var connectTimeout: Double = 5
    /// Reconnect delays: doubling from the first to the longest, with jitter, for ever until closed.
    public var reconnectDelay: ClosedRange<Double> = 0.25...8
    /// Seconds between keep-alive PINGs; after `maxPingsOut` unanswered the connection is replaced.
    public var pingInterval: Double = 5
    public var maxPingsOut = 2
    /// Messages held per subscription for a slow reader before the oldest are dropped (and counted).
    public var subscriptionBuffer = 4096

    /// Credentials in a URL (`nats://user:pass@host`, `nats://token@host`) apply when `authentication`
    /// names none, as in other NATS clients; they are taken out of the addresses here, once, so every
    /// server tried later (the cluster's advertised ones too) gets the same login.
    public init(servers: [NatsServerAddress], authentication: NatsAuthentication = .none, tls: NatsTLSSettings? = nil) {
        var authentication = authentication
        if case .none = authentication, let withUser = servers.first(where: { $0.user != nil }), let user = withUser.user {
            authentication = withUser.password.map { .userPassword(user: user, password: $0) } ?? .token(user)
        }
        self.servers = servers.map { address in
            var bare = address
            bare.user = nil
            bare.password = nil
            return bare
        }
        self.authentication = authentication
        self.tls = tls
    }
}
