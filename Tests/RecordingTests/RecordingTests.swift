import Foundation
import MonitorModel
@testable import Recording
import Replay
import TestSupport
import Testing
import Topology

/// Raw polls built from the recorded fixtures: what the poller hands the recorder.
func fixturePoll(_ number: Int, topology: String = "healthy", at second: Int64, failing: Set<String> = []) throws -> RecordedPoll {
    var endpoints: [EndpointRawPoll] = []
    for server in try Fixtures.servers(topology: topology) {
        var responses: [RawResponse] = []
        for kind in MonitorEndpointKind.fullSet {
            if failing.contains(server.name) {
                responses.append(RawResponse(kind: kind, statusCode: nil, body: Data(),
                                             failure: EndpointFailure(.refused, "connection refused by \(server.monitor_url)"), elapsed: 0.001))
                continue
            }
            guard let body = try? Fixtures.data("\(topology)/poll-\(number)/\(server.name)/\(kind.rawValue).json") else { continue }
            responses.append(RawResponse(kind: kind, statusCode: 200, body: body, elapsed: 0.004))
        }
        endpoints.append(EndpointRawPoll(
            endpoint: EndpointIdentity(displayURL: server.monitor_url, name: server.name),
            observedAt: MonitorTime(seconds: second, nanoseconds: 123_456_789), responses: responses))
    }
    return RecordedPoll(
        sequence: Int(second), startedAt: MonitorTime(seconds: second), finishedAt: MonitorTime(seconds: second, nanoseconds: 200_000_000),
        endpoints: endpoints)
}

func temporaryPath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-recording-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    TemporaryFiles.register(directory.path)
    let path = directory.appendingPathComponent(name).path
    try? FileManager.default.removeItem(atPath: path)
    return path
}

/// Writes polls 1, 2, 1, 2, … (alternating fixture polls, a second apart).
func writeRecording(_ path: String, count: Int, failingAt: [Int: Set<String>] = [:]) throws -> [RecordedPoll] {
    let writer = try RecordingWriter(path: path)
    var polls: [RecordedPoll] = []
    for index in 0..<count {
        let poll = try fixturePoll(index % 2 + 1, at: 1_800_000_000 + Int64(index), failing: failingAt[index] ?? [])
        try writer.append(poll)
        polls.append(poll)
    }
    return polls
}

@Suite struct RecordingFormatTests {
    /// A full poll is one that asked every endpoint `/varz`: one that asked a server `/gatewayz` without
    /// accounts in place of an unusable `/gatewayz?accs=1` is still full (a replay that jumps starts from it).
    @Test func aPollIsFullWhenEveryEndpointWasAskedEverything() {
        func endpoint(_ name: String, _ kinds: [MonitorEndpointKind]) -> EndpointRawPoll {
            EndpointRawPoll(
                endpoint: EndpointIdentity(displayURL: "http://\(name)"), observedAt: MonitorTime(seconds: 1),
                responses: kinds.map { RawResponse(kind: $0, statusCode: 200, body: Data("{}".utf8)) })
        }
        func poll(_ endpoints: [EndpointRawPoll]) -> RecordedPoll {
            RecordedPoll(sequence: 1, startedAt: MonitorTime(seconds: 1), finishedAt: MonitorTime(seconds: 1), endpoints: endpoints)
        }
        #expect(poll([endpoint("a", MonitorEndpointKind.fullSet), endpoint("b", [.varz, .gatewayzLinks, .routez, .healthz])]).isFull)
        #expect(!poll([endpoint("a", MonitorEndpointKind.fullSet), endpoint("b", [.gatewayzLinks])]).isFull)
        #expect(!poll([endpoint("a", [.gatewayzLinks, .healthz]), endpoint("b", [.gatewayzLinks])]).isFull)
    }

