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

    /// Every endpoint was asked everything (so nothing needs carrying from an earlier poll).
    public var isFull: Bool { !endpoints.contains { $0.responses.contains { $0.kind == .gatewayzLinks } } }
}

/// The JSON form of a record. Field names are short but spelled out; times are integer nanoseconds
/// since 1970 so nothing is lost; a body that is not UTF-8 is kept as base64.
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
    }

    struct Response: Codable {
        var kind: String
        var status: Int?
        var elapsed: Double
        var failure_reason: String?
        var failure: String?
        var body: String?
        var body_base64: String?
    }
}

extension RecordedPoll {
    /// What goes to disk. Credentials are removed here, whatever the caller passed: endpoint URLs are
    /// already redacted by the poller, and any `user:password@` a server put inside a body or an error
    /// message is redacted too.
    func encodedJSON() throws -> Data {
        let record = RecordedPollJSON(
            format: 1, sequence: sequence, started_ns: startedAt.nanosecondsSince1970, finished_ns: finishedAt.nanosecondsSince1970,
            endpoints: endpoints.map { endpoint in
                RecordedPollJSON.Endpoint(
                    url: CredentialRedaction.redactUserInfoInText(endpoint.endpoint.displayURL),
                    name: endpoint.endpoint.name, group: endpoint.endpoint.group,
                    insecure_tls: endpoint.endpoint.insecureTLS ? true : nil,
                    observed_ns: endpoint.observedAt.nanosecondsSince1970,
                    responses: endpoint.responses.map { response in
                        let body = CredentialRedaction.redactUserInfo(inBytes: response.body)
                        let text = String(data: body, encoding: .utf8)
                        return RecordedPollJSON.Response(
                            kind: response.kind.rawValue, status: response.statusCode, elapsed: response.elapsed,
                            failure_reason: response.failure?.reason.rawValue,
                            failure: response.failure.map { CredentialRedaction.redactUserInfoInText($0.message) },
                            body: body.isEmpty ? nil : text,
                            body_base64: body.isEmpty || text != nil ? nil : body.base64EncodedString())
                    })
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(record)
    }

    struct InvalidRecord: Error, CustomStringConvertible {
        var description: String
    }

    init(json: Data) throws {
        let record: RecordedPollJSON
        do {
            record = try JSONDecoder().decode(RecordedPollJSON.self, from: json)
        } catch {
            throw InvalidRecord(description: "record is not valid recording JSON: \(error)")
        }
        guard record.format == 1 else { throw InvalidRecord(description: "record format \(record.format) is not supported") }
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
                if let text = response.body {
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
                observedAt: MonitorTime(nanosecondsSince1970: endpoint.observed_ns), responses: responses))
        }
        self.init(
            sequence: record.sequence, startedAt: MonitorTime(nanosecondsSince1970: record.started_ns),
            finishedAt: MonitorTime(nanosecondsSince1970: record.finished_ns), endpoints: endpoints)
    }
}
