import Foundation

/// One endpoint's responses of one poll, each body decoded once. A poll may add responses after a
/// first look (a frequent poll that finds a restarted server asks for the rest at once): a later
/// answer of a kind replaces the earlier one, and a full `/gatewayz` replaces a `/gatewayz` without
/// accounts.
public struct DecodedResponses: Sendable {
    enum Document: Sendable {
        case varz(Varz), gatewayz(Gatewayz), routez(Routez), healthz(Healthz)
    }

    private(set) var results: [MonitorEndpointKind: Result<Document, EndpointFailure>] = [:]
    /// The endpoint's remote server ids at its last `/gatewayz`, shared with this one's where equal.
    private let previousNames: ConnectionNames
    /// This `/gatewayz`'s remote server ids, for the next poll of the endpoint (none if it was decoded by
    /// JSONDecoder; if a `/gatewayz` merged in later fails, the endpoint fails and nothing is carried).
    public private(set) var connectionNames: ConnectionNames

    public init(_ responses: [RawResponse], reusing previousNames: ConnectionNames = ConnectionNames()) {
        self.previousNames = previousNames
        // Empty unless a /gatewayz is decoded here, but sharing as the last did all the same.
        connectionNames = ConnectionNames(interning: previousNames.interner)
        merge(responses)
    }

    /// The result for `kind`, moved out.
    mutating func take(_ kind: MonitorEndpointKind) -> Result<Document, EndpointFailure>? { results.removeValue(forKey: kind) }

    public mutating func merge(_ responses: [RawResponse]) {
        for response in responses {
            results[response.kind] = decode(response)
            // One /gatewayz stands: the later (with accounts after a frequent one, or without after one
            // with accounts that could not be had).
            if response.kind == .gatewayz { results[.gatewayzLinks] = nil }
            if response.kind == .gatewayzLinks { results[.gatewayz] = nil }
        }
    }

    /// The same rule for the raw responses a recording keeps: `responses` with `more` added, so the
    /// record holds what the observation was built from.
    public static func merged(_ responses: [RawResponse], _ more: [RawResponse]) -> [RawResponse] {
        var replaced = Set(more.map(\.kind))
        if replaced.contains(.gatewayz) { replaced.insert(.gatewayzLinks) }
        if replaced.contains(.gatewayzLinks) { replaced.insert(.gatewayz) }
        return (responses.filter { !replaced.contains($0.kind) } + more).sorted { $0.kind.listOrder < $1.kind.listOrder }
    }

    /// The partial failure a server whose accounts were answered unusably is shown with, until the next
    /// full poll asks them again; and how the detail pane knows it among the others.
    public static func accountsNotHad(_ failure: EndpointFailure) -> String {
        "accounts not had (\(failure.message)); /gatewayz asked without them until the next full poll"
    }

    public static func isAccountsNotHad(_ partialFailure: String) -> Bool { partialFailure.hasPrefix("accounts not had (") }

    /// Why the `/gatewayz` with accounts (`accs=1`) was answered but is of no use, if it was, while the
    /// rest of the server's answers are fine: an HTTP status other than 200 (a proxy that lets no query
    /// string through), a body that does not decode, or one over the size cap. Not a refused or timed-out
    /// request, which `/gatewayz` without accounts would only repeat.
    public var accountsAnsweredUnusably: EndpointFailure? {
        guard case .failure(let failure) = results[.gatewayz], [.http, .decode, .tooLarge].contains(failure.reason) else { return nil }
        // Only for a server otherwise up: one whose other documents failed too (a 401 for every request,
        // a body too large from every path) is failed whatever `/gatewayz` says, and one more request
        // would only cost it.
        for (kind, result) in results where kind != .gatewayz && kind.isRequired {
            if case .failure = result { return nil }
        }
        return failure
    }

