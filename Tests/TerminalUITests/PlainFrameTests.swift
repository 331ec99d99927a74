import Testing
@testable import TerminalUI

/// `gwtop --plain` on a terminal redraws the text report in place: it must never scroll the window, or the
/// summary at its top goes off screen (the report is 100 columns; an SSH window is often 80).
@Suite struct PlainFrameTests {
    func visible(_ text: String) -> String {
        PlainFrame.pieces(of: text).filter { !$0.isSequence }.map(\.text).joined()
    }

    @Test func linesAreCutToTheWindowsWidth() {
        let frame = "gwtop OK 3 clusters\n" + String(repeating: "x", count: 100) + "\nshort\n"
        let fitted = PlainFrame.fit(frame, rows: 24, columns: 80)
        let lines = fitted.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && !fitted.hasSuffix("\n"), "no newline after the last line")
        #expect(lines[1] == Substring(String(repeating: "x", count: 79) + "…"))
        #expect(lines[0] == "gwtop OK 3 clusters" && lines[2] == "short")
        // Exactly the width: left as it is.
        #expect(PlainFrame.fit(String(repeating: "y", count: 80), rows: 24, columns: 80) == String(repeating: "y", count: 80))
    }

    @Test func tooManyLinesKeepTheTopAndSayHowManyWereLeftOut() {
        let frame = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let lines = PlainFrame.fit(frame, rows: 24, columns: 80).split(separator: "\n")
        #expect(lines.count == 24 && lines.first == "line 1" && lines[22] == "line 23")
        #expect(lines.last == "… 7 more lines (enlarge the window, or use --once)")
        // The note is cut to the window too.
        let narrow = PlainFrame.fit(frame, rows: 24, columns: 20).split(separator: "\n")
        #expect(narrow.last == "… 7 more lines (enl…")
    }

    /// Colour sequences take no room, are never cut in half, and a cut coloured line resets the colour.
    @Test func colourSequencesTakeNoRoom() {
        let red = "\u{1B}[31m", reset = "\u{1B}[0m"
        let line = red + "✗ CRITICAL" + reset + " " + String(repeating: "z", count: 70)
        #expect(PlainFrame.fit(line, rows: 24, columns: 81) == line, "81 visible cells fit in 81")
        let cut = PlainFrame.fit(line, rows: 24, columns: 40)
        #expect(visible(cut) == "✗ CRITICAL " + String(repeating: "z", count: 28) + "…")
        #expect(cut.hasPrefix(red + "✗ CRITICAL" + reset) && cut.hasSuffix("…" + reset))
    }

    /// Wide characters (a server named in CJK) take two cells each; the cut never splits one.
    @Test func wideCharactersTakeTwoCells() {
        let line = "server 東京東京東京東京 ok"
        let cut = PlainFrame.fit(line, rows: 24, columns: 12)
        #expect(cut == "server 東京…" && displayWidth(of: cut) == 12)
        #expect(displayWidth(of: PlainFrame.fit(line, rows: 24, columns: 13)) <= 13)
    }
}
