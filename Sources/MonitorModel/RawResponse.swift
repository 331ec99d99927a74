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
    /// Decodes one endpoint's raw responses into an observation, with nothing carried from an earlier
    /// poll (see `CarriedDocuments` for polls that asked only the frequent documents).
    public init(endpoint: EndpointIdentity, observedAt: MonitorTime, responses: [RawResponse]) {
        var nothingCarried: CarriedDocuments.Entry?
        self.init(endpoint: endpoint, observedAt: observedAt, decoded: DecodedResponses(responses), carried: &nothingCarried)
    }
}