    /// The `/gatewayz` of this poll, with or without accounts, if it decoded.
    public var gatewayz: Gatewayz? {
        for kind in [MonitorEndpointKind.gatewayz, .gatewayzLinks] {
            if case .success(.gatewayz(let gatewayz)) = results[kind] { return gatewayz }
        }
        return nil
    }

    /// One response decoded. A `/gatewayz` shares the last poll's remote server ids where equal, and leaves
    /// its own in `connectionNames`.
    private mutating func decode(_ response: RawResponse) -> Result<Document, EndpointFailure> {
        do throws(EndpointFailure) {
            switch response.kind {
            case .varz:
                var varz = try Self.decodeRequired(Varz.self, response)
                // The server's own id as the one String its peers' connections name it by: the diagnosis
                // compares the two for every connection, and one String compares without reading it.
                if let interner = previousNames.interner { varz.serverID = interner.canonical(varz.serverID) }
                return .success(.varz(varz))
            case .gatewayz, .gatewayzLinks:
                try Self.checkAnswered(response)
                let previousNames = previousNames
                let (document, names) = try Self.decoding(response) { body in
                    try MonitorDecoder.decodeGatewayz(from: body, endpoint: response.kind, reusing: previousNames)
                }
                connectionNames = names
                return .success(.gatewayz(document))
            case .routez: return .success(.routez(try Self.decodeRequired(Routez.self, response)))
            case .healthz:
                // /healthz answers 503 with a JSON body that says what is unhealthy: keep it.
                if let failure = response.failure { throw failure }
                return .success(.healthz(try Self.decodeBody(Healthz.self, response)))
            }
        } catch {
            return .failure(error)
        }
    }

    private static func decodeRequired<Document: Decodable>(
        _ type: Document.Type, _ response: RawResponse
    ) throws(EndpointFailure) -> Document {
        try checkAnswered(response)
        return try decodeBody(type, response)
    }

    /// A required document's exchange failed, or the server answered with something other than 200.
    private static func checkAnswered(_ response: RawResponse) throws(EndpointFailure) {
        if let failure = response.failure { throw failure }
        if let status = response.statusCode, status != 200 {
            let hint = response.body.isEmpty ? "" : " (body starts with \(MonitorDecoder.quotedPrefix(of: response.body)))"
            throw EndpointFailure(.http, "HTTP \(status) from /\(response.kind.documentName)\(hint)")
        }
    }

    private static func decodeBody<Document: Decodable>(
        _ type: Document.Type, _ response: RawResponse
    ) throws(EndpointFailure) -> Document {
        try decoding(response) { body in try MonitorDecoder.decode(type, from: body, endpoint: response.kind) }
    }

    /// `decode` applied to the body; what it throws (a message naming the document) is a decoding failure.
    private static func decoding<Decoded>(
        _ response: RawResponse, _ decode: (Data) throws -> Decoded
    ) throws(EndpointFailure) -> Decoded {
        do {
            return try decode(response.body)
        } catch {
            throw EndpointFailure(.decode, "\(error)")
        }
    }
}

/// What each endpoint's less frequently asked documents said when last asked: `/varz`, `/routez`,
/// `/healthz` and the accounts of every gateway connection (`/gatewayz?accs=1`).
///
/// Polls between full ones ask only `/gatewayz` without accounts: every connection, counter, RTT and
/// pending figure, at about half the bytes and a quarter of the requests. What they do not ask changes
/// rarely (identity, version, gateway configuration, routes, interest modes) or is not about the gateway
/// mesh (health, seen again at the next full poll, or at every poll while it says it is not well) and is
/// taken from here. The live poller and replay both decode through this, so a replay shows what was seen
/// live.
public struct CarriedDocuments: Sendable {
    /// Where `observation(for:)` shares remote server ids across endpoints (nil: it does not).
    public var serverIDs: ServerIDInterner?

    public init(serverIDs: ServerIDInterner? = nil) {
        self.serverIDs = serverIDs
    }