    @Test func roundTripKeepsEveryResponseExactly() throws {
        let path = temporaryPath("roundtrip.gwtoprec")
        var polls = try writeRecording(path, count: 3)
        // A body that is not UTF-8 and a transport failure survive too.
        let writer = try RecordingWriter(path: path)
        var odd = try fixturePoll(1, at: 1_800_000_010)
        odd.endpoints[0].responses[0] = RawResponse(kind: .varz, statusCode: 502, body: Data([0xFF, 0xFE, 0x00, 0x41]), elapsed: 0.25)
        odd.endpoints[1].responses[1] = RawResponse(kind: .gatewayz, statusCode: nil, body: Data(), failure: EndpointFailure(.timeout, "timed out after 2s"), elapsed: 2)
        // Why a server's accounts were not had, as shown live: the responses alone no longer say.
        odd.endpoints[2].accountsNotHad = DecodedResponses.accountsNotHad(EndpointFailure(.http, "HTTP 403 from /gatewayz"))
        try writer.append(odd)
        polls.append(odd)

        let recording = try Recording(path: path)
        #expect(recording.warnings.isEmpty)
        #expect(recording.count == 4)
        for (index, poll) in polls.enumerated() {
            #expect(try recording.poll(at: index) == poll)
            #expect(recording.time(at: index) == poll.finishedAt)
        }
    }

    /// A replay shows why a server's accounts were not had where the live poll did, on a server that
    /// answered (the reason is no one's on a failed one).
    @Test func aReplayShowsWhyAccountsWereNotHadAsLiveDid() throws {
        let reason = DecodedResponses.accountsNotHad(EndpointFailure(.http, "HTTP 403 from /gatewayz"))
        var poll = try fixturePoll(1, at: 1_800_000_000, failing: ["w1"])
        for index in poll.endpoints.indices where ["e1", "w1"].contains(poll.endpoints[index].endpoint.name) {
            poll.endpoints[index].accountsNotHad = reason
        }
        let path = temporaryPath("accounts-not-had.gwtoprec")
        try RecordingWriter(path: path).append(poll)
        let replayed = try Recording(path: path).poll(at: 0)
        var carried = CarriedDocuments()
        let snapshot = replayed.snapshot(carrying: &carried)
        func partial(_ name: String) -> [String]? { snapshot.observations.first { $0.endpoint.name == name }?.partialFailures }
        #expect(partial("e1") == [reason])
        #expect(partial("e2") == [])
        #expect(partial("w1")?.contains(reason) == false, "w1 did not answer: its failure says why, not its accounts")
        #expect(replayed.endpoints.first { $0.endpoint.name == "e1" }?.observation.partialFailures == [reason])
    }

    /// Records are written in format 2 (the JSON, then the bodies as bytes); format 1 records, with each
    /// body a string (or base64) inside the JSON, as gwtop wrote them before, still read the same. A file
    /// may hold both: an old recording appended to by a newer gwtop.
    @Test func bothPayloadFormatsReadTheSame() throws {
        let poll = try fixturePoll(1, at: 1_800_000_000)
        let payload = try poll.encodedPayload()
        #expect(payload.prefix(4).elementsEqual(Array("GRP2".utf8)))
        #expect(try RecordedPoll(payload: payload) == poll)

        let binary = Data([0xFF, 0xFE, 0x00, 0x41])
        let text = String(decoding: poll.endpoints[0].responses[0].body, as: UTF8.self)
        let bodyString = String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
        let formatOne = #"{"format":1,"sequence":7,"started_ns":5,"finished_ns":6,"endpoints":[{"url":"http://a:8222","observed_ns":6,"responses":["#
            + #"{"kind":"varz","status":200,"elapsed":0.5,"body":\#(bodyString)},"#
            + #"{"kind":"routez","status":502,"elapsed":0.25,"body_base64":"\#(binary.base64EncodedString())"},"#
            + #"{"kind":"gatewayz","elapsed":2,"failure_reason":"timeout","failure":"timed out after 2s"}]}]}"#
        var data = RecordingFormat.fileHeader()
        data.append(try RecordingFormat.frame(payload: Data(formatOne.utf8), timeNanoseconds: 6))
        data.append(try RecordingFormat.frame(payload: payload, timeNanoseconds: poll.finishedAt.nanosecondsSince1970))
        let recording = try Recording(path: "mixed", data: data)
        #expect(recording.warnings.isEmpty)
        let old = try recording.poll(at: 0)
        #expect(old.sequence == 7 && old.endpoints.count == 1)
        #expect(old.endpoints[0].responses[0].body == poll.endpoints[0].responses[0].body)
        #expect(old.endpoints[0].responses[1].body == binary && old.endpoints[0].responses[1].statusCode == 502)
        #expect(old.endpoints[0].responses[2].failure == EndpointFailure(.timeout, "timed out after 2s"))
        #expect(try recording.poll(at: 1) == poll)
    }

