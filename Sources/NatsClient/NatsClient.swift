public import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import TLSFiles

/// A small NATS core-protocol client: one connection at a time, reconnected with backoff for ever until
/// closed; subscriptions survive reconnects; requests can collect many replies.
public actor NatsClient {
    public enum Status: Sendable, Equatable {
        case connected(server: String, serverName: String?)
        /// Between connections; the last error says why the previous one ended or the next failed.
        case reconnecting(attempt: Int, lastError: String)
        case closed
    }

    private let settings: NatsClientSettings
    private let tls: TLSConfiguration?
    private let logger: Logger
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    private var connection: NatsConnection?
    private(set) public var status: Status = .reconnecting(attempt: 0, lastError: "not connected yet")
    /// Servers learnt from INFO connect_urls, tried after the configured ones.
    private var discovered: [NatsServerAddress] = []
    private var nextSID = 1
    private var subscriptions: [Int: Subscription] = [:]
    private let inboxPrefix = "_INBOX.gwtop" + NatsClient.randomToken() + "."
    private var inboxSID: Int?
    private var requests: [String: ReplyCollector] = [:]
    private var nextRequestToken = 1
    private var readerTask: Task<Void, Never>?
    private var pingTask: Task<Void, Never>?
    private var isClosed = false
    /// PINGs sent and PONGs received on the current connection: PONGs come back in order, so PONG n
    /// answers PING n.
    private var pingsSent = 0
    private var pongsReceived = 0
    /// Why the client itself closed the current connection (no PONG), for the log and the status.
    private var ownCloseReason: (connection: NatsConnection, reason: String)?
    private var pongWaiters: [Int: (pong: Int, continuation: CheckedContinuation<Void, any Error>)] = [:]
    private var nextWaiter = 0
    /// Messages dropped because a subscriber did not keep up (a slow consumer on our side).
    private(set) public var droppedMessages = 0

    private struct Subscription {
        let subject: String
        let continuation: AsyncStream<NatsMessage>.Continuation
    }

    /// Connects to the first server that accepts, or throws the reason each one failed. Nothing is
    /// logged unless a logger is given. Credentials,
    /// TLS files and the server's answer to CONNECT are all checked here, so a mistake is reported at
    /// start, naming the server and the reason.
    ///
    /// With `retryingUnreachable`, servers that are only unreachable (refused, timed out) are no error:
    /// the client is returned at once and keeps trying in the background, as after a disconnect. A
    /// refusal of the credentials, TLS or the protocol is still thrown: waiting does not mend those.
    public static func connect(
        _ settings: NatsClientSettings, logger: Logger = Logger(label: "gwtop.nats") { _ in SwiftLogNoOpLogHandler() }, retryingUnreachable: Bool = false
    ) async throws -> NatsClient {
        let client = try NatsClient(settings: settings, logger: logger)
        try await client.connectFirstTime(retryingUnreachable: retryingUnreachable)
        return client
    }

    private init(settings: NatsClientSettings, logger: Logger) throws {
        guard !settings.servers.isEmpty else { throw NatsClientError(.invalidURL, "no NATS server URL given") }
        self.settings = settings
        self.logger = logger
        self.tls = try settings.tls.map(Self.tlsConfiguration)
    }

    static func tlsConfiguration(_ settings: NatsTLSSettings) throws -> TLSConfiguration {
        do {
            return try ClientTLSFiles.configuration(
                caFile: settings.caFile, certificateFile: settings.certificateFile, keyFile: settings.keyFile)
        } catch {
            let files = [settings.caFile, settings.certificateFile, settings.keyFile].compactMap { $0 }.joined(separator: ", ")
            throw NatsClientError(.tls, "cannot load the NATS TLS files (\(files)): \(error)")
        }
    }

    private func connectFirstTime(retryingUnreachable: Bool) async throws {
        var failures: [NatsClientError] = []
        for address in settings.servers {
            do {
                let connection = try await NatsConnection.open(address, settings: settings, tls: tls, group: group)
                adopt(connection)
                return
            } catch let error as NatsClientError {
                failures.append(error)
            }
        }
        let message = failures.map(\.message).joined(separator: "; ")
        let transient: Set<NatsClientError.Kind> = [.connectionRefused, .timeout, .disconnected]
        let lasting = failures.first { !transient.contains($0.kind) }
        guard retryingUnreachable && lasting == nil else {
            throw NatsClientError(lasting?.kind ?? failures[0].kind, message)
        }
        logger.warning("NATS unreachable, retrying in the background", metadata: ["error": "\(message)"])
        status = .reconnecting(attempt: 0, lastError: message)
        readerTask = Task { [weak self] in await self?.reconnect(lastError: message) }
    }

    /// Makes a fresh connection the current one. The inbox and every subscription are queued on it
    /// before anything else can write, so no request goes out ahead of the SUB its replies need; the
    /// reader starts at once, so a connection that breaks meanwhile is noticed like any other.
    private func adopt(_ connection: NatsConnection) {
        var commands: [NatsClientCommand] = []
        if let inboxSID { commands.append(.subscribe(subject: inboxPrefix + "*", sid: inboxSID)) }
        for (sid, subscription) in subscriptions.sorted(by: { $0.key < $1.key }) {
            commands.append(.subscribe(subject: subscription.subject, sid: sid))
        }
        if !commands.isEmpty { _ = try? connection.enqueue(commands) }
        self.connection = connection
        pingsSent = 0
        pongsReceived = 0
        status = .connected(server: connection.address.description, serverName: connection.info.serverName)
        learnServers(from: connection.info)
        readerTask = Task { [weak self] in await self?.readLoop(connection) }
        pingTask?.cancel()
        pingTask = Task { [weak self, interval = settings.pingInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                guard let self, await self.keepAlive(connection) else { return }
            }
        }
        logger.info("connected to NATS", metadata: [
            "server": "\(connection.address)", "server_name": "\(connection.info.serverName ?? "?")",
            "version": "\(connection.info.version ?? "?")",
        ])
    }

    /// One tick of the keep-alive: a connection with `maxPingsOut` PINGs unanswered is dead (a stopped
    /// server or a partition sends no FIN, and TCP would take many minutes to say so): close it, and
    /// the reader's end starts the reconnect. False when this connection is no longer the current one.
    private func keepAlive(_ watched: NatsConnection) -> Bool {
        guard connection === watched, !isClosed else { return false }
        if pingsSent - pongsReceived >= settings.maxPingsOut {
            logger.warning("NATS connection stale", metadata: [
                "server": "\(watched.address)", "unanswered_pings": "\(pingsSent - pongsReceived)",
            ])
            closeStale(watched, reason: "no PONG to \(pingsSent - pongsReceived) PINGs")
            return false
        }
        sendPing(on: watched)
        return true
    }

    private func closeStale(_ stale: NatsConnection, reason: String) {
        ownCloseReason = (stale, reason)
        stale.close()
    }

    @discardableResult
    private func sendPing(on connection: NatsConnection) -> Int {
        pingsSent += 1
        _ = try? connection.enqueue([.ping])
        return pingsSent
    }

    /// Waits for the server to answer a PING: everything sent before has been processed, and the
    /// connection is alive. A connection that does not answer within `timeout` is closed and replaced,
    /// and the error says so.
    public func flush(timeout: Duration) async throws {
        guard let connection else { throw notConnected() }
        let target = sendPing(on: connection)
        let waiter = nextWaiter
        nextWaiter += 1
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            pongWaiters[waiter] = (target, continuation)
            Task {
                try? await Task.sleep(for: timeout)
                guard let expired = pongWaiters.removeValue(forKey: waiter) else { return }
                if self.connection === connection { closeStale(connection, reason: "no PONG within \(timeout)") }
                expired.continuation.resume(throwing: NatsClientError(
                    .timeout, "\(connection.address): no PONG within \(timeout); reconnecting"))
            }
        }
    }

    private func learnServers(from info: NatsServerInfo) {
        addFallbackServers(info.connectURLs ?? [])
    }

    /// More servers to try after a disconnect, as `host:port` or URLs. A server's INFO lists only the
    /// servers of its own cluster; a caller that knows servers of other clusters (from their /varz) adds
    /// them here, so losing a whole cluster does not leave the client with nowhere to go.
    public func addFallbackServers(_ urls: [String]) {
        for url in urls {
            guard var address = try? NatsServerAddress(url: url) else { continue }
            address.requiresTLS = settings.servers.first?.requiresTLS ?? false
            if !settings.servers.contains(address) && !discovered.contains(address) { discovered.append(address) }
        }
    }

    private func readLoop(_ connection: NatsConnection) async {
        var reason = "the server closed the connection"
        do {
            while let operation = try await connection.nextOperation() {
                handle(operation)
            }
        } catch {
            reason = "\(error)"
        }
        connection.close()
        await connectionEnded(connection, reason: reason)
    }

    private func handle(_ operation: NatsServerOperation) {
        switch operation {
        case .message(let message):
            if message.subscriptionID == inboxSID {
                routeReply(message)
            } else if let subscription = subscriptions[message.subscriptionID] {
                if case .dropped = subscription.continuation.yield(message) { droppedMessages += 1 }
            }
        case .info(let info):
            learnServers(from: info)
        case .error(let text):
            // Most -ERR close the connection (the reader then sees the end); permission errors do not.
            logger.warning("NATS server error", metadata: ["error": "\(text)"])
        case .pong:
            pongsReceived += 1
            for (waiter, entry) in pongWaiters where entry.pong <= pongsReceived {
                pongWaiters.removeValue(forKey: waiter)
                entry.continuation.resume()
            }
        case .ping, .ok:
            break
        }
    }

    private func connectionEnded(_ ended: NatsConnection, reason: String) async {
        guard connection === ended, !isClosed else { return }
        connection = nil
        var reason = reason
        if let own = ownCloseReason, own.connection === ended {
            reason = "\(own.reason); the connection was closed"
            ownCloseReason = nil
        }
        logger.warning("NATS connection lost", metadata: ["server": "\(ended.address)", "reason": "\(reason)"])
        let lost = NatsClientError(.disconnected, "\(ended.address): \(reason)")
        for token in requests.keys { finishRequest(token, error: lost) }
        failPongWaiters(lost)
        await reconnect(lastError: reason)
    }

    /// Tries every known server in turn, backing off between rounds, until one accepts or the client is closed.
    private func reconnect(lastError reason: String) async {
        var attempt = 0
        var delay = settings.reconnectDelay.lowerBound
        var lastError = reason
        while !isClosed {
            attempt += 1
            status = .reconnecting(attempt: attempt, lastError: lastError)
            for address in settings.servers + discovered where !isClosed {
                do {
                    let connection = try await NatsConnection.open(address, settings: settings, tls: tls, group: group)
                    guard !isClosed else {
                        connection.close()
                        return
                    }
                    adopt(connection)
                    return
                } catch {
                    lastError = "\(error)"
                    status = .reconnecting(attempt: attempt, lastError: lastError)
                }
            }
            let jittered = delay * Double.random(in: 0.8...1.2)
            try? await Task.sleep(nanoseconds: UInt64(jittered * 1e9))
            delay = min(delay * 2, settings.reconnectDelay.upperBound)
        }
    }

    private func failPongWaiters(_ error: NatsClientError) {
        let waiters = pongWaiters
        pongWaiters = [:]
        for entry in waiters.values { entry.continuation.resume(throwing: error) }
    }

    // MARK: Subscriptions

    /// Messages on `subject` (wildcards allowed) until the stream is dropped or the client closed.
    /// A reader that falls more than `subscriptionBuffer` messages behind loses the oldest.
    public func subscribe(_ subject: String) async throws -> AsyncStream<NatsMessage> {
        try NatsClientCommand.checkSubject(subject)
        guard !isClosed else { throw NatsClientError(.closed, "the NATS client is closed") }
        let sid = nextSID
        nextSID += 1
        let (stream, continuation) = AsyncStream<NatsMessage>.makeStream(
            bufferingPolicy: .bufferingNewest(settings.subscriptionBuffer))
        subscriptions[sid] = Subscription(subject: subject, continuation: continuation)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(sid) }
        }
        // While disconnected the SUB goes out with the next connection.
        if let connection, let write = try? connection.enqueue([.subscribe(subject: subject, sid: sid)]) {
            try? await connection.completion(of: write)
        }
        return stream
    }

    private func unsubscribe(_ sid: Int) async {
        guard subscriptions.removeValue(forKey: sid) != nil else { return }
        _ = try? connection?.enqueue([.unsubscribe(sid: sid)])
    }

    public func publish(
        _ subject: String, payload: Data = Data(), replyTo: String? = nil, headers: [(name: String, value: String)] = []
    ) async throws {
        guard let connection else { throw notConnected() }
        let command: NatsClientCommand
        if headers.isEmpty {
            command = .publish(subject: subject, replyTo: replyTo, payload: payload)
        } else {
            guard connection.info.headers == true else {
                throw NatsClientError(.protocolError, "\(connection.address) does not support message headers")
            }
            command = .publishWithHeaders(subject: subject, replyTo: replyTo, headers: headers, payload: payload)
        }
        try await connection.completion(of: try connection.enqueue([command]))
    }

    private func notConnected() -> NatsClientError {
        if isClosed { return NatsClientError(.closed, "the NATS client is closed") }
        if case .reconnecting(_, let lastError) = status {
            return NatsClientError(.disconnected, "not connected to NATS: \(lastError)")
        }
        return NatsClientError(.disconnected, "not connected to NATS")
    }

    // MARK: Requests with many replies

    /// Publishes a request and collects replies as `collection` says. A request nobody answers returns
    /// no replies after the timeout; a "no responders" status reply ends it at once with none.
    public func request(_ subject: String, payload: Data = Data(), collection: ReplyCollection) async throws -> [NatsMessage] {
        guard let connection else { throw notConnected() }
        var commands: [NatsClientCommand] = []
        if inboxSID == nil {
            let sid = nextSID
            nextSID += 1
            inboxSID = sid
            commands.append(.subscribe(subject: inboxPrefix + "*", sid: sid))
        }
        let token = String(nextRequestToken)
        nextRequestToken += 1
        commands.append(.publish(subject: subject, replyTo: inboxPrefix + token, payload: payload))
        // Queued synchronously, so the inbox SUB (from this request or an earlier one) is always ahead.
        let write = try connection.enqueue(commands)
        let started = ContinuousClock.now
        return try await withCheckedThrowingContinuation { continuation in
            requests[token] = ReplyCollector(collection: collection, started: started, continuation: continuation)
            Task {
                do {
                    try await connection.completion(of: write)
                } catch {
                    finishRequest(token, error: error)
                    return
                }
                await watchRequest(token)
            }
        }
    }

    /// Ends the request at its deadline (the quiet period after the latest reply, or the overall limit).
    /// A reply moves the deadline, so the watcher looks again every few milliseconds rather than sleeping
    /// to a deadline that may have moved.
    private func watchRequest(_ token: String) async {
        while let collector = requests[token] {
            let now = ContinuousClock.now
            let wake = collector.nextDeadline
            if now >= wake {
                finishRequest(token, error: nil)
                return
            }
            try? await Task.sleep(until: min(wake, now + .milliseconds(20)), clock: .continuous)
        }
    }

    private func routeReply(_ message: NatsMessage) {
        guard message.subject.hasPrefix(inboxPrefix) else { return }
        let token = String(message.subject.dropFirst(inboxPrefix.count))
        guard requests[token] != nil else { return }
        if message.status == 503 && message.payload.isEmpty {
            finishRequest(token, error: nil)
            return
        }
        // In place: a copy of the collector taken out and put back shared its replies and its missing
        // keys, so each reply copied every reply before it (250 a request at scale: 3 % of a NATS poll).
        requests[token]!.add(message)
        if requests[token]!.isComplete { finishRequest(token, error: nil) }
    }

    private func finishRequest(_ token: String, error: (any Error)?) {
        guard let collector = requests.removeValue(forKey: token) else { return }
        if let error {
            collector.continuation.resume(throwing: error)
        } else {
            collector.continuation.resume(returning: collector.replies)
        }
    }

    // MARK: Closing

    public func close() async {
        guard !isClosed else { return }
        isClosed = true
        status = .closed
        let closed = NatsClientError(.closed, "the NATS client was closed")
        for token in requests.keys { finishRequest(token, error: closed) }
        failPongWaiters(closed)
        for subscription in subscriptions.values { subscription.continuation.finish() }
        subscriptions = [:]
        connection?.close()
        connection = nil
        readerTask?.cancel()
        pingTask?.cancel()
    }

    static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<16).map { _ in alphabet.randomElement()! })
    }
}

