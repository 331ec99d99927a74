import Foundation
@testable import MonitorModel
import TestSupport
import Testing

/// Property-based robustness: thousands of deterministic mutations of real recorded documents. Every
/// one must decode or fail with a message naming the endpoint; none may crash or hang.
@Suite struct MutationFuzzTests {
    static let interesting: [[UInt8]] = [
        Array("\"".utf8), Array("{".utf8), Array("}".utf8), Array("[".utf8), Array("null".utf8), Array("-1".utf8),
        Array("1e999".utf8), Array("\\u0000".utf8), Array("\\ud800".utf8), [0xFF], [0xC3], [0x00], Array("\u{1B}[2J".utf8),
        Array("\"0s\"".utf8), Array("\"1y2d\"".utf8), Array("18446744073709551616".utf8), Array("\"\\u00b5s\"".utf8),
    ]

    static func mutate(_ bytes: [UInt8], _ generator: inout SeededGenerator) -> [UInt8] {
        var data = bytes
        for _ in 0..<(1 + generator.below(4)) {
            guard !data.isEmpty else { break }
            let at = generator.below(data.count)
            switch generator.below(6) {
            case 0: data[at] = UInt8(truncatingIfNeeded: generator.next())
            case 1: data.remove(at: at)
            case 2: data.insert(contentsOf: interesting[generator.below(interesting.count)], at: at)
            case 3: data.removeSubrange(at..<min(data.count, at + generator.below(64)))
            case 4: data = Array(data.prefix(at))
            default:
                let from = generator.below(data.count)
                let length = min(generator.below(32), data.count - from)
                data.insert(contentsOf: data[from..<(from + length)], at: at)
            }
        }
        return data
    }

