import Foundation
import Topology

/// A sample as a 2-byte code on a logarithmic scale: log2(1 + value) in steps of 1/1560, from 0 to
/// 4.4 × 10^12 (bytes per second well past any link), so a decoded sample is within 0.023 % of 1 + the
/// value (an RTT of 1.5 ms to 0.6 µs). A graph and its three-significant-digit figures cannot tell it from
/// the value, and a series takes half the memory of 4-byte floats: at 250 servers that is what lets the
/// history keep a graph's width of samples within its memory budget.
public enum SampleCode {
    static let scale = 65_535.0 / 42.0

    /// 0 for zero, negatives and NaN; the largest code from 4.4 × 10^12 up (infinity included).
    public static func encode(_ value: Double) -> UInt16 {
        guard value > 0 else { return 0 }
        let code = (log2(1 + value) * scale).rounded()
        return code >= 65_535 ? 65_535 : UInt16(code)
    }

    public static func decode(_ code: UInt16) -> Double { exp2(Double(code) / scale) - 1 }
}

/// A fixed-size ring of samples (rates, RTTs, pending bytes) for sparklines and graphs, as `SampleCode`s:
/// a series costs `2 × capacity` bytes whatever the run time, all of it from its first sample.
public struct SampleRing: Sendable, Equatable {
    public let capacity: Int
    private var storage: [UInt16] = []
    private var start = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public static let bytesPerSample = MemoryLayout<UInt16>.size

    public mutating func append(_ value: Double) {
        let sample = SampleCode.encode(value)
        if storage.count < capacity {
            // The whole ring at once: grown as samples came, a 600-sample ring had room for 1,024 (an
            // array's doubling), and at 250 servers the 98,000 rings' outgrown buffers, freed all at about
            // the same poll, left the heap a quarter larger than the samples.
            if storage.isEmpty { storage.reserveCapacity(capacity) }
            storage.append(sample)
        } else {
            storage[start] = sample
            start = (start + 1) % capacity
        }
    }

    /// Oldest first.
    public var values: [Double] { (storage[start...] + storage[..<start]).map(SampleCode.decode) }
    public var last: Double? { storage.isEmpty ? nil : SampleCode.decode(storage[(start + storage.count - 1) % storage.count]) }
    public var count: Int { storage.count }
    /// Bytes of samples allocated.
    public var allocatedBytes: Int { storage.capacity * Self.bytesPerSample }
}

/// The histories of one gateway connection (kept across reconnects, see `SeriesKey`).
public struct ConnectionHistory: Sendable, Equatable {
    public var messages: SampleRing
    public var bytes: SampleRing
    public var rttMilliseconds: SampleRing
    public var pendingBytes: SampleRing
    /// The dashboard's poll count at the last sample: a series not recorded for a whole history window
    /// is dropped (`DashboardUpdate.pruneHistory`).
    public var lastRecorded = 0

    public init(capacity: Int) {
        messages = SampleRing(capacity: capacity)
        bytes = SampleRing(capacity: capacity)
        rttMilliseconds = SampleRing(capacity: capacity)
        pendingBytes = SampleRing(capacity: capacity)
    }

    /// One poll of a connection, given field by field (see `DashboardUpdate.receive`).
    mutating func record(rates: TrafficRates?, rtt: Double?, pendingBytes pending: Int64, poll: Int) {
        lastRecorded = poll
        if let rates {
            messages.append(rates.inMsgs + rates.outMsgs)
            bytes.append(rates.inBytes + rates.outBytes)
        }
        if let rtt { rttMilliseconds.append(rtt * 1000) }
        pendingBytes.append(Double(pending))
    }

    /// Upper bound of the sample storage of one connection: four series of `capacity` samples.
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
