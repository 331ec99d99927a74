import Foundation
import Testing
@testable import NatsAuth

@Suite struct JWTTests {
    let op = NKeyPair.generate(.operator)
    let sys = NKeyPair.generate(.account)
    let account = NKeyPair.generate(.account)
    let user = NKeyPair.generate(.user)

    func claims(_ jwt: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(NatsJWT(jwt).claimsJSON)) as? [String: Any])
    }

    @Test func structureAndSignature() throws {
        let jwt = JWTIssuer.userJWT(user: user, name: "alice", issuer: account)
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        #expect(parts[0] == "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ")
        let header = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(String(parts[0])))) as? [String: String]
        #expect(header == ["typ": "JWT", "alg": "ed25519-nkey"])
        #expect(!jwt.contains("="))

        let signature = try Base64URL.decode(String(parts[2]))
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        #expect(try NKeyPair.verify(publicKey: account.publicKey, signature: signature, data: signingInput))
        #expect(try !NKeyPair.verify(publicKey: user.publicKey, signature: signature, data: signingInput))

        let decoded = try NatsJWT(jwt)
        #expect(decoded.issuer == account.publicKey)
        #expect(decoded.subject == user.publicKey)
        #expect(decoded.name == "alice")
        #expect(decoded.type == "user")
        #expect(try decoded.verifySignature())
    }

    @Test func tamperedClaimsFailVerification() throws {
        let jwt = JWTIssuer.userJWT(user: user, name: "alice", issuer: account)
        let parts = jwt.split(separator: ".").map(String.init)
        var claims = try self.claims(jwt)
        claims["name"] = "mallory"
        let forged = try Base64URL.encode(Array(JSONSerialization.data(withJSONObject: claims)))
        #expect(try !NatsJWT([parts[0], forged, parts[2]].joined(separator: ".")).verifySignature())
    }

    @Test func userClaims() throws {
        let c = try claims(JWTIssuer.userJWT(user: user, name: "alice", issuer: account,
                                             issuedAt: Date(timeIntervalSince1970: 1_700_000_000)))
        #expect(c["iss"] as? String == account.publicKey)
        #expect(c["sub"] as? String == user.publicKey)
        #expect(c["iat"] as? Int == 1_700_000_000)
        #expect((c["jti"] as? String)?.isEmpty == false)
        let nats = try #require(c["nats"] as? [String: Any])
        #expect(nats["type"] as? String == "user")
        #expect(nats["version"] as? Int == 2)
        #expect(nats["subs"] as? Int == -1)
        #expect(nats["pub"] as? [String: Any] != nil)
    }

    @Test func accountClaims() throws {
        let c = try claims(JWTIssuer.accountJWT(account: account, name: "APP", issuer: op))
        #expect(c["iss"] as? String == op.publicKey)
        #expect(c["sub"] as? String == account.publicKey)
        let nats = try #require(c["nats"] as? [String: Any])
        #expect(nats["type"] as? String == "account")
        let limits = try #require(nats["limits"] as? [String: Any])
        #expect(limits["conn"] as? Int == -1)
        #expect(limits["wildcards"] as? Bool == true)
        #expect(limits["mem_storage"] == nil)
        let js = try claims(JWTIssuer.accountJWT(account: account, name: "APP", issuer: op, jetStream: true))
        #expect(((js["nats"] as? [String: Any])?["limits"] as? [String: Any])?["disk_storage"] as? Int == -1)
    }

    @Test func operatorClaims() throws {
        let jwt = JWTIssuer.operatorJWT(operator: op, name: "OP", systemAccount: sys.publicKey)
        let c = try claims(jwt)
        #expect(c["iss"] as? String == op.publicKey)
        #expect(c["sub"] as? String == op.publicKey)
        let nats = try #require(c["nats"] as? [String: Any])
        #expect(nats["type"] as? String == "operator")
        #expect(nats["system_account"] as? String == sys.publicKey)
        #expect(nats["signing_keys"] == nil)
        #expect(try NatsJWT(jwt).verifySignature())
    }

    @Test func credsFromIssuedJWT() throws {
        let jwt = JWTIssuer.userJWT(user: user, name: "alice", issuer: account)
        let creds = try NatsCredentials.parse(NatsCredentials.format(jwt: jwt, seed: user))
        #expect(creds.jwt == jwt)
        #expect(try NatsJWT(creds.jwt).subject == creds.seed.publicKey)
    }

    @Test func rejectsNonJWT() {
        #expect(throws: NKeyError("not a JWT: expected three dot-separated parts, got 2")) {
            try NatsJWT("a.b")
        }
    }
}
