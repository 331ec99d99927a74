import Foundation
import GwtopConfig
import Poller
import TestSupport
import Testing

@Suite struct ConfigParsingTests {
    func parse(_ yaml: String) throws -> GwtopConfiguration {
        try GwtopConfiguration.parse(yaml: yaml, file: "test.yaml")
    }

    func error(_ yaml: String) -> String {
        do {
            _ = try parse(yaml)
            return "parsed"
        } catch {
            return "\(error)"
        }
    }

    @Test func fullConfiguration() throws {
        let config = try parse("""
            interval: 2.5
            timeout: 1
            max_concurrent: 16
            endpoints:
              - http://127.0.0.1:8222
              - url: https://mon.example/nats/dc1-a
                name: dc1-a
                group: dc1
                username: monitor
                password: s3cret
            groups:
              dc2:
                - http://10.0.0.1:8222
                - url: http://10.0.0.2:8222
                  name: dc2-b
            thresholds:
              high_rtt_ms: 150
              slow_pending_bytes: 2048
              stale_idle_s: 30
            """)
        #expect(config.interval == 2.5)
        #expect(config.timeout == 1)
        #expect(config.fullEvery == nil, "not in this file: the command's default (10 s) applies")
        #expect(try parse("full_every: 0\n").fullEvery == 0)
        #expect(config.maxConcurrentEndpoints == 16)
        #expect(config.endpoints.count == 4)
        let proxied = config.endpoints[1]
        #expect(proxied.requestURL(for: .varz) == "https://mon.example:443/nats/dc1-a/varz")
        #expect(proxied.auth == BasicAuth(username: "monitor", password: "s3cret"))
        #expect(proxied.displayURL == "https://monitor:***@mon.example:443/nats/dc1-a")
        #expect(proxied.name == "dc1-a" && proxied.group == "dc1")
        #expect(config.endpoints[2].group == "dc2")
        #expect(config.endpoints[3].name == "dc2-b" && config.endpoints[3].group == "dc2")
        #expect(config.thresholds.highRTTSeconds == 0.15)
        #expect(config.thresholds.slowPendingBytes == 2048)
        #expect(config.thresholds.staleIdleSeconds == 30)
    }

    @Test func emptyFileConfiguresNothing() throws {
        #expect(try parse("").endpoints.isEmpty)
    }

    @Test func unknownKeyNamesLineAndAlternatives() {
        #expect(error("interval: 1\nintervall: 2\n")
            == "test.yaml:2: unknown key \"intervall\" in the top level; expected one of: endpoints, full_every, groups, interval, max_concurrent, nats, sort, theme, thresholds, timeout")
    }

    /// The dashboard's first order, as `--sort`: one of its orders, or an error naming them.
    @Test func sortIsAnOrderOfTheDashboard() throws {
        #expect(try parse("sort: health\n").sort == "health")
        #expect(try parse("interval: 1\n").sort == nil)
        // Not an error of the file as a whole: only the dashboard stops for it (so --check goes on).
        let bad = try parse("interval: 1\nsort: worst\n")
        #expect(bad.sort == nil && bad.interval == 1)
        #expect(bad.sortError == "test.yaml:2: sort: \"worst\" is not an order; expected one of: name, health, rate, rtt, pending, uptime")
        #expect(error("sort: [health]\n") == "test.yaml:1: sort: expected a string, found a list")
    }

    @Test func wrongTypeNamesLine() {
        #expect(error("endpoints:\n  - url: http://a:1\n    name: [x]\n") == "test.yaml:3: name: expected a string, found a list")
        #expect(error("interval: soon\n") == "test.yaml:1: interval: expected a number, found \"soon\"")
        #expect(error("endpoints: http://a:1\n") == "test.yaml:1: endpoints: expected a list, found \"http://a:1\"")
    }

    @Test func outOfRangeValues() {
        #expect(error("interval: 0\n") == "test.yaml:1: interval: 0 is out of range (expected 0.1 to 3600)")
        #expect(error("full_every: -5\n") == "test.yaml:1: full_every: -5 is out of range (expected 0 to 86400)")
        #expect(error("max_concurrent: 2.5\n") == "test.yaml:1: max_concurrent: expected a whole number, found 2.5")
    }

    @Test func badURLNamesLineAndReason() {
        #expect(error("endpoints:\n  - http://ok:1\n  - ftp://bad\n")
            == "test.yaml:3: invalid monitoring URL \"ftp://bad\": unsupported scheme \"ftp\" (expected http or https)")
        #expect(error("endpoints:\n  - url: http://host:99999\n")
            == "test.yaml:2: invalid monitoring URL \"http://host:99999\": invalid port \"99999\" (expected 1-65535)")
    }

    @Test func invalidYAMLNamesLine() {
        let message = error("endpoints:\n  - url: [unclosed\n")
        #expect(message.hasPrefix("test.yaml:"))
        #expect(message.contains("not valid YAML"))
    }

    @Test func tlsFilesMustExistAndGoWithHTTPS() {
        #expect(error("endpoints:\n  - url: https://a\n    tls:\n      ca_file: /nonexistent/ca.pem\n")
            == "test.yaml:4: tls.ca_file: cannot read /nonexistent/ca.pem")
        #expect(error("endpoints:\n  - url: http://a\n    tls:\n      insecure: true\n")
            == "test.yaml:2: tls settings given for a plain http URL (http://a:8222)")
        #expect(error("endpoints:\n  - url: https://a\n    tls:\n      insecure: maybe\n")
            == "test.yaml:4: tls.insecure: expected true or false, found \"maybe\"")
    }

    @Test func passwordWithoutUserIsRejectedWithoutEchoingIt() {
        let message = error("endpoints:\n  - url: http://a\n    password: hunter2\n")
        #expect(message == "test.yaml:3: password given without username")
    }

    @Test func worldReadableFileWithPasswordWarns() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-config-\(getpid()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "endpoints:\n  - http://u:pw@127.0.0.1:8222\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(try GwtopConfiguration.load(path: path).warnings.count == 1)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try GwtopConfiguration.load(path: path).warnings.isEmpty)
    }

    @Test func missingFileIsNamed() {
        do {
            _ = try GwtopConfiguration.load(path: "/nonexistent/gwtop.yaml")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "/nonexistent/gwtop.yaml: cannot read the file (missing or not readable)")
        }
    }

    @Test func defaultPathFollowsXDG() {
        #expect(GwtopConfiguration.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/gwtop/config.yaml")
        #expect(GwtopConfiguration.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/gwtop/config.yaml")
    }
}

@Suite struct ConfigFuzzTests {
    /// Mutated configurations either parse or fail with a located message; none crash.
    @Test func mutatedConfigurationsNeverCrash() async {
        let original = Array("""
            interval: 2
            timeout: 1
            endpoints:
              - http://127.0.0.1:8222
              - url: https://mon.example/nats/a
                name: a
                username: u
                password: p
            groups:
              dc2: [http://10.0.0.1:8222]
            thresholds: {high_rtt_ms: 100, stale_idle_s: 30}
            """.utf8)
        var mutator = TextMutator(seed: 7, inserts: [":", "- ", "{", "[", "\t", "\n  ", "!!binary ", "&a ", "*a", "\"", "'", "#", "\u{1B}", "\0"])
        for iteration in 0..<2000 {
            if iteration % 25 == 0 { await Task.yield() }
            let text = mutator.mutate(original)
            do {
                _ = try GwtopConfiguration.parse(yaml: text, file: "fuzz.yaml")
            } catch {
                #expect("\(error)".hasPrefix("fuzz.yaml"), "\(error)")
            }
        }
    }
}
