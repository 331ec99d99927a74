import MonitorModel
import Testing
@testable import Topology

@Suite struct MeshEventTests {
    func events(_ before: [ServerSpec], _ after: [ServerSpec], failuresAfter: [(url: String, group: String?, failure: EndpointFailure)] = [])
        -> [MeshEvent]
    {
        let first = SuperclusterBuilder.build(poll: poll(1, at: 1000, before), previous: nil)
        let second = SuperclusterBuilder.build(poll: poll(2, at: 1001, after, failures: failuresAfter), previous: first)
        return MeshEventDetector.events(
            from: first, MeshDiagnosis.diagnose(first, previous: nil), to: second, MeshDiagnosis.diagnose(second, previous: first))
    }

    @Test func nothingChangedNoEvents() {
        #expect(events(healthyTwoClusters(), healthyTwoClusters()).isEmpty)
    }

    @Test func reconnectCarriesOldAndNewGid() {
        var after = healthyTwoClusters()
        after[0].outbound[0].gid = 99
        let reconnects = events(healthyTwoClusters(), after).filter { $0.kind == .gatewayReconnected }
        #expect(reconnects.count == 1)
        #expect(reconnects.first?.previousGid == 11 && reconnects.first?.gid == 99)
        #expect(reconnects.first?.message == "a1 (a) outbound to b reconnected: gid:11 → gid:99")
    }

    @Test func disconnectAndConnect() {
        var after = healthyTwoClusters()
        after[1].outbound = []
        var list = events(healthyTwoClusters(), after)
        let disconnected = list.filter { $0.kind == .gatewayDisconnected }
        #expect(disconnected.map(\.message) == ["a2 (a) outbound to b disconnected (gid:21)"])
        #expect(list.contains { $0.kind == .problemRaised && $0.message.hasPrefix("critical missing_outbound: a2 (a)") })
        list = events(after, healthyTwoClusters())
        #expect(list.contains { $0.kind == .gatewayConnected && $0.message == "a2 (a) outbound to b connected (gid:21)" })
        #expect(list.contains { $0.kind == .problemCleared && $0.message.hasPrefix("cleared missing_outbound: a2 (a)") })
    }

    @Test func endpointDownAndUp() {
        var after = healthyTwoClusters()
        after.removeLast()
        let down = events(healthyTwoClusters(), after, failuresAfter: [("http://b1:8222", nil, EndpointFailure(.refused, "connection refused"))])
        #expect(down.contains { $0.kind == .endpointDown && $0.message == "http://b1:8222 stopped answering: connection refused" })
        let first = SuperclusterBuilder.build(
            poll: poll(1, at: 1000, after, failures: [("http://b1:8222", nil, EndpointFailure(.refused, "connection refused"))]), previous: nil)
        let second = SuperclusterBuilder.build(poll: poll(2, at: 1001, healthyTwoClusters()), previous: first)
        let up = MeshEventDetector.events(from: first, [], to: second, [])
        #expect(up.contains { $0.kind == .endpointUp && $0.url == "http://b1:8222" })
    }

    @Test func restartIsANewServerIDBehindTheSameURL() {
        var after = healthyTwoClusters()
        after[2].id = "B1-NEW"
        let restarts = events(healthyTwoClusters(), after).filter { $0.kind == .serverRestarted }
        #expect(restarts.map(\.message) == ["b1 (b) restarted: server id B1 is now B1-NEW"])
    }

    /// The same id, an uptime that went backwards between two polls: a restart all the same (the rule
    /// does not rest on ids alone). An uptime that grew is none.
    @Test func restartIsAnUptimeThatWentBackwards() {
        var before = healthyTwoClusters()
        before[2].uptime = 3600
        var after = before
        after[2].uptime = 2
        let restarts = events(before, after).filter { $0.kind == .serverRestarted }
        #expect(restarts.map(\.message) == ["b1 (b) restarted: uptime went from \(Units.duration(3600)) to \(Units.duration(2))"])
        after[2].uptime = 3601
        #expect(!events(before, after).contains { $0.kind == .serverRestarted })
    }
}

