public import Foundation
public import NIOCore

/// What a NATS server sends a client.
public enum NatsServerOperation: Sendable, Equatable {
    case info(NatsServerInfo)
    case message(NatsMessage)
    case ping
    case pong
    case ok
    /// `-ERR 'text'`, quotes removed.
    case error(String)
}

/// A message delivered to one of the client's subscriptions (MSG or HMSG).
public struct NatsMessage: Sendable, Equatable {
    public var subject: String
    public var subscriptionID: Int
    public var replyTo: String?
    /// From HMSG's `NATS/1.0 503` status line (503 is "no responders"); nil for MSG.
    public var status: Int?
    public var headers: [(name: String, value: String)]
    public var payload: Data

    public init(
        subject: String, subscriptionID: Int, replyTo: String? = nil, status: Int? = nil,
        headers: [(name: String, value: String)] = [], payload: Data
    ) {
        self.subject = subject
        self.subscriptionID = subscriptionID
        self.replyTo = replyTo
        self.status = status
        self.headers = headers
        self.payload = payload
    }

    public static func == (lhs: NatsMessage, rhs: NatsMessage) -> Bool {
        lhs.subject == rhs.subject && lhs.subscriptionID == rhs.subscriptionID && lhs.replyTo == rhs.replyTo
            && lhs.status == rhs.status && lhs.payload == rhs.payload
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

/// The fields of a server's INFO that the client acts on.
public struct NatsServerInfo: Sendable, Equatable, Decodable {
    public var serverID: String
    public var serverName: String?
    public var version: String?
    public var cluster: String?
    public var headers: Bool?
    public var maxPayload: Int?
    public var tlsRequired: Bool?
    public var tlsAvailable: Bool?
    public var authRequired: Bool?
    public var nonce: String?
    public var connectURLs: [String]?

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id", serverName = "server_name", version, cluster, headers
        case maxPayload = "max_payload", tlsRequired = "tls_required", tlsAvailable = "tls_available"
        case authRequired = "auth_required", nonce, connectURLs = "connect_urls"
    }

    public init(serverID: String, serverName: String? = nil, nonce: String? = nil, tlsRequired: Bool? = nil) {
        self.serverID = serverID
        self.serverName = serverName
        self.nonce = nonce
        self.tlsRequired = tlsRequired
    }
}

public struct NatsProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "NATS protocol error: \(message)" }
}

/// Turns the server's byte stream into operations. Pure and incremental: bytes go in as they arrive,
/// complete operations come out; a message whose payload has not fully arrived waits for more bytes.
public struct NatsProtocolParser: Sendable {
    /// The longest control line accepted. INFO is the long one: it lists every server's client URL,
    /// which in a big cluster runs to kilobytes.
    public let maxControlLineBytes: Int
    /// The largest payload accepted. The server's own replies to `$SYS` requests are not bound by
    /// max_payload, and a /gatewayz with accounts of a big server runs to megabytes.
    public let maxPayloadBytes: Int

    private var buffer = ByteBuffer()
    /// A MSG/HMSG line already read, waiting for its payload.
    private var pendingMessage: PendingMessage?

    private struct PendingMessage: Sendable {
        var subject: String
        var sid: Int
        var replyTo: String?
        var headerBytes: Int
        var totalBytes: Int
    }

    public init(maxControlLineBytes: Int = 1 << 20, maxPayloadBytes: Int = 64 << 20) {
        self.maxControlLineBytes = maxControlLineBytes
        self.maxPayloadBytes = maxPayloadBytes
    }

