import Foundation
public import Poller
public import SystemAccountSource
public import Topology
import Yams

/// Settings from a gwtop YAML file. Command-line flags override these.
public struct GwtopConfiguration: Sendable {
    public var endpoints: [MonitorTarget] = []
    public var interval: Double?
    public var timeout: Double?
    /// Seconds between polls that ask everything (`full_every`, as `--full-every`).
    public var fullEvery: Double?
    public var maxConcurrentEndpoints: Int?
    public var thresholds = DiagnosisThresholds()
    /// Dashboard theme name or path.
    public var theme: String?
    /// The dashboard's first order (`sort`, as `--sort`): one of `sortOrders`.
    public var sort: String?
    /// A `sort` that is none of them, as a located message: only the dashboard stops for it (as for a
    /// bad theme), so a typo there does not turn every `--check` UNKNOWN.
    public var sortError: String?
    /// The dashboard's orders, as its `s` key goes through them (TerminalUI's `SortKey`, which this
    /// module does not see; a test keeps the two the same).
    public static let sortOrders = ["name", "health", "rate", "rtt", "pending", "uptime"]
    /// The `nats:` section: one connection to the system account that finds every server.
    public var systemAccount = SystemAccountSettings()
    /// Non-fatal findings, such as a password in a file others can read.
    public var warnings: [String] = []

    public init() {}

    /// `$XDG_CONFIG_HOME/gwtop/config.yaml`, or `~/.config/gwtop/config.yaml`.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/gwtop/config.yaml" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/gwtop/config.yaml" }
        return nil
    }

    public static func load(path: String) throws -> GwtopConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: nil, message: "cannot read the file (missing or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, message: "the file is not UTF-8 text")
        }
        var configuration = try parse(yaml: text, file: path)
        let holdsSecret = configuration.endpoints.contains(where: { $0.auth?.password.isEmpty == false })
            || configuration.systemAccount.password != nil || configuration.systemAccount.token != nil
        if holdsSecret,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let permissions = attributes[.posixPermissions] as? Int, permissions & 0o004 != 0
        {
            configuration.warnings.append(
                "\(path) holds a password and is readable by every user (mode \(String(permissions, radix: 8))); "
                    + "chmod 600 it")
        }
        return configuration
    }

    /// Parses configuration text; `file` names the source in error messages.
    public static func parse(yaml text: String, file: String) throws -> GwtopConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError.fromYAML(error, file: file)
        } catch {
            throw ConfigError(file: file, line: nil, message: "not valid YAML: \(error)")
        }
        var configuration = GwtopConfiguration()
        guard let root else { return configuration }  // an empty file configures nothing
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, context: "the top level",
            allowed: ["interval", "timeout", "full_every", "max_concurrent", "endpoints", "groups", "thresholds", "theme", "sort", "nats"])
        if let node = top["interval"] {
            configuration.interval = try reader.number(node, key: "interval", range: 0.1...3600)
        }
        if let node = top["timeout"] {
            configuration.timeout = try reader.number(node, key: "timeout", range: 0.05...600)
        }
        if let node = top["full_every"] {
            configuration.fullEvery = try reader.number(node, key: "full_every", range: 0...86400)
        }
        if let node = top["max_concurrent"] {
            configuration.maxConcurrentEndpoints = Int(try reader.number(node, key: "max_concurrent", range: 1...4096, integer: true))
        }
        if let node = top["theme"] {
            configuration.theme = try reader.string(node, key: "theme")
        }
        if let node = top["sort"] {
            let order = try reader.string(node, key: "sort")
            if Self.sortOrders.contains(order) {
                configuration.sort = order
            } else {
                configuration.sortError = "\(reader.error(node, "sort: \"\(order)\" is not an order; expected one of: \(Self.sortOrders.joined(separator: ", "))"))"
            }
        }
        if let node = top["endpoints"] {
            for item in try reader.sequence(node, key: "endpoints") {
                configuration.endpoints.append(try reader.endpoint(item, group: nil))
            }
        }
        if let node = top["groups"] {
            let groups = try reader.mapping(node, context: "groups", allowed: nil)
            for (name, value) in groups.ordered {
                for item in try reader.sequence(value, key: "groups.\(name)") {
                    configuration.endpoints.append(try reader.endpoint(item, group: name))
                }
            }
        }
        if let node = top["nats"] {
            configuration.systemAccount = try reader.systemAccount(node)
        }
        if let node = top["thresholds"] {
            let thresholds = try reader.mapping(node, context: "thresholds",
                allowed: ["high_rtt_ms", "slow_pending_bytes", "stale_idle_s", "asymmetry_grace_s"])
            if let value = thresholds["high_rtt_ms"] {
                configuration.thresholds.highRTTSeconds = try reader.number(value, key: "thresholds.high_rtt_ms", range: 0...3_600_000) / 1000
            }
            if let value = thresholds["slow_pending_bytes"] {
                configuration.thresholds.slowPendingBytes = Int64(try reader.number(
                    value, key: "thresholds.slow_pending_bytes", range: 0...1e15, integer: true))
            }
            if let value = thresholds["stale_idle_s"] {
                configuration.thresholds.staleIdleSeconds = try reader.number(value, key: "thresholds.stale_idle_s", range: 1...1e7)
            }
            if let value = thresholds["asymmetry_grace_s"] {
                configuration.thresholds.asymmetryGraceSeconds = try reader.number(value, key: "thresholds.asymmetry_grace_s", range: 0...3600)
            }
        }
        return configuration
    }
}

