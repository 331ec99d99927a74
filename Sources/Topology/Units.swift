/// Human units for counts, bytes, rates and durations, shared by every output.
public enum Units {
    /// 1.2K, 3.4M, 5.6G; plain integers below 1000.
    public static func count(_ value: Double) -> String {
        scaled(value, base: 1000, suffixes: ["", "K", "M", "G", "T", "P"])
    }

    /// Binary units: 512B, 1.5KiB, 3.0MiB.
    public static func bytes(_ value: Double) -> String {
        let suffixes = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        guard value.isFinite else { return "-" }
        var scaledValue = abs(value)
        var index = 0
        while scaledValue >= 1024, index < suffixes.count - 1 {
            scaledValue /= 1024
            index += 1
        }
        let sign = value < 0 ? "-" : ""
        if index == 0 { return "\(sign)\(Int(scaledValue.rounded()))B" }
        return sign + fixed(scaledValue, digits: scaledValue < 10 ? 1 : 0) + suffixes[index]
    }

    public static func msgRate(_ value: Double) -> String { count(value) + "/s" }

    public static func byteRate(_ value: Double) -> String { bytes(value) + "/s" }

    /// 850µs, 1.2ms, 3.4s, 5m6s, 7h8m, 9d10h.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        if seconds < 0 { return "-" + duration(-seconds) }
        if seconds == 0 { return "0s" }
        if seconds < 0.001 { return "\(Int((seconds * 1e6).rounded()))µs" }
        if seconds < 1 { return fixed(seconds * 1000, digits: seconds < 0.01 ? 1 : 0) + "ms" }
        if seconds < 60 { return fixed(seconds, digits: seconds < 10 ? 1 : 0) + "s" }
        let whole = Int(seconds)
        if whole < 3600 { return "\(whole / 60)m\(whole % 60)s" }
        if whole < 86400 { return "\(whole / 3600)h\(whole % 3600 / 60)m" }
        return "\(whole / 86400)d\(whole % 86400 / 3600)h"
    }

    static func scaled(_ value: Double, base: Double, suffixes: [String]) -> String {
        guard value.isFinite else { return "-" }
        var scaledValue = abs(value)
        var index = 0
        while scaledValue >= base * 0.9995, index < suffixes.count - 1 {
            scaledValue /= base
            index += 1
        }
        let sign = value < 0 ? "-" : ""
        if index == 0 {
            // Fractional rates below 10 keep one decimal so 0.5 msgs/s does not read as 0 or 1.
            if scaledValue > 0 && scaledValue < 10 && scaledValue != scaledValue.rounded() {
                return sign + fixed(scaledValue, digits: 1)
            }
            return sign + String(Int(scaledValue.rounded()))
        }
        return sign + fixed(scaledValue, digits: scaledValue < 10 ? 1 : 0) + suffixes[index]
    }

    /// Fixed-point formatting without Foundation's locale-dependent String(format:).
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var factor = 1.0
        for _ in 0..<digits { factor *= 10 }
        let rounded = (abs(value) * factor).rounded()
        let integer = Int64(rounded / factor)
        let fraction = Int64(rounded) - integer * Int64(factor)
        let sign = value < 0 && rounded != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(integer) }
        var fractionText = String(fraction)
        while fractionText.count < digits { fractionText = "0" + fractionText }
        return "\(sign)\(integer).\(fractionText)"
    }
}
