import Topology

/// A fixed-size ring of samples (rates, RTTs, pending bytes) for sparklines and graphs. Samples are
/// stored as 4-byte floats (a graph needs no more precision), so a series costs at most
/// `4 × capacity` bytes whatever the run time.
public struct SampleRing: Sendable, Equatable {
    public let capacity: Int
    private var storage: [Float] = []
    private var start = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public static let bytesPerSample = MemoryLayout<Float>.size

    public mutating func append(_ value: Double) {
        let sample = Float(value)
        if storage.count < capacity {
            storage.append(sample)
        } else {
            storage[start] = sample
            start = (start + 1) % capacity
        }
    }

    /// Oldest first.
    public var values: [Double] { (storage[start...] + storage[..<start]).map(Double.init) }
    public var last: Double? { storage.isEmpty ? nil : Double(storage[(start + storage.count - 1) % storage.count]) }
    public var count: Int { storage.count }
}

/// The histories of one gateway connection (kept across reconnects, see `SeriesKey`).
public struct ConnectionHistory: Sendable, Equatable {
    public var messages: SampleRing
    public var bytes: SampleRing
    public var rttMilliseconds: SampleRing
    public var pendingBytes: SampleRing

    public init(capacity: Int) {
        messages = SampleRing(capacity: capacity)
        bytes = SampleRing(capacity: capacity)
        rttMilliseconds = SampleRing(capacity: capacity)
        pendingBytes = SampleRing(capacity: capacity)
    }

    /// One poll of a connection, given field by field (see `DashboardUpdate.receive`).
    mutating func record(rates: TrafficRates?, rtt: Double?, pendingBytes pending: Int64) {
        if let rates {
            messages.append(rates.inMsgs + rates.outMsgs)
            bytes.append(rates.inBytes + rates.outBytes)
        }
        if let rtt { rttMilliseconds.append(rtt * 1000) }
        pendingBytes.append(Double(pending))
    }

    /// Upper bound of the sample storage of one connection: four series of `capacity` floats.
    public static func bytesPerConnection(capacity: Int) -> Int { 4 * capacity * SampleRing.bytesPerSample }
}

/// The histories of one direction of a cluster pair.
public struct PairHistory: Sendable, Equatable {
    public var messages: SampleRing
    public var bytes: SampleRing

    public init(capacity: Int) {
        messages = SampleRing(capacity: capacity)
        bytes = SampleRing(capacity: capacity)
    }

    /// One direction of a cluster pair, as the histories are keyed.
    static func key(_ pair: ClusterPairTraffic) -> String { pair.from + "→" + pair.to }

    mutating func record(_ pair: ClusterPairTraffic) {
        messages.append(pair.sentMsgsPerSecond)
        bytes.append(pair.sentBytesPerSecond)
    }
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
