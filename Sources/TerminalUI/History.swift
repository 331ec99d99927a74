/// A fixed-size ring of samples (rates or RTTs) for sparklines and graphs. Memory per series is
/// `capacity` doubles whatever the run time.
public struct SampleRing: Sendable, Equatable {
    public let capacity: Int
    private var storage: [Double] = []
    private var start = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public mutating func append(_ value: Double) {
        if storage.count < capacity {
            storage.append(value)
        } else {
            storage[start] = value
            start = (start + 1) % capacity
        }
    }

    /// Oldest first.
    public var values: [Double] { Array(storage[start...] + storage[..<start]) }
    public var last: Double? { storage.isEmpty ? nil : storage[(start + storage.count - 1) % storage.count] }
    public var count: Int { storage.count }
}

/// Renders samples as one row of block glyphs scaled to the largest value shown.
public enum Sparkline {
    public static func render(_ values: [Double], width: Int, glyphs: Glyphs) -> String {
        guard width > 0 else { return "" }
        let shown = Array(values.suffix(width))
        let peak = shown.max() ?? 0
        var text = String(repeating: " ", count: width - shown.count)
        for value in shown {
            if peak <= 0 || value <= 0 {
                text += value > 0 ? glyphs.sparkLevels[0] : " "
            } else {
                let level = Int((value / peak) * Double(glyphs.sparkLevels.count - 1) + 0.5)
                text += glyphs.sparkLevels[min(max(level, 0), glyphs.sparkLevels.count - 1)]
            }
        }
        return text
    }
}
