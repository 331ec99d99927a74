import Foundation
public import NatsClient
import NatsAuth

/// How to reach the system account, as given on the command line or in the config file: plain values,
/// checked and turned into client settings (files read) by `clientSettings()`.
public struct SystemAccountSettings: Sendable, Equatable {
    public var urls: [String] = []
    public var user: String?
    public var password: String?
    public var token: String?
    public var nkeyFile: String?
    public var credsFile: String?
    public var tlsCAFile: String?
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?

    public init(urls: [String] = []) { self.urls = urls }

    /// Settings given on top of these (the command line over the config file): each field given replaces,
    /// and a new kind of credential replaces the old kind entirely.
    public func overridden(by other: SystemAccountSettings) -> SystemAccountSettings {
        var merged = self
        if !other.urls.isEmpty { merged.urls = other.urls }
        if other.hasCredential {
            merged.user = other.user
            merged.password = other.password
            merged.token = other.token
            merged.nkeyFile = other.nkeyFile
            merged.credsFile = other.credsFile
        }
        merged.tlsCAFile = other.tlsCAFile ?? tlsCAFile
        merged.tlsCertificateFile = other.tlsCertificateFile ?? tlsCertificateFile
        merged.tlsKeyFile = other.tlsKeyFile ?? tlsKeyFile
        return merged
    }

    public var hasCredential: Bool { user != nil || password != nil || token != nil || nkeyFile != nil || credsFile != nil }

    public var isEmpty: Bool { self == SystemAccountSettings() }

    /// Where the settings came from, so errors name the option as the user wrote it.
    public enum Naming: Sendable {
        case commandLine, configFile

        func name(_ field: String) -> String {
            switch self {
            case .commandLine:
                ["url": "--nats", "user": "--user", "password": "--password", "token": "--token", "nkey": "--nkey",
                 "creds": "--creds", "ca": "--tls-ca", "cert": "--tls-cert", "key": "--tls-key"][field] ?? field
            case .configFile:
                ["url": "nats.url", "user": "nats.user", "password": "nats.password", "token": "nats.token",
                 "nkey": "nats.nkey_file", "creds": "nats.creds_file", "ca": "nats.tls.ca_file", "cert": "nats.tls.cert_file",
                 "key": "nats.tls.key_file"][field] ?? field
            }
        }
    }

    /// Validates the combination and reads the credential files. Errors say which option is wrong and
    /// never repeat a secret.
    public func clientSettings(naming: Naming = .commandLine) throws -> NatsClientSettings {
        let n = naming.name
        guard !urls.isEmpty else {
            throw SettingsError("a NATS URL is needed for the system account (\(n("url")) nats://host:4222)")
        }
        let addresses = try urls.map { url in
            do { return try NatsServerAddress(url: url) } catch { throw SettingsError("\(n("url")): \(error)") }
        }
        let given = [
            user != nil || password != nil ? "\(n("user"))/\(n("password"))" : nil, token != nil ? n("token") : nil,
            nkeyFile != nil ? n("nkey") : nil, credsFile != nil ? n("creds") : nil,
        ].compactMap { $0 }
        guard given.count <= 1 else {
            throw SettingsError("give one way to authenticate to NATS, not \(given.joined(separator: " and "))")
        }
        var authentication = NatsAuthentication.none
        if password != nil, user == nil {
            throw SettingsError("\(n("password")) needs \(n("user"))")
        }
        if let user {
            authentication = .userPassword(user: user, password: password ?? "")
        } else if let token {
            authentication = .token(token)
        } else if let nkeyFile {
            do {
                authentication = .nkey(seed: try NKeyFile.load(contentsOfFile: nkeyFile).seed)
            } catch {
                throw SettingsError("\(n("nkey")) \(nkeyFile): \(error)")
            }
        } else if let credsFile {
            do {
                let credentials = try NatsCredentials(contentsOfFile: credsFile)
                authentication = .credentials(jwt: credentials.jwt, seed: credentials.seed.seed)
            } catch {
                throw SettingsError("\(n("creds")) \(credsFile): \(error)")
            }
        }
        var tls: NatsTLSSettings?
        if tlsCAFile != nil || tlsCertificateFile != nil || tlsKeyFile != nil {
            if (tlsCertificateFile == nil) != (tlsKeyFile == nil) {
                throw SettingsError("\(n("cert")) and \(n("key")) go together")
            }
            for (option, path) in [(n("ca"), tlsCAFile), (n("cert"), tlsCertificateFile), (n("key"), tlsKeyFile)] {
                if let path, !FileManager.default.isReadableFile(atPath: path) {
                    throw SettingsError("\(option): cannot read \(path)")
                }
            }
            tls = NatsTLSSettings(caFile: tlsCAFile, certificateFile: tlsCertificateFile, keyFile: tlsKeyFile)
        }
        return NatsClientSettings(servers: addresses, authentication: authentication, tls: tls)
    }
}

public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
