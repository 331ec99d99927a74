import Foundation
@testable import MonitorModel
import TestSupport
import Testing

/// The decoder shares each connection's remote server id with the same endpoint's last document where
/// the bytes are the same, instead of making a new String: the result must be exactly what decoding
/// without it gives, whatever changed between the two documents.
@Suite struct ConnectionNameSharingTests {
    /// Where a String's UTF-8 lives: the same address is the same storage, shared.
    static func storage(_ text: String) -> UnsafeRawPointer? {
        text.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    /// The remote server ids of a document's connections, in the order the document lists them.
    static func ids(in body: Data) throws -> [String] {
        try #require(FastMonitorDecoder.gatewayz(body, reusing: ConnectionNames())).names.ids
    }

    static func recordedGatewayz() throws -> [(String, Data)] {
        try Fixtures.allDocuments(of: .gatewayz).filter { (try? ids(in: $0.1).isEmpty) == false }
    }

    @Test func theNextDocumentSharesEveryIDThatIsTheSame() throws {
        let documents = try Self.recordedGatewayz()
        #expect(documents.count >= 5)
        for (path, body) in documents {
            let first = try #require(FastMonitorDecoder.gatewayz(body, reusing: ConnectionNames()), "\(path)")
            var connections = 0
            first.document.forEachConnection { _, _ in connections += 1 }
            #expect(first.names.count == connections, "\(path): one id per connection")
            let second = try #require(FastMonitorDecoder.gatewayz(body, reusing: first.names), "\(path)")
            #expect(second.document == first.document, "\(path)")
            #expect(second.names.ids == first.names.ids, "\(path)")
            for (new, old) in zip(second.names.ids, first.names.ids) where old.utf8.count > 15 {
                #expect(Self.storage(new) == Self.storage(old), "\(path): \(old) made anew, not shared")
            }
        }
    }

    @Test func anIDThatChangedIsMadeAnewAndTheRestStillShared() throws {
        let (path, body) = try #require(try Self.recordedGatewayz().first { ((try? Self.ids(in: $0.1))?.count ?? 0) >= 2 })
        let first = try #require(FastMonitorDecoder.gatewayz(body, reusing: ConnectionNames()))
        let changedID = first.names.ids[0]
        // The same id with its last character changed: one server restarted under a new id.
        let replacement = String(changedID.dropLast()) + (changedID.last == "Z" ? "Y" : "Z")
        let text = String(decoding: body, as: UTF8.self)
        let changed = Data(text.replacingOccurrences(of: "\"name\": \"\(changedID)\"", with: "\"name\": \"\(replacement)\"").utf8)
        #expect(changed != body, "\(path): the id was not found as a connection's name")
        let reference = try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: changed, endpoint: .gatewayz)
        let sharing = try #require(FastMonitorDecoder.gatewayz(changed, reusing: first.names))
        #expect(sharing.document == reference)
        #expect(sharing.names.ids.contains(replacement))
        #expect(!sharing.names.ids.contains(changedID))
        for (new, old) in zip(sharing.names.ids, first.names.ids) where new == old && old.utf8.count > 15 {
            #expect(Self.storage(new) == Self.storage(old))
        }
    }

