import MonitorModel
import Testing
import TerminalUI
import Topology

/// The history store records a poll's connections by remembering each server's order from the poll
/// before. Whatever the polls do — connections reordered, replaced under a new gid, given a remote id
/// late, gone, back, series dropped in between — it must hold exactly what a plain dictionary keyed by
/// `SeriesKey` holds when every connection is looked up by its key.
@Suite struct HistoryStoreTests {
    /// SplitMix64: the same polls on every run.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func link(_ direction: GatewayDirection, _ cluster: String, gid: UInt64, remote: String?, pending: Int64) -> GatewayLink {
        var link = GatewayLink(
            direction: direction, remoteCluster: cluster,
            info: GatewayConnectionInfo(cid: gid, rtt: 0.001 * Double(gid % 7), pendingBytes: pending, name: remote), configured: nil)
        link.rates = gid % 3 == 0 ? nil : TrafficRates(inMsgs: Double(gid), outMsgs: 1, inBytes: Double(pending), outBytes: 2)
        return link
    }

    /// What the store replaces: every connection looked up by its key.
    func recordByKey(_ reference: inout [SeriesKey: ConnectionHistory], server: String, _ links: [GatewayLink], capacity: Int, poll: Int) {
        for link in links {
            reference[SeriesKey(serverKey: server, link: link), default: ConnectionHistory(capacity: capacity)]
                .record(rates: link.rates, rtt: link.rtt, pendingBytes: link.pendingBytes, poll: poll)
        }
    }

    func contents(_ store: HistoryStore) -> [SeriesKey: ConnectionHistory] {
        Dictionary(uniqueKeysWithValues: store.map { ($0.key, $0.value) })
    }

    @Test func holdsWhatLookingEveryConnectionUpByKeyHolds() {
        var random = Seeded(state: 42)
        var store = HistoryStore()
        var reference: [SeriesKey: ConnectionHistory] = [:]
        let servers = ["S1", "S2", "S3"]
        // Each server's connections: (direction, remote cluster, gid, remote id).
        var connections: [String: [(GatewayDirection, String, UInt64, String?)]] = [:]
        var nextGid: UInt64 = 1
        for server in servers {
            connections[server] = (0..<6).map { index in
                defer { nextGid += 1 }
                return (index < 3 ? .outbound : .inbound, "c\(index % 3)", nextGid, "R\(index)")
            }
        }
        var fastPolls = 0
        for poll in 1...400 {
            for server in servers {
                var current = connections[server]!
                switch Int.random(in: 0..<10, using: &random) {
                case 0: current.shuffle(using: &random)  // another order
                case 1:  // a reconnect: a new gid to the same remote
                    let index = Int.random(in: 0..<current.count, using: &random)
                    current[index].2 = nextGid
                    nextGid += 1
                case 2:  // a remote id learned late, or another remote server
                    let index = Int.random(in: 0..<current.count, using: &random)
                    current[index].3 = Int.random(in: 0..<4, using: &random) == 0 ? nil : "R\(Int.random(in: 0..<9, using: &random))"
                case 3 where current.count > 1: current.remove(at: Int.random(in: 0..<current.count, using: &random))
                case 4 where current.count < 9:
                    current.insert((.inbound, "c\(nextGid % 3)", nextGid, "R\(nextGid % 5)"), at: Int.random(in: 0...current.count, using: &random))
                    nextGid += 1
                case 5:  // the same remote twice (an old and a new connection side by side)
                    current.append((current[0].0, current[0].1, nextGid, current[0].3))
                    nextGid += 1
                default: fastPolls += 1
                }
                connections[server] = current
                let links = current.map { link($0.0, $0.1, gid: $0.2, remote: $0.3, pending: Int64(poll)) }
                let outbound = links.filter { $0.direction == .outbound }, inbound = links.filter { $0.direction == .inbound }
                store.record(server: server, outbound, inbound, capacity: 16, poll: poll)
                recordByKey(&reference, server: server, outbound + inbound, capacity: 16, poll: poll)
            }
            if poll % 37 == 0, let dropped = reference.keys.sorted(by: { "\($0)" < "\($1)" }).first {
                // A series dropped (pruned) between polls, in both.
                store.removeValue(forKey: dropped)
                reference[dropped] = nil
            }
            if poll % 53 == 0, let resized = reference.keys.sorted(by: { "\($0)" < "\($1)" }).last {
                store[resized] = reference[resized]!.resized(to: 8)
                reference[resized] = reference[resized]!.resized(to: 8)
            }
            let held = contents(store)
            let differing = Set(held.keys).symmetricDifference(reference.keys).count + held.filter { reference[$0.key] != $0.value }.count
            #expect(differing == 0, "poll \(poll): \(differing) series differ")
            if differing > 0 { return }
        }
        #expect(fastPolls > 400, "most polls repeat the order before")
        #expect(store.count == reference.count && store.values.count == reference.count && !store.isEmpty)
    }

    @Test func dictionaryLiteralSubscriptAndRemoval() {
        let key = SeriesKey(serverKey: "S", direction: .outbound, remoteCluster: "c", remoteServerID: "R", gid: 1)
        var history = ConnectionHistory(capacity: 4)
        history.record(rates: nil, rtt: 0.002, pendingBytes: 10, poll: 1)
        var store: HistoryStore = [key: history]
        #expect(store[key] == history && store.count == 1)
        store[key] = nil
        #expect(store[key] == nil && store.isEmpty)
        // The slot freed is used again, and the connection recorded afresh.
        store.record(server: "S", [link(.outbound, "c", gid: 1, remote: "R", pending: 5)], [], capacity: 4, poll: 2)
        #expect(store[key]?.pendingBytes.count == 1 && store[key]?.lastRecorded == 2 && store.count == 1)
    }
}