    /// A format 2 record whose JSON points outside its bodies, or claims more JSON than there is, is
    /// unreadable with a reason (the CRC only says the bytes are as written, not that the writer was right).
    @Test func formatTwoPayloadsThatPointOutsideThemselvesAreRejected() throws {
        func payload(json: String, bodies: String, claimedLength: Int? = nil) -> Data {
            var data = Data("GRP2".utf8)
            let length = UInt32(claimedLength ?? json.utf8.count)
            withUnsafeBytes(of: length.littleEndian) { data.append(contentsOf: $0) }
            return data + Data(json.utf8) + Data(bodies.utf8)
        }
        let json = #"{"format":2,"sequence":1,"started_ns":0,"finished_ns":1,"endpoints":[{"url":"u","observed_ns":1,"responses":[{"kind":"varz","elapsed":0,"body_at":2,"body_bytes":9}]}]}"#
        #expect { _ = try RecordedPoll(payload: payload(json: json, bodies: "{}abc")) } throws: {
            "\($0)".contains("a body at 2 of 9 bytes, outside the record's 5")
        }
        #expect(try RecordedPoll(payload: payload(json: json, bodies: "..{\"a\":123}..")).endpoints[0].responses[0].body == Data(#"{"a":123}"#.utf8))
        #expect { _ = try RecordedPoll(payload: payload(json: json, bodies: "", claimedLength: 5000)) } throws: {
            "\($0)".contains("record claims 5000 bytes of JSON")
        }
        // Half a reference, or a body inside the JSON, is not format 2.
        let halfReference = json.replacingOccurrences(of: #","body_bytes":9"#, with: "")
        let bodyInside = json.replacingOccurrences(of: #""body_at":2,"body_bytes":9"#, with: #""body":"{}""#)
        for broken in [halfReference, bodyInside] {
            #expect { _ = try RecordedPoll(payload: payload(json: broken, bodies: "..{\"a\":123}..")) } throws: {
                "\($0)".contains("must give body_at and body_bytes together, and no body in its JSON")
            }
        }
        // A JSON-only payload that says format 2, and a format 1 record pointing into bodies it has not.
        #expect { _ = try RecordedPoll(payload: Data(json.utf8)) } throws: { "\($0)".contains("says format 2 but is laid out as format 1") }
        let formatOne = json.replacingOccurrences(of: #""format":2"#, with: #""format":1"#)
        #expect { _ = try RecordedPoll(payload: Data(formatOne.utf8)) } throws: { "\($0)".contains("a format 1 response with body_at or body_bytes") }
        // The other way round: laid out as format 2, saying format 1; and a format no gwtop wrote.
        #expect { _ = try RecordedPoll(payload: payload(json: formatOne, bodies: "")) } throws: { "\($0)".contains("says format 1 but is laid out as format 2") }
        let formatThree = json.replacingOccurrences(of: #""format":2"#, with: #""format":3"#)
        #expect { _ = try RecordedPoll(payload: payload(json: formatThree, bodies: "")) } throws: { "\($0)".contains("record format 3 is not supported") }
    }

    @Test func appendingToAnExistingRecordingContinuesIt() throws {
        let path = temporaryPath("append.gwtoprec")
        _ = try writeRecording(path, count: 2)
        let writer = try RecordingWriter(path: path)
        try writer.append(try fixturePoll(1, at: 1_800_000_100))
        #expect(try Recording(path: path).count == 3)
    }

    @Test func refusesToAppendToAFileThatIsNotARecording() throws {
        let path = temporaryPath("notes.txt")
        try Data("my precious notes\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try RecordingWriter(path: path)
        } throws: { error in
            "\(error)".contains("is not a gwtop recording") && "\(error)".contains("refusing to append")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "my precious notes\n")
    }

    @Test func recordingIsPrivateToItsOwner() throws {
        let path = temporaryPath("mode.gwtoprec")
        _ = try writeRecording(path, count: 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func openingSomethingElseSaysWhatIsWrong() throws {
        let empty = temporaryPath("empty.gwtoprec")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect { _ = try Recording(path: empty) } throws: { "\($0)".contains("the file is empty") }
        let text = temporaryPath("text.gwtoprec")
        try Data("{\"not\": \"a recording\"}".utf8).write(to: URL(fileURLWithPath: text))
        #expect { _ = try Recording(path: text) } throws: { "\($0)".contains("does not start with a gwtop recording header") }
        #expect { _ = try Recording(path: temporaryPath("missing.gwtoprec")) } throws: { "\($0)".contains("cannot read recording") }
        let future = temporaryPath("future.gwtoprec")
        var header = RecordingFormat.fileHeader()
        header[8] = 9
        try header.write(to: URL(fileURLWithPath: future))
        #expect { _ = try Recording(path: future) } throws: { "\($0)".contains("version 9 is not supported") }
    }

    /// What a recorder killed mid-write leaves: every cut inside the last record replays the records
    /// before it and warns about the torn end.
    @Test func everyCutInsideTheLastRecordReplaysTheCompleteOnes() throws {
        let path = temporaryPath("cut.gwtoprec")
        _ = try writeRecording(path, count: 3)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let scan = try RecordingFormat.scan(whole)
        let lastStart = scan.frames[2].offset
        // Every byte of the header, then a spread of cuts through the payload.
        let cuts = Array(lastStart + 1 ..< lastStart + RecordingFormat.recordHeaderSize + 2)
            + stride(from: lastStart + RecordingFormat.recordHeaderSize, to: whole.count, by: max(1, (whole.count - lastStart) / 50)).map { $0 }
        for cut in cuts {
            let recording = try Recording(path: "cut@\(cut)", data: whole.prefix(cut))
            #expect(recording.count == 2, "cut at \(cut)")
            #expect(recording.warnings.count == 1 && recording.warnings[0].contains("incomplete record"), "cut at \(cut): \(recording.warnings)")
        }
        // A cut exactly at a record boundary is simply a shorter recording.
        let clean = try Recording(path: "boundary", data: whole.prefix(lastStart))
        #expect(clean.count == 2 && clean.warnings.isEmpty)
    }

    @Test func damageInTheMiddleCostsOnlyTheDamagedRecord() throws {
        let path = temporaryPath("damaged.gwtoprec")
        let polls = try writeRecording(path, count: 5)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let frames = try RecordingFormat.scan(data).frames
        // Flip a byte inside the payload of record 2 (index 1), and one inside the header of record 4 (index 3).
        data[frames[1].offset + RecordingFormat.recordHeaderSize + 40] ^= 0x55
        data[frames[3].offset + 6] ^= 0x01
        let recording = try Recording(path: "damaged", data: data)
        #expect(recording.count == 3)
        #expect(try recording.poll(at: 0) == polls[0])
        #expect(try recording.poll(at: 1) == polls[2])
        #expect(try recording.poll(at: 2) == polls[4])
        #expect(recording.warnings.count == 2)
        #expect(recording.warnings.allSatisfy { $0.contains("damaged bytes at offset") && $0.contains("the records after them replay") })
    }

    @Test func garbageBetweenRecordsIsSkipped() throws {
        let path = temporaryPath("garbage.gwtoprec")
        _ = try writeRecording(path, count: 1)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.append(Data("GREC this is not a record GRE".utf8))
        data.append(try RecordingFormat.frame(payload: try fixturePoll(2, at: 1_800_000_001).encodedPayload(), timeNanoseconds: 1_800_000_001_000_000_000))
        let recording = try Recording(path: "garbage", data: data)
        #expect(recording.count == 2)
        #expect(recording.warnings.count == 1)
    }

    @Test func nothingReadableIsAnError() throws {
        var data = RecordingFormat.fileHeader()
        data.append(Data(repeating: 0x47, count: 100))
        #expect { _ = try Recording(path: "junk", data: data) } throws: { "\($0)".contains("holds no complete record") }
    }

    @Test func indexAtOrBeforeFindsTheRecordShownAtATime() throws {
        let path = temporaryPath("index.gwtoprec")
        _ = try writeRecording(path, count: 5)
        let recording = try Recording(path: path)
        #expect(recording.index(atOrBefore: MonitorTime(seconds: 1_700_000_000)) == 0)
        #expect(recording.index(atOrBefore: MonitorTime(seconds: 1_800_000_002, nanoseconds: 200_000_000)) == 2)
        #expect(recording.index(atOrBefore: MonitorTime(seconds: 1_800_000_002, nanoseconds: 199_000_000)) == 1)
        // The millisecond gwtop prints is enough to name a record.
        #expect(recording.index(atOrBefore: try MonitorTime(rfc3339: recording.time(at: 3).rfc3339)) == 3)
        #expect(recording.index(atOrBefore: MonitorTime(seconds: 1_900_000_000)) == 4)
    }
}

@Suite struct RecordingSecretsTests {
    /// A server can put credentials in what it reports (a gateway URL with user:password); an endpoint
    /// URL can carry basic auth. Neither may reach the file, compressed or not.
    @Test func noCredentialIsEverWritten() throws {
        let path = temporaryPath("secrets.gwtoprec")
        var poll = try fixturePoll(1, at: 1_800_000_000)
        poll.endpoints[0].endpoint.displayURL = "http://admin:Hunter2Secret@127.0.0.1:8222"
        var varz = String(decoding: poll.endpoints[0].responses[0].body, as: UTF8.self)
        varz = varz.replacingOccurrences(of: "\"gateway\": {", with: "\"leak\": \"nats://gwuser:Sw0rdfish9@10.0.0.1:7222, tls://x:Pa55w0rdZ@h\",\n\"gateway\": {")
        poll.endpoints[0].responses[0].body = Data(varz.utf8)
        poll.endpoints[1].responses[1] = RawResponse(kind: .gatewayz, statusCode: nil, body: Data(),
                                                     failure: EndpointFailure(.refused, "refused by http://u:TopSecret77@h:1"))
        poll.endpoints[2].accountsNotHad = DecodedResponses.accountsNotHad(EndpointFailure(.http, "HTTP 407 from http://p:Pr0xyPass@proxy/gatewayz"))
        let writer = try RecordingWriter(path: path)
        try writer.append(poll)

        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        var everything = raw
        for frame in try RecordingFormat.scan(raw).frames { everything.append(try frame.inflate()) }
        let text = String(decoding: everything, as: UTF8.self)
        for secret in ["Hunter2Secret", "Sw0rdfish9", "Pa55w0rdZ", "TopSecret77", "Pr0xyPass"] {
            #expect(!text.contains(secret), "\(secret) reached the recording")
        }
        let replayed = try Recording(path: path).poll(at: 0)
        #expect(replayed.endpoints[0].endpoint.displayURL == "http://***@127.0.0.1:8222")
        #expect(String(decoding: replayed.endpoints[0].responses[0].body, as: UTF8.self).contains("nats://***@10.0.0.1:7222, tls://***@h"))
        #expect(replayed.endpoints[1].responses[1].failure?.message == "refused by http://***@h:1")
        #expect(replayed.endpoints[2].accountsNotHad?.contains("HTTP 407 from http://***@proxy/gatewayz") == true)
    }

    /// Bodies are JSON: a URL may be written with escaped slashes, an escaped quote in the password, or
    /// an escaped at sign. None of those may carry a password through.
    @Test func redactionSeesThroughJSONEscapes() {
        let body = #"{"a":"nats:\/\/bob:slashsecret@h2:7222","b":"nats://carol:quote\"secret@h3","c":"tls://dave:pw\u0040x\u0040h4","d":"nats:\/\/plain.host:4222"}"#
        let redacted = String(decoding: CredentialRedaction.redactUserInfo(inBytes: Data(body.utf8)), as: UTF8.self)
        for secret in ["slashsecret", "quote", "dave", "pw"] { #expect(!redacted.contains(secret), "\(secret): \(redacted)") }
        #expect(redacted.contains(#"nats:\/\/***@h2:7222"#))
        #expect(redacted.contains(#"nats://***@h3"#))
        #expect(redacted.contains(#"tls://***\u0040h4"#))
        #expect(redacted.contains(#"nats:\/\/plain.host:4222"#))
        // Still valid JSON, still the same document apart from the user-info.
        #expect((try? JSONSerialization.jsonObject(with: Data(redacted.utf8))) != nil)
    }

    @Test func redactionLeavesOrdinaryTextAlone() {
        let text = "http://127.0.0.1:8222/varz and nats://host:4222 and mailto user@example.com"
        #expect(CredentialRedaction.redactUserInfoInText(text) == text)
        #expect(CredentialRedaction.redactUserInfoInText("a nats://u:p@h:1/x b") == "a nats://***@h:1/x b")
        #expect(CredentialRedaction.redactUserInfoInText("\"nats://***@h\"") == "\"nats://***@h\"")
    }
}

@Suite struct ReplayTests {
    @Test func replayDerivesTheSameEventsAsLive() throws {
        let path = temporaryPath("events.gwtoprec")
        // e2's endpoint is down in records 3 and 4, back in 5.
        let polls = try writeRecording(path, count: 6, failingAt: [3: ["e2"], 4: ["e2"]])
        let replay = ReplayTimeline(recording: try Recording(path: path))
        let outcome = replay.run(0...5)
        #expect(outcome.warnings.isEmpty)
        #expect(outcome.frames.count == 6)

        var live = MeshTimeline()
        var carried = CarriedDocuments()
        for poll in polls { _ = live.advance(poll.snapshot(carrying: &carried)) }
        #expect(outcome.events == live.events)
        let kinds = outcome.events.map(\.kind)
        #expect(kinds.contains(.endpointDown) && kinds.contains(.endpointUp))
        let down = try #require(outcome.events.first { $0.kind == .endpointDown })
        #expect(down.time == polls[3].finishedAt)
        #expect(down.server == "e2")
        #expect(down.message.contains("stopped answering"))
    }

    /// Polls between full ones carry /varz and /routez over from the last full poll: a replay that starts
    /// on one of them reads back to that full poll first, so its first frame is as complete as live.
    @Test func replayFromTheMiddleFindsTheFullPollBefore() throws {
        let path = temporaryPath("frequent.gwtoprec")
        let writer = try RecordingWriter(path: path)
        // Records 0 and 4 are full; the others asked only /gatewayz (no accounts) and /healthz, as
        // gwtop did before /healthz moved to full polls (such recordings still replay).
        for index in 0..<7 {
            var poll = try fixturePoll(index % 2 + 1, at: 1_800_000_000 + Int64(index))
            if index % 4 != 0 {
                for endpoint in poll.endpoints.indices {
                    poll.endpoints[endpoint].responses = poll.endpoints[endpoint].responses.compactMap { response in
                        var frequent = response
                        switch response.kind {
                        case .gatewayz: frequent.kind = .gatewayzLinks
                        case .healthz: break
                        default: return nil
                        }
                        return frequent
                    }
                }
            }
            #expect(poll.isFull == (index % 4 == 0))
            try writer.append(poll)
        }
        let replay = ReplayTimeline(recording: try Recording(path: path))
        func complete(_ frame: ReplayTimeline.Frame?) -> Bool {
            guard let servers = frame?.step.model.servers.filter(\.polled), servers.count == 5 else { return false }
            return servers.allSatisfy { $0.reachable && $0.version != nil && $0.gateway != nil }
        }
        let whole = replay.run(0...6)
        #expect(whole.frames.count == 7 && whole.frames.allSatisfy(complete))
        for start in 1...6 {
            let middle = replay.run(start...6)
            #expect(middle.frames.first?.index == start)
            #expect(complete(middle.frames.first), "a replay from record \(start)")
            // With a record before the last one, the last frame (rates included) is the whole replay's.
            let same = start == 6 || middle.frames.last?.step.model == whole.frames.last?.step.model
            #expect(same, "from record \(start)")
        }
        // Without the full poll before it, a frequent record alone cannot be shown as complete.
        var cursor = ReplayTimeline.Cursor(timeline: MeshTimeline())
        #expect(!complete(try replay.advance(&cursor, index: 2)))
    }

    @Test func stateAtATimeHasEveryEventUpToItAndNoneAfter() throws {
        let path = temporaryPath("at.gwtoprec")
        let polls = try writeRecording(path, count: 6, failingAt: [3: ["e2"], 4: ["e2"]])
        let replay = ReplayTimeline(recording: try Recording(path: path))
        let (frame, events, _) = replay.state(at: polls[3].finishedAt)
        #expect(frame?.index == 3)
        #expect(frame?.step.model.servers.first { $0.name == "e2" }?.reachable == false)
        #expect(events.contains { $0.kind == .endpointDown })
        #expect(!events.contains { $0.kind == .endpointUp })
        #expect(events.allSatisfy { $0.time <= polls[3].finishedAt })
        // Rates come from the records around the time: record 3's rates use record 2 as the previous poll.
        #expect(frame?.step.model.servers.first { $0.name == "e1" }?.rates != nil)
    }

    /// A last record that passes its checksums but does not decode: the state is the one before it.
    @Test func anUnreadableLastRecordLeavesThePreviousState() throws {
        let path = temporaryPath("badlast.gwtoprec")
        let polls = try writeRecording(path, count: 3)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.append(try RecordingFormat.frame(payload: Data(#"{"format":1,"sequence":9,"started_ns":0,"finished_ns":1,"endpoints":[{"url":"u","observed_ns":1,"responses":[{"kind":"\u001b]0;PWNED\u0007","elapsed":0}]}]}"#.utf8),
                                              timeNanoseconds: 1_900_000_000_000_000_000))
        let recording = try Recording(path: "badlast", data: data)
        #expect(recording.count == 4)
        let (frame, _, warnings) = ReplayTimeline(recording: recording).state(at: recording.endTime)
        #expect(frame?.index == 2)
        #expect(frame?.step.model.time == polls[2].finishedAt)
        #expect(warnings.count == 1 && warnings[0].contains("unknown endpoint kind"))
    }

    @Test func timeSpecsResolveAgainstTheRecording() throws {
        let start = MonitorTime(seconds: 1_800_000_000)
        let end = MonitorTime(seconds: 1_800_000_600)
        #expect(try ReplayTimeSpec.resolve("+90s", start: start, end: end) == MonitorTime(seconds: 1_800_000_090))
        #expect(try ReplayTimeSpec.resolve("+1m30s", start: start, end: end) == MonitorTime(seconds: 1_800_000_090))
        #expect(try ReplayTimeSpec.resolve("-5m", start: start, end: end) == MonitorTime(seconds: 1_800_000_300))
        #expect(try ReplayTimeSpec.resolve("2027-01-15T08:00:00Z", start: start, end: end) == MonitorTime(rfc3339: "2027-01-15T08:00:00Z"))
        #expect { _ = try ReplayTimeSpec.resolve("+banana", start: start, end: end) } throws: { "\($0)".contains("is not an offset") }
        // Far past any recording: an error, not a trap in a conversion.
        #expect { _ = try ReplayTimeSpec.resolve("+99999999999999999999y", start: start, end: end) } throws: { "\($0)".contains("too far") }
        // Offsets are exact to the nanosecond: +0s is the first record, whatever its nanoseconds.
        let odd = MonitorTime(seconds: 1_800_000_000, nanoseconds: 902_018_309)
        #expect(try ReplayTimeSpec.resolve("+0s", start: odd, end: end) == odd)
        // The start as gwtop prints it (milliseconds) is inside the recording.
        let printed = try MonitorTime(rfc3339: odd.rfc3339)
        #expect(printed < odd)
        #expect(ReplayTimeSpec.isWithin(printed, start: odd, end: end))
        #expect(!ReplayTimeSpec.isWithin(MonitorTime(seconds: 1_799_999_999), start: odd, end: end))
        #expect { _ = try ReplayTimeSpec.resolve("yesterday", start: start, end: end) } throws: { "\($0)".contains("neither RFC 3339") }
    }
}

/// A recording is a file from disk, perhaps a damaged one: no mutation of it may crash or hang the
/// reader, and whatever it yields must decode or be skipped with a warning.
@Suite struct RecordingFuzzTests {
    @Test func mutatedRecordingsNeverCrashTheReader() async throws {
        let path = temporaryPath("fuzz.gwtoprec")
        _ = try writeRecording(path, count: 4, failingAt: [2: ["e1"]])
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var random = SeededGenerator(seed: 0x6777_746F_7072_6563)
        var opened = 0
        for round in 0..<1500 {
            var bytes = original
            for _ in 0...random.below(6) {
                switch random.below(5) {
                case 0: bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8))
                case 1: bytes[random.below(bytes.count)] = UInt8(random.below(256))
                case 2: bytes.removeSubrange(random.below(bytes.count)..<bytes.count)
                case 3:
                    let at = random.below(bytes.count)
                    bytes.insert(contentsOf: Array("GREC".utf8) + (0..<random.below(40)).map { _ in UInt8(random.below(256)) }, at: at)
                default:
                    let from = random.below(bytes.count)
                    let length = min(random.below(64), bytes.count - from)
                    bytes.insert(contentsOf: bytes[from..<from + length], at: random.below(bytes.count))
                }
                if bytes.isEmpty { bytes = original }
            }
            guard let recording = try? Recording(path: "fuzz#\(round)", data: Data(bytes)) else { continue }
            opened += 1
            #expect(recording.count >= 1)
            let outcome = ReplayTimeline(recording: recording).run(0...(recording.count - 1), keepFrames: false)
            #expect(outcome.frames.count + outcome.warnings.count >= 1)
            if round % 100 == 0 { await Task.yield() }
        }
        // Most mutations leave some records readable: the reader salvages rather than gives up.
        #expect(opened > 750, "\(opened) of 1500 mutated recordings opened")
    }
}