    @Test(arguments: MonitorEndpointKind.fullSet)
    func mutatedDocumentsNeverCrash(kind: MonitorEndpointKind) async throws {
        let originals = try Fixtures.allDocuments(of: kind).map { Array($0.body) }
        var generator = SeededGenerator(seed: 0x9E37_79B9_7F4A_7C15 ^ UInt64(kind.rawValue.count))
        var decoded = 0
        var rejected = 0
        for iteration in 0..<1500 {
            // CPU-bound work on the shared cooperative pool: yield so tests that time I/O are not starved.
            if iteration % 25 == 0 { await Task.yield() }
            let mutated = Self.mutate(originals[iteration % originals.count], &generator)
            var responses = [RawResponse(kind: kind, statusCode: 200, body: Data(mutated))]
            for companion in [MonitorEndpointKind.varz, .gatewayz] where companion != kind {
                responses.append(RawResponse(
                    kind: companion, statusCode: 200, body: try Fixtures.data("healthy/poll-1/e1/\(companion.rawValue).json")))
            }
            let observation = EndpointObservation(
                endpoint: EndpointIdentity(displayURL: "http://fuzz"), observedAt: MonitorTime(seconds: 0), responses: responses)
            let messages = observation.failure.map { [$0.message] } ?? observation.partialFailures
            if messages.isEmpty {
                decoded += 1
            } else {
                rejected += 1
                for message in messages { #expect(message.hasPrefix("/\(kind.rawValue): "), "\(message)") }
            }
            // An optional document never takes the server down with it.
            if !kind.isRequired { #expect(observation.snapshot != nil) }
        }
        // Both outcomes must occur, or the mutations are not exercising anything.
        #expect(decoded > 0 && rejected > 0, "decoded \(decoded), rejected \(rejected)")
    }

    @Test func durationAndTimeParsersSurviveGarbage() async {
        var generator = SeededGenerator(seed: 42)
        let alphabet = Array("0123456789.-+ yd hmsµμun:TZz".unicodeScalars)
        for iteration in 0..<20_000 {
            if iteration % 500 == 0 { await Task.yield() }
            let text = String(String.UnicodeScalarView((0..<generator.below(20)).map { _ in alphabet[generator.below(alphabet.count)] }))
            _ = try? NatsDuration.seconds(parsing: text)
            _ = try? MonitorTime(rfc3339: text)
        }
    }
}

/// The direct /gatewayz, /varz and /routez decoder must give exactly what JSONDecoder gives, or give up.
@Suite struct FastMonitorDecoderTests {
    /// Every recorded document of `kind` decodes on the fast path to JSONDecoder's result, and of 3,000
    /// mutations of them, each the fast path takes agrees with JSONDecoder (over 300 must be taken).
    func agreesOnRecordedAndMutated<Document: Decodable & Equatable>(
        _ type: Document.Type, _ kind: MonitorEndpointKind, seed: UInt64, inserts: [String], fast: (Data) -> Document?
    ) async throws -> [(path: String, body: Data)] {
        let documents = try Fixtures.allDocuments(of: kind)
        for (path, body) in documents {
            let reference = try MonitorDecoder.decodeWithCodable(type, from: body, endpoint: kind)
            let decoded = try #require(fast(body), "the fast path gave up on \(path)")
            #expect(decoded == reference, "\(path)")
        }
        var mutator = TextMutator(seed: seed, inserts: inserts)
        var agreed = 0
        for round in 0..<3000 {
            let (_, original) = documents[round % documents.count]
            let body = Data(mutator.mutate([UInt8](original)).utf8)
            if let decoded = fast(body) {
                #expect(decoded == (try? MonitorDecoder.decodeWithCodable(type, from: body, endpoint: kind)), "round \(round)")
                agreed += 1
            }
            if round % 200 == 0 { await Task.yield() }
        }
        #expect(agreed > 300)
        return documents
    }

    @Test func varzAgreesWithJSONDecoderOnEveryRecordedDocumentAndMutation() async throws {
        _ = try await agreesOnRecordedAndMutated(
            Varz.self, .varz, seed: 0x7661_727A, inserts: ["null", "1.5", "-1", "\"\\u00e9\"", "{}", "[]", "1e3", "\"x\"", "true", "2"],
            fast: FastMonitorDecoder.varz)
    }

    @Test func routezAgreesWithJSONDecoderOnEveryRecordedDocumentAndMutation() async throws {
        let documents = try await agreesOnRecordedAndMutated(
            Routez.self, .routez, seed: 0x726F_7574,
            inserts: ["null", "1.5", "-1", "\"\\u00e9\"", "{}", "[]", "1e3", "\"x\"", "true", "2", "18446744073709551615"],
            fast: FastMonitorDecoder.routez)
        #expect(documents.count >= 5)
        #expect(documents.contains { (try? MonitorDecoder.decodeWithCodable(Routez.self, from: $0.body, endpoint: .routez))?.routes.isEmpty == false })
    }

    /// What the recorded servers never send: the fields gwtop reads, absent, null, of the wrong type or
    /// repeated, and the fields it does not read, of any shape. The fast path agrees or gives up.
    @Test func routezEdgeCasesAgreeOrGiveUp() throws {
        let route = #"{"rid":7,"remote_id":"NB","remote_name":"b","ip":"10.0.0.2","port":6222,"rtt":"1ms","subscriptions_list":["a",{"x":[1,2.5e3]}]}"#
        let agreeing = [
            #"{"server_id":"NA","now":"2026-11-27T20:00:00Z","routes":[\#(route)]}"#,
            #"{"server_id":"NA","routes":null}"#,
            #"{"server_id":"NA"}"#,
            #"{"server_id":"NA","now":null,"routes":[]}"#,
            #"{"server_id":"NA","now":"0001-01-01T00:00:00Z","routes":[{"remote_id":"NB"}]}"#,
            #"{"routes":[{"rid":null,"remote_id":"NB","remote_name":null,"ip":null,"port":null}],"server_id":"NA"}"#,
        ]
        for body in agreeing {
            let data = Data(body.utf8)
            let fast = try #require(FastMonitorDecoder.routez(data), "gave up on \(body)")
            #expect(fast == (try MonitorDecoder.decodeWithCodable(Routez.self, from: data, endpoint: .routez)), "\(body)")
        }
        let decoded = try #require(FastMonitorDecoder.routez(Data(agreeing[0].utf8)))
        #expect(decoded.routes.map(\.rid) == [7] && decoded.routes.first?.remoteName == "b" && decoded.routes.first?.port == 6222)
        let givingUp = [
            #"{"now":"2026-11-27T20:00:00Z","routes":[]}"#,  // no server_id
            #"{"server_id":"NA","routes":[{"rid":1}]}"#,  // a route without remote_id
            #"{"server_id":"NA","routes":[{"rid":-1,"remote_id":"NB"}]}"#,
            #"{"server_id":"NA","routes":[{"rid":1,"remote_id":"NB","rid":2}]}"#,
            #"{"server_id":"NA","server_id":"NB"}"#,
            #"{"server_id":"NA","routes":[{"remote_id":"NB","port":"6222"}]}"#,
            #"{"server_id":"NA","routes":{}}"#,
            #"{"server_id":"NA"} trailing"#,
        ]
        for body in givingUp { #expect(FastMonitorDecoder.routez(Data(body.utf8)) == nil, "\(body)") }
        // Through the public entry point a document the fast path gives up on is JSONDecoder's, error and all.
        #expect(throws: MonitorDecodingError.self) { try MonitorDecoder.decode(Routez.self, from: Data(givingUp[1].utf8), endpoint: .routez) }
        let repeated = try MonitorDecoder.decode(Routez.self, from: Data(givingUp[3].utf8), endpoint: .routez)
        #expect(repeated == (try MonitorDecoder.decodeWithCodable(Routez.self, from: Data(givingUp[3].utf8), endpoint: .routez)))
    }

    @Test func agreesWithJSONDecoderOnEveryRecordedDocument() throws {
        let documents = try Fixtures.allDocuments(of: .gatewayz)
        #expect(documents.count >= 10)
        for (path, body) in documents {
            let reference = try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: body, endpoint: .gatewayz)
            let fast = try #require(FastMonitorDecoder.gatewayz(body), "the fast path gave up on \(path)")
            #expect(fast == reference, "\(path)")
        }
    }

    @Test func agreesOrGivesUpOnMutatedDocuments() async throws {
        let documents = try Fixtures.allDocuments(of: .gatewayz)
        var mutator = TextMutator(seed: 0x6761_7465, inserts: ["null", "1.5", "-1", "\"\\u00e9\"", "\"\\ud800\"", "{}", "[]", "1e3", "\"x\"", "true", "99999999999999999999", "\u{0001}"])
        var agreed = 0
        var gaveUp = 0
        for round in 0..<3000 {
            let (_, original) = documents[round % documents.count]
            let body = Data(mutator.mutate([UInt8](original)).utf8)
            let reference = try? MonitorDecoder.decodeWithCodable(Gatewayz.self, from: body, endpoint: .gatewayz)
            if let fast = FastMonitorDecoder.gatewayz(body) {
                #expect(fast == reference, "round \(round): fast decoded what JSONDecoder \(reference == nil ? "rejected" : "read differently")")
                // Sharing the unmutated document's ids changes nothing, wherever the mutation fell.
                let sharing = FastMonitorDecoder.gatewayz(body, reusing: try #require(FastMonitorDecoder.gatewayz(original, reusing: ConnectionNames())).names)
                #expect(sharing?.document == fast, "round \(round): sharing the original's ids changed the result")
                agreed += 1
            } else {
                gaveUp += 1
            }
            if round % 200 == 0 { await Task.yield() }
        }
        #expect(agreed > 300, "agreed \(agreed), gave up \(gaveUp)")
    }

    /// The string scan jumps to the first quote, backslash or control byte of an eight-byte word: wherever
    /// it sits, whatever comes after it (bytes after a stop may be flagged too, by a borrow), and none in
    /// a word of plain bytes, those of 0x80 and up included.
    @Test func stringScanFindsTheFirstStopWhereverItIs() {
        var generator = SeededGenerator(seed: 0x5354_4F50)
        let stops: [UInt8] = [0x22, 0x5C] + Array(0x00...0x1F)
        let plain = (0x20...0xFF).map(UInt8.init).filter { $0 != 0x22 && $0 != 0x5C }
        for round in 0..<20_000 {
            var bytes = (0..<8).map { _ in plain[generator.below(plain.count)] }
            let position = round % 9  // 8: no stop at all
            if position < 8 {
                bytes[position] = stops[generator.below(stops.count)]
                for after in (position + 1)..<8 where generator.below(2) == 0 { bytes[after] = UInt8(truncatingIfNeeded: generator.next()) }
            }
            let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            let found = FastMonitorDecoder.stringStops(word)
            #expect((found == 0 ? 8 : found.trailingZeroBitCount / 8) == position, "\(bytes)")
        }
    }

    /// Whitespace of every kind and length around every structural byte and the document (runs that
    /// cross eight-byte words, spaces only, tabs, CR LF, none at all) reads as JSONDecoder reads it.
    @Test func anyWhitespaceBetweenTokensDecodesLikeJSONDecoder() throws {
        let (_, original) = try #require(Fixtures.allDocuments(of: .gatewayz).max { $0.1.count < $1.1.count })
        let compact = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: original))
        var generator = SeededGenerator(seed: 0x5748_4954)
        let kinds: [UInt8] = [0x20, 0x20, 0x20, 0x0A, 0x0D, 0x09]
        // A run of 0 to 17: mixed blanks, or spaces only (indentation, skipped eight at a time).
        func blanks() -> [UInt8] {
            let count = [0, 1, 2, 7, 8, 9, 16, 17][generator.below(8)]
            let spacesOnly = generator.below(2) == 0
            return (0..<count).map { _ in spacesOnly ? 0x20 : kinds[generator.below(kinds.count)] }
        }
        for _ in 0..<40 {
            var spaced = blanks()  // before the document, and after it below
            var inString = false, escaped = false
            for byte in compact {
                if inString {
                    spaced.append(byte)
                    if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                    continue
                }
                if byte == 0x22 { inString = true }
                // Around every structural byte: after values and keys as well as before them.
                let structural = [0x7B, 0x5B, 0x3A, 0x2C, 0x7D, 0x5D].contains(byte)
                if structural { spaced += blanks() }
                spaced.append(byte)
                if structural { spaced += blanks() }
            }
            spaced += blanks()
            let body = Data(spaced)
            let reference = try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: body, endpoint: .gatewayz)
            #expect(FastMonitorDecoder.gatewayz(body) == reference)
        }
    }

