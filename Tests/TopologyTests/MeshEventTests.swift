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
}
