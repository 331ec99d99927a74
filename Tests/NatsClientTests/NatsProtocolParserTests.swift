import Foundation
import NIOCore
import Testing

@testable import NatsClient

struct NatsProtocolParserTests {
    func parseAll(_ chunks: [String], parser: inout NatsProtocolParser) throws -> [NatsServerOperation] {
        var operations: [NatsServerOperation] = []
        for chunk in chunks {
            parser.append(Array(chunk.utf8))
            while let operation = try parser.next() { operations.append(operation) }
        }
        return operations
    }

    @Test func controlLinesAndMessages() throws {
        var parser = NatsProtocolParser()
        let operations = try parseAll([
            "INFO {\"server_id\":\"NABC\",\"server_name\":\"e1\",\"nonce\":\"xyz\",\"tls_required\":false,\"max_payload\":1048576}\r\n",
            "PING\r\nPONG\r\n+OK\r\n-ERR 'Authorization Violation'\r\n",
            "MSG foo.bar 7 5\r\nhello\r\n", "MSG foo 8 _INBOX.x 0\r\n\r\n",
        ], parser: &parser)
        #expect(operations.count == 7)
        guard case .info(let info) = operations[0] else { Issue.record("no INFO"); return }
        #expect(info.serverID == "NABC" && info.serverName == "e1" && info.nonce == "xyz" && info.maxPayload == 1_048_576)
        #expect(operations[1] == .ping && operations[2] == .pong && operations[3] == .ok)
        #expect(operations[4] == .error("Authorization Violation"))
        #expect(operations[5] == .message(NatsMessage(subject: "foo.bar", subscriptionID: 7, payload: Data("hello".utf8))))
        #expect(operations[6] == .message(NatsMessage(subject: "foo", subscriptionID: 8, replyTo: "_INBOX.x", payload: Data())))
    }

    /// Bytes arrive as the network delivers them: every split point of a stream gives the same operations.
    @Test func everySplitPointGivesTheSameOperations() throws {
        let stream = "MSG a 1 3\r\nabc\r\nHMSG b 2 r 18 20\r\nNATS/1.0\r\nK: v\r\n\r\nhi\r\nPING\r\nMSG c 3 4\r\n\r\n\r\n\r\n"
        var whole = NatsProtocolParser()
        let expected = try parseAll([stream], parser: &whole)
        #expect(expected.count == 4)
        let bytes = Array(stream.utf8)
        for split in 1..<bytes.count {
            var parser = NatsProtocolParser()
            var operations: [NatsServerOperation] = []
            for part in [Array(bytes[..<split]), Array(bytes[split...])] {
                parser.append(part)
                while let operation = try parser.next() { operations.append(operation) }
            }
            #expect(operations == expected, "split at \(split)")
        }
        // The payload is taken by its length, so CRLF inside it is data.
        #expect(expected.last == .message(NatsMessage(subject: "c", subscriptionID: 3, payload: Data("\r\n\r\n".utf8))))
    }

    @Test func headersAndNoRespondersStatus() throws {
        var parser = NatsProtocolParser()
        let operations = try parseAll([
            "HMSG _INBOX.a.1 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n",
            "HMSG s 2 34 37\r\nNATS/1.0\r\nA: 1\r\nB-C: two words\r\n\r\nxyz\r\n",
        ], parser: &parser)
        guard case .message(let noResponders) = operations[0], case .message(let withHeaders) = operations[1] else {
            Issue.record("expected two messages")
            return
        }
        #expect(noResponders.status == 503 && noResponders.payload.isEmpty)
        #expect(withHeaders.status == nil)
        #expect(withHeaders.headers.map(\.name) == ["A", "B-C"] && withHeaders.headers.map(\.value) == ["1", "two words"])
        #expect(withHeaders.payload == Data("xyz".utf8))
    }

    @Test func malformedInputIsAProtocolErrorNotACrash() throws {
        for bad in [
            "MSG onlysubject\r\n", "MSG a b 3\r\n", "MSG a 1 -3\r\n", "HMSG a 1 10 5\r\n", "BOGUS\r\n",
            "INFO {not json}\r\n", "MSG a 1 3\r\nabcXY", "HMSG a 1 5 5\r\nHELLO\r\n",
        ] {
            var parser = NatsProtocolParser()
            #expect(throws: NatsProtocolError.self, "\(bad.debugDescription)") { _ = try parseAll([bad], parser: &parser) }
        }
    }