    /// Counters of every length: up to eighteen digits are summed without overflow checks, longer ones
    /// checked. Each decodes as JSONDecoder does, or gives up (to JSONDecoder) when it does not fit.
    @Test func integersOfEveryLengthDecodeLikeJSONDecoder() throws {
        func document(_ number: String) -> Data {
            Data(#"{"server_id":"a","now":"2026-11-26T20:00:00Z","outbound_gateways":{"b":{"configured":true,"connection":{"cid":7,"in_msgs":\#(number)}}}}"#.utf8)
        }
        var fitting = ["0", "-0", "7", "-7", "999999999999999999", "-999999999999999999", "1000000000000000000",
                       "9223372036854775807", "-9223372036854775807", "4611686018427387904"]
        for digits in 1...18 { fitting.append(String(repeating: "9", count: digits)) }
        for number in fitting {
            let body = document(number)
            let reference = try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: body, endpoint: .gatewayz)
            let fast = try #require(FastMonitorDecoder.gatewayz(body), "gave up on \(number)")
            #expect(fast == reference, "\(number)")
            #expect(fast.outboundGateways["b"]?.connection?.inMsgs == Int64(number), "\(number)")
        }
        // Past Int64 (one more than the largest, far more digits, a digit run with a leading zero): given
        // up; the smallest Int64 too (its magnitude does not fit), as before. JSONDecoder decides them.
        for number in ["9223372036854775808", "-9223372036854775808", "18446744073709551616", "99999999999999999999",
                       String(repeating: "9", count: 400), "01", "-01", "00"] {
            #expect(FastMonitorDecoder.gatewayz(document(number)) == nil, "\(number)")
        }
    }

