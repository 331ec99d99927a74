import Foundation
public import MonitorModel

/// One poll as a recording stores it: every endpoint's raw responses with their times, enough to
/// decode, model and diagnose the poll again exactly as it was seen live.
public struct RecordedPoll: Sendable, Equatable {
    public var sequence: Int
    public var startedAt: MonitorTime
    public var finishedAt: MonitorTime
    public var endpoints: [EndpointRawPoll]

    public init(sequence: Int, startedAt: MonitorTime, finishedAt: MonitorTime, endpoints: [EndpointRawPoll]) {
        self.sequence = sequence
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.endpoints = endpoints
    }

    /// Decodes the raw responses again, as the poller did live, taking what a poll between full ones did
    /// not ask from `carried` and updating it (see `CarriedDocuments`).
    public func snapshot(carrying carried: inout CarriedDocuments) -> PollSnapshot {
        carried.keepOnly(Set(endpoints.map(\.endpoint)))
        return PollSnapshot(
            sequence: sequence, startedAt: startedAt, finishedAt: finishedAt,
            observations: endpoints.map { carried.observation(for: $0) })
    }

    /// Every endpoint was asked everything (so nothing needs carrying from an earlier poll): each was asked
    /// `/varz`, which polls between full ones ask only of a server they find restarted. (Not "no endpoint
    /// has a `/gatewayz` without accounts": a full poll asks one in place of a `/gatewayz?accs=1` answered
    /// unusably.)
    public var isFull: Bool { endpoints.allSatisfy { $0.responses.contains { $0.kind == .varz } } }
}

/// The JSON part of a record. Field names are short but spelled out; times are integer nanoseconds since
/// 1970 so nothing is lost.
///
/// Format 2 (written now): the payload is `"GRP2"`, the JSON's length (u32le), the JSON, then every body
/// as it arrived, one after another; a response names its body by `body_at` (from the end of the JSON)
/// and `body_bytes`. Format 1 (still read): the payload is the JSON alone, each body inside it as a string
/// (`body`) or, when not UTF-8, as base64 (`body_base64`). Decoding megabytes of escaped JSON strings was
/// half the time of replaying a 250-server recording.
struct RecordedPollJSON: Codable {
    var format: Int
    var sequence: Int
    var started_ns: Int64
    var finished_ns: Int64
    var endpoints: [Endpoint]

    struct Endpoint: Codable {
        var url: String
        var name: String?
        var group: String?
        var insecure_tls: Bool?
        var observed_ns: Int64
        var responses: [Response]
        /// Why the server's accounts were not had at this poll, as shown live (absent when they were, or
        /// were not wanted; and in recordings made before it was kept).
        var accounts_not_had: String?
    }

    struct Response: Codable {
        var kind: String
        var status: Int?
        var elapsed: Double
        var failure_reason: String?
        var failure: String?
        var body: String?
        var body_base64: String?
        var body_at: Int?
        var body_bytes: Int?
    }
}

extension RecordedPoll {
    static let payloadMagic = Array("GRP2".utf8)

