import Testing
@testable import TerminalUI

/// `gwtop --plain` on a terminal redraws the text report in place: it must never scroll the window, or the
/// summary at its top goes off screen (the report is 100 columns; an SSH window is often 80).
@Suite struct PlainFrameTests {
    /// What a terminal shows of `text`: written here on its own, not with the code under test. CSI
    /// sequences (ESC [ … final byte) are dropped.
    func visible(_ text: String) -> String {
        var shown = String.UnicodeScalarView()
        var inSequence = false
        var previousWasEscape = false
        for scalar in text.unicodeScalars {
            if inSequence {
                if (0x40...0x7E).contains(scalar.value) && !previousWasEscape { inSequence = false }
                previousWasEscape = false
            } else if scalar == "\u{1B}" {
                inSequence = true
                previousWasEscape = true
            } else {
                shown.append(scalar)
            }
        }
        return String(shown)
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
        // The narrowest windows still get no line wider than they are.
        #expect(PlainFrame.fit("abc", rows: 5, columns: 1) == "…" && PlainFrame.fit("abc", rows: 5, columns: 2) == "a…")
        #expect(PlainFrame.fit("", rows: 24, columns: 80) == "" && PlainFrame.fit("\n", rows: 24, columns: 80) == "")
    }

    @Test func tooManyLinesKeepTheTopAndSayHowManyWereLeftOut() {
        let frame = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let lines = PlainFrame.fit(frame, rows: 24, columns: 80).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 24 && lines.first == "line 1" && lines[22] == "line 23")
        #expect(lines.last == "… 7 more lines (enlarge the window, or use --once)")
        // Without the final newline, and with blank lines at the end: the same count as the lines shown.
        let bare = (1...25).map { "line \($0)" }.joined(separator: "\n")
        #expect(PlainFrame.fit(bare, rows: 24, columns: 80).hasSuffix("line 23\n… 2 more lines (enlarge the window, or use --once)"))
        let blank = (1...24).map { "line \($0)" }.joined(separator: "\n") + "\n\n\n"
        #expect(PlainFrame.fit(blank, rows: 24, columns: 80).hasSuffix("line 23\n… 3 more lines (enlarge the window, or use --once)"))
        // Exactly the rows, with the report's final newline: nothing left out.
        let exact = (1...24).map { "line \($0)" }.joined(separator: "\n") + "\n"
        #expect(PlainFrame.fit(exact, rows: 24, columns: 80) == String(exact.dropLast()))
        // The note is cut to the window too; one or two rows have no room for it.
        let narrow = PlainFrame.fit(frame, rows: 24, columns: 20).split(separator: "\n")
        #expect(narrow.last == "… 7 more lines (enl…")
        #expect(PlainFrame.fit(frame, rows: 2, columns: 80) == "line 1\nline 2" && PlainFrame.fit(frame, rows: 1, columns: 80) == "line 1")
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

    /// A server name starting with a combining mark, printed bold: the sequence's "m" and the mark are one
    /// Character, and the sequence must still end at the "m" (it swallowed the next letter, and a cut line
    /// came out a cell too wide, which wraps).
    @Test func aCombiningMarkAfterASequenceDoesNotHideItsEnd() {
        let bold = "\u{1B}[1m", reset = "\u{1B}[0m"
        let line = bold + "\u{301}dc01" + reset + " " + String(repeating: "w", count: 40)
        let cut = PlainFrame.fit(line, rows: 24, columns: 20)
        #expect(visible(cut) == "\u{301}dc01 " + String(repeating: "w", count: 14) + "…")
        #expect(displayWidth(of: visible(cut)) == 20)
        #expect(cut.hasPrefix(bold + "\u{301}dc01" + reset) && cut.hasSuffix("…" + reset))
        let sequences = PlainFrame.pieces(of: line).filter(\.isSequence).map(\.text)
        #expect(sequences == [bold, reset])
    }

    /// Other escapes are whole pieces too: OSC (a window title) to its BEL or ESC \, a two-byte escape, and
    /// an unfinished one at the end of a line.
    @Test func otherEscapesAreKeptWhole() {
        let osc = "\u{1B}]0;title\u{07}", oscST = "\u{1B}]2;t\u{1B}\\"
        #expect(PlainFrame.pieces(of: osc + "ab" + oscST + "c").map(\.text) == [osc, "a", "b", oscST, "c"])
        #expect(PlainFrame.pieces(of: "a\u{1B}cb").map(\.text) == ["a", "\u{1B}c", "b"])
        #expect(PlainFrame.pieces(of: "ab\u{1B}[3").map(\.text) == ["a", "b", "\u{1B}[3"])
        #expect(PlainFrame.pieces(of: "ab\u{1B}").map(\.text) == ["a", "b", "\u{1B}"])
        #expect(PlainFrame.fit(osc + String(repeating: "q", count: 10), rows: 3, columns: 5) == osc + "qqqq…\u{1B}[0m")
    }

    /// Wide characters (a server named in CJK) take two cells each; the cut never splits one.
    @Test func wideCharactersTakeTwoCells() {
        let line = "server 東京東京東京東京 ok"
        let cut = PlainFrame.fit(line, rows: 24, columns: 12)
        #expect(cut == "server 東京…" && displayWidth(of: cut) == 12)
        #expect(displayWidth(of: PlainFrame.fit(line, rows: 24, columns: 13)) <= 13)
    }
}