@Suite struct MeshTimelineTests {
    func poll(_ sequence: Int, at second: Double, _ servers: [ServerSpec], down: Set<String> = []) -> PollSnapshot {
        let observations = servers.map { spec -> EndpointObservation in
            let url = "http://\(spec.name):8222"
            if down.contains(spec.name) {
                return EndpointObservation(
                    endpoint: EndpointIdentity(displayURL: url), observedAt: MonitorTime(timeIntervalSince1970: second),
                    outcome: .failure(EndpointFailure(.refused, "connection refused")))
            }
            var observation = spec.observation(at: second)
            observation.endpoint = EndpointIdentity(displayURL: url)
            return observation
        }
        return PollSnapshot(
            sequence: sequence, startedAt: MonitorTime(timeIntervalSince1970: second),
            finishedAt: MonitorTime(timeIntervalSince1970: second), observations: observations)
    }

    @Test func restartDuringAnOutageIsNamedWhenTheServerAnswersAgain() {
        var timeline = MeshTimeline()
        let before = healthyTwoClusters()
        var after = before
        after[1].id = "A2-NEW"
        _ = timeline.advance(poll(1, at: 1000, before))
        let down = timeline.advance(poll(2, at: 1001, before, down: ["a2"]))
        #expect(down.events.contains { $0.kind == .endpointDown && $0.url == "http://a2:8222" })
        let up = timeline.advance(poll(3, at: 1010, after))
        #expect(up.events.contains { $0.kind == .endpointUp })
        let restart = up.events.first { $0.kind == .serverRestarted }
        #expect(restart?.message.contains("restarted while unreachable: server id") == true)
        #expect(timeline.events.count == timeline.events.filter { $0.time.seconds >= 1000 }.count)
    }

    /// Same id after an outage: the uptime tells. Shorter than the outage, it restarted while away;
    /// longer, it was running all along and only the network was down.
    @Test func anUptimeShorterThanTheOutageIsARestart() {
        var before = healthyTwoClusters()
        before[1].uptime = 3600
        var timeline = MeshTimeline()
        _ = timeline.advance(poll(1, at: 1000, before))
        _ = timeline.advance(poll(2, at: 1001, before, down: ["a2"]))
        var after = before
        after[1].uptime = 4
        var fork = timeline
        let restart = fork.advance(poll(3, at: 1030, after)).events.filter { $0.kind == .serverRestarted }
        #expect(restart.map(\.message) == [
            "a2 (a) restarted while unreachable: uptime \(Units.duration(4)) is shorter than the \(Units.duration(30)) it was unreachable"
        ])
        after[1].uptime = 3630
        #expect(!timeline.advance(poll(3, at: 1030, after)).events.contains { $0.kind == .serverRestarted })
    }

    @Test func aNetworkBlipIsNotARestart() {
        var timeline = MeshTimeline()
        let servers = healthyTwoClusters()
        _ = timeline.advance(poll(1, at: 1000, servers))
        _ = timeline.advance(poll(2, at: 1001, servers, down: ["a2"]))
        let up = timeline.advance(poll(3, at: 1003, servers))
        #expect(up.events.contains { $0.kind == .endpointUp })
        #expect(!up.events.contains { $0.kind == .serverRestarted })
    }

    @Test func firstPollRaisesWhatIsWrongAtTheStart() {
        var timeline = MeshTimeline()
        var servers = healthyTwoClusters()
        servers[1].outbound = []
        let first = timeline.advance(poll(1, at: 1000, servers))
        #expect(!first.events.isEmpty && first.events.allSatisfy { $0.kind == .problemRaised })
        #expect(first.events.contains { $0.severity == .critical && $0.message.contains("missing_outbound") })
    }

    @Test func theLogIsBounded() {
        var timeline = MeshTimeline(eventLimit: 3)
        var servers = healthyTwoClusters()
        for round in 0..<5 {
            servers[0].outbound[0].gid = UInt64(100 + round)
            _ = timeline.advance(poll(round + 1, at: 1000 + Double(round), servers))
        }
        #expect(timeline.events.count == 3)
        #expect(timeline.droppedEvents > 0)
        #expect(timeline.events.last?.gid == 104)
    }
}
