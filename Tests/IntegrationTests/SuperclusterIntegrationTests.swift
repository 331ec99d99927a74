import Foundation
import TestSupport
import Testing

/// End to end: real nats-servers of both supported versions (2.15.1 and 2.9.10) on loopback, the real
/// gwtop binary, compared with what the servers themselves report and log.
@Suite(.serialized, .enabled(if: LocalSupercluster.shouldRun, "nats-server binaries not installed (CI=true never skips)"))
struct SuperclusterIntegrationTests {
    struct Report {
        let json: [String: Any]
        var clusters: [[String: Any]] { json["clusters"] as? [[String: Any]] ?? [] }
        var servers: [[String: Any]] { clusters.flatMap { $0["servers"] as? [[String: Any]] ?? [] } }
        var problems: [[String: Any]] { json["problems"] as? [[String: Any]] ?? [] }
        func server(_ name: String) -> [String: Any]? { servers.first { $0["name"] as? String == name } }
        func problems(_ kind: String) -> [[String: Any]] { problems.filter { $0["kind"] as? String == kind } }
        var pairs: [[String: Any]] { json["cluster_pairs"] as? [[String: Any]] ?? [] }
        func pair(_ from: String, _ to: String) -> [String: Any]? {
            pairs.first { $0["from"] as? String == from && $0["to"] as? String == to }
        }
    }

    func report(_ urls: [String], _ extra: [String] = []) throws -> Report {
        let output = try GwtopBinary.run(["--once", "--format", "json", "--timeout", "1"] + extra + urls)
        #expect(output.status == 0, "gwtop failed: \(output.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)")
        return Report(json: json)
    }

