import Foundation
import MonitorModel
import NatsClient
import Testing
import TestSupport

@testable import SystemAccountSource

struct ServerEnvelopeTests {
    func fixture(_ name: String) throws -> Data {
        try Fixtures.data("system-account/\(name).json")
    }

    /// Real replies of both versions: `data` is exactly the monitoring document, and it decodes as the
    /// same document fetched over HTTP does.
    @Test(arguments: ["e1", "e2"])
    func realRepliesGiveTheDocumentBytes(server: String) throws {
        let gatewayz = try ServerEnvelope.parse(try fixture("gatewayz-\(server)"))
        #expect(gatewayz.server.name == server && gatewayz.server.cluster == "east" && gatewayz.error == nil)
        #expect(gatewayz.server.version == (server == "e1" ? "2.15.1" : "2.9.10"))
        let data = try #require(gatewayz.data)
        let decoded = try MonitorDecoder.decode(Gatewayz.self, from: data, endpoint: .gatewayz)
        #expect(decoded.serverID == gatewayz.server.id)
        #expect(!decoded.outboundGateways.isEmpty)
        // The span is the whole value: re-serialising the envelope's data through JSONSerialization agrees.
        let whole = try JSONSerialization.jsonObject(with: try fixture("gatewayz-\(server)")) as! [String: Any]
        let reparsed = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(NSDictionary(dictionary: whole["data"] as! [String: Any]).isEqual(to: reparsed))

        let varz = try ServerEnvelope.parse(try fixture("varz-\(server)"))
        let varzDocument = try MonitorDecoder.decode(Varz.self, from: try #require(varz.data), endpoint: .varz)
        #expect(varzDocument.serverName == server)
    }

    /// A reply is counted by its server's id as it arrives, read from the `server` object alone: the id the
    /// full parse gives, for real replies of both versions and with `server` anywhere; nothing for what is
    /// no envelope.
    @Test func aReplysServerIDIsReadWithoutItsDocument() throws {
        for name in ["gatewayz-e1", "gatewayz-e2", "varz-e1", "varz-e2", "statsz-e1", "statsz-e2"] {
            let payload = try fixture(name)
            let id = try ServerEnvelope.parse(payload).server.id
            #expect(ServerEnvelope.serverID(of: payload) == id && id.hasPrefix("N"), "\(name)")
        }
        #expect(ServerEnvelope.serverID(of: Data(#"{"data":{"a":"}\"]{"},"error":null, "server" : {"name":"n","id" : "NID"}}"#.utf8)) == "NID")
        // A payload that is a slice of a larger buffer (its first index is not 0).
        let sliced = Data(#"xxxx{"server":{"name":"n","id":"NSLICE"},"data":{}}"#.utf8).dropFirst(4)
        #expect(sliced.startIndex == 4 && ServerEnvelope.serverID(of: sliced) == "NSLICE")
        // An escape in the id (no server writes one) is read by the full parse.
        #expect(ServerEnvelope.serverID(of: Data(#"{"server":{"name":"n","id":"N\u0041"},"data":{}}"#.utf8)) == "NA")
        // The id is read before a document cut short, which the full parse then refuses.
        let cut = Data(#"{"server":{"name":"n","id":"NID"},"data":{"x":"#.utf8)
        #expect(ServerEnvelope.serverID(of: cut) == "NID")
        #expect(throws: EnvelopeError.self) { try ServerEnvelope.parse(cut) }
        for bad in ["", "[]", "{}", #"{"server":"NID"}"#, #"{"server":{"name":"n"}}"#, #"{"server":{"id":5}}"#, #"{"server":{"id":"NAB"#,
                    #"{"data":{},"server":{"id":"#] {
            #expect(ServerEnvelope.serverID(of: Data(bad.utf8)) == nil, "\(bad)")
        }
    }

    /// A server id comes from a server's reply: only one that is a server id makes a subject of one server.
    @Test func aServersOwnSubjectIsMadeOnlyOfAServerID() {
        let id = "NCOY5FNMZKETDXOQQHC5H2TT3WJWPBM3FSZSAVWDEX6RAU2FJNQORMAE"
        #expect(SystemAccountPoller.subject(for: .gatewayz, ofServer: id) == "$SYS.REQ.SERVER.\(id).GATEWAYZ")
        #expect(SystemAccountPoller.subject(for: .gatewayzLinks, ofServer: id) == "$SYS.REQ.SERVER.\(id).GATEWAYZ")
        let almost = String(id.dropLast())
        for hostile in ["", "*", ">", "PING", almost, almost + "*", almost + ".", almost + "1", "A" + id.dropFirst(), id.lowercased(), id + "A", "N\r\nPUB"] {
            #expect(SystemAccountPoller.subject(for: .gatewayz, ofServer: hostile) == nil, "\(hostile)")
        }
    }

    @Test func errorRepliesAndDamage() throws {
        let failed = try ServerEnvelope.parse(Data("""
            {"server":{"name":"w1","id":"NID","cluster":"west"},"error":{"code":400,"description":"json: cannot unmarshal"}}
            """.utf8))
        #expect(failed.data == nil && failed.error?.code == 400 && failed.error?.description == "json: cannot unmarshal")

        // Braces and quotes inside strings do not end the value early.
        let tricky = try ServerEnvelope.parse(Data(#"{"data":{"a":"}\"]{","b":[1,{"c":"x"}]},"server":{"name":"n","id":"i"}}"#.utf8))
        #expect(String(decoding: try #require(tricky.data), as: UTF8.self) == #"{"a":"}\"]{","b":[1,{"c":"x"}]}"#)

        for bad in ["", "[]", "{\"server\":{\"name\":\"a\",\"id\":\"b\"},\"data\":{\"x\":1}", "{\"data\":{}}",
                    "{\"server\":{\"id\":\"b\"},\"data\":{}}", "{\"server\":{\"name\":\"a\",\"id\":\"b\"},\"data\":\"unterminated}"] {
            #expect(throws: EnvelopeError.self, "\(bad)") { try ServerEnvelope.parse(Data(bad.utf8)) }
        }
    }

    /// The scan jumps eight bytes at a time to the next quote, backslash or bracket: values full of
    /// brackets and escapes inside strings, at every alignment, still give `data` exactly, and every
    /// truncation of them is refused.
    @Test func dataIsFoundExactlyWhateverItsStringsHold() throws {
        var generator = SeededGenerator(seed: 0x454E_5645)
        let pieces = ["}", "]", "{", "[", "\\\"", "\\\\", "\\\\\\\"", "x", "é", "12345678", " ", ","]
        func text() -> String {
            "\"" + (0..<generator.below(12)).map { _ in pieces[generator.below(pieces.count)] }.joined() + "\""
        }
        func value(_ depth: Int) -> String {
            switch depth > 3 ? generator.below(3) : generator.below(6) {
            case 0: return text()
            case 1: return String(generator.below(1_000_000))
            case 2: return ["true", "false", "null"][generator.below(3)]
            case 3: return "[" + (0..<generator.below(4)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            default:
                let spaces = String(repeating: " ", count: generator.below(10))
                return "{" + (0..<generator.below(4)).map { _ in "\(spaces)\(text()):\(spaces)\(value(depth + 1))" }.joined(separator: ",") + "}"
            }
        }
        for round in 0..<400 {
            let data = "{\"k\":" + value(1) + "}"
            let padding = String(repeating: " ", count: round % 8)  // every alignment of the value
            let reply = "{\(padding)\"data\":\(data),\"server\":{\"name\":\"n\",\"id\":\"i\"}}"
            let envelope = try ServerEnvelope.parse(Data(reply.utf8))
            #expect(String(decoding: try #require(envelope.data), as: UTF8.self) == data, "\(reply)")
            #expect(try JSONSerialization.jsonObject(with: try #require(envelope.data)) is [String: Any])
            if round % 20 == 0 {
                // Cut anywhere, the reply never closes: refused, never a shorter document.
                let bytes = Data(reply.utf8)
                for length in 0..<bytes.count {
                    #expect(throws: EnvelopeError.self) { try ServerEnvelope.parse(bytes.prefix(length)) }
                }
            }
        }
    }

    /// Any truncation of a real reply is an error or a shorter document, never a crash.
    @Test func everyTruncationOfARealReplyIsHandled() throws {
        let bytes = try fixture("varz-e2")
        for length in stride(from: 0, to: bytes.count, by: 7) {
            _ = try? ServerEnvelope.parse(bytes.prefix(length))
        }
    }
}

struct GatewayAnnouncementDetectorTests {
    typealias Gateway = GatewayAnnouncementDetector.Gateway

    @Test func regularReportsAreQuietAndAnnouncementsAreNot() {
        var detector = GatewayAnnouncementDetector()
        let start = ContinuousClock.now
        let gateways = [Gateway(gwid: 4, name: "west"), Gateway(gwid: 5, name: "central")]
        func observe(_ server: String, _ list: [Gateway], after seconds: Int) -> Bool {
            detector.observe(serverID: server, gateways: list, at: start + .seconds(seconds))
        }
        #expect(!observe("A", gateways, after: 0), "the first only sets what is regular")
        #expect(!observe("A", gateways.reversed(), after: 10), "order does not matter")
        #expect(!observe("A", gateways, after: 40), "a 30 s server (2.9) is regular too")
        // A new outbound gateway is announced at once, still with the old list: known by its timing.
        #expect(observe("A", gateways, after: 41))
        // A changed list at the regular time (the reconnect happened between reports) counts as well.
        #expect(observe("A", [Gateway(gwid: 9, name: "west"), gateways[1]], after: 60))
        // Servers are told apart.
        #expect(!observe("B", gateways, after: 60))
    }
}

struct SystemAccountSettingsTests {
    @Test func oneCredentialKindAndMissingPiecesAreNamed() throws {
        var settings = SystemAccountSettings(urls: ["nats://127.0.0.1:4222"])
        settings.user = "sys"
        settings.token = "t"
        #expect(throws: SettingsError.self) { try settings.clientSettings() }
        do {
            _ = try settings.clientSettings()
        } catch {
            #expect("\(error)" == "give one way to authenticate to NATS, not --user/--password and --token")
        }
        var passwordOnly = SystemAccountSettings(urls: ["nats://h"])
        passwordOnly.password = "secret"
        do {
            _ = try passwordOnly.clientSettings(naming: .configFile)
            Issue.record("password without user accepted")
        } catch {
            #expect("\(error)" == "nats.password needs nats.user")
        }
        var missingFile = SystemAccountSettings(urls: ["nats://h"])
        missingFile.credsFile = "/nonexistent/sys.creds"
        #expect(throws: SettingsError.self) { try missingFile.clientSettings() }
        var badURL = SystemAccountSettings(urls: ["http://user:pw@h:8222"])
        do {
            _ = try badURL.clientSettings()
        } catch {
            #expect("\(error)".hasPrefix("--nats: invalid NATS URL"))
            #expect(!"\(error)".contains("pw"))
        }
        badURL.urls = []
        #expect(throws: SettingsError.self) { try badURL.clientSettings() }
    }

    @Test func commandLineOverridesTheFile() {
        var file = SystemAccountSettings(urls: ["nats://a"])
        file.user = "sys"
        file.password = "pw"
        file.tlsCAFile = "/ca.pem"
        var flags = SystemAccountSettings(urls: ["nats://b"])
        flags.nkeyFile = "/sys.nk"
        let merged = file.overridden(by: flags)
        #expect(merged.urls == ["nats://b"] && merged.nkeyFile == "/sys.nk")
        #expect(merged.user == nil && merged.password == nil, "a new kind of credential replaces the old one")
        #expect(merged.tlsCAFile == "/ca.pem")
        #expect(file.overridden(by: SystemAccountSettings()) == file)
    }
}

/// The poller against a real nats-server, with this test answering the PING requests as servers would:
/// full control over names, ids and who answers.
@Suite(.serialized, .enabled(if: LocalSupercluster.shouldRun, "nats-server binaries not installed (CI=true never skips)"))
struct SystemAccountPollerTests {
    struct FakeServer: Sendable {
        var name: String
        var id: String
        var cluster: String
    }

    /// Answers every PING kind for the given servers until cancelled; returns once subscribed.
    func answer(as servers: [FakeServer], port: Int) async throws -> (NatsClient, Task<Void, Never>) {
        let responder = try await NatsClient.connect(NatsClientSettings(servers: [NatsServerAddress(host: "127.0.0.1", port: port)]))
        var streams: [(MonitorEndpointKind, AsyncStream<NatsMessage>)] = []
        for kind in MonitorEndpointKind.fullSet {
            streams.append((kind, try await responder.subscribe(SystemAccountPoller.subject(for: kind))))
        }
        try await responder.flush(timeout: .seconds(2))
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for (kind, stream) in streams {
                    group.addTask {
                        for await request in stream {
                            guard let reply = request.replyTo else { continue }
                            for server in servers {
                                let data: String
                                switch kind {
                                case .varz: data = #"{"server_id":"\#(server.id)","server_name":"\#(server.name)","cluster":{"name":"\#(server.cluster)"},"gateway":{"name":"\#(server.cluster)"}}"#
                                case .gatewayz, .gatewayzLinks: data = #"{"server_id":"\#(server.id)","now":"2026-11-26T00:00:00Z","name":"\#(server.cluster)","outbound_gateways":{},"inbound_gateways":{}}"#
                                case .routez: data = #"{"server_id":"\#(server.id)","routes":[]}"#
                                case .healthz: data = #"{"status":"ok"}"#
                                }
                                let envelope = #"{"server":{"name":"\#(server.name)","id":"\#(server.id)","cluster":"\#(server.cluster)","ver":"2.15.1"},"data":\#(data)}"#
                                try? await responder.publish(reply, payload: Data(envelope.utf8))
                            }
                        }
                    }
                }
            }
        }
        return (responder, task)
    }

    @Test func duplicateNamesStayTwoEndpointsAndNobodyIsCalledSilentOrLate() async throws {
        let server = try NatsServerProcess(.new, port: 26_071, config: "")
        defer { server.stop() }
        let servers = [
            FakeServer(name: "w1", id: "NW1A", cluster: "west"), FakeServer(name: "w1", id: "NW1B", cluster: "west"),
            FakeServer(name: "e1", id: "NE1", cluster: "east"),
        ]
        let (responder, answering) = try await answer(as: servers, port: 26_071)
        defer { answering.cancel() }
        let client = try await NatsClient.connect(NatsClientSettings(servers: [NatsServerAddress(host: "127.0.0.1", port: 26_071)]))
        let poller = SystemAccountPoller(client: client, sourceURL: "nats://127.0.0.1:26071", timeout: 2)
        for round in 1...3 {
            let started = ContinuousClock.now
            let polls = await poller.poll()
            let elapsed = ContinuousClock.now - started
            #expect(polls.map(\.endpoint.displayURL) == [
                "nats://127.0.0.1:26071#e1", "nats://127.0.0.1:26071#w1/NW1A", "nats://127.0.0.1:26071#w1/NW1B",
            ], "round \(round)")
            #expect(polls.allSatisfy { $0.observation.failure == nil }, "round \(round): \(polls.map { $0.observation.failure?.message ?? "ok" })")
            if round > 1 { #expect(elapsed < .milliseconds(250), "round \(round) waited for the quiet period: \(elapsed)") }
        }
        await client.close()
        await responder.close()
    }

    /// A known server that stops answering is silent; one that joins is found; a restart (new id, same
    /// name) is the same endpoint.
    @Test func silentJoiningAndRestartedServers() async throws {
        let server = try NatsServerProcess(.old, port: 26_072, config: "")
        defer { server.stop() }
        let client = try await NatsClient.connect(NatsClientSettings(servers: [NatsServerAddress(host: "127.0.0.1", port: 26_072)]))
        let poller = SystemAccountPoller(client: client, sourceURL: "nats://x", timeout: 1)

        var (responder, answering) = try await answer(as: [FakeServer(name: "a", id: "A1", cluster: "c"), FakeServer(name: "b", id: "B1", cluster: "c")], port: 26_072)
        #expect(await poller.poll().compactMap { $0.observation.failure }.isEmpty)
        answering.cancel()
        await responder.close()

        (responder, answering) = try await answer(as: [FakeServer(name: "a", id: "A2", cluster: "c"), FakeServer(name: "n", id: "N1", cluster: "c")], port: 26_072)
        let polls = await poller.poll()
        let byName = Dictionary(uniqueKeysWithValues: polls.map { ($0.endpoint.name ?? "?", $0.observation) })
        #expect(Set(byName.keys) == ["a", "b", "n"])
        #expect(byName["a"]?.failure == nil && byName["n"]?.failure == nil)
        #expect(byName["b"]?.failure?.reason == .silent)
        #expect(byName["b"]?.endpoint.group == "c", "a silent server keeps its cluster")
        answering.cancel()
        await responder.close()
        await client.close()
    }
}
