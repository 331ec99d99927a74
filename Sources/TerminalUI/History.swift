import Foundation
public import Topology

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

/// A fixed-size ring of samples for sparklines and graphs (a cluster pair's rates), as `SampleCode`s: a
/// series costs at most `2 × capacity` bytes whatever the run time, grown to it as samples come (a long
/// `--history` is not allocated before it is filled).
public struct SampleRing: Sendable, Equatable {
    public let capacity: Int
    private var storage: [UInt16] = []
    private var start = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public static let bytesPerSample = MemoryLayout<UInt16>.size

    public mutating func append(_ value: Double) {
        let sample = SampleCode.encode(value)
        if storage.count < capacity {
            // Doubling, but never past the capacity (an array's own growth would give a 600-sample ring
            // room for 1,024).
            if storage.count == storage.capacity { storage.reserveCapacity(min(capacity, max(16, storage.count * 2))) }
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

/// The histories of one gateway connection (kept across reconnects, see `SeriesKey`): four rings of
/// `capacity` samples — msgs/s, bytes/s, RTT and pending bytes — in one buffer, allocated whole at the
/// first sample (the capacity is held to the budget, `DashboardState.historyCapacity`). At 250 servers
/// that is 24,500 allocations instead of 98,000 (about 4 MiB of headers and heap overhead), and no
/// outgrown buffers: rings grown as samples came, all at about the same polls, left the heap a quarter
/// larger than the samples.
public struct ConnectionHistory: Sendable, Equatable {
    public enum Series: Int, Sendable, CaseIterable {
        case messages, bytes, rttMilliseconds, pendingBytes
    }

    /// One series of the history, read only.
    public struct View: Sendable {
        let history: ConnectionHistory
        let series: Series
        /// Oldest first.
        public var values: [Double] { history.values(series) }
        public var last: Double? { history.last(series) }
        public var count: Int { Int(history.counts[series.rawValue]) }
        public var capacity: Int { history.capacity }
    }

    public let capacity: Int
    /// Ring `s` is `samples[s * capacity ..< (s + 1) * capacity]`; empty until the first sample.
    private var samples: [UInt16] = []
    private var counts = SIMD4<Int32>(repeating: 0)
    private var starts = SIMD4<Int32>(repeating: 0)
    /// The dashboard's poll count at the last sample: a series not recorded for a while is dropped
    /// (`DashboardUpdate.pruneHistory`).
    public var lastRecorded = 0

    public init(capacity: Int) { self.capacity = max(1, min(capacity, Int(Int32.max) / 4)) }

    public var messages: View { View(history: self, series: .messages) }
    public var bytes: View { View(history: self, series: .bytes) }
    public var rttMilliseconds: View { View(history: self, series: .rttMilliseconds) }
    public var pendingBytes: View { View(history: self, series: .pendingBytes) }

    /// Bytes of samples allocated.
    public var allocatedBytes: Int { samples.capacity * SampleRing.bytesPerSample }

    private mutating func append(code: UInt16, to series: Series) {
        if samples.isEmpty { samples = [UInt16](repeating: 0, count: 4 * capacity) }
        samples.withUnsafeMutableBufferPointer { buffer in Self.append(code, to: series.rawValue, in: buffer, &counts, &starts, capacity) }
    }

    /// One sample into ring `ring` of `buffer` (all four rings allocated).
    @inline(__always)
    private static func append(
        _ code: UInt16, to ring: Int, in buffer: UnsafeMutableBufferPointer<UInt16>, _ counts: inout SIMD4<Int32>,
        _ starts: inout SIMD4<Int32>, _ capacity: Int
    ) {
        let base = ring * capacity
        if Int(counts[ring]) < capacity {
            buffer[base + Int(counts[ring])] = code
            counts[ring] += 1
        } else {
            buffer[base + Int(starts[ring])] = code
            starts[ring] = (starts[ring] + 1) % Int32(capacity)
        }
    }

    func values(_ series: Series) -> [Double] {
        let ring = series.rawValue, base = ring * capacity, count = Int(counts[ring]), start = Int(starts[ring])
        return (0..<count).map { SampleCode.decode(samples[base + (start + $0) % capacity]) }
    }

    func last(_ series: Series) -> Double? {
        let ring = series.rawValue, count = Int(counts[ring])
        guard count > 0 else { return nil }
        return SampleCode.decode(samples[ring * capacity + (Int(starts[ring]) + count - 1) % capacity])
    }

    /// The same history with room for `capacity` samples a series, each keeping its newest.
    public func resized(to capacity: Int) -> ConnectionHistory {
        var resized = ConnectionHistory(capacity: capacity)
        resized.lastRecorded = lastRecorded
        guard !samples.isEmpty else { return resized }
        for series in Series.allCases {
            let ring = series.rawValue, base = ring * self.capacity, count = Int(counts[ring]), start = Int(starts[ring])
            for offset in max(0, count - resized.capacity)..<count {
                let code = samples[base + (start + offset) % self.capacity]
                resized.append(code: code, to: series)
            }
        }
        return resized
    }

    /// One poll of a connection, given field by field (see `HistoryStore.record`).
    public mutating func record(rates: TrafficRates?, rtt: Double?, pendingBytes pending: Int64, poll: Int) {
        lastRecorded = poll
        if samples.isEmpty { samples = [UInt16](repeating: 0, count: 4 * capacity) }
        let capacity = capacity
        // The buffer is reached once for the poll's (up to) four samples: through the array each one was
        // a uniqueness check and a bounds check, for 24,500 connections a poll at 250 servers.
        samples.withUnsafeMutableBufferPointer { buffer in
            if let rates {
                Self.append(SampleCode.encode(rates.inMsgs + rates.outMsgs), to: Series.messages.rawValue, in: buffer, &counts, &starts, capacity)
                Self.append(SampleCode.encode(rates.inBytes + rates.outBytes), to: Series.bytes.rawValue, in: buffer, &counts, &starts, capacity)
            }
            if let rtt {
                Self.append(SampleCode.encode(rtt * 1000), to: Series.rttMilliseconds.rawValue, in: buffer, &counts, &starts, capacity)
            }
            Self.append(SampleCode.encode(Double(pending)), to: Series.pendingBytes.rawValue, in: buffer, &counts, &starts, capacity)
        }
    }

    /// The sample storage of one connection: four series of `capacity` samples.
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

    /// The most sample storage of one pair direction: two series of `capacity` samples.
    public static func bytesPerPair(capacity: Int) -> Int { 2 * capacity * SampleRing.bytesPerSample }
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

/// The connections' histories by `SeriesKey`, with a shortcut for what every poll does to them.
///
/// A poll records each of its connections: at 250 servers, 24,500 keys made (three strings retained,
/// two of them 56-byte ids) and hashed into a dictionary, a second a poll — more than the samples
/// themselves. A server's connections are, poll after poll, the same ones in the same order, so each
/// server's are remembered in that order with where their histories are, and a connection found where it
/// was last poll (same gid, direction, remote cluster and remote server) is recorded there without a key.
public struct HistoryStore: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    private var slots: [SeriesKey: Int] = [:]
    private var histories: [ConnectionHistory] = []
    private var freeSlots: [Int] = []
    /// Per server (by `serverKey`): its connections at its last poll, in order, and their slots. A server
    /// that went away leaves its entry until its series are dropped (`removeValue`), which clears them all.
    private var lastConnections: [String: [RecordedConnection]] = [:]

    private struct RecordedConnection: Sendable {
        var gid: UInt64
        var direction: GatewayDirection
        var remoteCluster: String
        var remoteServerID: String?
        var slot: Int

        /// Whether a link (in the buffer's memory) is this connection. Read through a pointer: a link
        /// handed over as an argument was copied, each of its strings retained and released, for every one
        /// of 24,500 connections a poll.
        @inline(__always)
        func isSame(as link: UnsafePointer<GatewayLink>) -> Bool {
            // The gid first: unique among a server's connections, and a plain number.
            gid == link.pointee.gid && direction == link.pointee.direction && remoteCluster == link.pointee.remoteCluster
                && remoteServerID == link.pointee.remoteServerID
        }
    }

    public init() {}

    public init(dictionaryLiteral elements: (SeriesKey, ConnectionHistory)...) {
        for (key, history) in elements { self[key] = history }
    }

    public var count: Int { slots.count }
    public var isEmpty: Bool { slots.isEmpty }
    public var keys: Dictionary<SeriesKey, Int>.Keys { slots.keys }
    public var values: [ConnectionHistory] { slots.values.map { histories[$0] } }

    public func makeIterator() -> some IteratorProtocol<(key: SeriesKey, value: ConnectionHistory)> {
        slots.lazy.map { (key: $0.key, value: histories[$0.value]) }.makeIterator()
    }

    public subscript(key: SeriesKey) -> ConnectionHistory? {
        get { slots[key].map { histories[$0] } }
        set {
            if let newValue {
                histories[slot(for: key, making: newValue)] = newValue
            } else {
                removeValue(forKey: key)
            }
        }
    }

    public mutating func removeValue(forKey key: SeriesKey) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        histories[slot] = ConnectionHistory(capacity: 1)  // its samples freed now
        freeSlots.append(slot)
        // A remembered connection may have been this one: the shortcut starts over (removals are rare:
        // connections gone for a minute, looked for every 16 polls).
        lastConnections = [:]
    }

    private mutating func slot(for key: SeriesKey, making new: @autoclosure () -> ConnectionHistory) -> Int {
        if let slot = slots[key] { return slot }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            histories[slot] = new()
        } else {
            slot = histories.count
            histories.append(new())
        }
        slots[key] = slot
        return slot
    }

    /// One poll of a server's connections, its outbound then its inbound, in the order the model gives
    /// them; a connection not seen before gets a history of `capacity` samples.
    public mutating func record(server serverKey: String, _ outbound: [GatewayLink], _ inbound: [GatewayLink], capacity: Int, poll: Int) {
        let total = outbound.count + inbound.count
        // Taken out while it is rebuilt, so that a change does not copy it.
        var remembered = lastConnections.removeValue(forKey: serverKey) ?? []
        var changed = remembered.count != total
        if changed { remembered.removeAll(keepingCapacity: true) }
        var position = 0
        // Through the arrays' memory, field by field: a link read out of an array (to hand it to a function,
        // or by a joined sequence) was copied whole, for each of 24,500 links.
        for links in [outbound, inbound] {
            links.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                for index in buffer.indices {
                    defer { position += 1 }
                    let link = base + index
                    let slot: Int
                    if !changed, remembered[position].isSame(as: link) {
                        slot = remembered[position].slot
                    } else {
                        if !changed {
                            // From here on the order is not last poll's: what came before it is kept as it was.
                            changed = true
                            remembered.removeSubrange(position...)
                        }
                        let key = SeriesKey(
                            serverKey: serverKey, direction: link.pointee.direction, remoteCluster: link.pointee.remoteCluster,
                            remoteServerID: link.pointee.remoteServerID, gid: link.pointee.gid)
                        slot = self.slot(for: key, making: ConnectionHistory(capacity: capacity))
                        remembered.append(RecordedConnection(
                            gid: link.pointee.gid, direction: link.pointee.direction, remoteCluster: link.pointee.remoteCluster,
                            remoteServerID: link.pointee.remoteServerID, slot: slot))
                    }
                    histories[slot].record(
                        rates: link.pointee.rates, rtt: link.pointee.rtt, pendingBytes: link.pointee.pendingBytes, poll: poll)
                }
            }
        }
        lastConnections[serverKey] = remembered
    }
}