    public mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        compact()
        buffer.writeBuffer(&bytes)
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        buffer.writeBytes(bytes)
    }

    /// Bytes held, parsed or not (for tests of the compaction).
    var retainedBytes: Int { buffer.writerIndex }

    /// Drops bytes already parsed. While replies stream in, a read rarely ends exactly on a message
    /// boundary, so waiting for an empty buffer would let it grow by everything received in a burst.
    private mutating func compact() {
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex >= 64 << 10 {
            buffer.discardReadBytes()
        }
    }

    /// The next complete operation, nil when more bytes are needed.
    public mutating func next() throws -> NatsServerOperation? {
        if let pending = pendingMessage {
            return try finishMessage(pending)
        }
        guard let line = try readLine() else { return nil }
        let (verb, rest) = Self.splitVerb(line)
        switch verb {
        case "MSG":
            let args = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard args.count == 3 || args.count == 4, let sid = Int(args[1]), let size = Int(args.last!), size >= 0 else {
                throw NatsProtocolError("malformed MSG line: \(Self.quoted(line))")
            }
            return try finishMessage(PendingMessage(
                subject: String(args[0]), sid: sid, replyTo: args.count == 4 ? String(args[2]) : nil,
                headerBytes: 0, totalBytes: try checkedSize(size)))
        case "HMSG":
            let args = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard args.count == 4 || args.count == 5, let sid = Int(args[1]),
                let headerSize = Int(args[args.count - 2]), let total = Int(args[args.count - 1]),
                headerSize >= 0, total >= headerSize
            else {
                throw NatsProtocolError("malformed HMSG line: \(Self.quoted(line))")
            }
            return try finishMessage(PendingMessage(
                subject: String(args[0]), sid: sid, replyTo: args.count == 5 ? String(args[2]) : nil,
                headerBytes: headerSize, totalBytes: try checkedSize(total)))
        case "PING": return .ping
        case "PONG": return .pong
        case "+OK": return .ok
        case "-ERR":
            var text = rest.trimmingCharacters(in: .whitespaces)
            if text.count >= 2, text.hasPrefix("'"), text.hasSuffix("'") { text = String(text.dropFirst().dropLast()) }
            return .error(text)
        case "INFO":
            do {
                return .info(try JSONDecoder().decode(NatsServerInfo.self, from: Data(rest.utf8)))
            } catch {
                throw NatsProtocolError("INFO is not the JSON expected: \(error)")
            }
        default:
            throw NatsProtocolError("unknown operation \(Self.quoted(line))")
        }
    }

    private func checkedSize(_ size: Int) throws -> Int {
        guard size <= maxPayloadBytes else {
            throw NatsProtocolError("message of \(size) bytes is over the \(maxPayloadBytes)-byte limit")
        }
        return size
    }

    private mutating func finishMessage(_ pending: PendingMessage) throws -> NatsServerOperation? {
        guard buffer.readableBytes >= pending.totalBytes + 2 else {
            pendingMessage = pending
            return nil
        }
        pendingMessage = nil
        let headerBlock = buffer.readBytes(length: pending.headerBytes) ?? []
        let payloadLength = pending.totalBytes - pending.headerBytes
        // Straight into the Data, without an intermediate array: replies run to 100 KB each.
        let payload = buffer.readWithUnsafeReadableBytes { bytes in
            (payloadLength, Data(bytes: bytes.baseAddress!, count: payloadLength))
        }
        guard buffer.readBytes(length: 2) == [13, 10] else {
            throw NatsProtocolError("payload of \(pending.subject) is not followed by CRLF")
        }
        var status: Int?
        var headers: [(name: String, value: String)] = []
        if pending.headerBytes > 0 {
            (status, headers) = try Self.parseHeaders(headerBlock)
        }
        return .message(NatsMessage(
            subject: pending.subject, subscriptionID: pending.sid, replyTo: pending.replyTo, status: status,
            headers: headers, payload: payload))
    }

    /// `NATS/1.0[ status[ description]]` then `Name: value` lines, CRLF separated.
    static func parseHeaders(_ block: [UInt8]) throws -> (Int?, [(name: String, value: String)]) {
        let text = String(decoding: block, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        guard let first = lines.first, first.hasPrefix("NATS/1.0") else {
            throw NatsProtocolError("message headers do not start with NATS/1.0")
        }
        lines.removeFirst()
        let statusText = first.dropFirst("NATS/1.0".count).trimmingCharacters(in: .whitespaces)
        let status = statusText.isEmpty ? nil : Int(statusText.prefix(3))
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((
                name: String(line[..<colon]),
                value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return (status, headers)
    }

    private mutating func readLine() throws -> String? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: 10) else {
            if view.count > maxControlLineBytes {
                throw NatsProtocolError("control line longer than \(maxControlLineBytes) bytes")
            }
            return nil
        }
        let length = newline - view.startIndex
        if length > maxControlLineBytes {
            throw NatsProtocolError("control line longer than \(maxControlLineBytes) bytes")
        }
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }

    private static func splitVerb(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (line.uppercased(), "") }
        return (line[..<space].uppercased(), String(line[line.index(after: space)...]))
    }

    private static func quoted(_ line: String) -> String {
        let shown = line.count > 80 ? line.prefix(80) + "…" : Substring(line)
        return "\"" + shown.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? "?" : String($0) }.joined() + "\""
    }
}
