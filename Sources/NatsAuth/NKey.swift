import Crypto
import Foundation

/// The role an NKey plays; the raw value is its prefix byte.
public enum NKeyType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case `operator` = 112  // 14 << 3, 'O'
    case account = 0       // 'A'
    case user = 160        // 20 << 3, 'U'
    case server = 104      // 13 << 3, 'N'
    case cluster = 16      // 2 << 3, 'C'

    /// The first character of a public key of this type.
    public var letter: Character {
        switch self {
        case .operator: "O"
        case .account: "A"
        case .user: "U"
        case .server: "N"
        case .cluster: "C"
        }
    }

    public var description: String {
        switch self {
        case .operator: "operator"
        case .account: "account"
        case .user: "user"
        case .server: "server"
        case .cluster: "cluster"
        }
    }

    /// e.g. "a user seed (SU...)": used in errors without echoing the seed.
    var seedPhrase: String { "\(article) \(self) seed (S\(letter)...)" }
    var keyPhrase: String { "\(article) \(self) public key (\(letter)...)" }
    private var article: String { self == .account ? "an" : "a" }
}

/// An Ed25519 key pair in NATS NKey form. Holds the secret seed: its
/// description, debug description and mirror show only the public key.
public struct NKeyPair: Sendable {
    static let seedPrefix: UInt8 = 18 << 3  // 'S'

    public let type: NKeyType
    private let privateKey: Curve25519.Signing.PrivateKey

    /// Decodes an "S..." seed. With `expected`, a seed of another type is rejected.
    public init(seed: String, expecting expected: NKeyType? = nil) throws {
        var raw = try Self.decodeChecked(seed.trimmingCharacters(in: .whitespacesAndNewlines), what: "NKey seed")
        defer { raw.resetBytes() }
        guard raw.first.map({ $0 & 0xF8 == Self.seedPrefix }) == true else {
            if raw.count == 33, let type = NKeyType(rawValue: raw[0]) {
                throw NKeyError("not a valid NKey seed: got \(type.keyPhrase) instead")
            }
            throw NKeyError("not a valid NKey seed: it does not start with S")
        }
        // 2 prefix bytes + 32-byte Ed25519 seed (the CRC is already stripped).
        guard raw.count == 34 else {
            throw NKeyError("not a valid NKey seed: wrong length")
        }
        let typeByte = (raw[0] & 0x07) << 5 | (raw[1] & 0xF8) >> 3
        guard let type = NKeyType(rawValue: typeByte) else {
            throw NKeyError("not a valid NKey seed: unknown key type")
        }
        if let expected, expected != type {
            throw NKeyError("expected \(expected.seedPhrase), got \(type.seedPhrase)")
        }
        var secret = Array(raw[2...])
        defer { secret.resetBytes() }
        do {
            privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: secret)
        } catch {
            throw NKeyError("not a valid NKey seed: bad Ed25519 seed")
        }
        self.type = type
    }

    public static func generate(_ type: NKeyType) -> NKeyPair {
        NKeyPair(type: type, privateKey: Curve25519.Signing.PrivateKey())
    }

    private init(type: NKeyType, privateKey: Curve25519.Signing.PrivateKey) {
        self.type = type
        self.privateKey = privateKey
    }

    /// The secret "S..." seed text. Handle with care.
    public var seed: String {
        var raw = [Self.seedPrefix | type.rawValue >> 5, (type.rawValue & 31) << 3]
        raw.append(contentsOf: privateKey.rawRepresentation)
        CRC16.appendChecksum(to: &raw)
        defer { raw.resetBytes() }
        return Base32.encode(raw)
    }

    /// The 56-character public key, e.g. "U..." for a user.
    public var publicKey: String {
        var raw = [type.rawValue]
        raw.append(contentsOf: privateKey.publicKey.rawRepresentation)
        CRC16.appendChecksum(to: &raw)
        return Base32.encode(raw)
    }

    public func sign(_ data: [UInt8]) -> [UInt8] {
        // Signing with a valid key only fails if the crypto backend itself fails.
        Array(try! privateKey.signature(for: data))
    }

    /// The CONNECT `sig` field: the INFO nonce's UTF-8 bytes as sent (not
    /// base64-decoded), signed, in unpadded base64url.
    public func signNonce(_ nonce: String) -> String {
        Base64URL.encode(sign(Array(nonce.utf8)))
    }

    /// Checks `signature` over `data` against an NKey public key of any type.
    /// Throws if the public key itself is malformed; a bad signature is `false`.
    public static func verify(publicKey: String, signature: [UInt8], data: [UInt8]) throws -> Bool {
        let (_, key) = try decodePublicKey(publicKey)
        let verifier = try Curve25519.Signing.PublicKey(rawRepresentation: key)
        return verifier.isValidSignature(signature, for: data)
    }

    /// Decodes a public key such as "U..." to its type and 32 raw Ed25519 bytes.
    public static func decodePublicKey(_ publicKey: String, expecting expected: NKeyType? = nil) throws -> (NKeyType, [UInt8]) {
        let raw = try decodeChecked(publicKey.trimmingCharacters(in: .whitespacesAndNewlines), what: "NKey public key")
        if raw.count == 34, raw[0] & 0xF8 == seedPrefix {
            // Deliberately vague: the caller passed a secret where a public key belongs.
            throw NKeyError("not a valid NKey public key: got a seed, which must be kept secret")
        }
        guard raw.count == 33 else {
            throw NKeyError("not a valid NKey public key: wrong length")
        }
        guard let type = NKeyType(rawValue: raw[0]) else {
            throw NKeyError("not a valid NKey public key: unknown prefix")
        }
        if let expected, expected != type {
            throw NKeyError("expected \(expected.keyPhrase), got \(type.keyPhrase)")
        }
        return (type, Array(raw[1...]))
    }

    private static func decodeChecked(_ text: String, what: String) throws -> [UInt8] {
        guard !text.isEmpty else { throw NKeyError("not a valid \(what): empty") }
        var decoded: [UInt8]
        do {
            decoded = try Base32.decode(text)
        } catch let error as NKeyError {
            throw NKeyError("not a valid \(what): \(error.message)")
        }
        defer { decoded.resetBytes() }
        guard let body = CRC16.verifyAndStrip(decoded) else {
            throw NKeyError("not a valid \(what): checksum mismatch")
        }
        return body
    }
}

extension NKeyPair: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "NKeyPair(\(type), \(publicKey))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["type": type, "publicKey": publicKey]) }
}

extension Array where Element == UInt8 {
    /// Best-effort wipe of secret bytes; copies made elsewhere are out of reach.
    mutating func resetBytes() {
        for index in indices { self[index] = 0 }
    }
}
