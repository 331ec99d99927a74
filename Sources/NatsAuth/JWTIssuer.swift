import Crypto
public import Foundation

/// Issues minimal NATS v2 JWTs (operator, account, user), enough for an
/// operator-mode nats-server with a MEMORY resolver. Meant for tests.
public enum JWTIssuer {
    static let header = #"{"typ":"JWT","alg":"ed25519-nkey"}"#

    /// `systemAccount` is the system account's public key ("A...").
    public static func operatorJWT(operator: NKeyPair, name: String, systemAccount: String? = nil,
                                   signingKeys: [String]? = nil, issuedAt: Date = Date()) -> String {
        let nats = OperatorNats(signing_keys: signingKeys, system_account: systemAccount)
        return issue(subject: `operator`.publicKey, name: name, issuer: `operator`, nats: nats, issuedAt: issuedAt)
    }

    /// With `jetStream`, the account gets unlimited JetStream limits, which
    /// enables JetStream for it on a JetStream-enabled server.
    public static func accountJWT(account: NKeyPair, name: String, issuer `operator`: NKeyPair,
                                  jetStream: Bool = false, issuedAt: Date = Date()) -> String {
        let nats = AccountNats(limits: AccountLimits(jetStream: jetStream))
        return issue(subject: account.publicKey, name: name, issuer: `operator`, nats: nats, issuedAt: issuedAt)
    }

    public static func userJWT(user: NKeyPair, name: String, issuer account: NKeyPair,
                               issuedAt: Date = Date()) -> String {
        issue(subject: user.publicKey, name: name, issuer: account, nats: UserNats(), issuedAt: issuedAt)
    }

    static func issue(subject: String, name: String, issuer: NKeyPair, nats: some Encodable, issuedAt: Date) -> String {
        var claims = Claims(jti: nil, iat: Int(issuedAt.timeIntervalSince1970), iss: issuer.publicKey,
                            name: name, sub: subject, nats: nats)
        // As nats jwt v2: the ID is a hash of the claims without it (SHA-256
        // here rather than SHA-512/256; the server does not recompute it).
        claims.jti = Base32.encode(Array(SHA256.hash(data: encode(claims))))
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(encode(claims))
        return signingInput + "." + Base64URL.encode(issuer.sign(Array(signingInput.utf8)))
    }

    private static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and numbers cannot fail.
        return Array(try! encoder.encode(value))
    }
}

// Property names are the JSON field names of nats jwt v2.
private struct Claims<Nats: Encodable>: Encodable {
    var jti: String?
    var iat: Int
    var iss: String
    var name: String
    var sub: String
    var nats: Nats
}

private struct Empty: Encodable {}

private struct OperatorNats: Encodable {
    var type = "operator"
    var version = 2
    var signing_keys: [String]?
    var system_account: String?
}

private struct AccountNats: Encodable {
    var type = "account"
    var version = 2
    var limits: AccountLimits
    var default_permissions = Permissions()
}

private struct AccountLimits: Encodable {
    var subs = -1, data = -1, payload = -1, imports = -1, exports = -1, conn = -1, leaf = -1
    var wildcards = true
    var mem_storage: Int?, disk_storage: Int?, streams: Int?, consumer: Int?

    init(jetStream: Bool) {
        if jetStream {
            (mem_storage, disk_storage, streams, consumer) = (-1, -1, -1, -1)
        }
    }
}

private struct Permissions: Encodable {
    var pub = Empty()
    var sub = Empty()
}

private struct UserNats: Encodable {
    var type = "user"
    var version = 2
    var pub = Empty()
    var sub = Empty()
    var subs = -1, data = -1, payload = -1
}
