public import Foundation
import MonitorModel

/// One server's reply to a `$SYS.REQ.SERVER.PING.<KIND>` request:
/// `{"server": {name, id, cluster, ver, ...}, "data": <the monitoring document>, "error": {code, description}}`.
/// `data` is kept as the exact bytes the server sent, so it is decoded (and recorded) exactly like the
/// body of the same document fetched over HTTP.
public struct ServerEnvelope: Sendable, Equatable {
    public struct ServerInfo: Sendable, Equatable, Decodable {
        public var name: String
        public var id: String
        public var cluster: String?
        public var host: String?
        public var version: String?

        enum CodingKeys: String, CodingKey { case name, id, cluster, host, version = "ver" }
    }

    public struct ErrorInfo: Sendable, Equatable, Decodable {
        public var code: Int?
        public var description: String?
    }

    public var server: ServerInfo
    public var data: Data?
    public var error: ErrorInfo?

    public init(server: ServerInfo, data: Data?, error: ErrorInfo?) {
        self.server = server
        self.data = data
        self.error = error
    }

    /// Parses the envelope without parsing `data`: its value's byte span is found by a scan that only
    /// tracks strings and nesting, so a 100 KB /gatewayz costs one pass and no copy.
    public static func parse(_ payload: Data) throws -> ServerEnvelope {
        let spans = try TopLevelSpans.scan(payload)
        guard let serverSpan = spans["server"] else {
            throw EnvelopeError("the reply has no \"server\" object (\(payload.count) bytes)")
        }
        let decoder = JSONDecoder()
        let server: ServerInfo
        do {
            server = try decoder.decode(ServerInfo.self, from: payload[serverSpan])
        } catch {
            throw EnvelopeError("the reply's \"server\" object lacks a name or id: \(error)")
        }
        let errorInfo = spans["error"].flatMap { span -> ErrorInfo? in
            let bytes = payload[span]
            if bytes.elementsEqual("null".utf8) { return nil }
            return try? decoder.decode(ErrorInfo.self, from: bytes)
        }
        // A slice, not a copy: the document shares the reply's storage (100 KB a /gatewayz, 250 of them
        // at once in a big supercluster).
        let data = spans["data"].flatMap { span -> Data? in
            let bytes = payload[span]
            return bytes.elementsEqual("null".utf8) ? nil : bytes
        }
        return ServerEnvelope(server: server, data: data, error: errorInfo)
    }
}

extension ServerEnvelope {
    /// The replying server's id, read from the envelope's `server` object alone: what a request's replies
    /// are counted by (`ReplyCollection.replyKey`), for each reply as it arrives. nats-server writes
    /// `server` first, so this reads a few hundred bytes of a 100 KB reply; it used to be the full `parse`,
    /// which scans the whole document, and was made again for every reply once collected: 15 % of a
    /// poll's CPU through NATS at 250 servers. An id with an escape in it (no server's) is left to
    /// `parse`; nil for what is no envelope.
    public static func serverID(of payload: Data) -> String? {
        enum Found { case id(String), notAnEnvelope, escaped }
        let found: Found = payload.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let server = try? TopLevelSpans.valueSpan(of: "server", in: bytes),
                let id = try? TopLevelSpans.valueSpan(of: "id", in: UnsafeBufferPointer(rebasing: bytes[server]))
            else { return .notAnEnvelope }
            let value = UnsafeBufferPointer(rebasing: bytes[(server.lowerBound + id.lowerBound)..<(server.lowerBound + id.upperBound)])
            guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") else { return .notAnEnvelope }
            let inner = UnsafeBufferPointer(rebasing: value.dropFirst().dropLast())
            return inner.contains(UInt8(ascii: "\\")) ? .escaped : .id(String(decoding: inner, as: UTF8.self))
        }
        switch found {
        case .id(let id): return id
        case .notAnEnvelope: return nil
        case .escaped: return try? parse(payload).server.id
        }
    }
}

public struct EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The byte ranges of a JSON object's top-level values, by key. Validates only what it needs to find
/// them; each value is validated later by whatever decodes it.
enum TopLevelSpans {
    static func scan(_ bytes: Data) throws -> [String: Range<Data.Index>] {
        try bytes.withUnsafeBytes { raw -> [String: Range<Data.Index>] in
            let base = bytes.startIndex
            var spans: [String: Range<Data.Index>] = [:]
            try forEachMember(in: raw.bindMemory(to: UInt8.self)) { key, span in
                spans[key] = (base + span.lowerBound)..<(base + span.upperBound)
                return true
            }
            return spans
        }
    }

