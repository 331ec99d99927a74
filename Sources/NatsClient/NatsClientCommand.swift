public import Foundation
public import NIOCore

/// The CONNECT document. Optional fields left nil are omitted, as the server expects.
public struct NatsConnectFields: Sendable, Encodable, Equatable {
    public var verbose = false
    public var pedantic = false
    public var tlsRequired: Bool
    public var name: String
    public var lang = "swift"
    public var version = "gwtop"
    public var `protocol` = 1
    public var headers = true
    public var noResponders = true
    public var echo = false
    public var user: String?
    public var pass: String?
    public var authToken: String?
    public var jwt: String?
    public var nkey: String?
    public var sig: String?

    enum CodingKeys: String, CodingKey {
        case verbose, pedantic, tlsRequired = "tls_required", name, lang, version, `protocol`, headers
        case noResponders = "no_responders", echo, user, pass, authToken = "auth_token", jwt, nkey, sig
    }

    public init(name: String, tlsRequired: Bool) {
        self.name = name
        self.tlsRequired = tlsRequired
    }
}

/// What the client sends. Subjects are checked here, once, so a subject with a space or a line break
/// can never split into a second command.
public enum NatsClientCommand: Sendable {
    case connect(NatsConnectFields)
    case ping
    case pong
    case subscribe(subject: String, sid: Int)
    case unsubscribe(sid: Int)
    case publish(subject: String, replyTo: String?, payload: Data)
    /// HPUB: headers need a server that said `headers: true` in INFO (2.2+).
    case publishWithHeaders(subject: String, replyTo: String?, headers: [(name: String, value: String)], payload: Data)

    public func write(into buffer: inout ByteBuffer) throws {
        switch self {
        case .connect(let fields):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            buffer.writeString("CONNECT ")
            buffer.writeBytes(try encoder.encode(fields))
            buffer.writeString("\r\n")
        case .ping: buffer.writeString("PING\r\n")
        case .pong: buffer.writeString("PONG\r\n")
        case .subscribe(let subject, let sid):
            try Self.checkSubject(subject)
            buffer.writeString("SUB \(subject) \(sid)\r\n")
        case .unsubscribe(let sid):
            buffer.writeString("UNSUB \(sid)\r\n")
        case .publish(let subject, let replyTo, let payload):
            try Self.checkSubject(subject)
            if let replyTo { try Self.checkSubject(replyTo) }
            buffer.writeString("PUB \(subject) \(replyTo.map { $0 + " " } ?? "")\(payload.count)\r\n")
            buffer.writeBytes(payload)
            buffer.writeString("\r\n")
        case .publishWithHeaders(let subject, let replyTo, let headers, let payload):
            try Self.checkSubject(subject)
            if let replyTo { try Self.checkSubject(replyTo) }
            var block = "NATS/1.0\r\n"
            for (name, value) in headers {
                // A line break in a header would end the block early and smuggle bytes into the payload.
                guard !name.isEmpty, !name.contains(":"), !(name + value).utf8.contains(where: { $0 == 13 || $0 == 10 }) else {
                    throw NatsClientError(.invalidSubject, "invalid message header \(String(reflecting: name))")
                }
                block += "\(name): \(value)\r\n"
            }
            block += "\r\n"
            let headerBytes = block.utf8.count
            buffer.writeString("HPUB \(subject) \(replyTo.map { $0 + " " } ?? "")\(headerBytes) \(headerBytes + payload.count)\r\n")
            buffer.writeString(block)
            buffer.writeBytes(payload)
            buffer.writeString("\r\n")
        }
    }

    static func checkSubject(_ subject: String) throws {
        guard !subject.isEmpty,
            !subject.utf8.contains(where: { $0 <= 32 || $0 == 127 }),
            !subject.hasPrefix("."), !subject.hasSuffix("."), !subject.contains("..")
        else {
            throw NatsClientError(.invalidSubject, "invalid subject \(String(reflecting: subject))")
        }
    }
}