    @Test func healthyMeshMatchesTheServersOwnGatewayzAndLogs() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 21000, traffic: true)
        defer { cluster.stop() }
        let report = try self.report(cluster.monitorURLs)

        #expect(report.clusters.map { $0["name"] as? String } == ["central", "east", "west"])
        let versions = Set(report.servers.compactMap { $0["version"] as? String })
        #expect(versions == ["2.15.1", "2.9.10"], "both server versions are in the mesh")
        #expect(report.servers.allSatisfy { $0["reachable"] as? Bool == true && $0["polled"] as? Bool == true })
        #expect(report.problems.map { $0["kind"] as? String } == ["implicit_gateway", "implicit_only_cluster"])
        #expect(report.problems.allSatisfy { $0["server"] as? String == "c1" && $0["severity"] as? String == "info" })

        for server in cluster.servers {
            let own = try cluster.document(server.name, "/gatewayz")
            let seen = try #require(report.server(server.name))
            let outbound = seen["outbound"] as? [[String: Any]] ?? []
            let ownOutbound = own["outbound_gateways"] as? [String: [String: Any]] ?? [:]
            #expect(Set(outbound.compactMap { $0["remote_cluster"] as? String }) == Set(ownOutbound.keys), "\(server.name)")
            let log = try String(contentsOfFile: server.log, encoding: .utf8)
            for connection in outbound {
                let remote = try #require(connection["remote_cluster"] as? String)
                let ownConnection = try #require(ownOutbound[remote]?["connection"] as? [String: Any])
                #expect(connection["gid"] as? Int == ownConnection["cid"] as? Int, "\(server.name) → \(remote)")
                #expect(connection["remote_id"] as? String == ownConnection["name"] as? String)
                #expect(connection["configured"] as? Bool == ownOutbound[remote]?["configured"] as? Bool)
                #expect(connection["remote_name"] is String, "every remote was polled, so its name is known")
                let gid = try #require(connection["gid"] as? Int)
                #expect(log.contains("gid:\(gid) "), "\(server.name)'s log mentions gid:\(gid)")
            }
            let inbound = seen["inbound"] as? [[String: Any]] ?? []
            let ownInbound = (own["inbound_gateways"] as? [String: [[String: Any]]] ?? [:]).values.flatMap { $0 }
            #expect(Set(inbound.compactMap { $0["gid"] as? Int })
                == Set(ownInbound.compactMap { ($0["connection"] as? [String: Any])?["cid"] as? Int }), "\(server.name) inbound")
        }
        let implicit = try #require((report.server("c1")?["outbound"] as? [[String: Any]])?.first { $0["remote_cluster"] as? String == "west" })
        #expect(implicit["configured"] as? Bool == false)

        let check = try GwtopBinary.run(["--check", "--timeout", "1"] + cluster.monitorURLs)
        #expect(check.status == 0)
        #expect(check.stdout.hasPrefix("GWTOP OK - 3 clusters, 5/5 endpoints up, 10/10 outbound gateways up | "))

        let text = try GwtopBinary.run(["--once", "--timeout", "1"] + cluster.monitorURLs)
        #expect(text.status == 0)
        #expect(text.stdout.contains("out* west"))
        #expect(!text.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    @Test func measuredTrafficGivesTheRightRates() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 21200)
        defer { cluster.stop() }
        // 200 msgs/s of 100 bytes from east (e1) to a subscriber in west (w1) for 8 s.
        let traffic = Process()
        traffic.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        traffic.arguments = ["python3", LocalSupercluster.script, "traffic", "--dir", cluster.directory, "--publish-to", "e1",
                             "--subscribe-on", "w1", "--subject", "rate.test", "--rate", "200", "--size", "100", "--duration", "15"]
        traffic.standardOutput = FileHandle.nullDevice
        traffic.standardError = FileHandle.nullDevice
        try traffic.run()
        defer { traffic.waitUntilExit() }
        // Measured only once messages flow: e1's outbound to west counts them (the script has to start,
        // subscribe, let interest reach e1 and connect its publisher first; a fixed wait was once short).
        func sentToWest() throws -> Int {
            let outbound = try cluster.document("e1", "/gatewayz")["outbound_gateways"] as? [String: Any]
            let connection = (outbound?["west"] as? [String: Any])?["connection"] as? [String: Any]
            return (connection?["out_msgs"] as? Int) ?? 0
        }
        let flowing = try waitUntil(within: 15, every: 0) {
            let before = try sentToWest()
            Thread.sleep(forTimeInterval: 0.5)
            return try sentToWest() - before >= 50
        }
        try #require(flowing, "200 msgs/s from e1 to west never started")
        Thread.sleep(forTimeInterval: 0.5)
        let report = try self.report(cluster.monitorURLs, ["--interval", "3"])
        let pair = try #require(report.pair("east", "west"))
        let sent = try #require(pair["sent_msgs_per_s"] as? Double)
        let received = try #require(pair["received_msgs_per_s"] as? Double)
        #expect(abs(sent - 200) < 12, "east → west sent \(sent) msgs/s, expected 200")
        #expect(abs(received - 200) < 12, "east → west received \(received) msgs/s, expected 200")
        let bytes = try #require(pair["sent_bytes_per_s"] as? Double)
        #expect(bytes >= 200 * 100 * 0.94 && bytes < 200 * 200, "payload plus protocol overhead: \(bytes) B/s")
        let e1West = try #require((report.server("e1")?["outbound"] as? [[String: Any]])?.first { $0["remote_cluster"] as? String == "west" })
        #expect(abs((e1West["out_msgs_per_s"] as? Double ?? 0) - 200) < 12)
        // Nothing flows the other way except the system account's trickle.
        #expect((report.pair("west", "east")?["sent_msgs_per_s"] as? Double ?? 99) < 5)
    }

    @Test func brokenTopologyGivesTheRightProblemsAndCheckStatus() throws {
        let cluster = try LocalSupercluster(topology: "broken", basePort: 21400)
        defer { cluster.stop() }
        let report = try self.report(cluster.monitorURLs)
        let missing = report.problems("missing_outbound")
        func servers(missingTo remote: String) -> Set<String> {
            Set(missing.filter { $0["remote_cluster"] as? String == remote }.compactMap { $0["server"] as? String })
        }
        // A configured cluster that never runs.
        #expect(servers(missingTo: "ghost") == ["e1", "e2", "w1", "w2", "c1", "s1"])
        // A gateway that fails authentication: nobody's outbound to south survives, s1's own outbounds work.
        #expect(servers(missingTo: "south") == ["e1", "e2", "w1", "w2", "c1"])
        #expect(missing.allSatisfy { $0["severity"] as? String == "critical" })
        #expect((report.server("s1")?["outbound"] as? [[String: Any]])?.count == 3)
        let southInbound = report.problems("missing_inbound").filter { $0["cluster"] as? String == "south" }
        #expect(Set(southInbound.compactMap { $0["remote_cluster"] as? String }) == ["east", "west", "central"])

        var check = try GwtopBinary.run(["--check", "--timeout", "1"] + cluster.monitorURLs)
        #expect(check.status == 2)
        #expect(check.stdout.hasPrefix("GWTOP CRITICAL - "))

        // A killed server: its endpoint is refused, and it is named.
        try cluster.kill("w2")
        let w2 = cluster.server("w2").monitor_url
        check = try GwtopBinary.run(["--check", "--timeout", "1"] + cluster.monitorURLs)
        #expect(check.status == 2)
        #expect(check.stdout.contains("CRITICAL endpoint_unreachable: \(w2) unreachable: connection refused"), "\(check.stdout)")
        let afterKill = try self.report(cluster.monitorURLs)
        let w2Node = try #require(afterKill.servers.first { $0["url"] as? String == w2 })
        #expect(w2Node["reachable"] as? Bool == false)
        #expect(w2Node["error"] as? String == "connection refused")
    }

    @Test func killedAndRestartedServerIsReportedThenRecovers() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 21600)
        defer { cluster.stop() }
        try cluster.kill("e2")
        var check = try GwtopBinary.run(["--check", "--timeout", "1"] + cluster.monitorURLs)
        #expect(check.status == 2, "\(check.stdout)")
        #expect(check.stdout.contains("endpoint_unreachable"))
        #expect(!check.stdout.contains("GWTOP OK"))

        try cluster.restart("e2")
        // The restarted server redials; allow the mesh a few seconds to re-form.
        let recovered = try waitUntil(within: 45, every: 1) {
            check = try GwtopBinary.run(["--check", "--timeout", "1", "--interval", "0.5"] + cluster.monitorURLs)
            return check.status == 0
        }
        #expect(recovered, "after restart: \(check.stdout)")
    }

    /// SIGSTOP: the process exists, its sockets accept, nothing answers. Never a false "healthy".
    @Test func frozenServerIsReportedAndRecovers() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 21800)
        defer {
            try? cluster.kill("w2", signal: "CONT")
            cluster.stop()
        }
        try cluster.kill("w2", signal: "STOP")
        let w2 = cluster.server("w2").monitor_url
        let started = Date()
        let check = try GwtopBinary.run(["--check", "--timeout", "1"] + cluster.monitorURLs)
        let elapsed = Date().timeIntervalSince(started)
        #expect(check.status == 2, "\(check.stdout)")
        #expect(check.stdout.contains("CRITICAL endpoint_unreachable: \(w2) unreachable: timed out after 1s"), "\(check.stdout)")
        #expect(elapsed < 6, "two polls bounded by the 1 s timeout took \(elapsed)s")
        let frozen = try self.report(cluster.monitorURLs)
        let raised = (frozen.json["events"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "problem_raised" }
        #expect(raised.contains { $0["severity"] as? String == "critical" && $0["url"] as? String == w2 }, "\(raised)")
        try cluster.kill("w2", signal: "CONT")
        // Up to 45 s: a gateway PING that crossed the freeze measured an RTT of seconds, which stands
        // (high_rtt) until the next PING.
        var last = ""
        let recovered = try waitUntil(within: 45, every: 1) {
            let check = try GwtopBinary.run(["--check", "--timeout", "1", "--interval", "0.5"] + cluster.monitorURLs)
            last = check.stdout
            return check.status == 0
        }
        #expect(recovered, "after SIGCONT: \(last)")
    }

    /// An endpoint that answers one poll and not the next.
    @Test func flappingEndpointIsNeverReportedHealthyWhileDown() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 21900)
        defer { cluster.stop() }
        let upstream = cluster.server("c1").monitor_url
        let box = FlapState()
        // Answers with c1's real documents on odd polls and 503 on even ones (four requests per poll:
        // --full-every 0 asks everything every poll).
        let flapping = try LoopbackHTTPServer { path in
            let request = box.next()
            guard (request / 4) % 2 == 0,
                let data = try? ProcessRunner.run("/usr/bin/env", ["curl", "-sf", upstream + path]).stdout
            else { return .respond(status: 503, body: Array("<html>down</html>".utf8)) }
            return .respond(status: 200, body: Array(data.utf8))
        }
        defer { flapping.stop() }
        let urls = cluster.monitorURLs.filter { $0 != upstream } + [flapping.url]
        let output = try GwtopBinary.run(["--check", "--timeout", "1", "--interval", "0.5", "--full-every", "0"] + urls)
        #expect(output.status == 2, "the second poll is the one that failed: \(output.stdout)")
        #expect(output.stdout.contains("HTTP 503 from /"), "\(output.stdout)")
        // The same flap as events: the next run's first poll is answered, its second is not.
        let report = try self.report(urls, ["--interval", "0.5", "--full-every", "0"])
        let events = report.json["events"] as? [[String: Any]] ?? []
        #expect(events.contains { $0["kind"] as? String == "endpoint_down" && $0["url"] as? String == flapping.url }, "\(events)")
        #expect(report.json["status"] as? String == "CRITICAL")
    }

    final class FlapState: @unchecked Sendable {
        // @unchecked: guarded by the lock.
        private let lock = NSLock()
        private var count = 0
        func next() -> Int { lock.withLock { defer { count += 1 }; return count } }
    }

    @Test func badArgumentsAndConfigAreClearErrors() throws {
        let badURL = try GwtopBinary.run(["--once", "ftp://x"])
        #expect(badURL.status != 0)
        #expect(badURL.stderr.contains("invalid monitoring URL \"ftp://x\": unsupported scheme \"ftp\""))

        let invalid: [([String], String)] = [
            (["--once", "--timeout", "0"], "--timeout must be between 0.05 and 600 seconds, got 0.0"),
            (["--once", "--max-concurrent", "0"], "--max-concurrent must be between 1 and 4096, got 0"),
            (["--once", "--full-every=-1"], "--full-every must be between 0 and 86400 seconds, got -1.0"),
            (["--once", "http://127.0.0.1:1", "http://127.0.0.1:1/"], "endpoint http://127.0.0.1:1 is listed twice"),
            (["--once", "--log", "/nonexistent/dir/x.log", "http://127.0.0.1:1"], "cannot create log file /nonexistent/dir/x.log"),
            (["--once", "--theme", "nosuch", "http://127.0.0.1:1"], "unknown theme \"nosuch\"; expected one of: default"),
            // The system-account options: each wrong combination is named before anything connects.
            (["--replay", "/nonexistent.gwtoprec", "--nats", "nats://127.0.0.1:1"], "--replay shows a recording and takes no --nats options"),
            (["--once", "--user", "sys"], "--user, --password, --token, --nkey, --creds and --tls-* apply to --nats URL, which is missing"),
            (["--once", "--nats", "nats://127.0.0.1:1", "--user", "a", "--token", "t"],
             "give one way to authenticate to NATS, not --user/--password and --token"),
            (["--once", "--nats", "nats://127.0.0.1:1", "--password", "p"], "--password needs --user"),
            (["--once", "--nats", "http://127.0.0.1:8222"], "--nats: invalid NATS URL \"http://127.0.0.1:8222\": scheme http (use nats:// or tls://)"),
            (["--once", "--nats", "nats://127.0.0.1:1", "--nkey", "/nonexistent/sys.nk"], "--nkey /nonexistent/sys.nk:"),
            (["--once", "--nats", "nats://127.0.0.1:1", "--tls-cert", "/etc/hostname"], "--tls-cert and --tls-key go together"),
        ]
        for (arguments, message) in invalid {
            let output = try GwtopBinary.run(arguments)
            #expect(output.status != 0, "\(arguments)")
            #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
            #expect(output.stdout.isEmpty, "\(arguments): nothing starts")
        }
        let both = try GwtopBinary.run(["--once", "--check"])
        #expect(both.status == 3 && both.stdout.hasPrefix("GWTOP UNKNOWN - Error: --once and --check cannot be combined"))

        let check = try GwtopBinary.run(["--check", "--interval", "0"])
        #expect(check.status == 3)
        #expect(check.stdout.hasPrefix("GWTOP UNKNOWN - "))

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-it-bad-\(getpid()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "interval: 1\nendpoints:\n  - url: http://127.0.0.1:1\n    nmae: typo\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try GwtopBinary.run(["--once", "--config", path])
        #expect(config.status != 0)
        #expect(config.stderr.contains("\(path):4: unknown key \"nmae\" in an endpoint"), "\(config.stderr)")
        #expect(config.stdout.isEmpty, "nothing starts")
    }
}

