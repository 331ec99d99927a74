/// Names in the order a person reads them: runs of digits compare as numbers, so `s2` comes before `s10`
/// and `dc9` before `dc10`. A cluster of 100 servers listed character by character read s1, s10, s100,
/// s11, … Everything else compares byte by byte (UTF-8), as `<` does for ASCII names; names that differ
/// only in leading zeros (`s01`, `s1`) are told apart by `<`, so the order is total and stable.
public enum NaturalOrder {
    public static func less(_ left: String, _ right: String) -> Bool {
        // Read in place: a native string's bytes already are contiguous (making them so is then free).
        var left = left, right = right
        left.makeContiguousUTF8()
        right.makeContiguousUTF8()
        let order = left.utf8.withContiguousStorageIfAvailable { a in
            right.utf8.withContiguousStorageIfAvailable { b in compare(a, b) }
        }
        guard let order, let order else { preconditionFailure("contiguous UTF-8 was just made") }
        return order ?? (left < right)
    }

    /// Whether `left` comes first, for two names that may be the same: nil when they are, so that a
    /// sort by name can go on to what it orders names' equals by.
    public static func order(_ left: String, _ right: String) -> Bool? {
        left == right ? nil : less(left, right)
    }

    /// true: left first; false: right first; nil: equal by this order.
    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if isDigit(a[i]) && isDigit(b[j]) {
                // Two runs of digits: the longer number (leading zeros aside) is the larger; of equal
                // length, the first differing digit decides.
                let startA = i, startB = j
                while i < a.count && isDigit(a[i]) { i += 1 }
                while j < b.count && isDigit(b[j]) { j += 1 }
                let digitsA = a[startA..<i].drop { $0 == UInt8(ascii: "0") }
                let digitsB = b[startB..<j].drop { $0 == UInt8(ascii: "0") }
                if digitsA.count != digitsB.count { return digitsA.count < digitsB.count }
                for (x, y) in zip(digitsA, digitsB) where x != y { return x < y }
                continue
            }
            if a[i] != b[j] { return a[i] < b[j] }
            i += 1
            j += 1
        }
        if i < a.count || j < b.count { return i >= a.count }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