    /// One endpoint's carried documents.
    public struct Entry: Sendable {
        public var varz: Varz
        /// The server's clock at that `/varz`, so its uptime can be carried forward.
        var varzGatewayzTime: MonitorTime
        var routez = Answer<Routez>()
        var healthz = Answer<Healthz>()
        var accounts: [GatewayConnectionKey: [AccountInterest]]
        /// The remote server ids of the last `/gatewayz`, which the next one's equal ids share.
        public internal(set) var connectionNames = ConnectionNames()

        /// Drops the accounts table: the next poll that shows them must ask them.
        public mutating func forgetAccounts() { accounts = [:] }
    }

    /// What an optional document (`/routez`, `/healthz`) said at the last poll that asked it, or how it
    /// failed: both stand until it is asked again.
    struct Answer<Document: Sendable>: Sendable {
        var document: Document?
        var failure: String?

        /// This poll's document: `asked` (and kept) if the poll asked, else the kept one, whose failure is
        /// then repeated in `partial`.
        mutating func carry(_ asked: Answer?, _ partial: inout [String]) -> Document? {
            if let asked {
                self = asked
            } else if let failure {
                partial.append(failure)
            }
            return document
        }
    }

    public private(set) var entries: [EndpointIdentity: Entry] = [:]

    public subscript(endpoint: EndpointIdentity) -> Entry? {
        get { entries[endpoint] }
        set { entries[endpoint] = newValue }
    }

    /// Forgets the endpoints not in `endpoints` (those not in this poll): what they said is not carried
    /// past a poll they were absent from, live or in replay.
    public mutating func keepOnly(_ endpoints: Set<EndpointIdentity>) {
        entries = entries.filter { endpoints.contains($0.key) }
    }

    /// Decodes one endpoint's responses, filling what they did not ask from this store, and updates it.
    public mutating func observation(for raw: EndpointRawPoll) -> EndpointObservation {
        var observation = EndpointObservation(
            endpoint: raw.endpoint, observedAt: raw.observedAt,
            decoded: DecodedResponses(raw.responses, reusing: entries[raw.endpoint]?.connectionNames ?? ConnectionNames(interning: serverIDs)),
            carried: &entries[raw.endpoint])
        observation.noteAccountsNotHad(raw.accountsNotHad)
        return observation
    }

    /// Whether a poll that asked only the frequent documents must ask the others now: nothing is
    /// carried for this endpoint, the server is not the one they describe (it restarted), or, when
    /// accounts are asked at all, a connection is new since the last full poll (its accounts are unknown).
    public static func needsCarriedDocuments(_ entry: Entry?, for gatewayz: Gatewayz, accounts: Bool) -> Bool {
        guard let entry, entry.varz.serverID == gatewayz.serverID else { return true }
        guard accounts else { return false }
        var missing = false
        gatewayz.forEachConnection { key, _ in
            if entry.accounts[key] == nil { missing = true }
        }
        return missing
    }

    /// Whether a poll between full ones should ask `/healthz` too, beside `/gatewayz`: when the server's
    /// last answer said it is not well (a status other than ok, with its reason). Its warning then clears
    /// at the first poll after it recovers, not at the next full poll: a server starting up answers "not
    /// ready" until its gateway listener is up, and that answer carried stood for up to `--full-every`
    /// seconds after the server was well. A request that failed (timed out, refused, a 404 from a proxy
    /// without `/healthz`, a body that is not a health answer) waits for the next full poll as before:
    /// asked every poll it could hold every poll up to the timeout, or be asked forever.
    public static func asksHealthAgain(_ entry: Entry?) -> Bool {
        guard let document = entry?.healthz.document else { return false }
        return !document.isOK
    }
}