    @Test func idsFromAnotherDocumentOrInAnotherOrderChangeNothing() throws {
        let documents = try Self.recordedGatewayz()
        for (path, body) in documents {
            let reference = try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: body, endpoint: .gatewayz)
            let own = try #require(FastMonitorDecoder.gatewayz(body, reusing: ConnectionNames())).names
            let hints: [ConnectionNames] = [
                ConnectionNames(ids: own.ids.reversed()),
                ConnectionNames(ids: Array(own.ids.dropFirst())),
                ConnectionNames(ids: own.ids + own.ids),
                ConnectionNames(ids: documents.flatMap { (try? Self.ids(in: $0.1)) ?? [] }),
                ConnectionNames(ids: own.ids.map { $0 + "x" }),
            ]
            for hint in hints {
                #expect(FastMonitorDecoder.gatewayz(body, reusing: hint)?.document == reference, "\(path)")
            }
        }
    }

    /// The names also carry how many remote clusters the document listed each way, so the next document's
    /// maps start at that size: the counts are this document's, and a count from another document (more,
    /// fewer, none) changes nothing in what is decoded.
    @Test func theMapSizesCarriedAreTheDocumentsAndAnySizeDecodesTheSame() throws {
        let documents = try Self.recordedGatewayz()
        for (path, body) in documents {
            let reference = try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: body, endpoint: .gatewayz)
            let own = try #require(FastMonitorDecoder.gatewayz(body, reusing: ConnectionNames()), "\(path)").names
            #expect(own.outboundClusters == reference.outboundGateways.count, "\(path)")
            #expect(own.inboundClusters == reference.inboundGateways.count, "\(path)")
            for (outbound, inbound) in [(0, 0), (1, 1), (own.outboundClusters * 3, 0), (0, own.inboundClusters * 3), (4096, 4096)] {
                var hint = own
                hint.outboundClusters = outbound
                hint.inboundClusters = inbound
                let decoded = try #require(FastMonitorDecoder.gatewayz(body, reusing: hint), "\(path)")
                #expect(decoded.document == reference, "\(path) sized \(outbound)/\(inbound)")
                #expect(decoded.names.outboundClusters == own.outboundClusters && decoded.names.inboundClusters == own.inboundClusters)
            }
        }
    }

    /// nats-server lists each cluster's inbound connections in no set order (it walks a Go map): the ids of
    /// a list in another order than last time are still found, and shared.
    @Test func inboundConnectionsInAnotherOrderStillShareTheirIDs() throws {
        var reordered = 0
        for (path, body) in try Self.recordedGatewayz() {
            var document = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            let ordered = try JSONSerialization.data(withJSONObject: document)
            guard var inbound = document["inbound_gateways"] as? [String: [Any]], inbound.values.contains(where: { $0.count >= 2 }) else { continue }
            for (cluster, list) in inbound { inbound[cluster] = list.reversed() }
            document["inbound_gateways"] = inbound
            let shuffled = try JSONSerialization.data(withJSONObject: document)
            let first = try #require(FastMonitorDecoder.gatewayz(ordered, reusing: ConnectionNames()), "\(path)")
            let second = try #require(FastMonitorDecoder.gatewayz(shuffled, reusing: first.names), "\(path)")
            #expect(second.document == (try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: shuffled, endpoint: .gatewayz)), "\(path)")
            #expect(second.names.ids != first.names.ids, "\(path): the order did not change")
            let storageBefore = Dictionary(first.names.ids.map { ($0, Self.storage($0)) }, uniquingKeysWith: { first, _ in first })
            let before = Set(first.names.ids.map(Self.storage))
            for id in second.names.ids where id.utf8.count > 15 {
                #expect(before.contains(Self.storage(id)), "\(path): \(id) made anew, not shared")
                #expect(storageBefore[id] != nil)
            }
            reordered += 1
        }
        #expect(reordered >= 3)
    }

    /// An id is looked for only near its old place: far beyond it, it is made anew (and still right).
    @Test func anIDFarFromItsOldPlaceIsMadeAnew() throws {
        let far = ConnectionNames.searchDistance + 5
        let id = "NDZH6GFSN6JEVG3H2PLZJRGPNJ4FHOA4Z2KWTAKCXAPLFOBV5DWXLSHK"
        let others = (0..<far).map { String(format: "NAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%05d", $0) }
        func document(_ names: [String]) -> Data {
            let connections = names.enumerated().map { index, name in #"{"configured": false, "connection": {"cid": \#(index + 1), "name": "\#(name)"}}"# }
            return Data(#"{"server_id": "S", "now": "2026-01-01T00:00:00Z", "name": "a", "inbound_gateways": {"b": [\#(connections.joined(separator: ","))]}}"#.utf8)
        }
        let first = try #require(FastMonitorDecoder.gatewayz(document([id] + others), reusing: ConnectionNames()))
        let near = try #require(FastMonitorDecoder.gatewayz(document(Array(others.prefix(3)) + [id] + others.dropFirst(3)), reusing: first.names))
        #expect(Self.storage(near.names.ids[3]) == Self.storage(first.names.ids[0]), "three places on: shared")
        let moved = try #require(FastMonitorDecoder.gatewayz(document(others + [id]), reusing: first.names))
        #expect(moved.names.ids.last == id)
        #expect(Self.storage(moved.names.ids.last!) != Self.storage(first.names.ids[0]), "\(far) places on: made anew")
        #expect(moved.document == (try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: document(others + [id]), endpoint: .gatewayz)))
    }

    /// An id written with escapes is decoded as one, never taken for a stored id of the same bytes.
    @Test func anEscapedIDIsUnescaped() throws {
        let id = "NDZH6GFSN6JEVG3H2PLZJRGPNJ4FHOA4Z2KWTAKCXAPLFOBV5DWXLSHK"
        let escaped = "\\u004E" + id.dropFirst()
        func document(_ name: String) -> Data {
            Data("""
            {"server_id": "S", "now": "2026-01-01T00:00:00Z", "name": "a",
             "outbound_gateways": {"b": {"configured": true, "connection": {"cid": 1, "name": "\(name)"}}}}
            """.utf8)
        }
        let plain = try #require(FastMonitorDecoder.gatewayz(document(id), reusing: ConnectionNames()))
        let fromEscaped = try #require(FastMonitorDecoder.gatewayz(document(escaped), reusing: plain.names))
        #expect(fromEscaped.document == plain.document)
        #expect(fromEscaped.names.ids == [id])
        // Stored ids that are the escaped text's own bytes are not what it says.
        let misleading = ConnectionNames(ids: [escaped])
        let decoded = try #require(FastMonitorDecoder.gatewayz(document(escaped), reusing: misleading))
        #expect(decoded.document.outboundGateways["b"]?.connection?.name == id)
    }
}

/// Every endpoint's documents share one String for each remote server id through a `ServerIDInterner`:
/// decoded values stay what they were, equal ids become one object, and the table stays bounded.
@Suite struct ServerIDInternerTests {
    static func storage(_ text: String) -> UnsafeRawPointer? { ConnectionNameSharingTests.storage(text) }

    @Test func twoEndpointsNamingTheSameServerShareOneString() throws {
        let documents = try ConnectionNameSharingTests.recordedGatewayz().filter { $0.0.contains("/healthy/poll-1/") }
        #expect(documents.count >= 4)
        let interner = ServerIDInterner()
        var stringsByID: [String: Set<UnsafeRawPointer?>] = [:]
        var endpointsByID: [String: Int] = [:]
        for (path, body) in documents {
            let reference = try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: body, endpoint: .gatewayz)
            let decoded = try #require(FastMonitorDecoder.gatewayz(body, reusing: ConnectionNames(interning: interner)), "\(path)")
            #expect(decoded.document == reference, "\(path)")
            #expect(decoded.names.interner === interner, "\(path): the next document shares through it too")
            for id in Set(decoded.names.ids) where id.utf8.count > 15 {
                stringsByID[id, default: []].insert(Self.storage(id))
                endpointsByID[id, default: 0] += 1
            }
        }
        #expect(endpointsByID.values.contains { $0 >= 2 }, "some server is the remote of two endpoints")
        for (id, strings) in stringsByID { #expect(strings.count == 1, "\(id): \(strings.count) Strings") }
        #expect(interner.count == stringsByID.count)
        // Without one, each endpoint makes its own.
        let separate = try documents.map { try #require(FastMonitorDecoder.gatewayz($0.1, reusing: ConnectionNames())).names.ids }
        let shared = Dictionary(grouping: separate.flatMap { $0 }.filter { $0.utf8.count > 15 }, by: { $0 })
            .filter { $0.value.count >= 2 }.mapValues { Set($0.map(Self.storage)).count }
        #expect(shared.values.contains { $0 >= 2 })
    }

    /// A server's own id (its /varz) is the String its peers' connections name it by.
    @Test func aServersOwnIDIsTheStringItsPeersNameItBy() throws {
        let interner = ServerIDInterner()
        var own: [String: UnsafeRawPointer?] = [:]
        var named: [String: Set<UnsafeRawPointer?>] = [:]
        for server in ["e1", "e2", "w1", "w2"] {
            let documents = try Fixtures.recordedDocuments(server)
            let responses = [MonitorEndpointKind.varz, .gatewayz].map { kind in
                RawResponse(kind: kind, statusCode: 200, body: Data(documents[kind.requestPath] ?? []))
            }
            var decoded = DecodedResponses(responses, reusing: ConnectionNames(interning: interner))
            for id in decoded.connectionNames.ids { named[id, default: []].insert(Self.storage(id)) }
            let varz = try #require(try? decoded.take(.varz)?.get())
            guard case .varz(let document) = varz else { Issue.record("\(server): no varz"); continue }
            own[document.serverID] = Self.storage(document.serverID)
        }
        let both = Set(own.keys).intersection(named.keys)
        #expect(both.count == 4, "each of the four is named by a peer")
        for id in both { #expect(named[id] == [own[id]!], "\(id)") }
    }

    /// Two ids that are equal Strings but other bytes (an "é" written as one code point, and as "e" and a
    /// combining accent) each keep their own bytes: only ASCII ids are shared through the table. (Found in
    /// review: keyed by String, the second endpoint's id came back with the first one's bytes.)
    @Test func anIDKeepsItsOwnBytesWhenAnotherIsCanonicallyEquivalent() throws {
        let base = "N" + String(repeating: "A", count: 40)
        func document(naming id: String) -> Data {
            Data(#"{"server_id":"S","now":"2026-01-01T00:00:00Z","name":"a","outbound_gateways":{"b":{"configured":true,"connection":{"cid":1,"name":"\#(id)"}}}}"#.utf8)
        }
        let interner = ServerIDInterner()
        for (first, second) in [(base + "\u{E9}", base + "e\u{301}"), (base + "e\u{301}", base + "\u{E9}")] {
            #expect(first == second, "canonically equivalent")
            let one = try #require(FastMonitorDecoder.gatewayz(document(naming: first), reusing: ConnectionNames(interning: interner)))
            let other = try #require(FastMonitorDecoder.gatewayz(document(naming: second), reusing: ConnectionNames(interning: interner)))
            #expect(Array((one.document.outboundGateways["b"]?.connection?.name ?? "").utf8) == Array(first.utf8))
            #expect(Array((other.document.outboundGateways["b"]?.connection?.name ?? "").utf8) == Array(second.utf8))
        }
        #expect(interner.count == 0, "neither is ASCII: neither is held")
    }

    @Test func theTableStartsAfreshWhenFullAndKeepsEveryAnswerEqual() {
        let interner = ServerIDInterner(capacity: 4)
        let ids = (0..<10).map { "N" + String(repeating: String(UnicodeScalar(UInt8(65 + $0))), count: 55) }
        for id in ids {
            let first = interner.canonical(String(decoding: Array(id.utf8), as: UTF8.self))
            #expect(first == id)
            #expect(interner.count <= 4)
            let again = interner.canonical(String(decoding: Array(id.utf8), as: UTF8.self))
            #expect(again == id && Self.storage(again) == Self.storage(first), "an id just held is the one given back")
        }
        #expect(interner.count == 2, "10 ids through a table of 4: emptied at the 5th and the 9th")
        // A string longer than any server id is given back as it is and not held: a hostile server's
        // megabyte-long names cannot fill the table.
        let long = String(repeating: "N", count: ServerIDInterner.longestID + 1)
        #expect(interner.canonical(long) == long)
        #expect(interner.count == 2)
        let longest = String(repeating: "M", count: ServerIDInterner.longestID)
        #expect(interner.canonical(longest) == longest && interner.count == 3)
    }

    /// A /gatewayz JSONDecoder decodes (the fast path gave up) carries no ids, but the next document still
    /// shares through the table.
    @Test func aDocumentTheFastPathGivesUpOnKeepsTheTable() throws {
        let interner = ServerIDInterner()
        let repeated = Data(#"{"server_id":"a","now":"2026-11-26T20:00:00Z","name":"x","name":"y"}"#.utf8)
        let decoded = DecodedResponses([RawResponse(kind: .gatewayz, statusCode: 200, body: repeated)], reusing: ConnectionNames(interning: interner))
        #expect(decoded.gatewayz != nil, "decoded by JSONDecoder")
        #expect(decoded.connectionNames.count == 0)
        #expect(decoded.connectionNames.interner === interner)
    }
}
