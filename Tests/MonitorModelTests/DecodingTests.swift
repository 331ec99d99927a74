import Foundation
@testable import MonitorModel
import TestSupport
import Testing

@Suite struct RecordedFixtureDecodingTests {
    @Test(arguments: MonitorEndpointKind.fullSet)
    func everyRecordedDocumentDecodes(kind: MonitorEndpointKind) throws {
        let documents = try Fixtures.allDocuments(of: kind)
        #expect(documents.count >= 10, "fixtures missing for \(kind)")
        for (path, body) in documents {
            switch kind {
            case .varz: _ = try MonitorDecoder.decode(Varz.self, from: body, endpoint: kind)
            case .gatewayz, .gatewayzLinks: _ = try MonitorDecoder.decode(Gatewayz.self, from: body, endpoint: kind)
            case .routez: _ = try MonitorDecoder.decode(Routez.self, from: body, endpoint: kind)
            case .healthz:
                let health = try MonitorDecoder.decode(Healthz.self, from: body, endpoint: kind)
                #expect(health.isOK, "\(path)")
            }
        }
    }

    @Test func gatewayzOfBothVersionsCarriesConnections() throws {
        for server in ["e1", "e2"] {  // e1 runs 2.15.1, e2 runs 2.9.10
            let body = try Fixtures.data("healthy/poll-2/\(server)/gatewayz.json")
            let gatewayz = try MonitorDecoder.decode(Gatewayz.self, from: body, endpoint: .gatewayz)
            #expect(gatewayz.name == "east")
            #expect(Set(gatewayz.outboundGateways.keys) == ["west", "central"])
            for (_, remote) in gatewayz.outboundGateways {
                let connection = try #require(remote.connection)
                #expect(connection.cid > 0)
                #expect(connection.name?.isEmpty == false)
                #expect(connection.rtt != nil)
                #expect(connection.uptime != nil)
                #expect(remote.configured)
                #expect(!remote.accounts.isEmpty)
            }
        }
    }

    @Test func implicitGatewayIsVisibleInRecordedData() throws {
        let body = try Fixtures.data("healthy/poll-2/c1/gatewayz.json")
        let gatewayz = try MonitorDecoder.decode(Gatewayz.self, from: body, endpoint: .gatewayz)
        #expect(gatewayz.outboundGateways["west"]?.configured == false)
        #expect(gatewayz.outboundGateways["east"]?.configured == true)
    }

    @Test func varzGatewaySectionListsConfiguredRemotes() throws {
        let varz = try MonitorDecoder.decode(Varz.self, from: Fixtures.data("healthy/poll-1/c1/varz.json"), endpoint: .varz)
        #expect(varz.version == "2.9.10")
        #expect(Set(varz.gateway?.gateways.map(\.name) ?? []) == ["central", "east"])
        let newer = try MonitorDecoder.decode(Varz.self, from: Fixtures.data("healthy/poll-1/e1/varz.json"), endpoint: .varz)
        #expect(newer.version == "2.15.1")
        #expect(newer.serverName == "e1")
    }

    /// The configured gateways' names, sorted and each once, are worked out by both decoders and kept
    /// up to date when the list is changed.
    @Test func configuredGatewayNamesAreSortedOnceByBothDecoders() throws {
        let body = Data(#"{"server_id": "X", "gateway": {"name": "b", "gateways": [{"name": "c"}, {"name": "a"}, {"name": "b"}, {"name": "a"}]}}"#.utf8)
        let fast = try #require(FastMonitorDecoder.varz(body))
        let codable = try MonitorDecoder.decodeWithCodable(Varz.self, from: body, endpoint: .varz)
        #expect(fast.gateway?.gatewayNames == ["a", "b", "c"] && codable.gateway?.gatewayNames == ["a", "b", "c"])
        var section = try #require(fast.gateway)
        section.gateways.append(ConfiguredGateway(name: "0"))
        #expect(section.gatewayNames == ["0", "a", "b", "c"])
        #expect(GatewaySection(name: "x", gateways: [ConfiguredGateway(name: "z"), ConfiguredGateway(name: "y")]).gatewayNames == ["y", "z"])
    }
}

@Suite struct DecodingErrorTests {
    func failure(_ json: String, as kind: MonitorEndpointKind = .gatewayz) -> String {
        do {
            switch kind {
            case .gatewayz: _ = try MonitorDecoder.decode(Gatewayz.self, from: Data(json.utf8), endpoint: kind)
            default: _ = try MonitorDecoder.decode(Varz.self, from: Data(json.utf8), endpoint: kind)
            }
            return "decoded"
        } catch {
            return "\(error)"
        }
    }

