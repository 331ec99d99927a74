import Testing
@testable import NatsAuth

@Suite struct NKeyTests {
    // Vector from the NATS docs' nkey example; public key and the Ed25519
    // signature of "hello" confirmed with the Python `nkeys` 0.2.1 package:
    //   kp = nkeys.from_seed(SEED); kp.public_key; kp.sign(b"hello").hex()
    static let userSeed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"
    static let userPublic = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
    static let helloSignature = "02dc01bbc716a3b9231589948bb7db11118b1251a9e2c1860c1a3dd01de9216c"
        + "974476afa83a20b902bb69b8759051772255dd73b77449101d1402dc889af408"

    // Seeds of raw bytes 0...31 for each type, made with Python `nkeys` 0.2.1:
    //   s = nkeys.encode_seed(bytes(range(32)), prefix); nkeys.from_seed(bytearray(s)).public_key
    static let typedVectors: [(NKeyType, String, String)] = [
        (.operator, "SOAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H2AJA",
         "OAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3QZVT"),
        (.account, "SAAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4HYMHI",
         "AAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3QPZV"),
        (.server, "SNAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H2D5U",
         "NAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3RSWB"),
        (.cluster, "SCAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4HYO7Q",
         "CAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3R53J"),
        (.user, "SUAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H776Y",
         "UAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3RLKK"),
    ]

    @Test func knownUserVector() throws {
        let pair = try NKeyPair(seed: Self.userSeed)
        #expect(pair.type == .user)
        #expect(pair.publicKey == Self.userPublic)
        #expect(pair.seed == Self.userSeed)
        // Compare by verifying: Apple's CryptoKit randomizes Ed25519 signatures,
        // so only BoringSSL (Linux) reproduces Python's bytes exactly.
        let hello = Array("hello".utf8)
        #expect(try NKeyPair.verify(publicKey: Self.userPublic, signature: unhex(Self.helloSignature), data: hello))
        #expect(try NKeyPair.verify(publicKey: Self.userPublic, signature: pair.sign(hello), data: hello))
    }

    @Test(arguments: typedVectors)
    func knownTypedVectors(type: NKeyType, seed: String, publicKey: String) throws {
        let pair = try NKeyPair(seed: seed, expecting: type)
        #expect(pair.type == type)
        #expect(pair.publicKey == publicKey)
        #expect(pair.seed == seed)
        let (decodedType, raw) = try NKeyPair.decodePublicKey(publicKey)
        #expect(decodedType == type)
        #expect(raw.count == 32)
    }

    @Test(arguments: NKeyType.allCases)
    func generateRoundTrips(type: NKeyType) throws {
        let pair = NKeyPair.generate(type)
        #expect(pair.seed.count == 58)
        #expect(pair.seed.hasPrefix("S\(pair.type.letter)"))
        #expect(pair.publicKey.count == 56)
        #expect(pair.publicKey.first == type.letter)
        let again = try NKeyPair(seed: pair.seed)
        #expect(again.publicKey == pair.publicKey)
        #expect(again.type == type)
    }

    @Test func signAndVerify() throws {
        let pair = NKeyPair.generate(.user)
        let data = Array("nonce-ABC".utf8)
        let signature = pair.sign(data)
        #expect(signature.count == 64)
        #expect(try NKeyPair.verify(publicKey: pair.publicKey, signature: signature, data: data))
        #expect(try !NKeyPair.verify(publicKey: pair.publicKey, signature: signature, data: Array("other".utf8)))
        let other = NKeyPair.generate(.user)
        #expect(try !NKeyPair.verify(publicKey: other.publicKey, signature: signature, data: data))
    }

    @Test func nonceIsSignedAsItsTextBytes() throws {
        let pair = try NKeyPair(seed: Self.userSeed)
        let nonce = "ZWRtZ0ZzWjJDZnFJbGc"
        let sig = try Base64URL.decode(pair.signNonce(nonce))
        #expect(!pair.signNonce(nonce).contains("="))
        #expect(try NKeyPair.verify(publicKey: Self.userPublic, signature: sig, data: Array(nonce.utf8)))
    }

    @Test func checksumCorruptionDetected() {
        // Change one character to another valid base32 character.
        var chars = Array(Self.userSeed)
        chars[20] = chars[20] == "A" ? "B" : "A"
        let corrupted = String(chars)
        #expect(throws: NKeyError("not a valid NKey seed: checksum mismatch")) {
            try NKeyPair(seed: corrupted)
        }
        #expect(throws: NKeyError("not a valid NKey public key: checksum mismatch")) {
            try NKeyPair.decodePublicKey("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF5")
        }
    }

    @Test func wrongTypeRejected() {
        let account = Self.typedVectors[1].1
        #expect(throws: NKeyError("expected a user seed (SU...), got an account seed (SA...)")) {
            try NKeyPair(seed: account, expecting: .user)
        }
        #expect(throws: NKeyError("expected an account seed (SA...), got a user seed (SU...)")) {
            try NKeyPair(seed: Self.userSeed, expecting: .account)
        }
        #expect(throws: NKeyError("expected an account public key (A...), got a user public key (U...)")) {
            try NKeyPair.decodePublicKey(Self.userPublic, expecting: .account)
        }
    }

    @Test func publicKeyIsNotASeed() {
        #expect(throws: NKeyError("not a valid NKey seed: got a user public key (U...) instead")) {
            try NKeyPair(seed: Self.userPublic)
        }
        #expect(throws: NKeyError("not a valid NKey public key: got a seed, which must be kept secret")) {
            try NKeyPair.decodePublicKey(Self.userSeed)
        }
    }

    @Test func toleratesSurroundingWhitespace() throws {
        #expect(try NKeyPair(seed: "  \(Self.userSeed)\r\n").publicKey == Self.userPublic)
    }

    @Test func errorsNeverContainTheSeed() {
        var corrupt = Array(Self.userSeed)
        corrupt[10] = corrupt[10] == "A" ? "B" : "A"
        let bad = [
            String(corrupt),                         // checksum
            String(Self.userSeed.dropLast(8)),       // wrong length
            Self.userSeed.lowercased(),              // invalid characters
            Self.userSeed + "x",                     // invalid character at the end
            String(Self.userSeed.dropLast()) + "1",  // '1' is not base32
        ]
        for text in bad {
            do {
                _ = try NKeyPair(seed: text, expecting: .account)
                Issue.record("accepted a bad seed")
            } catch {
                let message = "\(error)"
                #expect(message.hasPrefix("not a valid NKey seed") || message.hasPrefix("expected"))
                #expect(!message.contains(text))
                #expect(!message.contains(Self.userSeed.dropFirst(2).prefix(12)))
            }
        }
        do {
            _ = try NKeyPair(seed: Self.userSeed, expecting: .account)
        } catch {
            #expect(!"\(error)".contains(Self.userSeed))
        }
    }

    @Test func descriptionsHideTheSeed() throws {
        let pair = try NKeyPair(seed: Self.userSeed)
        let seedTail = String(Self.userSeed.dropFirst(2))
        for text in ["\(pair)", String(reflecting: pair), dumped(pair), "\([pair])"] {
            #expect(text.contains(Self.userPublic))
            #expect(!text.contains(seedTail))
        }
    }
}

func unhex(_ text: String) -> [UInt8] {
    let chars = Array(text)
    return stride(from: 0, to: chars.count, by: 2).map { UInt8(String(chars[$0...$0 + 1]), radix: 16)! }
}

func dumped(_ value: some Any) -> String {
    var out = ""
    dump(value, to: &out)
    return out
}
