//! Positions as the protocol counts them: a line and a count of UTF-16 code units within it.
//! writ's spans are byte offsets into UTF-8 text; a Chinese character is three bytes and one
//! UTF-16 unit, a character outside the Basic Multilingual Plane (`𠀀`) four bytes and two.

use crate::diagnostic::Span;
use lsp_types::{Position, Range};

/// Where the lines of one text start, to convert between byte offsets and positions.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// The byte offset of the start of each line.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The position of a byte offset (clamped to the text; an offset inside a character counts
    /// from that character's start).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = crate::diagnostic::floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character = text[start..offset].encode_utf16().count();
        Position { line: line as u32, character: character as u32 }
    }

    /// The byte offset of a position. A position past the end of its line is the line's end
    /// (before its `\r\n` or `\n`), one past the last line the text's end; one inside a
    /// surrogate pair is the start of that character.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else { return text.len() };
        let end = self.starts.get(pos.line as usize + 1).map_or(text.len(), |&e| e - 1);
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0;
        for (i, c) in line.char_indices() {
            let next = units + c.len_utf16();
            if next > pos.character as usize {
                return start + i;
            }
            units = next;
        }
        start + line.len()
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range { start: self.position(text, span.start as usize), end: self.position(text, span.end as usize) }
    }

    /// The position just past the end of the text.
    pub fn end(&self, text: &str) -> Position {
        self.position(text, text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn ascii_counts_bytes() {
        let text = "plan p\nclause c";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(text, 7), pos(1, 0));
        assert_eq!(ix.position(text, 14), pos(1, 7));
        assert_eq!(ix.offset(text, pos(1, 7)), 14);
    }

    #[test]
    fn chinese_is_one_unit_of_three_bytes() {
        let text = "party 市工信局 \"陽泉\"\nx";
        let ix = LineIndex::new(text);
        let at = text.find('局').unwrap();
        assert_eq!(ix.position(text, at), pos(0, 9));
        assert_eq!(ix.offset(text, pos(0, 9)), at);
        assert_eq!(ix.position(text, text.find('x').unwrap()), pos(1, 0));
        let quote = text.rfind('"').unwrap();
        assert_eq!(ix.position(text, quote), pos(0, 14));
        assert_eq!(ix.offset(text, pos(0, 14)), quote);
    }

    #[test]
    fn outside_the_bmp_is_two_units_of_four_bytes() {
        let text = "a𠀀b\n𠀀𠀀c";
        let ix = LineIndex::new(text);
        assert_eq!(ix.position(text, 1), pos(0, 1));
        assert_eq!(ix.position(text, 5), pos(0, 3), "after 𠀀: two units");
        assert_eq!(ix.offset(text, pos(0, 3)), 5);
        assert_eq!(ix.offset(text, pos(0, 2)), 1, "inside the pair: the character's start");
        let c = text.find('c').unwrap();
        assert_eq!(ix.position(text, c), pos(1, 4));
        assert_eq!(ix.offset(text, pos(1, 4)), c);
        // Every character boundary goes there and back.
        for (i, _) in text.char_indices() {
            assert_eq!(ix.offset(text, ix.position(text, i)), i);
        }
    }

    #[test]
    fn past_the_end_of_a_line_or_the_text() {
        let text = "ab\r\n陽\n";
        let ix = LineIndex::new(text);
        assert_eq!(ix.offset(text, pos(0, 10)), 2, "before the \\r\\n");
        assert_eq!(ix.offset(text, pos(1, 5)), 7);
        assert_eq!(ix.offset(text, pos(9, 0)), text.len());
        assert_eq!(ix.end(text), pos(2, 0));
        assert_eq!(ix.range(text, Span::new(4, 7)), Range { start: pos(1, 0), end: pos(1, 1) });
    }
}