    @Test func missingOptionalFieldsAndUnknownFieldsAreAccepted() throws {
        let json = """
            {"server_id":"S1","now":"2026-01-01T00:00:00Z","brand_new_field":{"x":[1,2]},
             "outbound_gateways":{"b":{"connection":{"cid":7}}}}
            """
        let gatewayz = try MonitorDecoder.decode(Gatewayz.self, from: Data(json.utf8), endpoint: .gatewayz)
        #expect(gatewayz.name == "")
        #expect(gatewayz.outboundGateways["b"]?.connection?.cid == 7)
        #expect(gatewayz.outboundGateways["b"]?.connection?.rtt == nil)
        #expect(gatewayz.inboundGateways.isEmpty)
    }

    /// What servers before 2.4 sent: no `kind`, no remote `name`, no `rtt`, no accounts, no `gateway.name`.
    @Test func oldServerShapesDecode() throws {
        let gatewayz = """
            {"server_id":"OLD","now":"2020-01-01T00:00:00.000000001+01:00","name":"a","host":"0.0.0.0","port":7222,
             "outbound_gateways":{"b":{"configured":true,"connection":{"cid":3,"ip":"10.0.0.2","port":7222,
               "start":"2020-01-01T00:00:00Z","last_activity":"0001-01-01T00:00:00Z","uptime":"1y2d","idle":"0s",
               "pending_bytes":0,"in_msgs":1,"out_msgs":2,"in_bytes":3,"out_bytes":4,"subscriptions":0}}},
             "inbound_gateways":{}}
            """
        let decoded = try MonitorDecoder.decode(Gatewayz.self, from: Data(gatewayz.utf8), endpoint: .gatewayz)
        let connection = try #require(decoded.outboundGateways["b"]?.connection)
        #expect(connection.name == nil && connection.rtt == nil)
        #expect(connection.lastActivity == nil, "Go's zero time means never")
        #expect(connection.uptime == 31_708_800)
        #expect(decoded.outboundGateways["b"]?.accounts.isEmpty == true)
        let varz = try MonitorDecoder.decode(Varz.self, from: Data(#"{"server_id":"OLD","gateway":{"port":7222}}"#.utf8), endpoint: .varz)
        #expect(varz.gateway?.name == nil && varz.gateway?.gateways.isEmpty == true && varz.serverName == nil)
    }

    @Test func wrongTypeNamesThePath() {
        let message = failure("""
            {"server_id":"S1","now":"2026-01-01T00:00:00Z","outbound_gateways":{"west":{"connection":{"cid":"seven"}}}}
            """)
        #expect(message == "/gatewayz: outbound_gateways.west.connection.cid: expected an integer")
    }

    @Test func badDurationNamesThePathAndValue() {
        let message = failure("""
            {"server_id":"S1","now":"2026-01-01T00:00:00Z","outbound_gateways":{"west":{"connection":{"cid":1,"rtt":"fast"}}}}
            """)
        #expect(message.contains("outbound_gateways.west.connection.rtt"))
        #expect(message.contains("\"fast\""))
    }

    @Test func htmlErrorPageIsRecognised() {
        let message = failure("<html><body>502 Bad Gateway</body></html>")
        #expect(message.hasPrefix("/gatewayz: not JSON (body starts with \"<html>"))
    }

    @Test func truncatedJSONIsReported() {
        #expect(failure("{\"server_id\":\"S1\",\"now\":\"2026-01") == "/gatewayz: malformed or truncated JSON")
    }

    @Test func missingRequiredFieldIsNamed() {
        #expect(failure("{\"now\":\"2026-01-01T00:00:00Z\"}") == "/gatewayz: server_id: required field missing")
        #expect(failure("{}", as: .varz) == "/varz: server_id: required field missing")
    }

    @Test func emptyBody() {
        #expect(failure("") == "/gatewayz: empty body")
    }
}

@Suite struct ObservationAssemblyTests {
    let endpoint = EndpointIdentity(displayURL: "http://127.0.0.1:8222")
    let time = MonitorTime(seconds: 1)

    func responses(varzStatus: Int = 200, routez: RawResponse? = nil, healthz: RawResponse? = nil) throws -> [RawResponse] {
        var list = [
            RawResponse(kind: .varz, statusCode: varzStatus, body: try Fixtures.data("healthy/poll-1/e1/varz.json")),
            RawResponse(kind: .gatewayz, statusCode: 200, body: try Fixtures.data("healthy/poll-1/e1/gatewayz.json")),
        ]
        if let routez { list.append(routez) }
        if let healthz { list.append(healthz) }
        return list
    }

    @Test func httpErrorOnRequiredEndpointFailsTheEndpoint() throws {
        var list = try responses()
        list[0] = RawResponse(kind: .varz, statusCode: 503, body: Data("<html>down</html>".utf8))
        let observation = EndpointObservation(endpoint: endpoint, observedAt: time, responses: list)
        #expect(observation.failure?.reason == .http)
        #expect(observation.failure?.message == "HTTP 503 from /varz (body starts with \"<html>down</html>\")")
    }

    @Test func failingOptionalEndpointIsOnlyPartial() throws {
        let observation = EndpointObservation(
            endpoint: endpoint, observedAt: time,
            responses: try responses(routez: RawResponse(kind: .routez, statusCode: 404, body: Data())))
        #expect(observation.snapshot != nil)
        #expect(observation.partialFailures == ["HTTP 404 from /routez"])
    }

    @Test func unhealthyHealthzBodyIsKeptDespite503() throws {
        let body = Data(#"{"status":"unavailable","status_code":503,"error":"JetStream not current"}"#.utf8)
        let observation = EndpointObservation(
            endpoint: endpoint, observedAt: time,
            responses: try responses(healthz: RawResponse(kind: .healthz, statusCode: 503, body: body)))
        #expect(observation.snapshot?.healthz?.isOK == false)
        #expect(observation.snapshot?.healthz?.error == "JetStream not current")
    }

    @Test func transportFailureIsPassedThrough() {
        let failure = EndpointFailure(.refused, "connection refused")
        let observation = EndpointObservation(endpoint: endpoint, observedAt: time, responses: [
            RawResponse(kind: .varz, statusCode: nil, body: Data(), failure: failure),
            RawResponse(kind: .gatewayz, statusCode: nil, body: Data(), failure: failure),
        ])
        #expect(observation.failure == failure)
    }
}

@Suite struct CredentialRedactionTests {
    @Test func userInfoIsReplaced() {
        #expect(CredentialRedaction.redactUserInfo("nats://gw:secret@127.0.0.1:7222") == "nats://***@127.0.0.1:7222")
        #expect(CredentialRedaction.redactUserInfo("https://a:b@host/p@th") == "https://***@host/p@th")
        #expect(CredentialRedaction.redactUserInfo("nats://127.0.0.1:7222") == "nats://127.0.0.1:7222")
        #expect(CredentialRedaction.redactUserInfo("not a url") == "not a url")
        // The user-info ends at the last @ of the authority: an @ inside the password is part of it.
        #expect(CredentialRedaction.redactUserInfo("nats://gw:p@ss@host:7222") == "nats://***@host:7222")
        #expect(CredentialRedaction.redactUserInfo("nats://üser:pässwörd@hôst:7222/päth") == "nats://***@hôst:7222/päth")
        #expect(CredentialRedaction.redactUserInfo("nats://@host") == "nats://***@host")
        #expect(CredentialRedaction.redactUserInfo("://") == "://" && CredentialRedaction.redactUserInfo("") == "")
        #expect(CredentialRedaction.redactUserInfo("tls://a:b@") == "tls://***@")
        // Bytes, not characters: a combining mark after the @ (or the scheme's slashes) does not hide them.
        #expect(CredentialRedaction.redactUserInfo("nats://u:pw@\u{301}host") == "nats://***@\u{301}host")
        #expect(CredentialRedaction.redactUserInfo("nats://\u{301}u:pw@host") == "nats://***@host")
    }
}
