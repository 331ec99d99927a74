import Foundation
import MonitorModel
@testable import OutputFormat
import TestSupport
import Testing
import Topology

func recordedModel(_ topology: String) throws -> (Supercluster, [Problem]) {
    let first = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: topology, number: 1), previous: nil)
    let second = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: topology, number: 2), previous: first)
    return (second, MeshDiagnosis.diagnose(second, previous: first))
}

/// A model whose server-supplied strings carry terminal escape sequences.
func hostileModel() -> (Supercluster, [Problem]) {
    let evilName = "evil\u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[31mred\u{9B}\u{202E}"
    let now = MonitorTime(seconds: 1_800_000_000)
    var gatewayz = Gatewayz(serverID: "X1", now: now, name: "c\u{1B}[1mluster")
    gatewayz.outboundGateways["other\u{0D}"] = RemoteGateway(
        configured: true, connection: GatewayConnectionInfo(cid: 3, rtt: 0.001, uptime: 10, name: "Y1"))
    let varz = Varz(serverID: "X1", serverName: evilName, version: "2.15.1\u{1B}[H", now: now, gateway: GatewaySection(name: "c"))
    let observation = EndpointObservation(
        endpoint: EndpointIdentity(displayURL: "http://x:8222"), observedAt: now,
        outcome: .success(ServerSnapshot(varz: varz, gatewayz: gatewayz)))
    let poll = PollSnapshot(sequence: 1, startedAt: now, finishedAt: now, observations: [observation])
    let model = SuperclusterBuilder.build(poll: poll, previous: nil)
    return (model, MeshDiagnosis.diagnose(model, previous: nil))
}

/// The healthy fixture's second poll, with e1's /routez failed and a hostile failure text on e2: what a
/// reachable server did not give; and w2 not answering at all.
func modelWithPartialFailures() throws -> (Supercluster, [Problem]) {
    var second = try Fixtures.poll(topology: "healthy", number: 2)
    for index in second.observations.indices {
        switch second.observations[index].snapshot?.varz.serverName {
        case "e1": second.observations[index].partialFailures = ["HTTP 404 from /routez"]
        case "e2": second.observations[index].partialFailures = ["/healthz: \u{1B}[2Jcleared"]
        case "w2":
            second.observations[index].outcome = .failure(EndpointFailure(.timeout, "timed out after 2s"))
            second.observations[index].partialFailures = ["HTTP 404 from /routez"]
        default: break
        }
    }
    let first = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: "healthy", number: 1), previous: nil)
    let model = SuperclusterBuilder.build(poll: second, previous: first)
    return (model, MeshDiagnosis.diagnose(model, previous: first))
}

@Suite struct TextReportTests {
    /// On a terminal only the top of the report shows (`--plain`): there the problems come right after the
    /// summary, wrapped to the window, and the tree after them; elsewhere (`--once`) they end the report.
    @Test func problemsFirstForATerminal() throws {
        let (model, problems) = try recordedModel("broken")
        #expect(!problems.isEmpty)
        let usual = TextReport.render(model, problems: problems).split(separator: "\n", omittingEmptySubsequences: false)
        let first = TextReport.render(model, problems: problems, options: .init(width: 60, problemsFirst: true))
            .split(separator: "\n", omittingEmptySubsequences: false)
        func index(_ lines: [Substring], _ prefix: String) throws -> Int { try #require(lines.firstIndex { $0.hasPrefix(prefix) }) }
        let cluster = try #require(model.clusters.first?.name)
        #expect(try index(usual, "Problems:") > index(usual, cluster))
        #expect(try index(first, "Problems:") == 4 && index(first, cluster) > index(first, "Problems:"))
        // The summary stays on top; in 60 columns its problem counts get a line of their own.
        #expect(first[0] == usual[0] && first[1] + "  " + first[2] == usual[1] && first[2].hasSuffix(" info"))
        // Every problem message wrapped within the window; the same lines, in another order.
        let messageLines = first.filter { $0.hasPrefix("      ") }
        #expect(!messageLines.isEmpty && messageLines.allSatisfy { $0.count <= 60 })
        #expect(first.dropFirst(3).filter { !$0.hasPrefix("      ") }.sorted() == usual.dropFirst(2).filter { !$0.hasPrefix("      ") }.sorted())
    }

    @Test func healthyTreeShowsEveryConnectionWithGidAndRates() throws {
        let (model, problems) = try recordedModel("healthy")
        let text = TextReport.render(model, problems: problems)
        for server in model.servers {
            #expect(text.contains("\n  \(server.name)  v\(server.version ?? "")  up"))
            for link in server.outbound + server.inbound {
                #expect(text.contains(" \(link.logToken) "))
            }
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 100 }, "fits in 100 columns")
        #expect(text.contains("OK"))
        #expect(text.contains("    out* west      gid:"), "c1's implicit gateway is marked")
        // e1's outbound to west carries the generator's 50 msgs/s.
        let e1 = try #require(model.servers.first { $0.name == "e1" }?.outbound(to: "west"))
        let row = try #require(lines.first { $0.contains(" \(e1.logToken) ") && $0.hasPrefix("    out  west") })
        let outRate = row.split(separator: " ")[6]
        #expect((48...52).contains(Int(outRate) ?? 0), "\(row)")
        #expect(!text.contains("\u{1B}["), "no colour unless asked")
    }

