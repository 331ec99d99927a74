import Dispatch
import Foundation

/// Spreads independent per-item work over the machine's cores. A poll of a large supercluster is a few
/// hundred servers of up to a hundred connections each; modelling and diagnosing them one after the
/// other leaves the other cores idle while `--once` and the dashboard wait for the answer.
///
/// The results do not depend on how the work is split: each item is worked on alone, and its result
/// lands at its own index.
package enum Parallel {
    /// Below this many items the work is done on the calling thread: splitting small items costs more
    /// than it saves.
    package static let minimumItems = 16

    /// How many pieces to split work into: a few per core, so one slow piece does not hold up the rest.
    static var pieces: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return cores <= 1 ? 1 : cores * 4
    }

    /// `transform` applied to every item, in order. `minimumItems` is lower for a few large items.
    package static func map<Element: Sendable, Result: Sendable>(
        _ items: [Element], minimumItems: Int = Self.minimumItems, _ transform: @Sendable (Element) -> Result
    ) -> [Result] {
        let pieces = Self.pieces
        let count = items.count
        guard count >= minimumItems, pieces > 1 else { return items.map(transform) }
        return [Result](unsafeUninitializedCapacity: count) { buffer, initialized in
            let output = SharedBuffer(buffer)
            items.withUnsafeBufferPointer { input in
                let shared = SharedInput(input)
                DispatchQueue.concurrentPerform(iterations: min(pieces, count)) { piece in
                    for index in Self.range(of: piece, in: min(pieces, count), count: count) {
                        (output.buffer.baseAddress! + index).initialize(to: transform(shared.buffer[index]))
                    }
                }
            }
            initialized = count
        }
    }

    /// `change` applied to every element in place (each element uniquely held, so its arrays are
    /// changed without copies).
    package static func forEach<Element: Sendable>(mutating items: inout [Element], _ change: @Sendable (inout Element) -> Void) {
        let pieces = Self.pieces
        guard items.count >= minimumItems, pieces > 1 else {
            for index in items.indices { change(&items[index]) }
            return
        }
        let count = items.count
        items.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer)
            DispatchQueue.concurrentPerform(iterations: min(pieces, count)) { piece in
                for index in Self.range(of: piece, in: min(pieces, count), count: count) {
                    change(&shared.buffer[index])
                }
            }
        }
    }

    /// The indices piece `piece` of `pieces` works on: contiguous, sizes differing by at most one.
    static func range(of piece: Int, in pieces: Int, count: Int) -> Range<Int> {
        let base = count / pieces, extra = count % pieces
        let start = piece * base + min(piece, extra)
        return start..<(start + base + (piece < extra ? 1 : 0))
    }

    /// @unchecked: every piece touches only its own indices, so no element is reached by two threads.
    private struct SharedBuffer<Element>: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Element>
        init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
    }

    /// @unchecked: read only, while the caller waits.
    private struct SharedInput<Element>: @unchecked Sendable {
        let buffer: UnsafeBufferPointer<Element>
        init(_ buffer: UnsafeBufferPointer<Element>) { self.buffer = buffer }
    }
}
