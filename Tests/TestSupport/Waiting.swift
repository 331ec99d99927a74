import Foundation

/// Checks `condition` every `interval` seconds until it holds (true) or `seconds` have passed (false, after
/// one last check): for waiting on what a program has done, with a generous deadline, rather than sleeping
/// for what is hoped to be long enough.
public func waitUntil(within seconds: Double, every interval: Double = 0.1, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: interval)
    }
}
