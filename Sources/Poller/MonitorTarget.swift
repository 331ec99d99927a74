public import MonitorModel

/// TLS settings for one monitoring endpoint. Paths are read when the poller starts.
public struct EndpointTLS: Sendable, Hashable {
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    /// Skip certificate verification. Only ever set for one endpoint, by explicit request.
    public var insecure: Bool

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.insecure = insecure
    }

    public var isDefault: Bool { caFile == nil && certificateFile == nil && keyFile == nil && !insecure }
}

public struct BasicAuth: Sendable, Hashable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// A server's monitoring base URL, parsed and checked, with the credential kept apart from what is shown.
public struct MonitorTarget: Sendable, Hashable {
    public var scheme: String
    public var host: String
    public var port: Int
    /// Path prefix without a trailing slash ("" or "/nats/dc1-a"), for endpoints behind a reverse proxy.
    public var pathPrefix: String
    public var auth: BasicAuth?
    public var tls: EndpointTLS
    public var name: String?
    public var group: String?

    /// Parses `http[s]://[user[:password]@]host[:port][/prefix]`. The port defaults to 8222 for http
    /// (the NATS monitoring port) and 443 for https.
    public init(url text: String, name: String? = nil, group: String? = nil, tls: EndpointTLS = EndpointTLS()) throws {
        let trimmed = text.trimmingSpaces
        guard let schemeEnd = trimmed.range(of: "://") else {
            throw TargetError(url: text, reason: "expected http:// or https:// at the start")
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw TargetError(url: text, reason: "unsupported scheme \"\(scheme)\" (expected http or https)")
        }
        var rest = trimmed[schemeEnd.upperBound...]
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            throw TargetError(url: text, reason: "a base URL takes no query or fragment (\"\(rest[query...])\")")
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        var auth: BasicAuth?
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            auth = BasicAuth(
                username: Self.percentDecoded(String(parts[0])),
                password: parts.count > 1 ? Self.percentDecoded(String(parts[1])) : "")
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw TargetError(url: text, reason: "unterminated IPv6 address")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw TargetError(url: text, reason: "unexpected \"\(after)\" after the IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw TargetError(url: text, reason: "missing host") }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:%".contains($0) }) else {
            throw TargetError(url: text, reason: "invalid host \"\(host)\"")
        }
        var port = scheme == "https" ? 443 : 8222
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw TargetError(url: text, reason: "invalid port \"\(portText)\" (expected 1-65535)")
            }
            port = value
        }
        var prefix = String(rest)
        while prefix.hasSuffix("/") { prefix.removeLast() }
        for endpoint in ["/varz", "/gatewayz", "/routez", "/healthz"] where prefix.hasSuffix(endpoint) {
            throw TargetError(url: text, reason: "give the base URL, without \(endpoint)")
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.pathPrefix = prefix
        self.auth = auth
        self.tls = tls
        self.name = name
        self.group = group
    }

    // An IPv6 address is bracketed. (Looked for as a byte: `contains(":")` went through NSString.)
    private var hostForURL: String { host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host }

    /// The URL to request for one endpoint (no credential inside: basic auth goes in a header).
    public func requestURL(for kind: MonitorEndpointKind) -> String {
        "\(scheme)://\(hostForURL):\(port)\(pathPrefix)\(kind.requestPath)"
    }

    /// Safe to print, log and record: the password is replaced, the user name kept.
    public var displayURL: String {
        let user = auth.map { Self.percentEncodedUser($0.username) + ":***@" } ?? ""
        return "\(scheme)://\(user)\(hostForURL):\(port)\(pathPrefix)"
    }

    public var identity: EndpointIdentity {
        EndpointIdentity(displayURL: displayURL, name: name, group: group, insecureTLS: scheme == "https" && tls.insecure)
    }

    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func percentEncodedUser(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar)) || "-._~".unicodeScalars.contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

public struct TargetError: Error, CustomStringConvertible, Sendable {
    public let url: String
    public let reason: String

    /// Never echoes a password back: the URL is shown with its user-info removed.
    public var description: String { "invalid monitoring URL \"\(CredentialRedaction.redactUserInfo(url))\": \(reason)" }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }

    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
