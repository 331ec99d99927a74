import Foundation
public import Logging
public import MonitorModel
public import NatsClient
import NIOConcurrencyHelpers

/// Polls a whole supercluster through one NATS connection in the system account: each document is one
/// `$SYS.REQ.SERVER.PING.<KIND>` request that every server answers. A reply becomes the same raw
/// response an HTTP fetch of that document gives, so everything downstream (model, diagnosis, recording,
/// replay) cannot tell the two sources apart.
public actor SystemAccountPoller {
    private let client: NatsClient
    /// The NATS URL as shown to people (no credentials); every discovered server is named under it.
    public nonisolated let sourceURL: String
    private let timeout: Double
    private let kinds: [MonitorEndpointKind]
    private let logger: Logger
    private let now: @Sendable () -> MonitorTime
    /// Servers that have answered before, by name (stable across restarts, unlike the id).
    private var known: [String: KnownServer] = [:]
    /// Names two servers answered to at once (a misconfiguration): from then on each is told apart by id.
    private var duplicateNames: Set<String> = []
    /// Server ids whose `/varz` client addresses have been handed to the client as fallbacks.
    private var fallbacksTaken: Set<String> = []
    private let earlyPoll = NIOLockedValueBox(false)
    private var statszTask: Task<Void, Never>?

    struct KnownServer {
        /// The ids that last answered under this name (one, but for duplicate names).
        var ids: Set<String>
        var cluster: String?
        var lastSeen: MonitorTime
    }

    /// One kind's replies, already cut into per-server responses (the messages themselves are let go).
    private typealias KindResult = (kind: MonitorEndpointKind, outcome: Result<[(ServerEnvelope.ServerInfo, RawResponse)], any Error>)

    public init(
        client: NatsClient, sourceURL: String, timeout: Double, kinds: [MonitorEndpointKind] = MonitorEndpointKind.fullSet,
        logger: Logger = Logger(label: "gwtop.sys") { _ in SwiftLogNoOpLogHandler() }, now: @escaping @Sendable () -> MonitorTime = { MonitorTime.now }
    ) {
        self.client = client
        self.sourceURL = sourceURL
        self.timeout = timeout
        self.kinds = kinds
        self.logger = logger
        self.now = now
    }

    public static func subject(for kind: MonitorEndpointKind) -> String {
        "$SYS.REQ.SERVER.PING." + kind.documentName.uppercased()
    }

    /// One server's own subject for `kind` (`$SYS.REQ.SERVER.<id>.<KIND>`); nil for an id that is not a
    /// server id: a server's public NKey, 56 base32 characters starting with N. Ids come from the servers'
    /// replies: one with a wildcard, a dot or a space in it, or one that is PING, would ask other servers.
    public static func subject(for kind: MonitorEndpointKind, ofServer id: String) -> String? {
        let base32 = { (byte: UInt8) in (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "2")...UInt8(ascii: "7")).contains(byte) }
        guard id.utf8.count == 56, id.utf8.first == UInt8(ascii: "N"), id.utf8.allSatisfy(base32) else { return nil }
        return "$SYS.REQ.SERVER.\(id)." + kind.documentName.uppercased()
    }

    /// One server's `/gatewayz?accs=1`, asked of it alone: the dashboard shows the selected server's
    /// accounts, and the request every server answers is then asked without them. A failure comes back as
    /// a failed response naming the subject, and is logged (a login not allowed this subject gets no
    /// reply, only an error the client logs).
    public func gatewayzWithAccounts(ofServer id: String) async -> RawResponse {
        let started = ContinuousClock.now
        func failed(_ failure: EndpointFailure) -> RawResponse {
            logger.warning("the selected server's accounts were not had", metadata: ["reason": "\(failure.message)"])
            return RawResponse(kind: .gatewayz, statusCode: nil, body: Data(), failure: failure, elapsed: (ContinuousClock.now - started).inSeconds)
        }
        guard let subject = Self.subject(for: .gatewayz, ofServer: id) else { return failed(EndpointFailure(.decode, "not a server id: \(id)")) }
        do {
            let replies = try await client.request(subject, payload: Self.body(for: .gatewayz), collection: replies(from: [id]))
            guard let envelope = replies.lazy.compactMap({ try? ServerEnvelope.parse($0.payload) }).first(where: { $0.server.id == id }) else {
                return failed(EndpointFailure(.timeout, "no reply to \(subject)"))
            }
            let response = Self.response(.gatewayz, envelope, elapsed: (ContinuousClock.now - started).inSeconds, subject: subject)
            if let failure = response.failure { return failed(failure) }
            return response
        } catch {
            return failed(EndpointFailure(.network, "\(subject): \(error)"))
        }
    }

    /// How a request's replies are gathered: each counted by the id of the server that sent it, done as
    /// soon as every one of `servers` has answered, else 300 ms after the last reply, or at the timeout.
    private func replies(from servers: Set<String>) -> ReplyCollection {
        ReplyCollection(
            timeout: .milliseconds(Int(timeout * 1000)), quietPeriod: .milliseconds(300), expectedKeys: servers,
            replyKey: { ServerEnvelope.serverID(of: $0.payload) })
    }

    /// The request body that asks for what the HTTP poller's query asks for (`/gatewayz?accs=1`).
    static func body(for kind: MonitorEndpointKind) -> Data {
        Data((kind == .gatewayz ? #"{"accounts":true}"# : "{}").utf8)
    }

    /// One poll of every server that answers, plus every server that answered before and is now silent.
    /// `kinds`: the documents to ask for (default: those given at init), one request each.
    public func poll(kinds requested: [MonitorEndpointKind]? = nil) async -> [EndpointRawPoll] {
        let kinds = requested ?? self.kinds
        // Done as soon as every server id seen last time has answered, else 300 ms after the last reply.
        let collection = replies(from: Set(known.values.flatMap(\.ids)))
        let started = ContinuousClock.now
        let client = self.client
        let logger = self.logger
        let results = await withTaskGroup(of: KindResult.self) { group in
            for kind in kinds {
                group.addTask {
                    do {
                        let replies = try await client.request(Self.subject(for: kind), payload: Self.body(for: kind), collection: collection)
                        let elapsed = (ContinuousClock.now - started).inSeconds
                        return (kind, .success(Self.responses(kind, consume replies, elapsed: elapsed, logger: logger)))
                    } catch {
                        return (kind, .failure(error))
                    }
                }
            }
            var all: [KindResult] = []
            for await result in group { all.append(result) }
            return all
        }
        let observedAt = now()
        if let failure = results.compactMap({ $0.outcome.failureValue }).first, results.allSatisfy({ $0.outcome.failureValue != nil }) {
            return connectionDown(failure, at: observedAt, kinds: kinds)
        }
        let answered = results.contains { (try? $0.outcome.get().isEmpty) == false }
        if !answered && !known.isEmpty {
            // Nobody at all: more likely our connection is stuck (a stopped server, a partition) than the
            // whole supercluster gone. A PING tells; a dead connection is replaced.
            do {
                try await client.flush(timeout: .milliseconds(Int(min(timeout, 2) * 1000)))
            } catch {
                return connectionDown(error, at: observedAt, kinds: kinds)
            }
        }
        let newcomers = newServerVarz(results)
        let polls = assemble(results, kinds: kinds, observedAt: observedAt)
        if !newcomers.isEmpty { await client.addFallbackServers(newcomers.flatMap(Self.clientURLs)) }
        return polls
    }

    /// The /varz bodies of servers not seen before (new, or restarted with a new id). Polls that do not
    /// ask /varz find none; the poll that asks it for a new server does.
    private func newServerVarz(_ results: [KindResult]) -> [Data] {
        guard let varz = results.first(where: { $0.kind == .varz }), case .success(let responses) = varz.outcome else { return [] }
        let fresh = responses.filter { !fallbacksTaken.contains($0.0.id) && $0.1.failure == nil }
        fallbacksTaken.formUnion(fresh.map(\.0.id))
        return fresh.map(\.1.body)
    }

    /// Where clients reach a server, from its /varz: the advertised `connect_urls`, else its listen
    /// address when that is not a wildcard.
    static func clientURLs(fromVarz body: Data) -> [String] {
        struct ClientAddress: Decodable {
            var host: String?
            var port: Int?
            var connect_urls: [String]?
        }
        guard let address = try? JSONDecoder().decode(ClientAddress.self, from: body) else { return [] }
        if let advertised = address.connect_urls, !advertised.isEmpty { return advertised }
        guard let host = address.host, let port = address.port, !["0.0.0.0", "::", ""].contains(host) else { return [] }
        return [host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"]
    }

    /// A kind's replies as raw responses by server; replies that are not envelopes are logged and skipped.
    private static func responses(
        _ kind: MonitorEndpointKind, _ replies: consuming [NatsMessage], elapsed: Double, logger: Logger
    ) -> [(ServerEnvelope.ServerInfo, RawResponse)] {
        // Each document is a slice of its reply (no copy), so a kind's replies are held once, as their
        // documents: 25 MB for /gatewayz at 250 servers.
        var replies = consume replies
        var responses: [(ServerEnvelope.ServerInfo, RawResponse)] = []
        responses.reserveCapacity(replies.count)
        while let reply = replies.popLast() {
            do {
                let envelope = try ServerEnvelope.parse(reply.payload)
                responses.append((envelope.server, response(kind, envelope, elapsed: elapsed)))
            } catch {
                logger.warning("unreadable system account reply", metadata: ["kind": "\(kind.rawValue)", "error": "\(error)"])
            }
        }
        return responses
    }

    private func assemble(_ results: [KindResult], kinds: [MonitorEndpointKind], observedAt: MonitorTime) -> [EndpointRawPoll] {
        var answers: [String: Answer] = [:]  // by server id
        for (kind, outcome) in results {
            guard case .success(let responses) = outcome else { continue }
            for (server, response) in responses {
                var answer = answers[server.id] ?? Answer(server: server)
                answer.responses[kind] = response
                answers[server.id] = answer
            }
        }
        if answers.isEmpty && known.isEmpty {
            // A user outside the system account gets "no responders" for these subjects.
            let failure = EndpointFailure(
                .network,
                "no server answered \(Self.subject(for: .varz)) through \(sourceURL): the user must be in the system account")
            return [failedPoll(EndpointIdentity(displayURL: sourceURL), failure: failure, kinds: kinds, at: observedAt)]
        }
        let idsByName = Dictionary(grouping: answers.values, by: \.server.name).mapValues { Set($0.map(\.server.id)) }
        for (name, ids) in idsByName where ids.count > 1 { duplicateNames.insert(name) }
        var polls: [EndpointRawPoll] = []
        for answer in answers.values {
            let server = answer.server
            let responses = kinds.map { kind in
                answer.responses[kind] ?? RawResponse(
                    kind: kind, statusCode: nil, body: Data(),
                    failure: EndpointFailure(.timeout, "no reply to \(Self.subject(for: kind)) before the poll ended"))
            }
            polls.append(EndpointRawPoll(
                endpoint: identity(label(server.name, id: server.id), cluster: server.cluster), observedAt: observedAt,
                responses: responses))
        }
        for (name, ids) in idsByName {
            known[name] = KnownServer(ids: ids, cluster: answers.values.first { $0.server.name == name }?.server.cluster, lastSeen: observedAt)
        }
        for (name, server) in known where idsByName[name] == nil {
            let failure = EndpointFailure(
                .silent,
                "silent: no reply to \(Self.subject(for: .varz)) (answered until \(server.lastSeen.rfc3339))")
            polls += failedPolls(name, server, failure: failure, kinds: kinds, at: observedAt)
        }
        return polls.sorted { $0.endpoint < $1.endpoint }
    }

    /// Two servers with one name must stay two endpoints, and keep their names from poll to poll.
    private func label(_ name: String, id: String) -> String {
        duplicateNames.contains(name) ? "\(name)/\(id)" : name
    }

    private struct Answer {
        var server: ServerEnvelope.ServerInfo
        var responses: [MonitorEndpointKind: RawResponse] = [:]
    }

    /// `subject`: what was asked, for the messages (the request every server answers by default).
    static func response(_ kind: MonitorEndpointKind, _ envelope: ServerEnvelope, elapsed: Double, subject: String? = nil) -> RawResponse {
        let subject = subject ?? Self.subject(for: kind)
        if let error = envelope.error {
            let code = error.code.map { " \($0)" } ?? ""
            return RawResponse(
                kind: kind, statusCode: nil, body: Data(),
                failure: EndpointFailure(.http, "error\(code) from \(subject): \(error.description ?? "no description")"),
                elapsed: elapsed)
        }
        guard let data = envelope.data else {
            return RawResponse(
                kind: kind, statusCode: nil, body: Data(),
                failure: EndpointFailure(.decode, "the reply to \(subject) has no data"), elapsed: elapsed)
        }
        return RawResponse(kind: kind, statusCode: nil, body: data, elapsed: elapsed)
    }

    /// The connection is down: every known server is out of sight, or, before any has answered, the
    /// NATS URL itself is what failed.
    private func connectionDown(_ error: any Error, at time: MonitorTime, kinds: [MonitorEndpointKind]) -> [EndpointRawPoll] {
        let reason: EndpointFailure.Reason = (error as? NatsClientError)?.kind == .timeout ? .timeout : .network
        let failure = EndpointFailure(reason, "system account: \(error)")
        if known.isEmpty {
            return [failedPoll(EndpointIdentity(displayURL: sourceURL), failure: failure, kinds: kinds, at: time)]
        }
        return known.flatMap { failedPolls($0.key, $0.value, failure: failure, kinds: kinds, at: time) }.sorted { $0.endpoint < $1.endpoint }
    }

    /// A known server that gave nothing this poll: one endpoint, or one per id for a duplicated name.
    private func failedPolls(
        _ name: String, _ server: KnownServer, failure: EndpointFailure, kinds: [MonitorEndpointKind], at time: MonitorTime
    ) -> [EndpointRawPoll] {
        let ids = duplicateNames.contains(name) ? server.ids.sorted() : [server.ids.first ?? ""]
        return ids.map { failedPoll(identity(label(name, id: $0), cluster: server.cluster), failure: failure, kinds: kinds, at: time) }
    }

    /// Every document of the endpoint failed the same way.
    private func failedPoll(
        _ endpoint: EndpointIdentity, failure: EndpointFailure, kinds: [MonitorEndpointKind], at time: MonitorTime
    ) -> EndpointRawPoll {
        EndpointRawPoll(
            endpoint: endpoint, observedAt: time,
            responses: kinds.map { RawResponse(kind: $0, statusCode: nil, body: Data(), failure: failure) })
    }

    private func identity(_ label: String, cluster: String?) -> EndpointIdentity {
        EndpointIdentity(displayURL: "\(sourceURL)#\(label)", name: label, group: cluster)
    }

    /// The connection everything comes through.
    public func connectionStatus() async -> NatsClient.Status { await client.status }

    // MARK: Early polls on gateway changes

    /// True once after a server announced a change to its outbound gateways: the caller polls now
    /// rather than at the next interval.
    public nonisolated func takeEarlyPollRequest() -> Bool {
        earlyPoll.withLockedValue { wanted in
            defer { wanted = false }
            return wanted
        }
    }

    /// Servers publish `$SYS.SERVER.<id>.STATSZ` every 10 s (30 s before 2.10) and, besides, at once
    /// when they open an outbound gateway. That extra message still lists the gateways as they were, so
    /// it is recognised by its timing: a STATSZ sooner than the regular period after the same server's
    /// previous one, or one whose gateway list changed, asks for an early poll. A reconnect then shows
    /// within a second whatever the interval.
    public func watchGatewayAnnouncements() async throws {
        let stream = try await client.subscribe("$SYS.SERVER.*.STATSZ")
        let earlyPoll = self.earlyPoll
        let logger = self.logger
        statszTask = Task {
            var detector = GatewayAnnouncementDetector()
            for await message in stream {
                guard let statsz = try? JSONDecoder().decode(StatszMessage.self, from: message.payload) else { continue }
                if detector.observe(serverID: statsz.server.id, gateways: statsz.statsz.gateways ?? [], at: ContinuousClock.now) {
                    logger.debug("gateway change announced", metadata: ["server": "\(statsz.server.name)"])
                    earlyPoll.withLockedValue { $0 = true }
                }
            }
        }
    }

    public func stop() {
        statszTask?.cancel()
        statszTask = nil
    }

    struct StatszMessage: Decodable {
        struct Server: Decodable {
            var id: String
            var name: String
        }
        struct Body: Decodable { var gateways: [GatewayAnnouncementDetector.Gateway]? }
        var server: Server
        var statsz: Body
    }
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