/// When a request with many replies is done.
public struct ReplyCollection: Sendable {
    /// The longest the request lasts, and how long to wait for a first reply.
    public var timeout: Duration
    /// Done this long after the latest reply (the NATS CLI waits 300 ms).
    public var quietPeriod: Duration
    /// Done as soon as every one of these keys has replied (say, the ids of the servers seen before).
    public var expectedKeys: Set<String>
    /// The key of a reply (say, the replying server's name); nil for replies that do not count.
    public var replyKey: @Sendable (NatsMessage) -> String?

    public init(
        timeout: Duration, quietPeriod: Duration = .milliseconds(300), expectedKeys: Set<String> = [],
        replyKey: @escaping @Sendable (NatsMessage) -> String? = { _ in nil }
    ) {
        self.timeout = timeout
        self.quietPeriod = quietPeriod
        self.expectedKeys = expectedKeys
        self.replyKey = replyKey
    }
}

/// The replies of one request so far, and when it ends.
struct ReplyCollector {
    let collection: ReplyCollection
    let started: ContinuousClock.Instant
    let continuation: CheckedContinuation<[NatsMessage], any Error>
    private(set) var replies: [NatsMessage] = []
    private var lastReply: ContinuousClock.Instant?
    private var missing: Set<String>

    init(collection: ReplyCollection, started: ContinuousClock.Instant, continuation: CheckedContinuation<[NatsMessage], any Error>) {
        self.collection = collection
        self.started = started
        self.continuation = continuation
        self.missing = collection.expectedKeys
    }

    mutating func add(_ message: NatsMessage) {
        replies.append(message)
        lastReply = .now
        if let key = collection.replyKey(message) { missing.remove(key) }
    }

    var isComplete: Bool { !collection.expectedKeys.isEmpty && missing.isEmpty }

    var nextDeadline: ContinuousClock.Instant {
        let limit = started + collection.timeout
        guard let lastReply else { return limit }
        return min(limit, lastReply + collection.quietPeriod)
    }
}
