import Foundation
import MonitorModel
import Poller
import TestSupport
import Testing

/// Endpoints that misbehave the ways broken proxies, half-dead servers and hostile peers do. Each one
/// is reported with a specific message while a well-behaved endpoint polled in the same cycle keeps
/// its data, and the cycle ends within the timeout.
@Suite(.serialized) struct HostileEndpointTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let behaviour: @Sendable (String) -> LoopbackHTTPServer.Behaviour
        let reason: EndpointFailure.Reason
        let message: String
        var scheme = "http"
        var greeting: [UInt8]? = nil
        var testDescription: String { name }
    }

    static let varz = (try? Fixtures.data("healthy/poll-1/e1/varz.json")).map(Array.init) ?? []

    static let cases: [Case] = [
        Case(name: "not JSON", behaviour: { _ in .respond(status: 200, body: Array("hello, world".utf8)) },
             reason: .decode, message: "/varz: not JSON (body starts with \"hello, world\")"),
        Case(name: "HTML 500 page", behaviour: { _ in .respond(status: 500, body: Array("<html><h1>500 Internal Server Error</h1></html>".utf8)) },
             reason: .http, message: "HTTP 500 from /varz (body starts with \"<html><h1>500 Internal S…\")"),
        Case(name: "truncated JSON", behaviour: { _ in .respond(status: 200, body: Array(varz.prefix(varz.count / 2))) },
             reason: .decode, message: "/varz: malformed or truncated JSON"),
        Case(name: "wrong types", behaviour: { _ in .respond(status: 200, body: Array(#"{"server_id": 42}"#.utf8)) },
             reason: .decode, message: "/varz: server_id: expected a string"),
        Case(name: "invalid UTF-8", behaviour: { _ in .respond(status: 200, body: Array(#"{"server_id": "a"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)) },
             reason: .decode, message: "/varz: malformed or truncated JSON"),
        Case(name: "redirect", behaviour: { _ in .redirect(location: "http://127.0.0.1:1/varz") },
             reason: .http, message: "HTTP 302 from /varz"),
        Case(name: "reset mid-body", behaviour: { _ in .resetMidBody(body: varz, sent: 100) },
             reason: .network, message: "connection reset by the server"),
        Case(name: "dripping body", behaviour: { _ in .drip(body: varz, interval: 0.5) },
             reason: .timeout, message: "timed out after 2s"),
        // Bodies are gathered under the request's deadline, which must also end a request never answered.
        Case(name: "accepts and never answers", behaviour: { _ in .hang },
             reason: .timeout, message: "timed out after 2s"),
        Case(name: "garbage instead of HTTP", behaviour: { _ in .raw(Array("SSH-2.0-OpenSSH_9.2\r\n".utf8)) },
             reason: .network, message: "the answer is not HTTP (invalid constant string); is this the monitoring port?"),
        Case(name: "TLS handshake with a plain HTTP server", behaviour: { _ in .hang },
             reason: .tls, message: "", scheme: "https", greeting: Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8)),
    ]

    @Test(arguments: cases)
    func hostileEndpointIsNamedAndHarmless(_ hostileCase: Case) async throws {
        let good = try LoopbackHTTPServer.recorded()
        let hostile = try LoopbackHTTPServer(greeting: hostileCase.greeting, handler: hostileCase.behaviour)
        defer { good.stop(); hostile.stop() }
        let hostileURL = "\(hostileCase.scheme)://127.0.0.1:\(hostile.port)"
        let targets = [try MonitorTarget(url: hostileURL), try MonitorTarget(url: good.url)]
        let transport = try HTTPMonitoringTransport(timeout: 2, maxBodyBytes: 1 << 20, targets: targets)
        let poller = Poller(targets: targets, transport: transport)
        let started = ContinuousClock.now
        let cycle = await poller.poll(sequence: 1)
        let elapsed = ContinuousClock.now - started
        await transport.shutdown()

        let failure = try #require(cycle.snapshot.observations[0].failure, "\(hostileCase.name) was accepted")
        #expect(failure.reason == hostileCase.reason, "\(hostileCase.name): \(failure)")
        if !hostileCase.message.isEmpty { #expect(failure.message == hostileCase.message) }
        #expect(!failure.message.isEmpty)
        #expect(failure.message.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "messages are printable")
        #expect(cycle.snapshot.observations[1].snapshot?.varz.serverName == "e1", "the good endpoint keeps its data")
        #expect(elapsed < .seconds(5), "\(hostileCase.name): cycle took \(elapsed)")
    }

    @Test func enormousNamesDecodeAndAreShortenedForDisplay() throws {
        let name = String(repeating: "n", count: 100_000) + "\u{1B}[2J"
        let body = Data(#"{"server_id":"S1","server_name":"\#(name.replacingOccurrences(of: "\u{1B}", with: "\\u001b"))"}"#.utf8)
        let varz = try MonitorDecoder.decode(Varz.self, from: body, endpoint: .varz)
        #expect(varz.serverName?.count == 100_004)
    }
}
