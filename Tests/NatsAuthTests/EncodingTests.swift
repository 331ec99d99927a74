import Testing
@testable import NatsAuth

@Suite struct Base32Tests {
    // RFC 4648 section 10 vectors, padding stripped.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"),
        ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI"),
    ]

    @Test(arguments: vectors)
    func rfc4648Vectors(plain: String, encoded: String) throws {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(try Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test func roundTripsEveryLength() throws {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(try Base32.decode(Base32.encode(bytes)) == bytes)
        }
    }

    @Test func rejectsInvalidCharacterNamingIt() {
        #expect(throws: NKeyError("invalid base32 character 'x' at position 5")) {
            try Base32.decode("MZXW6xTB")
        }
        #expect(throws: NKeyError("invalid base32 character '=' at position 2")) {
            try Base32.decode("MY==")
        }
        #expect(throws: NKeyError("invalid base32 character 0x0A at position 4")) {
            try Base32.decode("MZXQ\nMZX")
        }
    }

    @Test func rejectsImpossibleLength() {
        #expect(throws: NKeyError("invalid base32 length 1")) { try Base32.decode("M") }
        #expect(throws: NKeyError("invalid base32 length 3")) { try Base32.decode("MZX") }
    }
}

@Suite struct CRC16Tests {
    @Test func xmodemCheckValue() {
        // The catalogued check value of CRC-16/XMODEM.
        #expect(CRC16.checksum(Array("123456789".utf8)) == 0x31C3)
        #expect(CRC16.checksum([UInt8]()) == 0)
    }

    @Test func storedLittleEndian() {
        var bytes = Array("123456789".utf8)
        CRC16.appendChecksum(to: &bytes)
        #expect(bytes.suffix(2) == [0xC3, 0x31])
        #expect(CRC16.verifyAndStrip(bytes) == Array("123456789".utf8))
        bytes[0] ^= 1
        #expect(CRC16.verifyAndStrip(bytes) == nil)
    }
}

@Suite struct Base64URLTests {
    @Test func unpaddedURLAlphabet() throws {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x01]
        #expect(Base64URL.encode(bytes) == "-_-_AQ")
        #expect(try Base64URL.decode("-_-_AQ") == bytes)
        #expect(try Base64URL.decode("-_-_AQ==") == bytes)
        #expect(Base64URL.encode(Array(#"{"typ":"JWT","alg":"ed25519-nkey"}"#.utf8))
            == "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ")
    }

    @Test func rejectsGarbage() {
        #expect(throws: NKeyError.self) { try Base64URL.decode("a") }
        #expect(throws: NKeyError.self) { try Base64URL.decode("ab!d") }
    }
}
