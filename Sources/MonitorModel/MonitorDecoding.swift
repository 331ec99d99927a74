public import Foundation

/// The monitoring endpoints gwtop reads, with the exact request each one gets.
public enum MonitorEndpointKind: String, Sendable, CaseIterable, Codable, Hashable {
    // In the order an endpoint's responses are listed (and recorded) in.
    case varz, gatewayz
    /// `/gatewayz` without `accs=1`: every connection and its counters, without the per-account interest
    /// lists that make up about a third of the document. Asked on the polls between full ones (see
    /// `CarriedDocuments`), which take the accounts from the last full answer.
    case gatewayzLinks = "gatewayz_links"
    case routez, healthz

    /// Everything gwtop shows: asked on the first poll and on every full one.
    public static let fullSet: [MonitorEndpointKind] = [.varz, .gatewayz, .routez, .healthz]
    /// What changes from second to second: connections, counters, RTT, pending bytes. One request per
    /// server: at 250 servers a request costs more than its bytes, so `/healthz` waits for the full poll
    /// (unless its last answer said the server is not well: see `CarriedDocuments.asksHealthAgain`).
    public static let frequentSet: [MonitorEndpointKind] = [.gatewayzLinks]
    /// Asked at once on a frequent poll whose answer shows something the carried documents do not
    /// cover (a restarted server, a connection not seen at the last full poll).
    public static let carriedSet: [MonitorEndpointKind] = [.varz, .gatewayz, .routez, .healthz]

    /// `kinds` as asked when nothing will show the accounts (`--check`, the text report): `/gatewayz`
    /// without `accs=1`. The interest lists are a third of every server's largest document, and the
    /// server builds them for each request.
    public static func withoutAccounts(_ kinds: [MonitorEndpointKind]) -> [MonitorEndpointKind] {
        kinds.map { $0 == .gatewayz ? .gatewayzLinks : $0 }
    }

    /// What a frequent poll asks when its answer shows something the carried documents do not cover:
    /// `carriedSet`, or without accounts everything but the `/gatewayz` it has just had.
    public static func rest(accounts: Bool) -> [MonitorEndpointKind] {
        accounts ? carriedSet : carriedSet.filter { $0 != .gatewayz }
    }

    /// Path and query appended to an endpoint's base URL.
    public var requestPath: String {
        switch self {
        case .varz: "/varz"
        case .gatewayz: "/gatewayz?accs=1"
        case .gatewayzLinks: "/gatewayz"
        case .routez: "/routez"
        case .healthz: "/healthz"
        }
    }

    /// Where a response of this kind goes among an endpoint's responses.
    public var listOrder: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// The document as messages name it: both kinds of gatewayz request are `/gatewayz`.
    public var documentName: String { self == .gatewayzLinks ? "gatewayz" : rawValue }

    /// varz and gatewayz are the minimum for a server to be modelled; the others only add detail.
    public var isRequired: Bool { self != .routez && self != .healthz }

    /// The largest body accepted for this document. /gatewayz?accs=1 of a big server (hundreds of
    /// connections, many accounts) runs to megabytes; the others are small. Together they bound what
    /// one endpoint can make gwtop hold: 22.1 MiB at the very worst.
    public var maximumBodyBytes: Int {
        switch self {
        case .varz: 2 << 20
        case .gatewayz, .gatewayzLinks: 16 << 20
        case .routez: 4 << 20
        case .healthz: 64 << 10
        }
    }
}

/// A body that did not decode, described for a person: which endpoint, where in the document, what.
public struct MonitorDecodingError: Error, CustomStringConvertible, Sendable, Equatable {
    public let endpoint: MonitorEndpointKind
    public let message: String
    public var description: String { "/\(endpoint.documentName): \(message)" }
}

public enum MonitorDecoder {
    /// `GWTOP_DECODER=codable` turns the direct /gatewayz, /varz and /routez decoder off, so a benchmark can compare both
    /// in one run on the same machine.
    static let useFastPath = ProcessInfo.processInfo.environment["GWTOP_DECODER"] != "codable"

    /// Decodes with JSONDecoder only (the reference the fast path is tested against).
    public static func decodeWithCodable<Document: Decodable>(
        _ type: Document.Type, from body: Data, endpoint: MonitorEndpointKind
    ) throws -> Document {
        guard !body.isEmpty else { throw MonitorDecodingError(endpoint: endpoint, message: "empty body") }
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch let error as DecodingError {
            throw MonitorDecodingError(endpoint: endpoint, message: describe(error, body: body))
        } catch {
            throw MonitorDecodingError(endpoint: endpoint, message: "not JSON (\(error))")
        }
    }

    public static func decode<Document: Decodable>(
        _ type: Document.Type, from body: Data, endpoint: MonitorEndpointKind
    ) throws -> Document {
        if useFastPath {
            if type == Gatewayz.self, let gatewayz = FastMonitorDecoder.gatewayz(body) { return gatewayz as! Document }
            if type == Varz.self, let varz = FastMonitorDecoder.varz(body) { return varz as! Document }
            if type == Routez.self, let routez = FastMonitorDecoder.routez(body) { return routez as! Document }
        }
        return try decodeWithCodable(type, from: body, endpoint: endpoint)
    }

    /// A `/gatewayz`, and its connections' remote server ids in the order met, shared with `previous`'s
    /// where the bytes are the same (see `FastMonitorDecoder.optionalConnectionName`). Decoded with
    /// JSONDecoder, nothing is shared and no ids are given (the next document still shares through
    /// `previous`'s `ServerIDInterner`).
    public static func decodeGatewayz(
        from body: Data, endpoint: MonitorEndpointKind, reusing previous: ConnectionNames
    ) throws -> (Gatewayz, ConnectionNames) {
        if useFastPath, let decoded = FastMonitorDecoder.gatewayz(body, reusing: previous) { return decoded }
        return (try decodeWithCodable(Gatewayz.self, from: body, endpoint: endpoint), ConnectionNames(interning: previous.interner))
    }

    static func describe(_ error: DecodingError, body: Data) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return text.isEmpty ? "top level" : String(text.drop(while: { $0 == "." }))
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let start = body.prefix(1).first
                if start != UInt8(ascii: "{") && start != UInt8(ascii: "[") {
                    return "not JSON (body starts with \(quotedPrefix(of: body)))"
                }
                return "malformed or truncated JSON"
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    /// The first bytes of a body, printable ASCII only, so an HTML error page is recognisable in a message.
    static func quotedPrefix(of body: Data) -> String {
        let printable = body.prefix(24).map { byte -> Character in
            (0x20..<0x7F).contains(byte) ? Character(Unicode.Scalar(byte)) : "?"
        }
        return "\"" + String(printable) + (body.count > 24 ? "…" : "") + "\""
    }
}
