import Foundation
import MonitorModel
import SyntheticMesh
import Testing
import Topology

/// Polls between full ones ask only `/gatewayz` without accounts; what they show must be
/// what a full poll at the same moment shows, and nothing carried may describe a server that is gone.
@Suite struct CarriedDocumentsTests {
    let start = 1_800_000_000.0
    let mesh = SyntheticMesh(clusters: 4, serversPerCluster: 2, startedAt: 1_800_000_000.0 - 3600)

    func endpoint(_ server: SyntheticMesh.ServerRef) -> EndpointIdentity {
        EndpointIdentity(displayURL: "http://127.0.0.1:18222" + mesh.pathPrefix(server))
    }

    func raw(
        _ server: SyntheticMesh.ServerRef, at now: Double, _ kinds: [MonitorEndpointKind], documentsOf source: SyntheticMesh.ServerRef? = nil,
        replacing: (old: String, new: String)? = nil
    ) -> EndpointRawPoll {
        let source = source ?? server
        let responses = kinds.map { kind -> RawResponse in
            var body: [UInt8]
            switch kind {
            case .varz: body = mesh.varz(source, now: now)
            case .gatewayz: body = mesh.gatewayz(source, now: now)
            case .gatewayzLinks: body = mesh.gatewayz(source, now: now, accounts: false)
            case .routez: body = mesh.routez(source, now: now)
            case .healthz: body = mesh.healthz()
            }
            if let replacing {
                body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: replacing.old, with: replacing.new).utf8)
            }
            return RawResponse(kind: kind, statusCode: 200, body: Data(body))
        }
        return EndpointRawPoll(endpoint: endpoint(server), observedAt: MonitorTime(timeIntervalSince1970: now), responses: responses)
    }

    func snapshot(_ observations: [EndpointObservation], at now: Double, sequence: Int) -> PollSnapshot {
        PollSnapshot(
            sequence: sequence, startedAt: MonitorTime(timeIntervalSince1970: now), finishedAt: MonitorTime(timeIntervalSince1970: now),
            observations: observations)
    }

    @Test func aFrequentPollShowsWhatAFullPollAtTheSameMomentShows() throws {
        var carried = CarriedDocuments()
        let first = mesh.servers.map { carried.observation(for: raw($0, at: start, MonitorEndpointKind.fullSet)) }
        let frequent = mesh.servers.map { carried.observation(for: raw($0, at: start + 5, MonitorEndpointKind.frequentSet)) }
        let full = mesh.servers.map { raw($0, at: start + 5, MonitorEndpointKind.fullSet).observation }
        // The frequent answer really is smaller: the accounts are a third of it.
        let server = mesh.servers[0]
        #expect(Double(mesh.gatewayz(server, now: start, accounts: false).count) < 0.75 * Double(mesh.gatewayz(server, now: start).count))

        for (composed, reference) in zip(frequent, full) {
            let got = try #require(composed.snapshot, "\(composed.failure?.message ?? "")")
            let want = try #require(reference.snapshot)
            // The same connections and counters (the frequent document has no accounts in it: they come
            // whole from the full poll, beside it).
            var wantWithoutAccounts = want.gatewayz
            for cluster in wantWithoutAccounts.outboundGateways.keys { wantWithoutAccounts.outboundGateways[cluster]?.accounts = [] }
            for cluster in wantWithoutAccounts.inboundGateways.keys {
                for index in wantWithoutAccounts.inboundGateways[cluster]!.indices { wantWithoutAccounts.inboundGateways[cluster]![index].accounts = [] }
            }
            #expect(got.gatewayz == wantWithoutAccounts, "connections and counters")
            #expect(!got.accounts.isEmpty && got.accounts == want.accounts, "the carried accounts")
            #expect(got.routez?.routes == want.routez?.routes, "routes carried from the full poll")
            #expect(got.healthz == want.healthz)
            #expect(got.varz.serverID == want.varz.serverID && got.varz.serverName == want.varz.serverName)
            #expect(got.varz.gateway == want.varz.gateway && got.varz.version == want.varz.version)
            // The uptime grows with the server's clock between the full poll and this one.
            let uptime = try #require(got.varz.uptime)
            #expect(abs(uptime - (want.varz.uptime ?? 0)) <= 1, "\(uptime) against \(want.varz.uptime ?? 0)")
            #expect(composed.partialFailures.isEmpty)
        }
        // And the model built from them is the same, rates included.
        let before = SuperclusterBuilder.build(poll: snapshot(first, at: start, sequence: 1), previous: nil)
        let viaFrequent = SuperclusterBuilder.build(poll: snapshot(frequent, at: start + 5, sequence: 2), previous: before)
        let viaFull = SuperclusterBuilder.build(poll: snapshot(full, at: start + 5, sequence: 2), previous: before)
        #expect(viaFrequent.servers.map(\.outbound) == viaFull.servers.map(\.outbound))
        #expect(viaFrequent.servers.map(\.inbound) == viaFull.servers.map(\.inbound))
        // Accounts too: carried whole from the full poll, they are what a full poll would have said.
        #expect(viaFrequent.servers.map(\.accounts) == viaFull.servers.map(\.accounts))
        #expect(viaFrequent.servers.allSatisfy { server in
            server.outbound.allSatisfy { $0.rates != nil && !server.accounts(of: $0).isEmpty }
        })
    }

    @Test func aRestartedServerIsNeverDescribedByTheOldServersVarz() throws {
        var carried = CarriedDocuments()
        let server = mesh.servers[0]
        _ = carried.observation(for: raw(server, at: start, MonitorEndpointKind.fullSet))
        // Another server id now answers at the same endpoint (a restart gives a new id).
        let restarted = raw(server, at: start + 1, MonitorEndpointKind.frequentSet, documentsOf: mesh.servers[1])
        let gatewayz = try MonitorDecoder.decode(Gatewayz.self, from: restarted.responses[0].body, endpoint: .gatewayzLinks)
        #expect(CarriedDocuments.needsCarriedDocuments(carried[endpoint(server)], for: gatewayz, accounts: true))
        let observation = carried.observation(for: restarted)
        #expect(observation.failure?.message == "/varz was not fetched")
        #expect(carried[endpoint(server)] == nil, "nothing of the old server is kept")
        // Asked everything (as the poller does at once), it is the new server.
        let again = carried.observation(for: raw(server, at: start + 1, MonitorEndpointKind.fullSet, documentsOf: mesh.servers[1]))
        #expect(again.snapshot?.varz.serverID == mesh.serverID(mesh.servers[1]))
    }

    /// A server restarts (new id): it is asked everything, but its cluster peers' /routez is carried
    /// from before and still names its old id. That must not bring the old id back as a second server
    /// of the same name (found in review: a false duplicate_server_name and missing_inbound warnings).
    @Test func aRestartedPeerIsNotBroughtBackByACarriedRoute() throws {
        let restarted = mesh.servers[0]
        let oldID = mesh.serverID(restarted)
        let newID = "N" + String(repeating: "Z", count: oldID.count - 1)
        var carried = CarriedDocuments()
        var live = MeshTimeline()
        var reference = MeshTimeline()
        let first = mesh.servers.map { carried.observation(for: raw($0, at: start, MonitorEndpointKind.fullSet)) }
        _ = live.advance(snapshot(first, at: start, sequence: 1))
        _ = reference.advance(snapshot(first, at: start, sequence: 1))
        // The restarted server is asked everything (its id is new); the others only /gatewayz.
        // Their gatewayz shows the new id, but a peer's carried routez still has the old one.
        let frequent = mesh.servers.map { server in
            carried.observation(for: raw(
                server, at: start + 1, server == restarted ? MonitorEndpointKind.fullSet : MonitorEndpointKind.frequentSet,
                replacing: server == restarted || server.cluster != restarted.cluster ? (oldID, newID) : nil))
        }
        let full = mesh.servers.map { server in
            raw(server, at: start + 1, MonitorEndpointKind.fullSet, replacing: (oldID, newID)).observation
        }
        #expect(frequent.filter { $0.snapshot?.routezCarried == true }.count == mesh.servers.count - 1)
        let viaFrequent = live.advance(snapshot(frequent, at: start + 1, sequence: 2))
        let viaFull = reference.advance(snapshot(full, at: start + 1, sequence: 2))
        func servers(_ step: MeshTimeline.Step) -> [String] {
            step.model.servers.map { "\($0.cluster)/\($0.name) \($0.id ?? "-") polled=\($0.polled)" }
        }
        #expect(servers(viaFrequent) == servers(viaFull))
        #expect(viaFrequent.problems.map(\.message) == viaFull.problems.map(\.message))
        #expect(!viaFrequent.problems.contains { $0.kind == .duplicateServerName })
    }

    @Test func aConnectionNotSeenAtTheLastFullPollAsksForEverything() throws {
        var carried = CarriedDocuments()
        let server = mesh.servers[0]
        _ = carried.observation(for: raw(server, at: start, MonitorEndpointKind.fullSet))
        let entry = carried[endpoint(server)]
        var gatewayz = try MonitorDecoder.decode(Gatewayz.self, from: Data(mesh.gatewayz(server, now: start + 1, accounts: false)), endpoint: .gatewayzLinks)
        #expect(!CarriedDocuments.needsCarriedDocuments(entry, for: gatewayz, accounts: true), "same server, same connections")
        let cluster = try #require(gatewayz.inboundGateways.keys.sorted().first)
        gatewayz.inboundGateways[cluster]?[0].connection?.cid = 9999
        #expect(CarriedDocuments.needsCarriedDocuments(entry, for: gatewayz, accounts: true), "a reconnect's new gid has no accounts yet")
        #expect(!CarriedDocuments.needsCarriedDocuments(entry, for: gatewayz, accounts: false), "accounts not shown: nothing to ask")
        #expect(CarriedDocuments.needsCarriedDocuments(nil, for: gatewayz, accounts: true), "nothing carried")
        #expect(CarriedDocuments.needsCarriedDocuments(nil, for: gatewayz, accounts: false))
        // What such a poll then asks: everything but the frequent `/gatewayz`, which it has (with accounts
        // shown, `/gatewayz` again with them).
        #expect(MonitorEndpointKind.rest(accounts: true) == MonitorEndpointKind.carriedSet)
        #expect(MonitorEndpointKind.rest(accounts: false) == [.varz, .routez, .healthz])
    }

    @Test func aFailedPollForgetsWhatWasCarriedAndRoutezFailuresAreRepeated() throws {
        var carried = CarriedDocuments()
        let server = mesh.servers[0]
        var full = raw(server, at: start, MonitorEndpointKind.fullSet)
        full.responses[2] = RawResponse(kind: .routez, statusCode: 404, body: Data("404 page not found".utf8))
        let first = carried.observation(for: full)
        #expect(first.partialFailures.count == 1 && first.snapshot?.routez == nil)
        // Not asked again until the next full poll, the routez failure still shows.
        let frequent = carried.observation(for: raw(server, at: start + 1, MonitorEndpointKind.frequentSet))
        #expect(frequent.partialFailures == first.partialFailures)
        var down = raw(server, at: start + 2, MonitorEndpointKind.frequentSet)
        down.responses[0] = RawResponse(kind: .gatewayzLinks, statusCode: nil, body: Data(), failure: EndpointFailure(.refused, "connection refused"))
        #expect(carried.observation(for: down).failure?.message == "connection refused")
        #expect(carried[endpoint(server)] == nil)
    }

    /// `/healthz` is asked on full polls, and between them beside `/gatewayz` only while its last answer
    /// said the server is not well (`asksHealthAgain`, which the poller follows). A poll that does not ask
    /// it carries the last answer, an unhealthy one (503 with its reason) and a failed one alike; a failed
    /// request is not asked again before the next full poll (it could hold every poll up to the timeout, or
    /// be asked forever where a proxy has no `/healthz`).
    @Test func anUnwellHealthIsAskedAgainAndAFailedOneWaitsForTheNextFullPoll() throws {
        #expect(!MonitorEndpointKind.frequentSet.contains(.healthz))
        #expect(MonitorEndpointKind.carriedSet.contains(.healthz), "a restarted server is asked its health at once")
        var carried = CarriedDocuments()
        let server = mesh.servers[0]
        #expect(!CarriedDocuments.asksHealthAgain(nil))
        var full = raw(server, at: start, MonitorEndpointKind.fullSet)
        full.responses[3] = RawResponse(
            kind: .healthz, statusCode: 503, body: Data(#"{"status":"unavailable","error":"JetStream not current"}"#.utf8))
        _ = carried.observation(for: full)
        #expect(CarriedDocuments.asksHealthAgain(carried[endpoint(server)]), "unhealthy: asked again at the next poll")
        let frequent = carried.observation(for: raw(server, at: start + 1, MonitorEndpointKind.frequentSet))
        #expect(frequent.snapshot?.healthz == Healthz(status: "unavailable", error: "JetStream not current"), "carried when not asked")
        let recovered = carried.observation(for: raw(server, at: start + 2, MonitorEndpointKind.frequentSet + [.healthz]))
        #expect(recovered.snapshot?.healthz?.isOK == true && recovered.partialFailures.isEmpty)
        #expect(!CarriedDocuments.asksHealthAgain(carried[endpoint(server)]), "well again: not asked until the next full poll")
        #expect(carried.observation(for: raw(server, at: start + 3, MonitorEndpointKind.frequentSet)).snapshot?.healthz?.isOK == true)

        for failure in [
            RawResponse(kind: .healthz, statusCode: nil, body: Data(), failure: EndpointFailure(.timeout, "timed out after 2s")),
            RawResponse(kind: .healthz, statusCode: 404, body: Data("404 page not found".utf8)),
        ] {
            var unanswered = raw(server, at: start + 20, MonitorEndpointKind.fullSet)
            unanswered.responses[3] = failure
            let observed = carried.observation(for: unanswered)
            #expect(observed.partialFailures.count == 1 && observed.snapshot?.healthz == nil)
            #expect(!CarriedDocuments.asksHealthAgain(carried[endpoint(server)]), "a failed request waits for the next full poll")
            let after = carried.observation(for: raw(server, at: start + 21, MonitorEndpointKind.frequentSet))
            #expect(after.partialFailures == observed.partialFailures && after.snapshot?.healthz == nil, "the failure stands until asked again")
        }
    }

    @Test func errorsNameTheDocumentNotTheRequestKind() {
        var carried = CarriedDocuments()
        let server = mesh.servers[0]
        var poll = raw(server, at: start, MonitorEndpointKind.frequentSet)
        poll.responses[0] = RawResponse(kind: .gatewayzLinks, statusCode: 500, body: Data())
        #expect(carried.observation(for: poll).failure?.message == "HTTP 500 from /gatewayz")
    }
}