/// A configuration problem, located: `FILE:LINE: what was wrong and what was expected`.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?
    public let message: String

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }

    static func fromYAML(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, _):
            return ConfigError(file: file, line: nil, message: "duplicated key(s): \(duplicates.joined(separator: ", "))")
        default:
            return ConfigError(file: file, line: nil, message: "not valid YAML: \(error)")
        }
    }
}

/// Walks the YAML tree with strict types and keys, turning every mismatch into a located error.
struct NodeReader {
    let file: String

    struct Mapping {
        var ordered: [(String, Node)]
        subscript(key: String) -> Node? { ordered.first { $0.0 == key }?.1 }
    }

    func error(_ node: Node, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line, message: message)
    }

    func mapping(_ node: Node, context: String, allowed: Set<String>?) throws -> Mapping {
        guard let mapping = node.mapping else {
            throw error(node, "\(context): expected a mapping of keys to values, found \(kind(of: node))")
        }
        var ordered: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { throw error(keyNode, "\(context): keys must be plain strings") }
            if let allowed, !allowed.contains(key) {
                throw error(keyNode, "unknown key \"\(key)\" in \(context); expected one of: \(allowed.sorted().joined(separator: ", "))")
            }
            if ordered.contains(where: { $0.0 == key }) { throw error(keyNode, "key \"\(key)\" appears twice in \(context)") }
            ordered.append((key, value))
        }
        return Mapping(ordered: ordered)
    }

    func sequence(_ node: Node, key: String) throws -> [Node] {
        guard let sequence = node.sequence else { throw error(node, "\(key): expected a list, found \(kind(of: node))") }
        return Array(sequence)
    }

    func string(_ node: Node, key: String) throws -> String {
        guard let scalar = node.scalar else { throw error(node, "\(key): expected a string, found \(kind(of: node))") }
        return scalar.string
    }

    func bool(_ node: Node, key: String) throws -> Bool {
        guard let scalar = node.scalar else { throw error(node, "\(key): expected true or false, found \(kind(of: node))") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "\(key): expected true or false, found \"\(scalar.string)\"")
        }
    }

    func number(_ node: Node, key: String, range: ClosedRange<Double>, integer: Bool = false) throws -> Double {
        guard let scalar = node.scalar else { throw error(node, "\(key): expected a number, found \(kind(of: node))") }
        guard let value = Double(scalar.string), value.isFinite else {
            throw error(node, "\(key): expected a number, found \"\(scalar.string)\"")
        }
        if integer && value != value.rounded() { throw error(node, "\(key): expected a whole number, found \(scalar.string)") }
        guard range.contains(value) else {
            throw error(node, "\(key): \(scalar.string) is out of range (expected \(describe(range.lowerBound)) to \(describe(range.upperBound)))")
        }
        return value
    }

    func endpoint(_ node: Node, group: String?) throws -> MonitorTarget {
        if let scalar = node.scalar {
            do {
                return try MonitorTarget(url: scalar.string, group: group)
            } catch {
                throw self.error(node, "\(error)")
            }
        }
        let fields = try mapping(node, context: "an endpoint",
            allowed: ["url", "name", "group", "username", "password", "tls"])
        guard let urlNode = fields["url"] else { throw error(node, "endpoint: the key \"url\" is required") }
        let url = try string(urlNode, key: "url")
        var tls = EndpointTLS()
        if let tlsNode = fields["tls"] {
            let tlsFields = try mapping(tlsNode, context: "tls", allowed: ["ca_file", "cert_file", "key_file", "insecure"])
            for (key, value) in tlsFields.ordered where key != "insecure" {
                let path = try string(value, key: "tls.\(key)")
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw error(value, "tls.\(key): cannot read \(path)")
                }
                switch key {
                case "ca_file": tls.caFile = path
                case "cert_file": tls.certificateFile = path
                default: tls.keyFile = path
                }
            }
            if let value = tlsFields["insecure"] { tls.insecure = try bool(value, key: "tls.insecure") }
            if (tls.certificateFile == nil) != (tls.keyFile == nil) {
                throw error(tlsNode, "tls: cert_file and key_file go together")
            }
        }
        var name: String?
        if let node = fields["name"] { name = try string(node, key: "name") }
        var endpointGroup = group
        if let node = fields["group"] { endpointGroup = try string(node, key: "group") }
        var target: MonitorTarget
        do {
            target = try MonitorTarget(url: url, name: name, group: endpointGroup, tls: tls)
        } catch {
            throw self.error(urlNode, "\(error)")
        }
        if tls != EndpointTLS(), target.scheme != "https" {
            throw error(node, "tls settings given for a plain http URL (\(target.displayURL))")
        }
        if let userNode = fields["username"] {
            var password = ""
            if let node = fields["password"] { password = try string(node, key: "password") }
            target.auth = BasicAuth(username: try string(userNode, key: "username"), password: password)
        } else if let passwordNode = fields["password"] {
            throw error(passwordNode, "password given without username")
        }
        return target
    }

    /// `nats: {url | urls, user, password, token, nkey_file, creds_file, tls: {ca_file, cert_file, key_file}}`
    func systemAccount(_ node: Node) throws -> SystemAccountSettings {
        let fields = try mapping(node, context: "nats",
            allowed: ["url", "urls", "user", "password", "token", "nkey_file", "creds_file", "tls"])
        var settings = SystemAccountSettings()
        if let url = fields["url"], fields["urls"] != nil {
            throw error(url, "nats: give url or urls, not both")
        }
        if let url = fields["url"] { settings.urls = [try string(url, key: "nats.url")] }
        if let urls = fields["urls"] { settings.urls = try sequence(urls, key: "nats.urls").map { try string($0, key: "nats.urls") } }
        guard !settings.urls.isEmpty else { throw error(node, "nats: the key \"url\" (or \"urls\") is required") }
        if let value = fields["user"] { settings.user = try string(value, key: "nats.user") }
        if let value = fields["password"] { settings.password = try string(value, key: "nats.password") }
        if let value = fields["token"] { settings.token = try string(value, key: "nats.token") }
        for (key, path) in [("nkey_file", \SystemAccountSettings.nkeyFile), ("creds_file", \SystemAccountSettings.credsFile)] {
            guard let value = fields[key] else { continue }
            let file = try string(value, key: "nats.\(key)")
            guard FileManager.default.isReadableFile(atPath: file) else { throw error(value, "nats.\(key): cannot read \(file)") }
            settings[keyPath: path] = file
        }
        if let tlsNode = fields["tls"] {
            let tlsFields = try mapping(tlsNode, context: "nats.tls", allowed: ["ca_file", "cert_file", "key_file"])
            for (key, value) in tlsFields.ordered {
                let file = try string(value, key: "nats.tls.\(key)")
                guard FileManager.default.isReadableFile(atPath: file) else { throw error(value, "nats.tls.\(key): cannot read \(file)") }
                switch key {
                case "ca_file": settings.tlsCAFile = file
                case "cert_file": settings.tlsCertificateFile = file
                default: settings.tlsKeyFile = file
                }
            }
        }
        do {
            _ = try settings.clientSettings(naming: .configFile)
        } catch {
            throw self.error(node, "\(error)")
        }
        return settings
    }

    func kind(of node: Node) -> String {
        switch node {
        case .scalar(let scalar): "\"\(scalar.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    func describe(_ value: Double) -> String { value == value.rounded() ? String(Int64(value)) : String(value) }
}
