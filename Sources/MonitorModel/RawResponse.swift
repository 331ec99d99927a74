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
    /// Why the server's accounts were not had at this poll, as the live observation showed it
    /// (`DecodedResponses.accountsNotHad`): the responses alone cannot say, since the unusable
    /// `/gatewayz?accs=1` was replaced by one without accounts, and later polls did not ask. Kept so a
    /// replay shows what the live dashboard did.
    public var accountsNotHad: String?

    public init(endpoint: EndpointIdentity, observedAt: MonitorTime, responses: [RawResponse], accountsNotHad: String? = nil) {
        self.endpoint = endpoint
        self.observedAt = observedAt
        self.responses = responses
        self.accountsNotHad = accountsNotHad
    }

    /// The observation on its own, nothing carried from an earlier poll: as replay makes it.
    public var observation: EndpointObservation {
        var nothingCarried = CarriedDocuments()
        return nothingCarried.observation(for: self)
    }
}

extension EndpointObservation {
    /// Adds why the accounts were not had, if they were not, to a server that answered; the reason if it
    /// was added (what a recording keeps), nil otherwise.
    @discardableResult
    public mutating func noteAccountsNotHad(_ reason: String?) -> String? {
        guard let reason, snapshot != nil else { return nil }
        partialFailures.append(reason)
        return reason
    }

    /// Decodes one endpoint's raw responses into an observation, with nothing carried from an earlier
    /// poll (see `CarriedDocuments` for polls that asked only the frequent documents).
    public init(endpoint: EndpointIdentity, observedAt: MonitorTime, responses: [RawResponse]) {
        var nothingCarried: CarriedDocuments.Entry?
        self.init(endpoint: endpoint, observedAt: observedAt, decoded: DecodedResponses(responses), carried: &nothingCarried)
    }
}