    /// A server that answered all but an optional endpoint says so under its line, never raw.
    @Test func partialFailuresAreShownUnderTheirServer() throws {
        let (model, problems) = try modelWithPartialFailures()
        let lines = TextReport.render(model, problems: problems).split(separator: "\n").map(String.init)
        let e1 = try #require(lines.firstIndex { $0.hasPrefix("  e1  ") })
        #expect(lines[e1 + 1] == "    partial: HTTP 404 from /routez")
        let e2 = try #require(lines.firstIndex { $0.hasPrefix("  e2  ") })
        #expect(lines[e2 + 1].hasPrefix("    partial: /healthz: ") && !lines[e2 + 1].contains("\u{1B}"))
        #expect(lines.filter { $0.contains("partial:") }.count == 2)
    }

    @Test func brokenTreeShowsMissingRowsAndProblems() throws {
        let (model, problems) = try recordedModel("broken")
        let text = TextReport.render(model, problems: problems)
        #expect(text.contains("MISSING out → ghost"))
        #expect(text.contains("MISSING out → south"))
        #expect(text.contains("ghost  0 servers  no server seen (named in configuration)"))
        #expect(text.contains("CRITICAL missing_outbound"))
        #expect(text.hasPrefix("gwtop  CRITICAL"))
    }

    @Test func colourOnlyWhenAsked() throws {
        let (model, problems) = try recordedModel("broken")
        let text = TextReport.render(model, problems: problems, options: .init(colour: true))
        #expect(text.contains("\u{1B}[1;31mMISSING out → ghost\u{1B}[0m"))
    }

    @Test func serverStringsCannotControlTheTerminal() {
        let (model, problems) = hostileModel()
        let text = TextReport.render(model, problems: problems)
        let check = CheckReport.render(model, problems: problems).text
        for output in [text, check] {
            let scalars = output.unicodeScalars.filter { $0 != "\n" }
            #expect(!scalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E }, "\(output)")
        }
        #expect(text.contains("evil\\u{1B}]0;pwned\\u{7}"))
        #expect(check.contains("c\\u{1B}[1mluster holds 0 inbound"))
    }