/// A reader that stops reading (`gwtop --plain | head`) ends gwtop quietly.
@Suite struct ClosedOutputTests {
    @Test(arguments: [["--plain"], ["--format", "json"]])
    func liveModesEndCleanlyWhenTheReaderGoesAway(arguments: [String]) throws {
        let command = "\(GwtopBinary.path) \(arguments.joined(separator: " ")) --timeout 0.5 http://127.0.0.1:1 2>&1 | head -c 20 >/dev/null; echo ${PIPESTATUS[0]}"
        let output = try ProcessRunner.run("/bin/bash", ["-c", command])
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(output.stdout)\(output.stderr)")
        #expect(!output.stdout.contains("Fatal error"))
    }

    /// A report that cannot be written (a full disk) is not a success: said on stderr, exit status 1. A
    /// reader that goes away is (exit 0, nothing said).
    @Test(arguments: [["--format", "text"], ["--format", "json"]])
    func aReportThatCannotBeWrittenIsAnError(arguments: [String]) throws {
        let once = "\(GwtopBinary.path) --replay \(DemoRecordingTests.demoPath) --once \(arguments.joined(separator: " "))"
        let full = try ProcessRunner.run("/bin/bash", ["-c", "\(once) >/dev/full; echo \"exit $?\""])
        #expect(full.stdout.contains("exit 1") && full.stderr.contains("gwtop: cannot write the report: No space left on device"),
                "\(full.stdout)\(full.stderr)")
        let gone = try ProcessRunner.run("/bin/bash", ["-c", "\(once) | head -c 20 >/dev/null; echo \"exit ${PIPESTATUS[0]}\""])
        #expect(gone.stdout.contains("exit 0") && gone.stderr.isEmpty, "\(gone.stdout)\(gone.stderr)")
    }

    /// `--check` whose answer cannot be written has not answered: UNKNOWN (3), not the mesh's status.
    @Test func aCheckThatCannotBeWrittenIsUnknown() throws {
        let check = "\(GwtopBinary.path) --replay \(DemoRecordingTests.demoPath) --check"
        let written = try ProcessRunner.run("/bin/bash", ["-c", "\(check) >/dev/null; echo \"exit $?\""])
        let full = try ProcessRunner.run("/bin/bash", ["-c", "\(check) >/dev/full; echo \"exit $?\""])
        #expect(!written.stdout.contains("exit 3"), "the demo's end has a status of its own: \(written.stdout)")
        #expect(full.stdout.contains("exit 3") && full.stderr.contains("cannot write the report: No space left on device"),
                "\(full.stdout)\(full.stderr)")
    }
}

