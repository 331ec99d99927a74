import Foundation
import MonitorModel
import NIOPosix
import Poller
import TestSupport
import Synchronization
import Testing

/// The poller against real sockets on loopback: a server that answers with recorded documents, one
/// that refuses, one that accepts and never answers, one that sends an enormous body.
@Suite(.serialized) struct PollerBehaviourTests {
    /// A port with nothing listening: bind, read the port, close.
    static func closedPort() throws -> Int {
        let server = try LoopbackHTTPServer { _ in .hang }
        let port = server.port
        server.stop()
        return port
    }

    func poll(_ urls: [String], timeout: Double = 1, maxBody: Int = 16 << 20, onTransportThread: Bool = false) async throws -> (PollCycle, Double) {
        let targets = try urls.map { try MonitorTarget(url: $0) }
        let transport = try HTTPMonitoringTransport(timeout: timeout, maxBodyBytes: maxBody, targets: targets)
        let poller = Poller(targets: targets, transport: transport, runsOnTransportThread: onTransportThread)
        let started = ContinuousClock.now
        let cycle = await poller.poll(sequence: 1)
        let elapsed = ContinuousClock.now - started
        await transport.shutdown()
        return (cycle, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    @Test(arguments: [false, true]) func fetchesAllFourDocumentsWithTheRightPaths(onTransportThread: Bool) async throws {
        let server = try LoopbackHTTPServer.recorded()
        defer { server.stop() }
        let (cycle, _) = try await poll([server.url], onTransportThread: onTransportThread)
        let observation = try #require(cycle.snapshot.observations.first)
        #expect(observation.snapshot?.varz.serverName == "e1")
        #expect(observation.snapshot?.routez != nil && observation.snapshot?.healthz?.isOK == true)
        #expect(Set(server.requestPaths) == ["/varz", "/gatewayz?accs=1", "/routez", "/healthz"])
        #expect(cycle.raw.first?.responses.map(\.kind) == MonitorEndpointKind.fullSet)
    }

    @Test func pollsBetweenFullOnesAskOnlyTheFrequentDocumentsUnlessTheServerChanged() async throws {
        // The endpoint answers as e1 until `restarted` is set, then as e2 (another server id).
        let e1 = try Fixtures.recordedDocuments("e1")
        let e2 = try Fixtures.recordedDocuments("e2")
        let restarted = Mutex(false)
        let endpoint = try PolledEndpoint { path in
            let documents = restarted.withLock { $0 } ? e2 : e1
            guard let body = documents[path] else { return .respond(status: 404, body: Array("not found".utf8)) }
            return .respond(status: 200, body: body)
        }
        let poller = endpoint.poller
        func newPaths() -> Set<String> { Set(endpoint.newPaths()) }
        let atFullPoll = try #require(await poller.poll(sequence: 1, full: true).snapshot.observations[0].snapshot)
        let accountsAtFullPoll = atFullPoll.accounts
        #expect(newPaths() == ["/varz", "/gatewayz?accs=1", "/routez", "/healthz"])
        let second = await poller.poll(sequence: 2, full: false)
        #expect(newPaths() == ["/gatewayz"])
        let carried = try #require(second.snapshot.observations[0].snapshot)
        // The remote server ids the poll before decoded are shared, not made again.
        let idsBefore = Self.remoteServerIDs(atFullPoll.gatewayz), idsNow = Self.remoteServerIDs(carried.gatewayz)
        #expect(!idsNow.isEmpty && idsNow.map(\.text) == idsBefore.map(\.text))
        #expect(idsNow.map(\.storage) == idsBefore.map(\.storage), "each id shares the last poll's storage")
        #expect(carried.varz.serverName == "e1" && carried.routez != nil && carried.healthz?.isOK == true)
        #expect(!accountsAtFullPoll.isEmpty && accountsAtFullPoll.values.allSatisfy { !$0.isEmpty })
        #expect(carried.accounts == accountsAtFullPoll, "accounts carried from the full poll")
        #expect(second.raw[0].responses.map(\.kind) == MonitorEndpointKind.frequentSet, "the recording keeps what was asked")

        restarted.withLock { $0 = true }
        let third = await poller.poll(sequence: 3, full: false)
        #expect(newPaths() == ["/gatewayz", "/varz", "/gatewayz?accs=1", "/routez", "/healthz"], "a new server id asks for the rest at once")
        #expect(third.snapshot.observations[0].snapshot?.varz.serverName == "e2")
        #expect(third.raw[0].responses.map(\.kind) == [.varz, .gatewayz, .routez, .healthz])
        _ = await poller.poll(sequence: 4, full: true)
        #expect(newPaths() == ["/varz", "/gatewayz?accs=1", "/routez", "/healthz"], "poll 4 is full again")
        await endpoint.transport.shutdown()
    }

    /// A server starting up answers `/healthz` "unavailable" until its listeners are up: between full polls
    /// it is asked again beside `/gatewayz` (in the same round, not after it) until it says ok, so the
    /// warning goes with the cause, not at the next full poll. A `/healthz` that fails (here a 404, as from a
    /// proxy without it) is not asked again before the next full poll.
    @Test func anUnwellHealthIsAskedAgainEachPollUntilWell() async throws {
        let e1 = try Fixtures.recordedDocuments("e1")
        let e2 = try Fixtures.recordedDocuments("e2")
        // 0: unavailable, 1: ok, 2: no /healthz at all, 3: unavailable and answering as e2 (restarted).
        let healthStage = Mutex(0)
        let endpoint = try PolledEndpoint { path in
            let stage = healthStage.withLock { $0 }
            if path == "/healthz" {
                switch stage {
                case 0, 3: return .respond(status: 503, body: Array(#"{"status":"unavailable","error":"gateway listener not ready"}"#.utf8))
                case 1: break
                default: return .respond(status: 404, body: Array("404 page not found".utf8))
                }
            }
            guard let body = (stage == 3 ? e2 : e1)[path] else { return .respond(status: 404, body: Array("not found".utf8)) }
            return .respond(status: 200, body: body)
        }
        let poller = endpoint.poller
        func newPaths() -> Set<String> { Set(endpoint.newPaths()) }
        func health(_ cycle: PollCycle) -> Healthz? { cycle.snapshot.observations.first?.snapshot?.healthz }
        let first = await poller.poll(sequence: 1, full: true)
        #expect(newPaths() == ["/varz", "/gatewayz?accs=1", "/routez", "/healthz"])
        #expect(health(first) == Healthz(status: "unavailable", error: "gateway listener not ready"))
        let second = await poller.poll(sequence: 2, full: false)
        #expect(newPaths() == ["/gatewayz", "/healthz"], "not well: asked again")
        #expect(health(second)?.isOK == false)
        #expect(second.raw[0].responses.map(\.kind) == [.gatewayzLinks, .healthz], "the recording keeps what was asked")
        healthStage.withLock { $0 = 1 }
        let third = await poller.poll(sequence: 3, full: false)
        #expect(newPaths() == ["/gatewayz", "/healthz"])
        #expect(health(third)?.isOK == true, "well as soon as the server is")
        let fourth = await poller.poll(sequence: 4, full: false)
        #expect(newPaths() == ["/gatewayz"], "well: back to one request")
        #expect(health(fourth)?.isOK == true)

        healthStage.withLock { $0 = 2 }
        let withoutHealth = await poller.poll(sequence: 5, full: true)
        #expect(newPaths() == ["/varz", "/gatewayz?accs=1", "/routez", "/healthz"])
        #expect(withoutHealth.snapshot.observations[0].partialFailures.count == 1)
        _ = await poller.poll(sequence: 6, full: false)
        #expect(newPaths() == ["/gatewayz"], "a failed /healthz waits for the next full poll")

        // Unwell, then restarted between full polls: the rest is asked at once, but not /healthz twice.
        healthStage.withLock { $0 = 0 }
        _ = await poller.poll(sequence: 7, full: true)
        _ = endpoint.newPaths()
        healthStage.withLock { $0 = 3 }
        let restarted = await poller.poll(sequence: 8, full: false)
        let afterRestart = endpoint.newPaths()
        #expect(afterRestart.sorted() == ["/gatewayz", "/gatewayz?accs=1", "/healthz", "/routez", "/varz"], "\(afterRestart)")
        #expect(restarted.snapshot.observations[0].snapshot?.varz.serverName == "e2")
        #expect(restarted.raw[0].responses.map(\.kind) == [.varz, .gatewayz, .routez, .healthz])
        await endpoint.transport.shutdown()
    }

    /// Two endpoints whose servers connect to the same remote servers: each remote id is one String in
    /// both, in the first poll and the next (one table of ids for the poller), and not the String another
    /// poller holds.
    @Test func everyEndpointOfAPollerSharesOneStringForEachRemoteServerID() async throws {
        let endpoints = try RecordedEndpoints("e1", "e2", timeout: 1)
        let (targets, transport) = (endpoints.targets, endpoints.transport)
        let poller = Poller(targets: targets, transport: transport), other = Poller(targets: targets, transport: transport)
        func storages(_ cycle: PollCycle) -> [String: Set<UnsafeRawPointer?>] {
            var storages: [String: Set<UnsafeRawPointer?>] = [:]
            #expect(cycle.snapshot.observations.count == 2 && cycle.snapshot.observations.allSatisfy { $0.snapshot != nil })
            for snapshot in cycle.snapshot.observations.compactMap(\.snapshot) {
                for id in Self.remoteServerIDs(snapshot.gatewayz) { storages[id.text, default: []].insert(id.storage) }
            }
            return storages
        }
        let first = storages(await poller.poll(sequence: 1, full: true))
        let second = storages(await poller.poll(sequence: 2, full: false))
        let elsewhere = storages(await other.poll(sequence: 1, full: true))
        // Through `endpoints`, which keeps the servers up until here.
        await endpoints.transport.shutdown()
        let common = Set(Self.remoteServerIDs(try Self.recordedGatewayz("e1")).map(\.text))
            .intersection(Self.remoteServerIDs(try Self.recordedGatewayz("e2")).map(\.text))
        #expect(!common.isEmpty, "e1 and e2 both connect to some server")
        for id in common {
            #expect(first[id]?.count == 1, "\(id): one String in both endpoints' documents")
            #expect(second[id] == first[id], "\(id): the same String the next poll")
            #expect(elsewhere[id]?.count == 1 && elsewhere[id] != first[id], "\(id): another poller's own")
        }
    }

    static func recordedGatewayz(_ name: String) throws -> Gatewayz {
        let body = try Fixtures.recordedDocuments(name)["/gatewayz"] ?? []
        return try MonitorDecoder.decode(Gatewayz.self, from: Data(body), endpoint: .gatewayz)
    }

    /// A document's connections' remote server ids with where each one's bytes are (the same address is
    /// the same storage), outbound by cluster then inbound.
    static func remoteServerIDs(_ gatewayz: Gatewayz) -> [(text: String, storage: UnsafeRawPointer?)] {
        let outbound = gatewayz.outboundGateways.sorted { $0.key < $1.key }.compactMap { $0.value.connection?.name }
        let inbound = gatewayz.inboundGateways.sorted { $0.key < $1.key }.flatMap { $0.value.compactMap { $0.connection?.name } }
        return (outbound + inbound).map { id in (id, id.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil) }
    }

    /// `--check` and the text report show no accounts: their polls never ask `accs=1`, and a connection
    /// new since the full poll (whose accounts would be unknown) is no reason to ask everything again;
    /// a restarted server still is.
    @Test func aPollerThatShowsNoAccountsNeverAsksForThem() async throws {
        let e1 = try Fixtures.recordedDocuments("e1")
        let e2 = try Fixtures.recordedDocuments("e2")
        // 0: e1 as recorded; 1: e1 with a connection reconnected under a new gid; 2: e2 (restarted).
        let stage = Mutex(0)
        let endpoint = try PolledEndpoint(accounts: .none) { path in
            let current = stage.withLock { $0 }
            var body = (current == 2 ? e2 : e1)[path]
            if current == 1, let original = body {
                body = Array(String(decoding: original, as: UTF8.self).replacingOccurrences(of: #""cid": 7,"#, with: #""cid": 4077,"#).utf8)
            }
            guard let body else { return .respond(status: 404, body: Array("not found".utf8)) }
            return .respond(status: 200, body: body)
        }
        let poller = endpoint.poller
        func newPaths() -> [String] { endpoint.newPaths() }
        let first = try #require(await poller.poll(sequence: 1, full: true).snapshot.observations[0].snapshot)
        #expect(Set(newPaths()) == ["/varz", "/gatewayz", "/routez", "/healthz"])
        #expect(first.varz.serverName == "e1" && first.routez != nil && first.healthz?.isOK == true)
        #expect(first.accounts.values.allSatisfy { $0.isEmpty })
        #expect(first.gatewayz.outboundGateways.count + first.gatewayz.inboundGateways.count > 0)

        stage.withLock { $0 = 1 }
        let reconnected = try #require(await poller.poll(sequence: 2, full: false).snapshot.observations[0].snapshot)
        #expect(newPaths() == ["/gatewayz"], "a new gid alone asks nothing more")
        #expect(reconnected.varz.serverName == "e1" && reconnected.routez != nil)
        let gids = reconnected.gatewayz.outboundGateways.values.compactMap(\.connection?.cid)
            + reconnected.gatewayz.inboundGateways.values.flatMap { $0.compactMap(\.connection?.cid) }
        #expect(gids.contains(4077))

        stage.withLock { $0 = 2 }
        let restarted = await poller.poll(sequence: 3, full: false)
        // The frequent /gatewayz, then the rest at once (in any order: they go out side by side), but not
        // /gatewayz again: without accounts it would say what it just said.
        let afterRestart = newPaths()
        #expect(afterRestart.first == "/gatewayz" && afterRestart.count == 4, "\(afterRestart)")
        #expect(Set(afterRestart.dropFirst()) == ["/varz", "/routez", "/healthz"], "a new server id still asks the rest")
        #expect(restarted.snapshot.observations[0].snapshot?.varz.serverName == "e2")
        #expect(restarted.raw[0].responses.map(\.kind) == [.varz, .gatewayzLinks, .routez, .healthz])
        await endpoint.transport.shutdown()
    }

    /// The dashboard shows a connection's accounts in its detail pane only: its polls ask the selected
    /// server's, at every poll, and no other server's; a server the selection has left has none shown.
    @Test func aDashboardPollerAsksOnlyTheSelectedServersAccounts() async throws {
        let endpoints = try RecordedEndpoints("e1", "e2", timeout: 2)
        let (targets, transport) = (endpoints.targets, endpoints.transport)
        let selection = AccountsSelection()
        let poller = Poller(targets: targets, transport: transport, accounts: .selected(selection))
        var seen = [0, 0]
        /// Each server's paths since the last call, sorted (a full poll's go out side by side).
        func newPaths() -> [[String]] {
            endpoints.servers.enumerated().map { index, server in
                let paths = server.requestPaths
                defer { seen[index] = paths.count }
                return paths[seen[index]...].sorted()
            }
        }
        func snapshots(_ cycle: PollCycle) throws -> [ServerSnapshot] {
            try cycle.snapshot.observations.map { try #require($0.snapshot) }
        }
        let withoutAccounts = ["/gatewayz", "/healthz", "/routez", "/varz"]
        /// The number of an answer's connections that have an account listed.
        func connectionsWithAccounts(_ snapshot: ServerSnapshot) -> Int { snapshot.accounts.values.filter { !$0.isEmpty }.count }

        // Nothing selected (a cluster row): nobody's accounts.
        var polled = try snapshots(await poller.poll(sequence: 1, full: true))
        #expect(newPaths() == [withoutAccounts, withoutAccounts])
        #expect(polled.allSatisfy { $0.accounts.isEmpty }, "no table: the detail pane says they were not asked")

        // e1 selected: its /gatewayz asks the accounts at every poll, full or not; e2's never does.
        selection.select([targets[0].identity.displayURL])
        polled = try snapshots(await poller.poll(sequence: 2, full: false))
        #expect(newPaths() == [["/gatewayz?accs=1"], ["/gatewayz"]])
        #expect(connectionsWithAccounts(polled[0]) > 0 && polled[1].accounts.isEmpty)
        // Every connection of e1 has its list (the detail pane tells none from not asked).
        #expect(polled[0].accounts.count == polled[0].gatewayz.connectionAccounts.count)
        polled = try snapshots(await poller.poll(sequence: 3, full: true))
        #expect(newPaths() == [["/gatewayz?accs=1", "/healthz", "/routez", "/varz"], withoutAccounts])
        #expect(connectionsWithAccounts(polled[0]) > 0 && polled[1].accounts.isEmpty)

        // The selection moves to e2: e1's table goes at once (it would grow old unseen), e2's comes.
        selection.select([targets[1].identity.displayURL])
        polled = try snapshots(await poller.poll(sequence: 4, full: false))
        #expect(newPaths() == [["/gatewayz"], ["/gatewayz?accs=1"]])
        #expect(polled[0].accounts.isEmpty && connectionsWithAccounts(polled[1]) > 0)
        polled = try snapshots(await poller.poll(sequence: 5, full: false))
        #expect(newPaths() == [["/gatewayz"], ["/gatewayz?accs=1"]])
        #expect(polled[0].accounts.isEmpty && connectionsWithAccounts(polled[1]) > 0)
        await endpoints.transport.shutdown()
    }

    /// A `/gatewayz?accs=1` answered but of no use (here a proxy that lets no query string through: 404)
    /// does not fail the server: it is asked `/gatewayz` without accounts at once and shown without them,
    /// with the reason, and is not asked its accounts again (nor everything, for their missing table)
    /// before the next full poll, which tries again. For the JSON report's polls and the dashboard's.
    @Test(arguments: [false, true]) func accountsAnsweredUnusablyLeaveTheServerUpWithoutThem(selected: Bool) async throws {
        let e1 = try Fixtures.recordedDocuments("e1")
        let accountsRefused = Mutex(false)
        let selection = AccountsSelection()
        let endpoint = try PolledEndpoint(accounts: selected ? .selected(selection) : .everyServer) { path in
            guard path != "/gatewayz?accs=1" || !accountsRefused.withLock({ $0 }), let body = e1[path] else {
                return .respond(status: 404, body: Array("404 page not found".utf8))
            }
            return .respond(status: 200, body: body)
        }
        selection.select([endpoint.poller.targets[0].identity.displayURL])
        let poller = endpoint.poller
        // A full poll that has the accounts, then one whose proxy refuses them: that table is not shown as
        // the second's.
        let before = try #require(await poller.poll(sequence: 1, full: true).snapshot.observations[0].snapshot)
        #expect(before.accounts.values.contains { !$0.isEmpty })
        _ = endpoint.newPaths()
        accountsRefused.withLock { $0 = true }
        let first = await poller.poll(sequence: 2, full: true)
        #expect(endpoint.newPaths().sorted() == ["/gatewayz", "/gatewayz?accs=1", "/healthz", "/routez", "/varz"])
        let observation = first.snapshot.observations[0]
        let snapshot = try #require(observation.snapshot, "\(observation.failure?.message ?? "")")
        #expect(snapshot.accounts.isEmpty && snapshot.varz.serverName == "e1")
        #expect(observation.partialFailures.contains { $0.hasPrefix("accounts not had (HTTP 404 from /gatewayz") }, "\(observation.partialFailures)")
        #expect(first.raw.first?.responses.map(\.kind) == [.varz, .gatewayzLinks, .routez, .healthz])
        // Recorded as shown, which the responses alone no longer say: a replay shows it too.
        #expect(first.raw.first?.accountsNotHad?.hasPrefix("accounts not had (HTTP 404 from /gatewayz") == true)
        #expect(first.raw.first?.observation.partialFailures == observation.partialFailures)
        for sequence in 3...4 {
            let cycle = await poller.poll(sequence: sequence, full: false)
            #expect(endpoint.newPaths() == ["/gatewayz"])
            #expect(cycle.snapshot.observations[0].snapshot?.accounts.isEmpty == true)
            #expect(cycle.snapshot.observations[0].partialFailures.contains { $0.hasPrefix("accounts not had") })
            #expect(cycle.raw.first?.accountsNotHad == first.raw.first?.accountsNotHad, "recorded at every poll it is shown")
        }
        if selected {
            // The cursor gone from the server: the reason is neither shown nor recorded.
            selection.select([])
            let away = await poller.poll(sequence: 5, full: false)
            #expect(!away.snapshot.observations[0].partialFailures.contains(where: DecodedResponses.isAccountsNotHad))
            #expect(away.raw.first?.accountsNotHad == nil)
            selection.select([endpoint.poller.targets[0].identity.displayURL])
        }
        _ = endpoint.newPaths()
        _ = await poller.poll(sequence: 6, full: true)
        #expect(endpoint.newPaths().filter { $0.hasPrefix("/gatewayz") }.sorted() == ["/gatewayz", "/gatewayz?accs=1"], "tried again")
        await endpoint.transport.shutdown()
    }

    /// Between full polls a new connection makes the JSON report's and a recording's poller ask the rest,
    /// its accounts with it: answered unusably, they must not take the place of the good `/gatewayz` the
    /// poll had (the server would be shown down for a poll).
    @Test func aNewConnectionsAccountsAnsweredUnusablyLeaveTheServerUp() async throws {
        let e1 = try Fixtures.recordedDocuments("e1")
        let reconnected = Mutex(false)
        let endpoint = try PolledEndpoint(accounts: .everyServer) { path in
            let now = reconnected.withLock { $0 }
            if now && path == "/gatewayz?accs=1" { return .respond(status: 502, body: Array("<html>Bad Gateway</html>".utf8)) }
            guard var body = e1[path] else { return .respond(status: 404, body: []) }
            if now && path == "/gatewayz" {
                body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: #""cid": 7,"#, with: #""cid": 4077,"#).utf8)
            }
            return .respond(status: 200, body: body)
        }
        let poller = endpoint.poller
        _ = try #require(await poller.poll(sequence: 1, full: true).snapshot.observations[0].snapshot)
        _ = endpoint.newPaths()
        reconnected.withLock { $0 = true }
        let cycle = await poller.poll(sequence: 2, full: false)
        let paths = endpoint.newPaths()
        #expect(paths.first == "/gatewayz" && paths.last == "/gatewayz" && paths.contains("/gatewayz?accs=1"), "\(paths)")
        let observation = cycle.snapshot.observations[0]
        let snapshot = try #require(observation.snapshot, "\(observation.failure?.message ?? "")")
        #expect(snapshot.gatewayz.inboundGateways.values.joined().contains { $0.connection?.cid == 4077 }
            || snapshot.gatewayz.outboundGateways.values.contains { $0.connection?.cid == 4077 })
        #expect(snapshot.accounts.isEmpty)
        #expect(observation.partialFailures.contains { $0.hasPrefix("accounts not had (HTTP 502 from /gatewayz") }, "\(observation.partialFailures)")
        #expect(cycle.raw.first?.accountsNotHad?.hasPrefix("accounts not had (HTTP 502 from /gatewayz") == true, "recorded as shown")
        await endpoint.transport.shutdown()
    }

    @Test(arguments: [false, true]) func refusedConnectionIsReportedInTheSameCycleWithoutWaitingForTheTimeout(onTransportThread: Bool) async throws {
        let good = try LoopbackHTTPServer.recorded()
        defer { good.stop() }
        let refusedURL = "http://127.0.0.1:\(try Self.closedPort())"
        let (cycle, elapsed) = try await poll([good.url, refusedURL], timeout: 10, onTransportThread: onTransportThread)
        let refused = try #require(cycle.snapshot.observations.first { $0.endpoint.displayURL == refusedURL })
        #expect(refused.failure == EndpointFailure(.refused, "connection refused"))
        #expect(cycle.snapshot.observations.first { $0.endpoint.displayURL != refusedURL }?.snapshot != nil)
        // Behaviour, not speed: the cycle is over long before the 10 s timeout could have fired.
        #expect(elapsed < 5, "a refusal is reported at once, took \(elapsed)s")
    }

    @Test(arguments: [false, true]) func hangingEndpointTimesOutAndNeverHoldsBackTheOthers(onTransportThread: Bool) async throws {
        let good = try LoopbackHTTPServer.recorded()
        let hanging = try LoopbackHTTPServer { _ in .hang }
        defer { good.stop(); hanging.stop() }
        let (cycle, elapsed) = try await poll([hanging.url, good.url], timeout: 2, onTransportThread: onTransportThread)
        let stuck = try #require(cycle.snapshot.observations.first { $0.endpoint.displayURL.hasSuffix(":\(hanging.port)") })
        #expect(stuck.failure?.reason == .timeout)
        #expect(stuck.failure?.message == "timed out after 2s")
        #expect(cycle.snapshot.observations.first { $0.endpoint.displayURL.hasSuffix(":\(good.port)") }?.snapshot != nil)
        #expect(elapsed >= 1.9 && elapsed < 5, "the cycle ends at the timeout, took \(elapsed)s")
    }

    @Test(arguments: [false, true]) func cycleLastsAsLongAsTheSlowestEndpointNotTheSum(onTransportThread: Bool) async throws {
        let servers = try (0..<6).map { _ in try LoopbackHTTPServer.recorded(delay: 1) }
        defer { servers.forEach { $0.stop() } }
        let (cycle, elapsed) = try await poll(servers.map(\.url), timeout: 3, onTransportThread: onTransportThread)
        #expect(cycle.snapshot.observations.allSatisfy { $0.snapshot != nil })
        // Six endpoints × four documents × 1 s would be 24 s in sequence; in parallel about 1 s.
        #expect(elapsed < 5, "took \(elapsed)s")
    }

    /// Watching, a poll runs on the plain-HTTP event loop's thread: every fetch starts there and every
    /// response resumes its task there (no hand-off to the cooperative pool and back). Otherwise, and for
    /// TLS, the pool as before.
    @Test func aPollOnTheTransportThreadNeverLeavesIt() async throws {
        let servers = try (0..<3).map { _ in try LoopbackHTTPServer.recorded() }
        defer { servers.forEach { $0.stop() } }
        let targets = try servers.map { try MonitorTarget(url: $0.url) }
        for onTransportThread in [true, false] {
            let transport = ThreadNotingTransport(try HTTPMonitoringTransport(timeout: 2, targets: targets))
            let poller = Poller(targets: targets, transport: transport, runsOnTransportThread: onTransportThread)
            let full = await poller.poll(sequence: 1, full: true)
            let frequent = await poller.poll(sequence: 2, full: false)
            await transport.shutdown()
            #expect((full.snapshot.observations + frequent.snapshot.observations).allSatisfy { $0.snapshot != nil })
            let threads = transport.threads.withLock { $0 }
            #expect(threads.count == 2 * (3 * 4 + 3), "a start and a resumption for each of 15 fetches")
            if onTransportThread {
                #expect(threads.allSatisfy { $0.hasPrefix("NIO-ELT") }, "\(Set(threads))")
            } else {
                #expect(!threads.contains { $0.hasPrefix("NIO-ELT") }, "\(Set(threads))")
            }
        }
        let tls = try HTTPMonitoringTransport(timeout: 2, targets: [try MonitorTarget(url: "https://127.0.0.1:1")])
        #expect(tls.ownThreadExecutor == nil, "TLS keeps a thread per core and the pool")
        await tls.shutdown()
    }

    @Test func connectionsAreKeptAliveAcrossCycles() async throws {
        let server = try LoopbackHTTPServer.recorded()
        defer { server.stop() }
        let targets = [try MonitorTarget(url: server.url)]
        let transport = try HTTPMonitoringTransport(timeout: 2, targets: targets)
        let poller = Poller(targets: targets, transport: transport)
        for sequence in 1...5 {
            let cycle = await poller.poll(sequence: sequence)
            #expect(cycle.snapshot.observations.first?.snapshot != nil)
        }
        await transport.shutdown()
        #expect(server.requestPaths.count == 20)
        // Four documents are fetched in parallel, so up to four connections; never one per request.
        #expect(server.connectionsAccepted <= 4, "\(server.connectionsAccepted) connections for 20 requests")
    }

    @Test func parallelismIsBounded() async throws {
        let servers = try (0..<4).map { _ in try LoopbackHTTPServer.recorded(delay: 0.4) }
        defer { servers.forEach { $0.stop() } }
        let targets = try servers.map { try MonitorTarget(url: $0.url) }
        let transport = try HTTPMonitoringTransport(timeout: 3, targets: targets)
        let poller = Poller(targets: targets, transport: transport, maxConcurrentEndpoints: 2)
        let started = ContinuousClock.now
        let cycle = await poller.poll(sequence: 1)
        let elapsed = ContinuousClock.now - started
        await transport.shutdown()
        #expect(cycle.snapshot.observations.allSatisfy { $0.snapshot != nil })
        // Two at a time: two waves of 0.4 s, not one.
        #expect(elapsed >= .milliseconds(780) && elapsed < .milliseconds(3000), "\(elapsed)")
        #expect(cycle.snapshot.observations.map(\.endpoint.displayURL) == targets.map(\.displayURL), "results keep endpoint order")
    }

    @Test(arguments: [false, true]) func hugeBodyIsAbandonedWithoutReadingIt(onTransportThread: Bool) async throws {
        let huge = try LoopbackHTTPServer { _ in .hugeBody(bytes: 64 << 20) }
        defer { huge.stop() }
        let (cycle, _) = try await poll([huge.url], timeout: 5, maxBody: 1 << 20, onTransportThread: onTransportThread)
        let observation = try #require(cycle.snapshot.observations.first)
        #expect(observation.failure?.reason == .tooLarge)
        #expect(observation.failure?.message == "response body larger than 1 MiB, abandoned")
        try await Task.sleep(for: .milliseconds(300))
        #expect(huge.bytesSent < 16 << 20, "the client stopped reading early; server managed to send \(huge.bytesSent) bytes")
    }

    /// No Content-Length to refuse up front: the cap must be enforced on the bytes as they stream in.
    @Test func hugeChunkedBodyIsAbandonedWithoutReadingIt() async throws {
        // One huge document (the others small), so the bytes sent are one connection's.
        let huge = try LoopbackHTTPServer { path in
            path == "/varz" ? .hugeBody(bytes: 64 << 20, chunked: true) : .respond(status: 200, body: Array("{}".utf8))
        }
        defer { huge.stop() }
        let (cycle, elapsed) = try await poll([huge.url], timeout: 5, maxBody: 1 << 20)
        let observation = try #require(cycle.snapshot.observations.first)
        #expect(observation.failure?.reason == .tooLarge, "\(String(describing: observation.failure))")
        #expect(observation.failure?.message == "response body larger than 1 MiB, abandoned")
        #expect(elapsed < 4, "abandoned at the cap, not at the timeout: \(elapsed) s")
        try await Task.sleep(for: .milliseconds(300))
        // The loopback socket buffers fill (a few MiB) before the close reaches the server; reading the
        // body to its end would be 64 MiB.
        #expect(huge.bytesSent < 32 << 20, "the client stopped reading early; server managed to send \(huge.bytesSent) bytes")
    }

    /// Bodies are gathered into one buffer sized from Content-Length, or grown as a chunked body arrives:
    /// every byte must come through, in order, whatever the framing, the chunk sizes and the length
    /// (empty, one byte, past the up-front reservation, exactly at the cap), and one byte over the cap is
    /// refused either way.
    @Test func bodiesArriveWholeWhateverTheirFramingAndLength() async throws {
        var generator = SeededGenerator(seed: 6)
        let cap = 6 << 20
        let lengths = [0, 1, 4095, 4096, 65_537, 300_001, (4 << 20) + 3, cap]
        let bodies = Dictionary(uniqueKeysWithValues: lengths.map { length in
            (length, (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
        })
        let server = try LoopbackHTTPServer { path in
            // /<length>/<framing>/gatewayz?accs=1: the body of that length, announced or chunked (in chunks of
            // 1 byte to 256 KiB by the length, so small bodies come in many pieces too).
            let parts = path.split(separator: "/")
            let length = Int(parts[0])!
            let body = bodies[length] ?? [UInt8](repeating: UInt8(ascii: "x"), count: length)
            return parts[1] == "chunked"
                ? .chunked(body: body, chunkSize: max(1, min(256 << 10, length / 7)))
                : .respond(status: 200, body: body)
        }
        defer { server.stop() }
        for framing in ["announced", "chunked"] {
            for length in lengths + [cap + 1] {
                let target = try MonitorTarget(url: "\(server.url)/\(length)/\(framing)")
                let transport = try HTTPMonitoringTransport(timeout: 10, maxBodyBytes: cap, targets: [target])
                let response = await transport.fetch(target, .gatewayz)
                await transport.shutdown()
                if length > cap {
                    #expect(response.failure?.reason == .tooLarge, "\(framing) \(length): \(String(describing: response.failure))")
                } else {
                    #expect(response.failure == nil && response.statusCode == 200, "\(framing) \(length): \(String(describing: response.failure))")
                    #expect(response.body.count == length, "\(framing) \(length)")
                    // Compared as Data: a failure then prints two sizes, not megabytes of bytes.
                    #expect(response.body == Data(bodies[length]!), "\(framing) \(length): the bytes differ")
                }
            }
        }
    }

    @Test func httpErrorsAndNonJSONAreNamed() async throws {
        let html = try LoopbackHTTPServer { path in
            path == "/varz" ? .respond(status: 502, body: Array("<html>Bad Gateway</html>".utf8)) : .respond(status: 200, body: Array("{}".utf8))
        }
        let garbage = try LoopbackHTTPServer { _ in .respond(status: 200, body: Array("this is not json".utf8)) }
        defer { html.stop(); garbage.stop() }
        let (cycle, _) = try await poll([html.url, garbage.url])
        #expect(cycle.snapshot.observations[0].failure?.message == "HTTP 502 from /varz (body starts with \"<html>Bad Gateway</html>\")")
        #expect(cycle.snapshot.observations[1].failure?.message == "/varz: not JSON (body starts with \"this is not json\")")
    }

    @Test func basicAuthIsSentAsAHeader() async throws {
        let server = try LoopbackHTTPServer { _ in .respond(status: 401, body: []) }
        defer { server.stop() }
        let (cycle, _) = try await poll(["http://ops:secret@127.0.0.1:\(server.port)"])
        #expect(cycle.snapshot.observations.first?.failure?.message == "HTTP 401 from /varz")
        #expect(cycle.snapshot.observations.first?.endpoint.displayURL == "http://ops:***@127.0.0.1:\(server.port)")
        // base64("ops:secret")
        #expect(server.requestHeads.allSatisfy { $0.contains("Authorization: Basic b3BzOnNlY3JldA==") || $0.contains("authorization: Basic b3BzOnNlY3JldA==") })
        #expect(server.requestHeads.allSatisfy { !$0.contains("secret@") })
        #expect(server.requestHeads.count == 4)
    }

    /// Requests are made once, for the targets given at start; one for a target the transport was not
    /// given is made when it is asked, with the same headers.
    @Test func aTargetNotGivenAtStartIsFetchedTheSameWay() async throws {
        let server = try LoopbackHTTPServer.recorded()
        defer { server.stop() }
        let known = try MonitorTarget(url: "http://ops:secret@127.0.0.1:\(server.port)")
        let other = try MonitorTarget(url: "http://127.0.0.1:\(server.port)/mon")
        let transport = try HTTPMonitoringTransport(timeout: 2, targets: [known])
        let first = await transport.fetch(known, .varz)
        let second = await transport.fetch(other, .gatewayzLinks)
        let third = await transport.fetch(known, .varz)
        await transport.shutdown()
        #expect([first.statusCode, third.statusCode] == [200, 200])
        #expect(first.body == third.body && !first.body.isEmpty)
        // Asked with its own path (the recorded server has nothing there).
        #expect(second.failure == nil && second.statusCode == 404)
        #expect(server.requestPaths == ["/varz", "/mon/gatewayz", "/varz"])
        let heads = server.requestHeads.map { $0.lowercased() }
        #expect(heads.filter { $0.contains("Authorization: Basic b3BzOnNlY3JldA==".lowercased()) }.count == 2)
        #expect(heads.allSatisfy { $0.contains("user-agent: gwtop") && $0.contains("accept: application/json") })
    }
}

/// Which polls ask everything: by the clock, so the period holds when the interval changes.
@Suite struct FullPollScheduleTests {
    /// The full polls among polls started at `times`.
    func fullPolls(_ schedule: FullPollSchedule, at times: [Double]) -> [Int] {
        var schedule = schedule
        return times.indices.filter { schedule.nextPollIsFull(at: times[$0]) }
    }

    @Test func everyTenSecondsAtOneSecondIsEveryTenthPoll() {
        // Polls a few milliseconds late or early, as they are.
        let times = (0..<31).map { Double($0) + ($0 % 2 == 0 ? 0.004 : -0.003) }
        #expect(fullPolls(FullPollSchedule(every: 10, longestSpacing: 60), at: times) == [0, 10, 20, 30])
    }

    @Test func theIntervalChangingKeepsThePeriodInSeconds() {
        // 1 s polls, then 5 s polls (the dashboard's + key), then 0.5 s polls.
        let times = (0..<12).map(Double.init) + [15, 20, 25, 30, 35] + [35.5, 36, 36.5, 37, 40, 45.5]
        let full = fullPolls(FullPollSchedule(every: 10, longestSpacing: 60), at: times).map { times[$0] }
        #expect(full == [0, 10, 20, 30, 40])
    }

    @Test func zeroIsEveryPollAndTheSpacingIsBounded() {
        #expect(fullPolls(FullPollSchedule(every: 0, longestSpacing: 60), at: [0, 1, 2]) == [0, 1, 2])
        // At 0.1 s, 10 s would be 100 polls: a replay that jumps must find a full poll within 60 records.
        let fast = (0..<130).map { Double($0) * 0.1 }
        #expect(fullPolls(FullPollSchedule(every: 10, longestSpacing: 60), at: fast) == [0, 60, 120])
    }
}

/// The real transport, noting the thread each fetch starts on and the one its response resumes on.
final class ThreadNotingTransport: MonitoringTransport {
    let inner: HTTPMonitoringTransport
    let threads = Mutex<[String]>([])

    init(_ inner: HTTPMonitoringTransport) { self.inner = inner }

    func fetch(_ target: MonitorTarget, _ kind: MonitorEndpointKind) async -> RawResponse {
        threads.withLock { $0.append(Self.currentThreadName()) }
        let response = await inner.fetch(target, kind)
        threads.withLock { $0.append(Self.currentThreadName()) }
        return response
    }

    var ownThreadExecutor: (any TaskExecutor)? { inner.ownThreadExecutor }

    func shutdown() async { await inner.shutdown() }

    /// NIO's name for its event-loop threads, or "pool" for any other.
    static func currentThreadName() -> String {
        MultiThreadedEventLoopGroup.currentEventLoop == nil ? "pool" : "NIO-ELT"
    }
}

/// Loopback servers answering the recorded documents of the servers named (`LoopbackHTTPServer.recorded`),
/// their targets in that order, and one transport for them all; the servers stop with it.
final class RecordedEndpoints {
    let servers: [LoopbackHTTPServer]
    let targets: [MonitorTarget]
    let transport: HTTPMonitoringTransport

    init(_ names: String..., timeout: Double) throws {
        var servers: [LoopbackHTTPServer] = []
        do {
            for name in names { servers.append(try LoopbackHTTPServer.recorded(name)) }
            targets = try servers.map { try MonitorTarget(url: $0.url) }
            transport = try HTTPMonitoringTransport(timeout: timeout, targets: targets)
        } catch {
            for server in servers { server.stop() }
            throw error
        }
        self.servers = servers
    }

    deinit { for server in servers { server.stop() } }
}

/// One loopback endpoint answering through `handler`, a poller of it alone, and the paths it was asked.
final class PolledEndpoint {
    let server: LoopbackHTTPServer
    let transport: HTTPMonitoringTransport
    let poller: Poller
    private var seen = 0

    init(accounts: AccountsScope = .everyServer, _ handler: @escaping @Sendable (_ path: String) -> LoopbackHTTPServer.Behaviour) throws {
        server = try LoopbackHTTPServer(handler: handler)
        let targets = [try MonitorTarget(url: server.url)]
        transport = try HTTPMonitoringTransport(timeout: 1, targets: targets)
        poller = Poller(targets: targets, transport: transport, accounts: accounts)
    }

    /// The paths asked since the last call, in the order they came.
    func newPaths() -> [String] {
        let paths = server.requestPaths
        defer { seen = paths.count }
        return Array(paths[seen...])
    }

    deinit { server.stop() }
}
