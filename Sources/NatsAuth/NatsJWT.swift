public import Foundation

/// A NATS JWT split into its parts, with the claims a client cares about.
/// Decoding does not verify: call `verifySignature()` for that.
public struct NatsJWT: Sendable {
    public let text: String
    public let headerJSON: [UInt8]
    public let claimsJSON: [UInt8]
    public let signature: [UInt8]
    /// `iss`: the public key of the signer.
    public let issuer: String
    /// `sub`: the public key the JWT is about.
    public let subject: String
    public let name: String?
    /// `nats.type`: "operator", "account" or "user".
    public let type: String?
    public let issuedAt: Date?

    public init(_ text: String) throws {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw NKeyError("not a JWT: expected three dot-separated parts, got \(parts.count)")
        }
        self.text = parts.joined(separator: ".")
        headerJSON = try Base64URL.decode(parts[0])
        claimsJSON = try Base64URL.decode(parts[1])
        signature = try Base64URL.decode(parts[2])
        let claims: ClaimsView
        do {
            claims = try JSONDecoder().decode(ClaimsView.self, from: Data(claimsJSON))
        } catch {
            throw NKeyError("not a NATS JWT: claims lack iss or sub")
        }
        issuer = claims.iss
        subject = claims.sub
        name = claims.name
        type = claims.nats?.type
        issuedAt = claims.iat.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// Whether the signature was made by the `iss` key over header and claims.
    public func verifySignature() throws -> Bool {
        let signingInput = text[..<text.lastIndex(of: ".")!]
        return try NKeyPair.verify(publicKey: issuer, signature: signature, data: Array(signingInput.utf8))
    }
}

private struct ClaimsView: Decodable {
    struct Nats: Decodable { var type: String? }
    var iss: String
    var sub: String
    var name: String?
    var iat: Int?
    var nats: Nats?
}