    /// What goes to disk (format 2, see `RecordedPollJSON`). Credentials are removed here, whatever the
    /// caller passed: endpoint URLs are already redacted by the poller, and any `user:password@` a server
    /// put inside a body or an error message is redacted too.
    func encodedPayload() throws -> Data {
        var bodies = Data()
        let record = RecordedPollJSON(
            format: 2, sequence: sequence, started_ns: startedAt.nanosecondsSince1970, finished_ns: finishedAt.nanosecondsSince1970,
            endpoints: endpoints.map { endpoint in
                RecordedPollJSON.Endpoint(
                    url: CredentialRedaction.redactUserInfoInText(endpoint.endpoint.displayURL),
                    name: endpoint.endpoint.name, group: endpoint.endpoint.group,
                    insecure_tls: endpoint.endpoint.insecureTLS ? true : nil,
                    observed_ns: endpoint.observedAt.nanosecondsSince1970,
                    responses: endpoint.responses.map { response in
                        let body = CredentialRedaction.redactUserInfo(inBytes: response.body)
                        let at = bodies.count
                        bodies.append(body)
                        return RecordedPollJSON.Response(
                            kind: response.kind.rawValue, status: response.statusCode, elapsed: response.elapsed,
                            failure_reason: response.failure?.reason.rawValue,
                            failure: response.failure.map { CredentialRedaction.redactUserInfoInText($0.message) },
                            body_at: body.isEmpty ? nil : at, body_bytes: body.isEmpty ? nil : body.count)
                    },
                    accounts_not_had: endpoint.accountsNotHad.map(CredentialRedaction.redactUserInfoInText))
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = try encoder.encode(record)
        var payload = Data(Self.payloadMagic)
        payload.appendLittleEndian(UInt32(json.count))
        payload.append(json)
        payload.append(bodies)
        return payload
    }

    struct InvalidRecord: Error, CustomStringConvertible {
        var description: String
    }

    /// A record's payload, either format (see `RecordedPollJSON`).
    init(payload: Data) throws {
        // Slices of the payload, not copies: only each body is copied out, once.
        var json = payload[...]
        var bodies = Data()[...]
        let isFormat2 = payload.count >= 8 && payload.prefix(4).elementsEqual(Self.payloadMagic)
        if isFormat2 {
            let length = Int(payload.readLittleEndian(at: 4) as UInt32)
            let jsonStart = payload.startIndex + 8
            guard length <= payload.count - 8 else {
                throw InvalidRecord(description: "record claims \(length) bytes of JSON in a payload of \(payload.count)")
            }
            json = payload[jsonStart..<(jsonStart + length)]
            bodies = payload[(jsonStart + length)...]
        }
        let record: RecordedPollJSON
        do {
            record = try JSONDecoder().decode(RecordedPollJSON.self, from: json)
        } catch {
            throw InvalidRecord(description: "record is not valid recording JSON: \(error)")
        }
        guard record.format == (isFormat2 ? 2 : 1) else {
            throw InvalidRecord(description: record.format == 1 || record.format == 2
                ? "record says format \(record.format) but is laid out as format \(isFormat2 ? 2 : 1)"
                : "record format \(record.format) is not supported")
        }
        var endpoints: [EndpointRawPoll] = []
        for endpoint in record.endpoints {
            var responses: [RawResponse] = []
            for response in endpoint.responses {
                guard let kind = MonitorEndpointKind(rawValue: response.kind) else {
                    throw InvalidRecord(description: "unknown endpoint kind \"\(response.kind)\"")
                }
                var failure: EndpointFailure?
                if let message = response.failure {
                    let reason = response.failure_reason.flatMap(EndpointFailure.Reason.init(rawValue:)) ?? .network
                    failure = EndpointFailure(reason, message)
                }
                let body: Data
                if isFormat2 {
                    // Format 2 names each body by place and size, both or neither; never inside the JSON.
                    guard response.body == nil, response.body_base64 == nil, (response.body_at == nil) == (response.body_bytes == nil) else {
                        throw InvalidRecord(description: "a format 2 response must give body_at and body_bytes together, and no body in its JSON")
                    }
                    if let at = response.body_at, let count = response.body_bytes {
                        guard at >= 0, count >= 0, at <= bodies.count - count else {
                            throw InvalidRecord(description: "a body at \(at) of \(count) bytes, outside the record's \(bodies.count)")
                        }
                        body = Data(bodies[(bodies.startIndex + at)..<(bodies.startIndex + at + count)])
                    } else {
                        body = Data()
                    }
                } else if response.body_at != nil || response.body_bytes != nil {
                    throw InvalidRecord(description: "a format 1 response with body_at or body_bytes")
                } else if let text = response.body {
                    body = Data(text.utf8)
                } else if let encoded = response.body_base64 {
                    guard let decoded = Data(base64Encoded: encoded) else {
                        throw InvalidRecord(description: "a body_base64 that is not base64")
                    }
                    body = decoded
                } else {
                    body = Data()
                }
                responses.append(RawResponse(
                    kind: kind, statusCode: response.status, body: body, failure: failure, elapsed: response.elapsed))
            }
            endpoints.append(EndpointRawPoll(
                endpoint: EndpointIdentity(
                    displayURL: endpoint.url, name: endpoint.name, group: endpoint.group, insecureTLS: endpoint.insecure_tls ?? false),
                observedAt: MonitorTime(nanosecondsSince1970: endpoint.observed_ns), responses: responses,
                accountsNotHad: endpoint.accounts_not_had))
        }
        self.init(
            sequence: record.sequence, startedAt: MonitorTime(nanosecondsSince1970: record.started_ns),
            finishedAt: MonitorTime(nanosecondsSince1970: record.finished_ns), endpoints: endpoints)
    }
}
