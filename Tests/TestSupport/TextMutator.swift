/// Deterministic mutations of a text file (config, theme) for robustness tests: a failure reproduces
/// from its seed.
public struct TextMutator {
    private var state: UInt64
    private let inserts: [String]

    public init(seed: UInt64, inserts: [String]) {
        self.state = seed == 0 ? 1 : seed
        self.inserts = inserts
    }

    private mutating func next() -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % 1_000_000)
    }

    /// One to three edits: a byte overwritten, a byte removed, or one of `inserts` inserted.
    public mutating func mutate(_ original: [UInt8]) -> String {
        var bytes = original
        for _ in 0..<(1 + next() % 3) where !bytes.isEmpty {
            let at = next() % bytes.count
            switch next() % 3 {
            case 0: bytes[at] = UInt8(next() % 256)
            case 1: bytes.remove(at: at)
            default: bytes.insert(contentsOf: Array(inserts[next() % inserts.count].utf8), at: at)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