extension EndpointObservation {
    /// Builds the observation from decoded responses, taking what was not asked from `carried` and
    /// updating it. A failure of varz or gatewayz makes the whole endpoint fail (with the first failing
    /// document named) and drops what was carried, so the next poll asks everything again; routez and
    /// healthz failures only become `partialFailures`.
    ///
    /// `decoded` is consumed: its documents are moved out rather than copied.
    public init(endpoint: EndpointIdentity, observedAt: MonitorTime, decoded: consuming DecodedResponses, carried: inout CarriedDocuments.Entry?) {
        var varz: Varz?
        var gatewayz: Gatewayz?
        let connectionNames = decoded.connectionNames
        var gatewayzHasAccounts = false
        var routez: CarriedDocuments.Answer<Routez>?
        var healthz: CarriedDocuments.Answer<Healthz>?
        var fatal: EndpointFailure?
        var partial: [String] = []
        let varzAsked = decoded.results[.varz] != nil
        for kind in MonitorEndpointKind.allCases {
            guard let result = decoded.take(kind) else { continue }
            switch result {
            case .success(.varz(let document)): varz = document
            case .success(.gatewayz(let document)):
                gatewayz = document
                gatewayzHasAccounts = kind == .gatewayz
            case .success(.routez(let document)): routez = .init(document: document)
            case .success(.healthz(let document)): healthz = .init(document: document)
            case .failure(let failure):
                if kind == .routez { routez = .init(failure: failure.message) }
                if kind == .healthz { healthz = .init(failure: failure.message) }
                if kind.isRequired {
                    if fatal == nil { fatal = failure }
                } else {
                    partial.append(failure.message)
                }
            }
        }
        guard fatal == nil, let gatewayz = consume gatewayz else {
            carried = nil
            self.init(
                endpoint: endpoint, observedAt: observedAt,
                outcome: .failure(fatal ?? EndpointFailure(.network, "/gatewayz was not fetched")), partialFailures: partial)
            return
        }
        let previous = carried?.varz.serverID == gatewayz.serverID ? carried : nil
        guard let varz = varz ?? previous.map({ Self.carriedForward($0, to: gatewayz.now) }) else {
            carried = nil
            self.init(
                endpoint: endpoint, observedAt: observedAt,
                outcome: .failure(EndpointFailure(.network, "/varz was not fetched")), partialFailures: partial)
            return
        }
        var entry = previous ?? CarriedDocuments.Entry(varz: varz, varzGatewayzTime: gatewayz.now, accounts: [:])
        if varzAsked {
            entry.varz = varz
            entry.varzGatewayzTime = gatewayz.now
        }
        let routezDocument = entry.routez.carry(routez, &partial)
        let healthzDocument = entry.healthz.carry(healthz, &partial)
        // Between full polls the last full poll's table stands for every connection: shared, not copied
        // (a connection new since then made this poll ask `/gatewayz?accs=1`).
        if gatewayzHasAccounts {
            entry.accounts = gatewayz.connectionAccounts
        } else if varzAsked {
            // A full poll (or the rest asked at once) without accounts: for this server nobody's, or they
            // could not be had. An older table carried on would be shown as this poll's, live and in replay.
            entry.accounts = [:]
        }
        entry.connectionNames = connectionNames
        carried = entry
        self.init(
            endpoint: endpoint, observedAt: observedAt,
            outcome: .success(ServerSnapshot(
                varz: varz, gatewayz: gatewayz, routez: routezDocument, healthz: healthzDocument,
                routezCarried: routez == nil && routezDocument != nil, accounts: entry.accounts)),
            partialFailures: partial)
    }

    /// A carried `/varz` as of `now`: the same server, its uptime grown by the time since.
    private static func carriedForward(_ entry: CarriedDocuments.Entry, to now: MonitorTime) -> Varz {
        var varz = entry.varz
        let elapsed = now.seconds(since: entry.varzGatewayzTime)
        if let uptime = varz.uptime, elapsed > 0 { varz.uptime = uptime + elapsed }
        return varz
    }
}