    /// An empty body (a 200 with nothing in it) is no JSON: each fast decoder gives up, and through the
    /// public entry point it is JSONDecoder's error.
    @Test func emptyBodiesGiveUp() {
        #expect(FastMonitorDecoder.gatewayz(Data()) == nil)
        #expect(FastMonitorDecoder.gatewayz(Data(), reusing: ConnectionNames(ids: ["N" + String(repeating: "A", count: 55)])) == nil)
        #expect(FastMonitorDecoder.varz(Data()) == nil)
        #expect(FastMonitorDecoder.routez(Data()) == nil)
        #expect(throws: MonitorDecodingError.self) { try MonitorDecoder.decode(Gatewayz.self, from: Data(), endpoint: .gatewayz) }
    }

    /// A repeated key is valid JSON; which value wins is JSONDecoder's business, so the fast path gives up.
    @Test func repeatedKeysGiveUp() throws {
        let gatewayz = #"{"name":"FIRST","server_id":"a","now":"2026-11-26T20:00:00Z","name":"second"}"#
        #expect(FastMonitorDecoder.gatewayz(Data(gatewayz.utf8)) == nil)
        let cluster = #"{"server_id":"a","now":"2026-11-26T20:00:00Z","outbound_gateways":{"b":{"configured":true},"b":{"configured":false}}}"#
        #expect(FastMonitorDecoder.gatewayz(Data(cluster.utf8)) == nil)
        let inboundCluster = #"{"server_id":"a","now":"2026-11-26T20:00:00Z","inbound_gateways":{"b":[],"c":[],"b":[{"configured":false}]}}"#
        #expect(FastMonitorDecoder.gatewayz(Data(inboundCluster.utf8)) == nil)
        let varz = #"{"server_id":"a","server_name":"FIRST","server_name":"e1"}"#
        #expect(FastMonitorDecoder.varz(Data(varz.utf8)) == nil)
        // Through the public entry point the answer is JSONDecoder's, whatever it is.
        let decoded = try MonitorDecoder.decode(Varz.self, from: Data(varz.utf8), endpoint: .varz)
        #expect(decoded == (try MonitorDecoder.decodeWithCodable(Varz.self, from: Data(varz.utf8), endpoint: .varz)))
    }