    /// The byte range of the value of top-level `key` in `bytes` (a JSON object), read no further than
    /// that value; nil if the object has no such key.
    static func valueSpan(of key: String, in bytes: UnsafeBufferPointer<UInt8>) throws -> Range<Int>? {
        var found: Range<Int>?
        try forEachMember(in: bytes) { member, span in
            if member == key { found = span }
            return found == nil
        }
        return found
    }

    /// Each top-level member of the JSON object in `bytes`, its key and its value's byte range, in order,
    /// until `body` returns false.
    private static func forEachMember(in bytes: UnsafeBufferPointer<UInt8>, _ body: (String, Range<Int>) -> Bool) throws {
        var scanner = Scanner(bytes: bytes)
        scanner.skipWhitespace()
        try scanner.expect(UInt8(ascii: "{"))
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") { return }
        while true {
            scanner.skipWhitespace()
            let key = try scanner.string()
            scanner.skipWhitespace()
            try scanner.expect(UInt8(ascii: ":"))
            scanner.skipWhitespace()
            let start = scanner.position
            try scanner.skipValue()
            guard body(key, start..<scanner.position) else { return }
            scanner.skipWhitespace()
            guard let next = scanner.take() else { throw EnvelopeError("the reply ends inside its top-level object") }
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw EnvelopeError("the reply is not a JSON object") }
        }
    }

    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        /// Moves to the first byte flagged by `stops` in the words ahead, eight bytes at a time, or to
        /// the last few bytes (fewer than eight), which the caller then reads one by one. A `data` value
        /// is the whole document (a 60–100 KB `/gatewayz`, 250 a poll at scale): read byte by byte, this
        /// scan was a sixth of a poll's CPU through NATS.
        @inline(__always)
        mutating func skip(until stops: (UInt64) -> UInt64) {
            position = ByteScan.firstStop(in: UnsafeRawBufferPointer(bytes), from: position, where: stops)
        }

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func take() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func expect(_ byte: UInt8) throws {
            guard take() == byte else { throw EnvelopeError("the reply is not a JSON object") }
        }

        /// A key: JSON string without escapes decoded beyond what the envelope's plain keys need.
        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            let start = position
            try skipStringBody()
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(position - 1)]), as: UTF8.self)
        }

        /// After the opening quote: up to and including the closing one.
        mutating func skipStringBody() throws {
            while true {
                skip { ByteScan.matches($0, UInt8(ascii: "\"")) | ByteScan.matches($0, UInt8(ascii: "\\")) }
                guard let byte = take() else { break }
                if byte == UInt8(ascii: "\\") {
                    guard take() != nil else { break }
                } else if byte == UInt8(ascii: "\"") {
                    return
                }
            }
            throw EnvelopeError("the reply ends inside a string")
        }

        mutating func skipValue() throws {
            guard let first = peek else { throw EnvelopeError("the reply ends where a value should be") }
            switch first {
            case UInt8(ascii: "\""):
                position += 1
                try skipStringBody()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while true {
                    // Only strings (for the brackets inside them) and brackets matter here.
                    skip { word in
                        ByteScan.matches(word, UInt8(ascii: "\"")) | ByteScan.matches(word, UInt8(ascii: "{"))
                            | ByteScan.matches(word, UInt8(ascii: "[")) | ByteScan.matches(word, UInt8(ascii: "}"))
                            | ByteScan.matches(word, UInt8(ascii: "]"))
                    }
                    guard let byte = take() else { break }
                    switch byte {
                    case UInt8(ascii: "\""): try skipStringBody()
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { return }
                    default: break
                    }
                }
                throw EnvelopeError("the reply ends inside an object or array")
            default:
                // A number, true, false or null: up to the next delimiter.
                while let byte = peek, byte != UInt8(ascii: ","), byte != UInt8(ascii: "}"), byte != UInt8(ascii: "]"),
                    byte != 0x20, byte != 0x0A, byte != 0x0D, byte != 0x09
                {
                    position += 1
                }
            }
        }
    }
}
