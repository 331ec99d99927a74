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
    private let earlyPoll = NIOLockedValueBox(false)
    private var statszTask: Task<Void, Never>?

    struct KnownServer {
        var id: String
        var cluster: String?
        var lastSeen: MonitorTime
    }

    public init(
        client: NatsClient, sourceURL: String, timeout: Double, kinds: [MonitorEndpointKind] = MonitorEndpointKind.allCases,
        logger: Logger = Logger(label: "gwtop.sys"), now: @escaping @Sendable () -> MonitorTime = { MonitorTime.now }
    ) {
        self.client = client
        self.sourceURL = sourceURL
        self.timeout = timeout
        self.kinds = kinds
        self.logger = logger
        self.now = now
    }

    public static func subject(for kind: MonitorEndpointKind) -> String {
        "$SYS.REQ.SERVER.PING." + kind.rawValue.uppercased()
    }

    /// The request body that asks for what the HTTP poller's query asks for (`/gatewayz?accs=1`).
    static func body(for kind: MonitorEndpointKind) -> Data {
        Data((kind == .gatewayz ? #"{"accounts":true}"# : "{}").utf8)
    }

    /// One poll of every server that answers, plus every server that answered before and is now silent.
    public func poll() async -> [EndpointRawPoll] {
        let expected = Set(known.keys)
        let collection = ReplyCollection(
            timeout: .milliseconds(Int(timeout * 1000)), quietPeriod: .milliseconds(300), expectedKeys: expected,
            replyKey: { try? ServerEnvelope.parse($0.payload).server.name })
        let started = ContinuousClock.now
        let client = self.client
        let results = await withTaskGroup(of: (MonitorEndpointKind, Result<[NatsMessage], any Error>, Double).self) { group in
            for kind in kinds {
                group.addTask {
                    do {
                        let replies = try await client.request(Self.subject(for: kind), payload: Self.body(for: kind), collection: collection)
                        return (kind, .success(replies), Self.seconds(since: started))
                    } catch {
                        return (kind, .failure(error), Self.seconds(since: started))
                    }
                }
            }
            var all: [(MonitorEndpointKind, Result<[NatsMessage], any Error>, Double)] = []
            for await result in group { all.append(result) }
            return all
        }
        let observedAt = now()
        if let failure = results.compactMap({ $0.1.failureValue }).first, results.allSatisfy({ $0.1.failureValue != nil }) {
            return connectionDown(failure, at: observedAt)
        }
        return assemble(results, observedAt: observedAt)
    }

    private func assemble(
        _ results: [(MonitorEndpointKind, Result<[NatsMessage], any Error>, Double)], observedAt: MonitorTime
    ) -> [EndpointRawPoll] {
        var answers: [String: Answer] = [:]  // by server id
        for (kind, result, elapsed) in results {
            guard case .success(let replies) = result else { continue }
            for reply in replies {
                let envelope: ServerEnvelope
                do {
                    envelope = try ServerEnvelope.parse(reply.payload)
                } catch {
                    logger.warning("unreadable system account reply", metadata: ["kind": "\(kind.rawValue)", "error": "\(error)"])
                    continue
                }
                var answer = answers[envelope.server.id] ?? Answer(server: envelope.server)
                answer.responses[kind] = Self.response(kind, envelope, elapsed: elapsed)
                answers[envelope.server.id] = answer
            }
        }
        if answers.isEmpty && known.isEmpty {
            // A user outside the system account gets "no responders" for these subjects.
            let failure = EndpointFailure(
                .network,
                "no server answered \(Self.subject(for: .varz)) through \(sourceURL): the user must be in the system account")
            return [EndpointRawPoll(
                endpoint: EndpointIdentity(displayURL: sourceURL), observedAt: observedAt,
                responses: kinds.map { RawResponse(kind: $0, statusCode: nil, body: Data(), failure: failure) })]
        }
        let nameCounts = Dictionary(answers.values.map { ($0.server.name, 1) }, uniquingKeysWith: +)
        var polls: [EndpointRawPoll] = []
        for answer in answers.values {
            let server = answer.server
            // Two servers with one name (a real misconfiguration) must stay two endpoints.
            let label = nameCounts[server.name, default: 0] > 1 ? "\(server.name)/\(server.id)" : server.name
            let responses = kinds.map { kind in
                answer.responses[kind] ?? RawResponse(
                    kind: kind, statusCode: nil, body: Data(),
                    failure: EndpointFailure(.timeout, "no reply to \(Self.subject(for: kind)) within \(Self.format(timeout))"),
                    elapsed: timeout)
            }
            polls.append(EndpointRawPoll(endpoint: identity(label, cluster: server.cluster), observedAt: observedAt, responses: responses))
            known[server.name] = KnownServer(id: server.id, cluster: server.cluster, lastSeen: observedAt)
        }
        let answeredNames = Set(answers.values.map(\.server.name))
        for (name, server) in known where !answeredNames.contains(name) {
            let failure = EndpointFailure(
                .silent,
                "silent: no reply to \(Self.subject(for: .varz)) (answered until \(server.lastSeen.rfc3339))")
            polls.append(failedPoll(name, cluster: server.cluster, failure: failure, at: observedAt))
        }
        return polls.sorted { $0.endpoint < $1.endpoint }
    }

    private struct Answer {
        var server: ServerEnvelope.ServerInfo
        var responses: [MonitorEndpointKind: RawResponse] = [:]
    }

    private static func response(_ kind: MonitorEndpointKind, _ envelope: ServerEnvelope, elapsed: Double) -> RawResponse {
        if let error = envelope.error {
            let code = error.code.map { " \($0)" } ?? ""
            return RawResponse(
                kind: kind, statusCode: nil, body: Data(),
                failure: EndpointFailure(.http, "error\(code) from \(subject(for: kind)): \(error.description ?? "no description")"),
                elapsed: elapsed)
        }
        guard let data = envelope.data else {
            return RawResponse(
                kind: kind, statusCode: nil, body: Data(),
                failure: EndpointFailure(.decode, "the reply to \(subject(for: kind)) has no data"), elapsed: elapsed)
        }
        return RawResponse(kind: kind, statusCode: nil, body: data, elapsed: elapsed)
    }

    /// The connection is down: every known server is out of sight, or, before any has answered, the
    /// NATS URL itself is what failed.
    private func connectionDown(_ error: any Error, at time: MonitorTime) -> [EndpointRawPoll] {
        let reason: EndpointFailure.Reason = (error as? NatsClientError)?.kind == .timeout ? .timeout : .network
        let failure = EndpointFailure(reason, "system account: \(error)")
        if known.isEmpty {
            return [EndpointRawPoll(
                endpoint: EndpointIdentity(displayURL: sourceURL), observedAt: time,
                responses: kinds.map { RawResponse(kind: $0, statusCode: nil, body: Data(), failure: failure) })]
        }
        return known.map { failedPoll($0.key, cluster: $0.value.cluster, failure: failure, at: time) }
            .sorted { $0.endpoint < $1.endpoint }
    }

    private func failedPoll(_ name: String, cluster: String?, failure: EndpointFailure, at time: MonitorTime) -> EndpointRawPoll {
        EndpointRawPoll(
            endpoint: identity(name, cluster: cluster), observedAt: time,
            responses: kinds.map { RawResponse(kind: $0, statusCode: nil, body: Data(), failure: failure) })
    }

    private func identity(_ label: String, cluster: String?) -> EndpointIdentity {
        EndpointIdentity(displayURL: "\(sourceURL)#\(label)", name: label, group: cluster)
    }

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
                let gateways = (statsz.statsz.gateways ?? []).map { GatewayAnnouncementDetector.Gateway(gwid: $0.gwid, name: $0.name) }
                if detector.observe(serverID: statsz.server.id, gateways: gateways, at: ContinuousClock.now) {
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
        struct Body: Decodable { var gateways: [StatszGateway]? }
        var server: Server
        var statsz: Body
    }

    struct StatszGateway: Decodable {
        var gwid: UInt64
        var name: String
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.2f s", seconds)
    }
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