    @Test func limitsOnLineAndPayloadLength() throws {
        var parser = NatsProtocolParser(maxControlLineBytes: 64, maxPayloadBytes: 100)
        parser.append(Array(String(repeating: "x", count: 65).utf8))
        #expect(throws: NatsProtocolError.self) { _ = try parser.next() }
        // Also when the whole line, newline included, arrives in one read.
        var oneRead = NatsProtocolParser(maxControlLineBytes: 1024)
        oneRead.append(Array(("-ERR '" + String(repeating: "e", count: 100_000) + "'\r\n").utf8))
        #expect(throws: NatsProtocolError.self) { _ = try oneRead.next() }
        var small = NatsProtocolParser(maxControlLineBytes: 64, maxPayloadBytes: 100)
        small.append(Array("MSG a 1 101\r\n".utf8))
        #expect(throws: NatsProtocolError.self) { _ = try small.next() }
    }

    /// 10 MB of 100 KB replies arriving in reads that never end on a message boundary: the parser
    /// holds a bounded amount, not everything received.
    @Test func aLongBurstDoesNotAccumulate() throws {
        let payload = String(repeating: "x", count: 100_000)
        let message = Array("MSG _INBOX.a.1 1 \(payload.utf8.count)\r\n\(payload)\r\n".utf8)
        var stream: [UInt8] = []
        for _ in 0..<100 { stream += message }
        var parser = NatsProtocolParser()
        var messages = 0
        var largest = 0
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + 7_001)
            parser.append(stream[offset..<end])
            offset = end
            while let operation = try parser.next() {
                if case .message = operation { messages += 1 }
            }
            largest = max(largest, parser.retainedBytes)
        }
        #expect(messages == 100)
        #expect(largest < 300_000, "held \(largest) bytes at most")
    }

    @Test func commandsAreEncodedAndSubjectsCannotInjectCommands() throws {
        var buffer = ByteBuffer()
        try NatsClientCommand.subscribe(subject: "$SYS.SERVER.*.STATSZ", sid: 3).write(into: &buffer)
        try NatsClientCommand.publish(subject: "a.b", replyTo: "_INBOX.x.1", payload: Data("{}".utf8)).write(into: &buffer)
        try NatsClientCommand.unsubscribe(sid: 3).write(into: &buffer)
        #expect(String(buffer: buffer) == "SUB $SYS.SERVER.*.STATSZ 3\r\nPUB a.b _INBOX.x.1 2\r\n{}\r\nUNSUB 3\r\n")
        for bad in ["a b", "a\r\nPUB x 0", "", "a..b", ".a", "a.", "tab\there"] {
            var scratch = ByteBuffer()
            #expect(throws: NatsClientError.self) {
                try NatsClientCommand.publish(subject: bad, replyTo: nil, payload: Data()).write(into: &scratch)
            }
            #expect(scratch.readableBytes == 0, "nothing written for \(bad.debugDescription)")
        }
    }

    @Test func connectCarriesOnlyTheGivenCredentials() throws {
        var fields = NatsConnectFields(name: "gwtop", tlsRequired: false)
        fields.user = "sys"
        fields.pass = "pw"
        var buffer = ByteBuffer()
        try NatsClientCommand.connect(fields).write(into: &buffer)
        let line = String(buffer: buffer)
        #expect(line.hasPrefix("CONNECT {") && line.hasSuffix("}\r\n"))
        // "\r\n" is a single Character in Swift.
        let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst(8).dropLast(1).utf8)) as! [String: Any]
        #expect(json["user"] as? String == "sys" && json["pass"] as? String == "pw")
        #expect(json["auth_token"] == nil && json["nkey"] == nil && json["jwt"] == nil && json["sig"] == nil)
        #expect(json["verbose"] as? Bool == false && json["headers"] as? Bool == true && json["protocol"] as? Int == 1)
    }

    @Test func serverAddresses() throws {
        let plain = try NatsServerAddress(url: "nats://sys:s3cret@10.0.0.1:4333")
        #expect(plain.host == "10.0.0.1" && plain.port == 4333 && !plain.requiresTLS)
        #expect(plain.user == "sys" && plain.password == "s3cret")
        #expect(plain.description == "nats://10.0.0.1:4333")
        let tls = try NatsServerAddress(url: "tls://nats.example.com")
        #expect(tls.requiresTLS && tls.port == 4222 && tls.host == "nats.example.com")
        #expect(try NatsServerAddress(url: "127.0.0.1:4222").description == "nats://127.0.0.1:4222")
        for bad in ["http://x:4222", "nats://", "nats://h:0", "nats://h:4222/path", "nats://u:pw@h:99999"] {
            #expect(throws: NatsClientError.self) { try NatsServerAddress(url: bad) }
        }
        do {
            _ = try NatsServerAddress(url: "http://user:topsecret@h:1")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
        }
    }
}
