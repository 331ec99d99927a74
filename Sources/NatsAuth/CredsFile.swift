import Foundation

/// A NATS user creds file: the user JWT plus the user's NKey seed.
public struct NatsCredentials: Sendable {
    public let jwt: String
    public let seed: NKeyPair

    public init(jwt: String, seed: NKeyPair) {
        self.jwt = jwt
        self.seed = seed
    }

    public init(contentsOfFile path: String) throws {
        self = try Self.parse(readSecretFile(path, kind: "creds file"), path: path)
    }

    /// Parses creds text the way nats.go does: blocks of one line between
    /// dashed marker lines. `path` only serves error messages.
    public static func parse(_ text: String, path: String? = nil) throws -> NatsCredentials {
        let source = path.map { "creds file \($0)" } ?? "creds text"
        let blocks = DecoratedBlock.find(in: text)
        // Markers name their block in files written by nsc; fall back on shape.
        guard let jwtBlock = blocks.first(where: { $0.marker.uppercased().contains("JWT") })
            ?? blocks.first(where: { !$0.content.hasPrefix("S") })
        else {
            throw NKeyError("\(source) has no user JWT block")
        }
        guard let seedBlock = blocks.first(where: { $0.marker.uppercased().contains("SEED") })
            ?? blocks.first(where: { $0.content.hasPrefix("S") })
        else {
            throw NKeyError("\(source) has no user NKey seed block")
        }
        guard jwtBlock.content.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw NKeyError("\(source): the user JWT block does not hold a JWT (expected three dot-separated parts)")
        }
        let seed: NKeyPair
        do {
            seed = try NKeyPair(seed: seedBlock.content, expecting: .user)
        } catch let error as NKeyError {
            throw NKeyError("\(source): bad user NKey seed: \(error.message)")
        }
        return NatsCredentials(jwt: jwtBlock.content, seed: seed)
    }

    /// The creds file text, laid out as nsc writes it.
    public static func format(jwt: String, seed: NKeyPair) -> String {
        """
        -----BEGIN NATS USER JWT-----
        \(jwt)
        ------END NATS USER JWT------

        ************************* IMPORTANT *************************
        NKEY Seed printed below can be used to sign and prove identity.
        NKEYs are sensitive and should be treated as secrets.

        -----BEGIN USER NKEY SEED-----
        \(seed.seed)
        ------END USER NKEY SEED------

        *************************************************************

        """
    }
}

extension NatsCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "NatsCredentials(user: \(seed.publicKey))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["jwt": jwt, "seed": seed]) }
}

/// Loads the seed file given to `--nkey`, as nats.go's nkey option does: a
/// bare seed or a decorated block, surrounded by anything.
public enum NKeyFile {
    public static func load(contentsOfFile path: String, expecting expected: NKeyType? = .user) throws -> NKeyPair {
        try parse(readSecretFile(path, kind: "nkey file"), path: path, expecting: expected)
    }

    public static func parse(_ text: String, path: String? = nil, expecting expected: NKeyType? = .user) throws -> NKeyPair {
        let source = path.map { "nkey file \($0)" } ?? "nkey text"
        let tokens = DecoratedBlock.find(in: text).map(\.content)
            + text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        // 58 characters = base32 of 2 prefix bytes, 32 seed bytes and the CRC;
        // this skips words like "Seed" in the decoration.
        var firstError: NKeyError?
        for token in tokens where token.hasPrefix("S") && token.count == 58 {
            do {
                return try NKeyPair(seed: token, expecting: expected)
            } catch let error as NKeyError {
                firstError = firstError ?? error
            }
        }
        if let firstError {
            throw NKeyError("\(source): bad NKey seed: \(firstError.message)")
        }
        throw NKeyError("\(source) has no NKey seed (a 58-character word starting with S)")
    }
}

/// A line between two dashed marker lines, e.g. "-----BEGIN NATS USER JWT-----".
struct DecoratedBlock {
    let marker: String
    let content: String

    static func find(in text: String) -> [DecoratedBlock] {
        // Splitting on newlines and trimming absorbs CRLF and indentation.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var blocks: [DecoratedBlock] = []
        var index = 0
        while index + 2 < lines.count {
            let (open, content, close) = (lines[index], lines[index + 1], lines[index + 2])
            if isMarker(open), isMarker(close), !content.isEmpty, !isMarker(content) {
                blocks.append(DecoratedBlock(marker: open, content: content))
                index += 3
            } else {
                index += 1
            }
        }
        return blocks
    }

    private static func isMarker(_ line: String) -> Bool {
        line.count >= 6 && line.hasPrefix("---") && line.hasSuffix("---")
    }
}

private func readSecretFile(_ path: String, kind: String) throws -> String {
    guard FileManager.default.fileExists(atPath: path) else {
        throw NKeyError("\(kind) \(path) does not exist")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw NKeyError("\(kind) \(path) cannot be read")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw NKeyError("\(kind) \(path) is not UTF-8 text")
    }
    return text
}
