import Poller
import Testing

@Suite struct MonitorTargetTests {
    @Test func plainHostGetsTheMonitoringPort() throws {
        let target = try MonitorTarget(url: "http://127.0.0.1")
        #expect(target.requestURL(for: .gatewayz) == "http://127.0.0.1:8222/gatewayz?accs=1")
        #expect(target.displayURL == "http://127.0.0.1:8222")
    }

    @Test func pathPrefixBehindAProxy() throws {
        let target = try MonitorTarget(url: "https://mon.example/nats/dc1-a/")
        #expect(target.requestURL(for: .varz) == "https://mon.example:443/nats/dc1-a/varz")
    }

    @Test func credentialsAreKeptOutOfDisplayAndRequestURLs() throws {
        let target = try MonitorTarget(url: "http://ops%40dc1:p%3Ass@host:9000")
        #expect(target.auth == BasicAuth(username: "ops@dc1", password: "p:ss"))
        #expect(target.displayURL == "http://ops%40dc1:***@host:9000")
        #expect(!target.requestURL(for: .varz).contains("p:ss") && !target.requestURL(for: .varz).contains("ops"))
    }

    @Test func ipv6() throws {
        let target = try MonitorTarget(url: "http://[::1]:8222")
        #expect(target.host == "::1")
        #expect(target.requestURL(for: .healthz) == "http://[::1]:8222/healthz")
    }

    @Test(arguments: [
        ("127.0.0.1:8222", "expected http:// or https:// at the start"),
        ("nats://127.0.0.1:4222", "unsupported scheme \"nats\" (expected http or https)"),
        ("http://:8222", "missing host"),
        ("http://host:0", "invalid port \"0\" (expected 1-65535)"),
        ("http://host:80/varz", "give the base URL, without /varz"),
        ("http://host/?x=1", "a base URL takes no query or fragment (\"?x=1\")"),
    ])
    func rejectsWithReason(url: String, reason: String) {
        #expect(throws: TargetError.self) { try MonitorTarget(url: url) }
        do {
            _ = try MonitorTarget(url: url)
        } catch {
            #expect((error as? TargetError)?.reason == reason)
        }
    }

    @Test func errorsNeverEchoPasswords() {
        do {
            _ = try MonitorTarget(url: "http://user:hunter2@host:notaport")
        } catch {
            #expect(!"\(error)".contains("hunter2"))
            #expect("\(error)".contains("***@host:notaport"))
        }
    }
}
