public import Foundation

/// One HTTP exchange with a monitoring endpoint, kept as received so a poll can be recorded, replayed
/// and decoded again later.
public struct RawResponse: Sendable, Equatable {
    public var kind: MonitorEndpointKind
    /// nil when no HTTP response arrived (see `failure`).
    public var statusCode: Int?
    public var body: Data
    /// A transport failure: refused, timeout, TLS, body too large.
    public var failure: EndpointFailure?
    /// Seconds from request to complete body (or failure).
    public var elapsed: Double

    public init(kind: MonitorEndpointKind, statusCode: Int?, body: Data, failure: EndpointFailure? = nil, elapsed: Double = 0) {
        self.kind = kind
        self.statusCode = statusCode
        self.body = body
        self.failure = failure
        self.elapsed = elapsed
    }
}

/// One endpoint's raw responses in one cycle: what a recording keeps, and what replay decodes again.
public struct EndpointRawPoll: Sendable, Equatable {
    public var endpoint: EndpointIdentity
    public var observedAt: MonitorTime
    public var responses: [RawResponse]

    public init(endpoint: EndpointIdentity, observedAt: MonitorTime, responses: [RawResponse]) {
        self.endpoint = endpoint
        self.observedAt = observedAt
        self.responses = responses
    }

    public var observation: EndpointObservation {
        EndpointObservation(endpoint: endpoint, observedAt: observedAt, responses: responses)
    }
}

extension EndpointObservation {
    /// Decodes one endpoint's raw responses into an observation: a failure of varz or gatewayz makes the
    /// whole endpoint fail (with the first failing endpoint named); routez and healthz failures only
    /// become `partialFailures`.
    public init(endpoint: EndpointIdentity, observedAt: MonitorTime, responses: [RawResponse]) {
        var varz: Varz?
        var gatewayz: Gatewayz?
        var routez: Routez?
        var healthz: Healthz?
        var fatal: EndpointFailure?
        var partial: [String] = []

        for response in responses.sorted(by: { $0.kind.sortOrder < $1.kind.sortOrder }) {
            do throws {
                switch response.kind {
                case .varz: varz = try Self.decodeRequired(Varz.self, response)
                case .gatewayz: gatewayz = try Self.decodeRequired(Gatewayz.self, response)
                case .routez: routez = try Self.decodeRequired(Routez.self, response)
                case .healthz:
                    // /healthz answers 503 with a JSON body that says what is unhealthy: keep it.
                    if let failure = response.failure { throw failure }
                    healthz = try Self.decodeBody(Healthz.self, response)
                }
            } catch {
                // Every path above throws an EndpointFailure; anything else is described as it is.
                let failure = error as? EndpointFailure ?? EndpointFailure(.decode, "\(error)")
                if response.kind.isRequired {
                    if fatal == nil { fatal = failure }
                } else {
                    partial.append(failure.message)
                }
            }
        }
        let outcome: Result<ServerSnapshot, EndpointFailure>
        if let fatal {
            outcome = .failure(fatal)
        } else if let varz, let gatewayz {
            outcome = .success(ServerSnapshot(varz: varz, gatewayz: gatewayz, routez: routez, healthz: healthz))
        } else {
            let missing = varz == nil ? "/varz" : "/gatewayz"
            outcome = .failure(EndpointFailure(.network, "\(missing) was not fetched"))
        }
        self.init(endpoint: endpoint, observedAt: observedAt, outcome: outcome, partialFailures: partial)
    }

    private static func decodeRequired<Document: Decodable>(
        _ type: Document.Type, _ response: RawResponse
    ) throws -> Document {
        if let failure = response.failure { throw failure }
        if let status = response.statusCode, status != 200 {
            let hint = response.body.isEmpty ? "" : " (body starts with \(MonitorDecoder.quotedPrefix(of: response.body)))"
            throw EndpointFailure(.http, "HTTP \(status) from /\(response.kind.rawValue)\(hint)")
        }
        return try decodeBody(type, response)
    }

    private static func decodeBody<Document: Decodable>(
        _ type: Document.Type, _ response: RawResponse
    ) throws -> Document {
        do {
            return try MonitorDecoder.decode(type, from: response.body, endpoint: response.kind)
        } catch {
            throw EndpointFailure(.decode, "\(error)")
        }
    }
}

extension MonitorEndpointKind {
    fileprivate var sortOrder: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}