/// A credential given in a URL never shows up in output, errors or logs.
@Suite struct SecretHandlingTests {
    @Test func passwordsNeverLeak() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-secret-\(getpid()).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let secret = "hunter2-\(UInt32.random(in: 0...UInt32.max))"
        let outputs = [
            try GwtopBinary.run(["--once", "--timeout", "0.5", "--log", log, "http://ops:\(secret)@127.0.0.1:1"]),
            try GwtopBinary.run(["--once", "--format", "json", "--timeout", "0.5", "--log", log, "http://ops:\(secret)@127.0.0.1:1"]),
            try GwtopBinary.run(["--check", "--timeout", "0.5", "--log", log, "http://ops:\(secret)@127.0.0.1:1"]),
            try GwtopBinary.run(["--once", "http://ops:\(secret)@127.0.0.1:notaport"]),
        ]
        for output in outputs {
            #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret), "\(output.stdout)\(output.stderr)")
        }
        #expect(outputs[0].stdout.contains("http://ops:***@127.0.0.1:1"))
        let logText = try String(contentsOfFile: log, encoding: .utf8)
        #expect(logText.contains("ops:***@") && !logText.contains(secret))

        // Recordings: neither the file nor anything replayed from it holds the password.
        let recording = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-secret-\(getpid()).gwtoprec").path
        defer { try? FileManager.default.removeItem(atPath: recording) }
        let recorder = try GwtopBinary.run(["--headless", "--record", recording, "--duration", "1s", "--timeout", "0.3", "http://ops:\(secret)@127.0.0.1:1"])
        #expect(!recorder.stderr.contains(secret))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: recording))
        #expect(bytes.range(of: Data(secret.utf8)) == nil)
        for arguments in [["--once", "--format", "json"], ["--once"], ["--check"]] {
            let replayed = try GwtopBinary.run(["--replay", recording] + arguments)
            #expect(!replayed.stdout.contains(secret) && !replayed.stderr.contains(secret))
            #expect(replayed.stdout.contains("ops:***@127.0.0.1:1") || replayed.stdout.contains("http://***@127.0.0.1:1"), "\(replayed.stdout)")
        }
    }
}