    @Test func escapesAndUnicodeDecodeLikeJSONDecoder() throws {
        let body = Data(#"{"server_id":"N\u0041\n\"é😀\ud83d\ude00","now":"2026-11-26T20:00:00Z","name":"a\/b","outbound_gateways":{"b":{"configured":true,"connection":{"cid":7,"rtt":"1.5ms","name":"x"},"accounts":[{"name":"$G","num_subs":3}]}},"inbound_gateways":{"b":[{"configured":false,"connection":null}]},"extra":[1,-2.5e-3,{"z":[true,false,null]}]}"#.utf8)
        let reference = try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: body, endpoint: .gatewayz)
        let fast = try #require(FastMonitorDecoder.gatewayz(body))
        #expect(fast == reference)
        #expect(fast.serverID == "NA\n\"é😀😀")
        for bad in [#"{"server_id":"a","now":"2026-11-26T20:00:00Z"} x"#, #"{"server_id":"a","now":"2026-11-26T20:00:00Z","port":1.0}"#,
                    #"{"server_id":"a","now":"2026-11-26T20:00:00Z","name":"\ud800"}"#, "{\"server_id\":\"a\u{01}\",\"now\":\"2026-11-26T20:00:00Z\"}"] {
            #expect(FastMonitorDecoder.gatewayz(Data(bad.utf8)) == nil, "\(bad)")
        }
        // Members gwtop does not keep are checked all the same: a lone surrogate, raw bytes that are not
        // UTF-8, in a value or in a key.
        let skipped = [#"{"server_id":"a","now":"2026-11-26T20:00:00Z","extra":"\ud800"}"#,
                       #"{"server_id":"a","now":"2026-11-26T20:00:00Z","outbound_gateways":{"b":{"connection":{"cid":1,"kind":"\udc00"}}}}"#]
        for bad in skipped { #expect(FastMonitorDecoder.gatewayz(Data(bad.utf8)) == nil, "\(bad)") }
        for invalid in [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80]] as [[UInt8]] {
            let inValue = Data(#"{"server_id":"a","now":"2026-11-26T20:00:00Z","extra":"x"#.utf8) + Data(invalid) + Data(#""}"#.utf8)
            let inKey = Data(#"{"server_id":"a","now":"2026-11-26T20:00:00Z",""#.utf8) + Data(invalid) + Data(#"":1}"#.utf8)
            #expect(FastMonitorDecoder.gatewayz(inValue) == nil && FastMonitorDecoder.gatewayz(inKey) == nil, "\(invalid)")
        }
        let validSkipped = Data(#"{"server_id":"a","now":"2026-11-26T20:00:00Z","é😀":"ü\n😀\u00e9","kind":"Gateway"}"#.utf8)
        // A connection's kind and type are not kept: whatever their shape, both decoders pass them by.
        let kindAndType = Data(#"{"server_id":"a","now":"2026-11-26T20:00:00Z","outbound_gateways":{"b":{"configured":true,"connection":{"cid":7,"kind":5,"type":[1,{"x":null}],"kind":"Gateway"}}}}"#.utf8)
        let decodedPassingBy = try #require(FastMonitorDecoder.gatewayz(kindAndType))
        #expect(decodedPassingBy == (try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: kindAndType, endpoint: .gatewayz)))
        let decodedSkipping = try #require(FastMonitorDecoder.gatewayz(validSkipped))
        #expect(decodedSkipping == (try MonitorDecoder.decodeWithCodable(Gatewayz.self, from: validSkipped, endpoint: .gatewayz)))
    }
}