    /// Columns line up by characters, not bytes: rows whose cells hold µ (an RTT) or … (a shortened
    /// name) are exactly as wide as the header.
    @Test func rowsWithWideCharactersStayAligned() throws {
        for (model, problems) in [try recordedModel("healthy"), hostileModel()] {
            let lines = TextReport.render(model, problems: problems).split(separator: "\n").map(String.init)
            let header = try #require(lines.first { $0.contains("DIR  REMOTE") })
            let rows = lines.filter { $0.hasPrefix("    out") || $0.hasPrefix("    in ") }
            #expect(rows.contains { $0.contains("µs") || $0.contains("…") }, "\(rows)")
            for row in rows { #expect(row.count == header.count, "\(row)") }
        }
    }

    @Test func longNamesAreShortened() {
        #expect(TerminalSafe.text(String(repeating: "x", count: 500), maxLength: 30).count == 31)
        #expect(TerminalSafe.text("short") == "short")
    }
}

@Suite struct JSONReportTests {
    func parse(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func contractFieldsArePresentAndUnknownsAreNull() throws {
        let (model, problems) = try recordedModel("healthy")
        let text = JSONReport.render(model, problems: problems)
        #expect(text.hasSuffix("}\n") && !text.hasSuffix("\n\n"), "one document, one newline")
        let json = try parse(text)
        #expect(json["time"] is String)
        let clusters = try #require(json["clusters"] as? [[String: Any]])
        #expect(clusters.map { $0["name"] as? String } == ["central", "east", "west"])
        let server = try #require((clusters[1]["servers"] as? [[String: Any]])?.first)
        for key in ["name", "id", "url", "version", "reachable", "polled", "outbound", "inbound"] {
            #expect(server.keys.contains(key), "server.\(key)")
        }
        let connection = try #require((server["outbound"] as? [[String: Any]])?.first)
        let contract = [
            "remote_cluster", "gid", "remote_id", "remote_name", "configured", "ip", "port", "rtt_ms", "uptime_s", "idle_s",
            "pending_bytes", "in_msgs", "out_msgs", "in_bytes", "out_bytes", "in_msgs_per_s", "out_msgs_per_s",
            "in_bytes_per_s", "out_bytes_per_s", "subscriptions",
        ]
        for key in contract { #expect(connection.keys.contains(key), "connection.\(key)") }
        #expect(connection["gid"] is Int)
        let problem = try #require((json["problems"] as? [[String: Any]])?.first)
        for key in ["severity", "kind", "cluster", "server", "remote_cluster", "url", "message"] {
            #expect(problem.keys.contains(key), "problem.\(key)")
        }
    }

    /// Each polled server lists what it did not give; an empty list when it gave everything, null when
    /// it was not polled (nothing is known).
    @Test func partialFailuresAreListedPerServer() throws {
        let (model, problems) = try modelWithPartialFailures()
        let json = try parse(JSONReport.render(model, problems: problems))
        let servers = try #require(json["clusters"] as? [[String: Any]]).flatMap { $0["servers"] as? [[String: Any]] ?? [] }
        func failures(_ name: String) -> [String]? {
            servers.first { $0["name"] as? String == name }?["partial_failures"] as? [String]
        }
        #expect(failures("e1") == ["HTTP 404 from /routez"])
        #expect(failures("e2") == ["/healthz: \u{1B}[2Jcleared"], "escaped in the text, intact for scripts")
        #expect(failures("w1") == [])
        let w2 = try #require(servers.first { $0["name"] as? String == "w2" })
        #expect(w2["reachable"] as? Bool == false && w2["partial_failures"] is NSNull, "nothing is known of a server that did not answer")
        #expect(servers.allSatisfy { $0.keys.contains("partial_failures") })
        // Without w1's own answers, w1 is known only from the far end of its connections.
        var withoutW1 = try Fixtures.poll(topology: "healthy", number: 1)
        withoutW1.observations.removeAll { $0.snapshot?.varz.serverName == "w1" }
        let partial = SuperclusterBuilder.build(poll: withoutW1, previous: nil)
        #expect(partial.servers.contains { $0.name == "w1" && !$0.polled })
        let partialServers = try #require(try parse(JSONReport.render(partial, problems: []))["clusters"] as? [[String: Any]])
            .flatMap { $0["servers"] as? [[String: Any]] ?? [] }
        #expect(partialServers.first { $0["name"] as? String == "w1" }?["partial_failures"] is NSNull)
    }

    /// `--once` writes the pieces one after another; together they are the report.
    @Test func piecesAreTheReport() throws {
        let (model, problems) = try recordedModel("broken")
        let pieces = JSONReport.renderChunks(model, problems: problems)
        #expect(pieces.count > 2 && !pieces.contains { $0.isEmpty })
        let text = String(decoding: pieces.joined(), as: UTF8.self)
        #expect(text == JSONReport.render(model, problems: problems))
        let json = try parse(text)
        #expect((json["clusters"] as? [Any])?.count == model.clusters.count && (json["problems"] as? [Any])?.count == problems.count)
        // Compact too (the same writer, no layout).
        let compact = JSONReport.render(model, problems: problems, pretty: false)
        let compactJSON = try parse(compact)
        #expect(!compact.dropLast().contains("\n") && (compactJSON["clusters"] as? [Any])?.count == model.clusters.count)
    }

    @Test func firstPollHasNullRatesNotZero() throws {
        let model = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: "healthy", number: 1), previous: nil)
        let text = JSONReport.render(model, problems: [])
        #expect(text.contains("\"in_msgs_per_s\": null"))
        #expect(!text.contains("\"in_msgs_per_s\": 0"))
    }

    @Test func hostileStringsAreEscaped() throws {
        let (model, problems) = hostileModel()
        let text = JSONReport.render(model, problems: problems)
        #expect(!text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) })
        #expect(text.contains(#"evil\u001b]0;pwned\u0007\u001b[2J"#))
        let json = try parse(text)
        let name = ((json["clusters"] as? [[String: Any]])?.first?["servers"] as? [[String: Any]])?.first?["name"] as? String
        #expect(name?.hasPrefix("evil\u{1B}]0;pwned") == true, "escaping keeps the data intact for scripts")
    }
}

/// The writer fixes the report's layout (scripts diff and grep it): two-space indents, `"key": value`,
/// `{}` and `[]` when empty, one member or element a line.
@Suite struct JSONWriterTests {
    func text(_ chunks: [[UInt8]]) -> String { String(decoding: chunks.joined(), as: UTF8.self) }

    func sample(_ json: inout JSONWriter) {
        json.object { json in
            json.field("name", "dc1")
            json.field("missing", nil as String?)
            json.field("empty", object: { _ in })
            json.field("none", elements: [Int]()) { json, number in json.value(number) }
            json.field("numbers", elements: [Int64(-12), 0, 7]) { json, number in json.value(number) }
            json.field("nested") { json in
                json.field("ok", true)
                json.field("gid", UInt64.max)
            }
        }
    }

    @Test func prettyLayout() {
        var json = JSONWriter(pretty: true)
        sample(&json)
        #expect(text(json.finish(ending: "\n")) == """
            {
              "name": "dc1",
              "missing": null,
              "empty": {},
              "none": [],
              "numbers": [
                -12,
                0,
                7
              ],
              "nested": {
                "ok": true,
                "gid": 18446744073709551615
              }
            }

            """)
    }

    /// Indentation of any depth, past the prepared line start as well: two spaces a level, every line.
    @Test func deepNestingIsIndentedTwoSpacesALevel() {
        func nested(_ json: inout JSONWriter, _ levels: Int) {
            if levels == 0 { json.value(1 as Int64?); return }
            json.array { json in json.element(); nested(&json, levels - 1) }
        }
        var json = JSONWriter(pretty: true)
        nested(&json, 40)
        let lines = text(json.finish()).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 81)
        for (number, line) in lines.enumerated() {
            let depth = number <= 40 ? number : 80 - number
            let expected = String(repeating: " ", count: 2 * depth) + (number < 40 ? "[" : number == 40 ? "1" : "]")
            #expect(line == Substring(expected), "line \(number)")
        }
    }

    @Test func compactLayout() {
        var json = JSONWriter(pretty: false)
        sample(&json)
        #expect(text(json.finish()) == #"{"name":"dc1","missing":null,"empty":{},"none":[],"numbers":[-12,0,7],"nested":{"ok":true,"gid":18446744073709551615}}"#)
    }

    /// Rates and milliseconds: whole numbers without a fraction, else at most three decimals; no NaN.
    @Test func doubles() {
        var json = JSONWriter(pretty: false)
        json.elements([2.0, -0.5, 1.23456, 0.0004, 1e15, 1e20, .nan, -.infinity, nil] as [Double?]) { json, number in json.value(number) }
        #expect(text(json.finish()) == "[2,-0.5,1.235,0,1000000000000000,1e+20,null,null,null]")
    }

    /// A fragment written on its own (a cluster, on another core) and spliced in reads exactly as if it
    /// had been written in place, in pretty and compact layout.
    @Test func splicedFragmentsReadAsWrittenInPlace() {
        for pretty in [true, false] {
            var inPlace = JSONWriter(pretty: pretty)
            inPlace.object { json in
                json.field("clusters", elements: ["a", "b"]) { json, name in
                    json.object { json in json.field("name", name); json.field("servers", elements: [1, 2]) { json, n in json.value(n) } }
                }
                json.field("after", 1)
            }
            let fragments = ["a", "b"].map { name in
                var json = JSONWriter(pretty: pretty, depth: 2)
                json.object { json in json.field("name", name); json.field("servers", elements: [1, 2]) { json, n in json.value(n) } }
                return json.fragment()
            }
            var spliced = JSONWriter(pretty: pretty)
            spliced.object { json in
                json.field("clusters", elements: fragments) { json, fragment in json.splice(fragment) }
                json.field("after", 1)
            }
            let pieces = spliced.finish()
            #expect(pieces.count > 1, "the fragments are not copied into one buffer")
            #expect(text(pieces) == text(inPlace.finish()))
        }
    }
}

@Suite struct CheckReportTests {
    @Test func healthyIsOKWithPerfdata() throws {
        let (model, problems) = try recordedModel("healthy")
        let (text, status) = CheckReport.render(model, problems: problems)
        #expect(status == .ok && status.exitCode == 0)
        let first = try #require(text.split(separator: "\n").first)
        #expect(first.hasPrefix("GWTOP OK - 3 clusters, 5/5 endpoints up, 10/10 outbound gateways up | "))
        #expect(first.contains("gateways_up=10;;;0;10"))
        #expect(text.contains("INFO implicit_gateway: c1 (central)"))
    }

    @Test func brokenIsCriticalWithDetails() throws {
        let (model, problems) = try recordedModel("broken")
        let (text, status) = CheckReport.render(model, problems: problems)
        #expect(status == .critical && status.exitCode == 2)
        #expect(text.hasPrefix("GWTOP CRITICAL - "))
        #expect(text.split(separator: "\n").count == problems.count + 1)
    }

    /// A cluster cut off at 250 servers is hundreds of problems: the details stop within the 8 KiB a
    /// monitoring system keeps, the worst first, and the last line says how many are left out.
    @Test func manyProblemsStayWithinThePluginOutputLimit() throws {
        let (model, _) = try recordedModel("healthy")
        let split = Problem(.critical, .meshSplit, cluster: "east", message: "east is cut off: no gateway to or from any of the other 2 clusters")
        let many = [split] + (0..<600).map { index in
            Problem(.critical, .missingOutbound, cluster: "east", server: "e\(index)", remoteCluster: "west",
                    message: "e\(index) (east) has no outbound gateway to west (configured)")
        }
        let text = CheckReport.render(model, problems: many).text
        let lines = text.split(separator: "\n").map(String.init)
        #expect(text.utf8.count <= CheckReport.outputLimitBytes)
        #expect(lines[0].hasPrefix("GWTOP CRITICAL - 601 critical: east is cut off") && lines[1].hasPrefix("CRITICAL mesh_split: "))
        let listed = lines.count - 2
        #expect(listed > 50, "as many as fit")
        #expect(lines.last == "... \(601 - listed) more problems not listed (monitoring systems keep 8 KiB of a check's output; gwtop --once lists them all)")
        // Under the limit, everything is listed and nothing is said about it.
        let few = CheckReport.render(model, problems: Array(many.prefix(20))).text
        #expect(few.split(separator: "\n").count == 21 && !few.contains("not listed"))
        // Exactly at the limit: the last problem needs no room kept for a line after it.
        let exact = CheckReport.render(model, problems: Array(many.prefix(3)), maxBytes: CheckReport.render(model, problems: Array(many.prefix(3))).text.utf8.count)
        #expect(!exact.text.contains("not listed"))
    }

    /// Everything after a `|` in a plugin's output is performance data: a message holding one (a split
    /// of several parts, a server's name) must not end the text there.
    @Test func noPipeOutsideThePerfdata() throws {
        let (model, _) = try recordedModel("healthy")
        let problems = [
            Problem(.critical, .meshSplit, message: "the supercluster is split in 2 parts with no gateway between them: a, b | c, d"),
            Problem(.warning, .highRTT, server: "odd|name", message: "odd|name (east) RTT 400ms"),
        ]
        let lines = CheckReport.render(model, problems: problems).text.split(separator: "\n")
        #expect(lines[0].filter { $0 == "|" }.count == 1 && lines[0].contains("a, b / c, d |"), "\(lines[0])")
        #expect(lines.dropFirst().allSatisfy { !$0.contains("|") } && lines[2].contains("odd/name"), "\(lines)")
    }

    @Test func warningsOnlyGiveWarning() throws {
        let (model, _) = try recordedModel("healthy")
        let problems = [Problem(.warning, .highRTT, cluster: "east", server: "e1", message: "slow"), Problem(.info, .implicitGateway, message: "i")]
        let (text, status) = CheckReport.render(model, problems: problems)
        #expect(status == .warning && status.exitCode == 1)
        #expect(text.hasPrefix("GWTOP WARNING - 1 warning: slow | "))
    }

    @Test func nothingKnownIsUnknown() {
        let empty = Supercluster(time: MonitorTime(seconds: 0), pollSequence: 1, clusters: [], pairs: [], knownClusters: [])
        #expect(CheckReport.render(empty, problems: []).status == .unknown)
    }
}

@Suite struct UnitsTests {
    @Test func humanUnits() {
        #expect(Units.count(0) == "0")
        #expect(Units.count(0.5) == "0.5")
        #expect(Units.count(999) == "999")
        #expect(Units.count(1234) == "1.2K")
        #expect(Units.count(56_789_000) == "57M")
        #expect(Units.bytes(512) == "512B")
        #expect(Units.bytes(1536) == "1.5KiB")
        #expect(Units.bytes(5 * 1_048_576) == "5.0MiB")
        #expect(Units.duration(0.000850) == "850µs")
        #expect(Units.duration(0.0012) == "1.2ms")
        #expect(Units.duration(3723) == "1h2m")
        #expect(Units.duration(95) == "1m35s")
        #expect(Units.fixed(-0.04, digits: 1) == "0.0")
    }
}
